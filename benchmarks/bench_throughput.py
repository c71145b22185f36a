"""Benchmark 5: local server throughput with concurrent clients, and server CPU per job."""

from __future__ import annotations

import os
import threading
import time

from benchmarks.harness import Row, Run, Target, per_job
from benchmarks.workloads import BELL, to_qasm

BENCH = "5 throughput"
SHOTS = 100


def run(run: Run) -> tuple[list[Row], list[Target]]:
    """Each of ``throughput_clients`` threads (own backend, own session) runs jobs back to back."""
    from oqtopus_bridge import OqtopusSamplingBackend

    sizes = run.sizes
    clients, each = sizes.throughput_clients, sizes.throughput_jobs_per_client
    program = to_qasm(BELL, 2)
    backends = [OqtopusSamplingBackend(run.server.config()) for _ in range(clients)]
    for backend in backends:  # warm-up: one connection per client
        backend.sample_qasm(program, device_id="qulacs", shots=SHOTS, name="warm").result()
    errors: list[BaseException] = []
    barrier = threading.Barrier(clients + 1)

    def client(backend: OqtopusSamplingBackend) -> None:
        barrier.wait()
        try:
            for _ in range(each):
                job = backend.sample_qasm(program, device_id="qulacs", shots=SHOTS, name="tp")
                assert sum(job.result().counts.values()) == SHOTS
        except BaseException as exc:  # reported after the join
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(b,)) for b in backends]
    for thread in threads:
        thread.start()
    with run.server.counting() as traffic:
        cpu_before, own_before = run.server.cpu_seconds(), os.times()
        workers_before = run.server.worker_cpu_seconds()
        barrier.wait()
        start = time.perf_counter()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - start
        cpu = run.server.cpu_seconds() - cpu_before
        workers = run.server.worker_cpu_seconds() - workers_before
        own = os.times()
    if errors:
        raise errors[0]
    jobs = clients * each
    client_cpu = (own.user - own_before.user) + (own.system - own_before.system)
    requests, size = per_job(traffic, jobs)
    row = Row(
        BENCH,
        f"oqtopus-bridge, {clients} clients",
        wall,
        requests_per_job=requests,
        bytes_per_job=size,
        note=(
            f"{jobs} jobs: {jobs / wall:.1f} jobs/s; server CPU {1000 * cpu / jobs:.1f} ms/job "
            f"(API process) + {1000 * workers / jobs:.1f} ms/job (engine workers), "
            f"client CPU {1000 * client_cpu / jobs:.1f} ms/job"
        ),
        cpu_ms=(1000 * client_cpu / jobs, 1000 * cpu / jobs, 1000 * workers / jobs),
        extra={
            "jobs": jobs,
            "jobs_per_s": jobs / wall,
            "server_cpu_s_per_job": cpu / jobs,
            "worker_cpu_s_per_job": workers / jobs,
            "client_cpu_s_per_job": client_cpu / jobs,
        },
    )
    per_job_ms = 1000 * cpu / jobs
    return [row], [
        Target(
            BENCH,
            f">= 150 jobs/s with {clients} clients",
            f"{jobs / wall:.1f} jobs/s",
            jobs / wall >= 150,
        ),
        Target(
            BENCH,
            "server (API process) CPU <= 5 ms per small job",
            f"{per_job_ms:.1f} ms (+ {1000 * workers / jobs:.1f} ms in the engine workers)",
            per_job_ms <= 5.0,
        ),
    ]
