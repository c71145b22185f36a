"""Run the benchmarks of issue 10: ``python -m benchmarks [--smoke] [--json PATH] [--only 1,3]``.

All clients talk to one local server process; the reference client (quri-parts-oqtopus 1.1.5)
runs in its own interpreter, given by ``--reference-python`` or ``$OQTOPUS_REFERENCE_PYTHON``
(its rows say "not measured" without one). Prints a Markdown table of times and ratios, the
targets, and writes everything to a JSON file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from benchmarks import (
    bench_batch,
    bench_first,
    bench_gradient,
    bench_imports,
    bench_large,
    bench_latency,
    bench_responsiveness,
    bench_shots,
    bench_throughput,
)
from benchmarks.harness import (
    FULL,
    HERE,
    SMOKE,
    Row,
    Run,
    ServerProcess,
    Target,
    reference_python,
    reference_versions,
)
from benchmarks.report import document, machine, table, target_table

RESULTS = HERE / "results.json"
Bench = Callable[[Run], tuple[list[Row], list[Target]]]
BENCHMARKS: dict[str, tuple[str, Bench]] = {
    "1": ("latency of one small job", bench_latency.run),
    "2": ("200-circuit batch", bench_batch.run),
    "3": ("20-qubit 10,000-shot circuit", bench_large.run),
    "4": ("parameter-shift gradient", bench_gradient.run),
    "5": ("server throughput", bench_throughput.run),
    "6": ("import time and memory", bench_imports.run),
    "7": ("status requests during a noisy simulation", bench_responsiveness.run),
    "8": ("sampling shortcuts: shots scaling, idle qubits", bench_shots.run),
    "9": ("first job on a fresh server", bench_first.run),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the harness only")
    parser.add_argument(
        "--json", type=Path, help="where to write results [benchmarks/results*.json]"
    )
    parser.add_argument("--only", help="comma-separated benchmark numbers, e.g. 1,3 [all]")
    parser.add_argument(
        "--reference-python",
        help="interpreter with quri-parts-oqtopus 1.1.5 [$OQTOPUS_REFERENCE_PYTHON]",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks; return 1 if any of them crashed, else 0."""
    args = parse_args(argv)
    selected = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = [key for key in selected if key not in BENCHMARKS]
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
    sizes = SMOKE if args.smoke else FULL
    # A smoke run checks the harness; its numbers mean nothing, so they stay out of the repo.
    default = Path(tempfile.gettempdir()) / "oqtopus-bench-smoke.json" if args.smoke else RESULTS
    output = args.json or default
    info = machine()
    reference, note = reference_python(args.reference_python)
    info.update(
        command="python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:]),
        smoke=args.smoke,
        started=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        reference_python=reference,
        reference_client=note,
        reference_versions=reference_versions(reference) if reference else {},
    )
    rows, targets, errors = [], [], []
    start = time.perf_counter()
    server = ServerProcess(sizes.wide_qubits)
    try:
        run = Run(server, sizes, reference, note)
        for key in selected:
            title, bench = BENCHMARKS[key]
            print(f"[{time.perf_counter() - start:6.1f} s] benchmark {key}: {title}", flush=True)
            try:
                new_rows, new_targets = bench(run)
            except Exception:  # keep going: the other benchmarks still mean something
                errors.append(f"benchmark {key}: {traceback.format_exc()}")
                print(errors[-1], file=sys.stderr, flush=True)
                continue
            rows += new_rows
            targets += new_targets
    finally:
        server.stop()
    info.update(duration_s=time.perf_counter() - start, loadavg_end=os.getloadavg())
    print("\n" + table(rows) + "\n\n" + target_table(targets))
    print(f"\n{len(rows)} rows in {info['duration_s']:.0f} s; JSON: {output}")
    output.write_text(json.dumps(document(rows, targets, info, errors), indent=2) + "\n")
    return 1 if errors else 0
