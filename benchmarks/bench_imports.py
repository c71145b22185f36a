"""Benchmark 6: import time and memory of ``oqtopus_bridge`` vs the reference, fresh processes."""

from __future__ import annotations

import json
import subprocess
import sys

from benchmarks.harness import Row, Run, Target, clean_env, median, set_ratios

BENCH = "6 import"
# Peak RSS from VmHWM, not ru_maxrss: ru_maxrss survives exec, so a child of this (large) process
# would report the parent's peak.
PROBE = (
    "import json, time\n"
    "start = time.perf_counter()\n"
    "{statement}\n"
    "seconds = time.perf_counter() - start\n"
    "status = open('/proc/self/status').read().split('VmHWM:')[1]\n"
    "print(json.dumps({{'seconds': seconds, 'rss_kib': int(status.split()[0])}}))\n"
)


def _probe(python: str, statement: str) -> dict[str, float]:
    out = subprocess.run(
        [python, "-c", PROBE.format(statement=statement)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=clean_env(),
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


Subject = tuple[str, str, str]  # (client, interpreter, module)


def _rows(subjects: list[Subject], reps: int) -> list[Row]:
    """Median import time and added peak RSS per subject, probes alternating between subjects."""
    for _, python, module in subjects:
        _probe(python, f"import {module}")  # warm-up: byte-code and page cache
    runs: list[list[dict[str, float]]] = [[] for _ in subjects]
    for _ in range(reps):  # alternate, so a load spike from other processes hits every subject
        for index, (_, python, module) in enumerate(subjects):
            runs[index].append(_probe(python, f"import {module}"))
    rows = []
    for (client, python, module), probes in zip(subjects, runs, strict=True):
        bare = _probe(python, "pass")["rss_kib"]
        added_mib = (median([p["rss_kib"] for p in probes]) - bare) / 1024
        times = [p["seconds"] for p in probes]
        note = f"import {module}: median of {reps} fresh processes; +{added_mib:.1f} MiB peak RSS"
        rows.append(
            Row(
                BENCH,
                client,
                median(times),
                note=note,
                extra={"times": times, "added_rss_mib": added_mib},
            )
        )
    return rows


def run(run: Run) -> tuple[list[Row], list[Target]]:
    """Import each client's entry module in fresh interpreters."""
    reps = run.sizes.import_reps
    ours: Subject = ("oqtopus-bridge", sys.executable, "oqtopus_bridge")
    if run.reference is None:
        rows = [
            *_rows([ours], reps),
            Row(BENCH, "quri-parts-oqtopus", None, note=run.reference_note),
        ]
        return rows, [Target(BENCH, "import <= 0.5x the reference", run.reference_note, None)]
    client = f"quri-parts-oqtopus {run.reference_note}"
    rows = _rows([ours, (client, run.reference, "quri_parts_oqtopus.backend")], reps)
    set_ratios(rows, rows[1])
    ratio = rows[0].ratio or 0.0
    memory = rows[0].extra["added_rss_mib"] / max(rows[1].extra["added_rss_mib"], 1e-9)
    reached = f"{ratio:.2f}x the time, {memory:.2f}x the memory"
    return rows, [Target(BENCH, "import time <= 0.5x the reference", reached, ratio <= 0.5)]
