"""The API keeps answering while an engine worker computes (issue 16; server in a process).

The verdict is not a wall-clock race. The job is held ``running`` by the server's hold hook (its
worker computes until the test releases it), so every status request of the busy phase is
provably served while a worker is busy: the answer itself says ``running``. Then the real noisy
simulation runs, and every request made during it must be answered too. Before issue 16 the
simulation held the API's GIL, and a request waited for about the whole job.

How fast the answers come is a figure, not a verdict: it is recorded in the report (idle and busy
medians and worst cases) and measured as a ratio by ``benchmarks`` (bench_responsiveness), since
no latency bound holds on a machine loaded by other work (issue 21's rule: no wall-clock bound in
a test).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from figures import Report
from raw_client import RawClient, layered_program
from server_process import ServerProcess

from oqtopus_bridge.local.engine.worker import HOLD_HOOK, HOOKS_DIR

TOKEN = "responsiveness-token-0123456789"
POLLS = 40
#: Issue 16's target for a status request during a noisy simulation.
TARGET_S = 0.1


def _timed_status(client: RawClient, job_id: str) -> tuple[str, float]:
    start = time.monotonic()
    status = client.status(job_id)
    return status, time.monotonic() - start


def test_status_answers_while_a_worker_computes(tmp_path: Path, report: Report) -> None:
    data_dir = tmp_path / "data"
    with ServerProcess(
        data_dir, TOKEN, workers=1, log_path=tmp_path / "log", test_hooks=True
    ) as server:
        client = RawClient(server.url, TOKEN)
        idle_job = client.register()["job_id"]
        baseline = [_timed_status(client, idle_job)[1] for _ in range(POLLS)]
        job = client.submit(layered_program(11), shots=2500, device_id="anemone", name=HOLD_HOOK)
        deadline = time.monotonic() + 180
        while client.status(job) != "running":
            assert time.monotonic() < deadline, "the held job never started running"
            time.sleep(0.02)
        held = [_timed_status(client, job) for _ in range(POLLS)]
        (data_dir / HOOKS_DIR).mkdir(exist_ok=True)
        (data_dir / HOOKS_DIR / job).touch()  # release: the real noisy simulation runs now
        simulating, status = [], "running"
        while status not in ("succeeded", "failed") and time.monotonic() < deadline:
            status, elapsed = _timed_status(client, job)
            simulating.append(elapsed)
            time.sleep(0.02)
        execution = float(client.job(job).get("execution_time") or 0.0)
        client.close()
    busy = [elapsed for _, elapsed in held] + simulating
    report.record(
        "responsiveness",
        noisy_job_status=status,
        noisy_job_execution_s=round(execution, 2),
        idle_median_ms=round(1000 * statistics.median(baseline), 1),
        idle_worst_ms=round(1000 * max(baseline), 1),
        busy_polls=len(busy),
        busy_median_ms=round(1000 * statistics.median(busy), 1),
        busy_worst_ms=round(1000 * max(busy), 1),
        busy_within_100ms=round(sum(1 for e in busy if e <= TARGET_S) / len(busy), 4),
        worst_in_phase="held" if max(busy) in [e for _, e in held] else "simulating",
    )
    assert all(answer == "running" for answer, _ in held), "served while the worker computes"
    assert status == "succeeded"
