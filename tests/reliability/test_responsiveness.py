"""The API keeps answering while the engine simulates a noisy device (server in a process)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from figures import Report
from raw_client import RawClient
from server_process import ServerProcess

TOKEN = "responsiveness-token-0123456789"
BOUND_S = 0.5


def _noisy_program(n: int = 11, layers: int = 6) -> str:
    lines = ["OPENQASM 3;", 'include "stdgates.inc";', f"qubit[{n}] q;", f"bit[{n}] c;"]
    for layer in range(layers):
        lines += [f"rx({0.3 + 0.1 * layer + 0.01 * i}) q[{i}];" for i in range(n)]
        lines += [f"cx q[{i}], q[{i + 1}];" for i in range(n - 1)]
    return "\n".join([*lines, "c = measure q;"])


@pytest.mark.xfail(
    strict=True,
    reason="local server: a noisy-device simulation holds the GIL in qiskit-aer's "
    "cpp_execute_circuits, so every API request waits until the job ends",
)
def test_status_answers_within_bound_during_a_noisy_simulation(
    tmp_path: Path, report: Report
) -> None:
    with ServerProcess(tmp_path / "data", TOKEN, workers=1, log_path=tmp_path / "log") as server:
        client = RawClient(server.url, TOKEN)
        job = client.submit(_noisy_program(), shots=2500, device_id="anemone", name="noisy")
        latencies, status, deadline = [], "submitted", time.monotonic() + 180
        while status not in ("succeeded", "failed") and time.monotonic() < deadline:
            start = time.monotonic()
            status = client.status(job)
            latencies.append(time.monotonic() - start)
            time.sleep(0.05)
        execution = float(client.job(job).get("execution_time") or 0.0)
        client.close()
    report.record(
        "responsiveness",
        noisy_job_status=status,
        noisy_job_execution_s=round(execution, 2),
        polls=len(latencies),
        worst_status_latency_s=round(max(latencies), 2),
    )
    assert status == "succeeded"
    assert execution > 1.0, "the noisy job ran too fast to observe a stall: raise its shots"
    # Relative to the job's own run time, so the verdict does not depend on the machine's speed:
    # a stall lasts about the whole simulation, a responsive server answers in milliseconds.
    bound = BOUND_S + 0.25 * execution
    worst = max(latencies)
    assert worst < bound, f"a status request took {worst:.1f} s (bound {bound:.1f} s)"
