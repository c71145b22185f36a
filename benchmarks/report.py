"""The results: the machine description, a Markdown table, and the JSON document."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.harness import Row, Target

PACKAGES = (
    "oqtopus-bridge",
    "qiskit",
    "qiskit-aer",
    "pennylane",
    "quri-parts-core",
    "fastapi",
    "uvicorn",
    "requests",
    "urllib3",
)


def machine() -> dict[str, Any]:
    """CPU, memory, load, Python and package versions of this run."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    try:
        memory = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.strip()
    except OSError:
        memory = "unknown"
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "memory": memory,
        "loadavg_start": os.getloadavg(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": versions,
    }


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def _number(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table."""
    lines = [
        "| bench | client | time | ratio | vs | req/job | bytes/job "
        "| CPU/job client + API + workers | note |",
        "|---|---|---:|---:|---|---:|---:|---:|---|",
    ]
    for r in rows:
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}x"
        lines.append(
            f"| {r.bench} | {r.client} | {_seconds(r.seconds)} | {ratio} | {r.baseline or '-'} "
            f"| {_number(r.requests_per_job, '.1f')} | {_number(r.bytes_per_job, ',.0f')} "
            f"| {cpu_text(r.cpu_ms)} | {r.note} |"
        )
    return "\n".join(lines)


def cpu_text(split: tuple[float | None, float | None, float | None] | None) -> str:
    """``"9.0 + 4.1 + 5.2 = 18.3 ms"`` (client + API + workers per job), ``-`` for absent parts."""
    if split is None:
        return "-"
    parts = [value for value in split if value is not None]
    text = " + ".join("-" if value is None else f"{value:.1f}" for value in split)
    return f"{text} = {sum(parts):.1f} ms" if len(parts) > 1 else f"{text} ms"


def target_table(targets: Sequence[Target]) -> str:
    """The targets as a Markdown table."""
    marks = {True: "met", False: "MISSED", None: "n/a"}
    lines = ["| bench | target | reached | |", "|---|---|---|---|"]
    lines += [f"| {t.bench} | {t.goal} | {t.reached} | {marks[t.met]} |" for t in targets]
    return "\n".join(lines)


def document(
    rows: Sequence[Row],
    targets: Sequence[Target],
    info: dict[str, Any],
    errors: Sequence[str],
) -> dict[str, Any]:
    """The JSON document of a run."""
    return {
        **info,
        "rows": [dataclasses.asdict(r) for r in rows],
        "targets": [dataclasses.asdict(t) for t in targets],
        "errors": list(errors),
    }
