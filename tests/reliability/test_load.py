"""Load: 16 concurrent clients submit small jobs to one local server; every job completes."""

from __future__ import annotations

import datetime as dt
import statistics
import threading
import time
from typing import Any

from figures import Report, size
from raw_client import RawClient
from server_log import captured_logs

CLIENTS = 16
SHOTS = 64


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _stamp(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class _Client(threading.Thread):
    """Submit ``count`` jobs, then poll them until final, timing each job."""

    def __init__(self, server: Any, index: int, count: int, timeout: float) -> None:
        super().__init__(name=f"load-client-{index}", daemon=True)
        self.raw = RawClient(server.url, server.token)
        self.index, self.count, self.timeout = index, count, timeout
        self.submit_s: list[float] = []
        self.started: dict[str, float] = {}
        self.finished: dict[str, float] = {}
        self.statuses: dict[str, str] = {}
        self.errors: list[str] = []

    def run(self) -> None:
        try:
            for number in range(self.count):
                start = time.perf_counter()
                job_id = self.raw.submit(shots=SHOTS, name=f"load-{self.index}-{number}")
                self.submit_s.append(time.perf_counter() - start)
                self.started[job_id] = start
            self._poll()
        except Exception as exc:  # reported by the test with the client's index
            self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            self.raw.close()

    def _poll(self) -> None:
        deadline = time.perf_counter() + self.timeout
        pending = set(self.started)
        while pending and time.perf_counter() < deadline:
            for job_id in sorted(pending):
                status = self.raw.status(job_id)
                if status in ("succeeded", "failed", "cancelled"):
                    self.statuses[job_id] = status
                    self.finished[job_id] = time.perf_counter()
                    pending.discard(job_id)
            time.sleep(0.05)


def test_sixteen_clients_complete_every_job(fresh_server: Any, report: Report) -> None:
    total = size(200, 2000)
    shares = [total // CLIENTS + (i < total % CLIENTS) for i in range(CLIENTS)]
    # Only a guard that turns a hang into a failure: far beyond what a loaded 2-core CI run needs
    # (200 jobs take under 10 s on a quiet machine), so a slow machine is never a failure.
    timeout = size(1800, 7200)
    with captured_logs() as lines:
        clients = [_Client(fresh_server, i, n, timeout) for i, n in enumerate(shares)]
        begin = time.perf_counter()
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        wall = time.perf_counter() - begin

    assert [c.errors for c in clients if c.errors] == []
    statuses = {job: s for c in clients for job, s in c.statuses.items()}
    assert len(statuses) == total, "some jobs did not finish in time"
    assert set(statuses.values()) == {"succeeded"}

    checker = RawClient(fresh_server.url, fresh_server.token)
    server_s, bad = [], []
    for job_id in statuses:
        job = checker.job(job_id)
        counts = checker.download(job["job_info"]["result"])["sampling"]["counts"]
        if sum(counts.values()) != SHOTS or not set(counts) <= {"00", "11"}:
            bad.append((job_id, counts))
        server_s.append(_stamp(job["ended_at"]) - _stamp(job["submitted_at"]))
    assert bad == []
    named = [j for j in checker.list_jobs() if str(j.get("name", "")).startswith("load-")]
    assert len(named) == len(statuses), "the server lists a different number of jobs"
    locked = [line for line in lines if "database is locked" in line.lower()]
    errors = [line for line in lines if " ERROR " in line or " CRITICAL " in line]
    assert locked == [] and errors == []

    latency = [c.finished[j] - c.started[j] for c in clients for j in c.finished]
    submits = [s for c in clients for s in c.submit_s]
    report.record(
        "load",
        clients=CLIENTS,
        jobs=len(statuses),
        shots_per_job=SHOTS,
        wall_s=round(wall, 2),
        jobs_per_s=round(len(statuses) / wall, 1),
        submit_latency_p50_ms=round(1000 * statistics.median(submits), 1),
        submit_latency_p99_ms=round(1000 * _percentile(submits, 0.99), 1),
        end_to_end_latency_p50_s=round(statistics.median(latency), 3),
        end_to_end_latency_p99_s=round(_percentile(latency, 0.99), 3),
        server_queue_and_run_p50_s=round(statistics.median(server_s), 3),
        server_queue_and_run_p99_s=round(_percentile(server_s, 0.99), 3),
        database_locked_errors=len(locked),
        server_error_log_lines=len(errors),
    )
