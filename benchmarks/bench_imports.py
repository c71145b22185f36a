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


def _row(client: str, python: str, module: str, reps: int) -> Row:
    """Median import time and the peak RSS the import adds over a bare interpreter."""
    _probe(python, f"import {module}")  # warm-up: byte-code and page cache
    runs = [_probe(python, f"import {module}") for _ in range(reps)]
    bare = median([_probe(python, "pass")["rss_kib"] for _ in range(max(1, reps // 2))])
    added_mib = (median([r["rss_kib"] for r in runs]) - bare) / 1024
    return Row(
        BENCH,
        client,
        median([r["seconds"] for r in runs]),
        note=f"import {module}: median of {reps} fresh processes; +{added_mib:.1f} MiB peak RSS",
        extra={"times": [r["seconds"] for r in runs], "added_rss_mib": added_mib},
    )


def run(run: Run) -> tuple[list[Row], list[Target]]:
    """Import each client's entry module in fresh interpreters."""
    reps = run.sizes.import_reps
    ours = _row("oqtopus-bridge", sys.executable, "oqtopus_bridge", reps)
    rows = [ours]
    if run.reference is None:
        reference = Row(BENCH, "quri-parts-oqtopus", None, note=run.reference_note)
        rows.append(reference)
        return rows, [Target(BENCH, "import <= 0.5x the reference", run.reference_note, None)]
    reference = _row(
        f"quri-parts-oqtopus {run.reference_note}",
        run.reference,
        "quri_parts_oqtopus.backend",
        reps,
    )
    rows.append(reference)
    set_ratios(rows, reference)
    ratio = ours.ratio or 0.0
    memory = ours.extra["added_rss_mib"] / max(reference.extra["added_rss_mib"], 1e-9)
    reached = f"{ratio:.2f}x the time, {memory:.2f}x the memory"
    return rows, [Target(BENCH, "import time <= 0.5x the reference", reached, ratio <= 0.5)]
