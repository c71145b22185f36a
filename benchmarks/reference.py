"""Workloads run by the reference client (quri-parts-oqtopus 1.1.5) in its own interpreter.

Invoked by :mod:`benchmarks.bench_latency` and :mod:`benchmarks.bench_batch` as
``<reference python> reference.py < task.json``; prints one JSON line of wall times. Imports only
the standard library and ``quri_parts_oqtopus``, because that environment pins ``urllib3<2.1`` and
does not need to hold oqtopus-bridge. The traffic counters are reset after the warm-up job so that
only the measured jobs are counted.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request


def _reset_counters(url: str) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    opener.open(urllib.request.Request(url + "/__bench/reset", data=b"", method="POST")).read()


def main() -> None:
    """Run the JSON task read from stdin and print ``{"times": [...], ...}``."""
    task = json.loads(sys.stdin.read())
    from quri_parts_oqtopus.backend import OqtopusConfig, OqtopusSamplingBackend

    backend = OqtopusSamplingBackend(OqtopusConfig(url=task["url"], api_token=task["token"]))
    device, shots, wait = task["device_id"], task["shots"], task["wait"]

    def run(program: str) -> int:
        # name is required: 1.1.5 cannot read back a job without one (spec section 11).
        job = backend.sample_qasm(program, device_id=device, shots=shots, name="bench")
        return sum(job.result(wait=wait).counts.values())

    programs = task["programs"]
    run(programs[0])  # warm-up: imports, first connection
    _reset_counters(task["url"])
    times, shots_seen = [], []
    cpu_start, start = time.process_time(), time.perf_counter()
    for _ in range(task.get("reps", 1)):
        for program in programs:
            begin = time.perf_counter()
            shots_seen.append(run(program))
            times.append(time.perf_counter() - begin)
    total, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(json.dumps({"times": times, "total": total, "shots": shots_seen, "cpu": cpu}))


if __name__ == "__main__":
    main()
