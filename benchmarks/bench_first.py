"""Benchmark 8: the first job on a fresh server, next to the tenth (issue 23).

A newcomer starts ``serve`` and sends a job a few seconds later. Each row starts a server of its
own: one job is sent as soon as the server answers (the engine workers may still be starting), one
after the workers have started and had ``Sizes.first_settle`` seconds (3 s: the newcomer reads the
banner and types) to warm up; then nine more follow.
"""

from __future__ import annotations

import time

from benchmarks.harness import Row, Run, ServerProcess, Target, _children, cpu_split, per_job
from benchmarks.workloads import BELL, to_qasm

BENCH = "9 first job"
SHOTS = 100
MAX_REQUESTS = 7


def _workers_ready(server: ServerProcess, timeout: float = 300.0) -> None:
    """Wait until every engine worker has imported the engine (they then warm up the devices)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = server.stats().get("ready_workers")
        if ready is None and _children(server.pid):
            return  # a server that does not count them (A/B runs of older code): started
        if ready is not None and ready >= server.workers:
            return
        time.sleep(0.05)


def _one(server: ServerProcess, settle: float | None) -> tuple[Row, Row]:
    from oqtopus_bridge import OqtopusSamplingBackend

    if settle is not None:
        _workers_ready(server)
        time.sleep(settle)
    backend = OqtopusSamplingBackend(server.config())
    program = to_qasm(BELL, 2)

    def job() -> float:
        start = time.perf_counter()
        result = backend.sample_qasm(program, device_id="qulacs", shots=SHOTS, name="first")
        assert sum(result.result().counts.values()) == SHOTS
        return time.perf_counter() - start

    with server.counting() as first_traffic:
        first = job()
    for _ in range(8):
        job()
    with server.counting() as tenth_traffic:
        tenth = job()
    when = "at once" if settle is None else "after warm-up"
    pause = "" if settle is None else f" {settle:g} s after its workers were ready"
    rows = []
    for label, seconds, traffic in (
        ("first", first, first_traffic),
        ("tenth", tenth, tenth_traffic),
    ):
        requests, size = per_job(traffic, 1)
        rows.append(
            Row(
                BENCH,
                f"{label} job, sent {when}",
                seconds,
                requests_per_job=requests,
                bytes_per_job=size,
                cpu_ms=cpu_split(traffic, 1),
                note=f"a fresh server, the job sent{pause or ' as soon as it answers'}; "
                f"Bell circuit, {SHOTS} shots",
                extra={"routes": traffic["routes"]},
            )
        )
    return rows[0], rows[1]


def run(run: Run) -> tuple[list[Row], list[Target]]:
    """Time the first and the tenth job on two fresh servers (at once, and after a pause)."""
    rows: list[Row] = []
    for settle in (None, run.sizes.first_settle):
        server = ServerProcess(2)
        try:
            rows += _one(server, settle)
        finally:
            server.stop()
    first, tenth = rows[2], rows[3]
    assert first.seconds is not None and tenth.seconds is not None
    first.ratio, first.baseline = first.seconds / tenth.seconds, tenth.client
    requests = first.requests_per_job or 0.0
    return rows, [
        Target(
            BENCH,
            "first job (after the workers warmed up) <= 100 ms",
            f"{first.seconds * 1000:.1f} ms ({first.ratio:.2f}x the tenth)",
            first.seconds <= 0.1,
        ),
        Target(
            BENCH,
            f"first job <= {MAX_REQUESTS} HTTP requests",
            f"{requests:.0f} requests",
            requests <= MAX_REQUESTS,
        ),
    ]
