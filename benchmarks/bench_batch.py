"""Benchmark 2: a batch of random circuits through every adapter, the reference loop, and Aer."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.harness import (
    Row,
    Run,
    Target,
    cpu_split,
    failed_note,
    per_job,
    run_reference,
    set_ratios,
    timed,
)
from benchmarks.workloads import random_circuit, to_pennylane_tape, to_qasm, to_qiskit, to_quri

BENCH = "2 batch"
DEVICE = "qulacs"
PACKED = "PennyLane oqtopus.sampler, multiprogramming"


def _measure(run: Run, client: str, call: Callable[[], Sequence[int]], jobs: int) -> Row:
    """Time one call returning per-circuit shot totals, with the server traffic it caused."""
    shots = run.sizes.batch_shots
    with run.server.counting() as traffic:
        api_before, workers_before = run.server.cpu_seconds(), run.server.worker_cpu_seconds()
        start = time.perf_counter()
        totals = call()
        seconds = time.perf_counter() - start
        api_cpu = run.server.cpu_seconds() - api_before
        worker_cpu = run.server.worker_cpu_seconds() - workers_before
    assert list(totals) == [shots] * jobs, f"{client}: wrong shot totals"
    requests, size = per_job(traffic, jobs)
    return Row(
        BENCH,
        client,
        seconds,
        requests_per_job=requests,
        bytes_per_job=size,
        note=(
            f"{jobs} circuits, wall time of the whole batch; server CPU "
            f"{1000 * api_cpu / jobs:.1f} ms/circuit (API) + {1000 * worker_cpu / jobs:.1f} "
            "ms/circuit (engine workers)"
        ),
        cpu_ms=cpu_split(traffic, jobs),
        extra={
            "routes": traffic["routes"],
            "server_cpu_s_per_circuit": api_cpu / jobs,
            "worker_cpu_s_per_circuit": worker_cpu / jobs,
        },
    )


def _qiskit_rows(run: Run, circuits: list[Any]) -> list[Row]:
    from oqtopus_bridge.qiskit import OqtopusProvider, OqtopusSamplerV2

    backend = OqtopusProvider(run.server.config()).get_backend(DEVICE)
    shots = run.sizes.batch_shots

    def backend_run(batch: list[Any]) -> list[int]:
        counts = backend.run(batch, shots=shots).result().get_counts()
        counts = counts if isinstance(counts, list) else [counts]
        return [sum(c.values()) for c in counts]

    sampler = OqtopusSamplerV2(backend)

    def sampler_run(batch: list[Any]) -> list[int]:
        result = sampler.run([(c,) for c in batch], shots=shots).result()
        return [sum(pub.data.c.get_counts().values()) for pub in result]

    backend_run(circuits[:1])  # warm-up: device list, target, imports
    sampler_run(circuits[:1])
    n = len(circuits)
    return [
        _measure(run, "Qiskit backend.run(list)", lambda: backend_run(circuits), n),
        _measure(run, "Qiskit OqtopusSamplerV2", lambda: sampler_run(circuits), n),
    ]


def _pennylane_row(run: Run, tapes: list[Any], qubits: int, multiprogramming: bool = False) -> Row:
    import pennylane as qml

    dev = qml.device(
        "oqtopus.sampler",
        wires=qubits,
        device_id=DEVICE,
        oqtopus_config=run.server.config(),
        multiprogramming=multiprogramming,
    )

    def execute(batch: list[Any]) -> list[int]:
        return [sum(counts.values()) for counts in qml.execute(batch, dev)]

    execute(tapes[:1])
    if not multiprogramming:
        return _measure(run, "PennyLane oqtopus.sampler", lambda: execute(tapes), len(tapes))
    # Circuits packed side by side into multi_manual jobs: fewer, wider jobs (per circuit counts).
    row = _measure(run, PACKED, lambda: execute(tapes), len(tapes))
    jobs = max(1, row.extra["routes"].get("POST /jobs/{id}/submit", 1))
    row.requests_per_job = (row.requests_per_job or 0.0) * len(tapes) / jobs
    row.bytes_per_job = (row.bytes_per_job or 0.0) * len(tapes) / jobs
    row.note = f"{len(tapes)} circuits in {jobs} multi_manual jobs (option, not the default)"
    return row


def _quri_row(run: Run, circuits: list[Any]) -> Row:
    from oqtopus_bridge.quri_parts import create_oqtopus_concurrent_sampler

    sampler = create_oqtopus_concurrent_sampler(DEVICE, run.server.config())
    shots = run.sizes.batch_shots

    def sample(batch: list[Any]) -> list[int]:
        return [sum(c.values()) for c in sampler([(c, shots) for c in batch])]

    sample(circuits[:1])
    return _measure(run, "QURI Parts concurrent sampler", lambda: sample(circuits), len(circuits))


def _reference_row(run: Run, programs: list[str]) -> Row:
    from benchmarks.bench_latency import poll_floor

    client = "quri-parts-oqtopus sequential loop"
    if run.reference is None:
        return Row(BENCH, client, None, note=run.reference_note)
    task = {
        "url": run.server.url,
        "token": run.server.token,
        "device_id": DEVICE,
        "shots": run.sizes.batch_shots,
        "wait": poll_floor(),
        "programs": programs,
    }
    try:
        with run.server.counting() as traffic:
            out = run_reference(run.reference, task)
    except RuntimeError as exc:
        return Row(BENCH, client, None, note=failed_note(exc))
    assert out["shots"] == [run.sizes.batch_shots] * len(programs)
    requests, size = per_job(traffic, len(programs))
    return Row(
        BENCH,
        client,
        out["total"],
        requests_per_job=requests,
        bytes_per_job=size,
        note=f"{len(programs)} circuits one after another, wait={poll_floor()} s",
        cpu_ms=cpu_split(traffic, len(programs), out.get("cpu")),
        extra={"routes": traffic["routes"]},
    )


def _aer_row(run: Run, circuits: list[Any]) -> Row:
    from qiskit_aer import AerSimulator

    simulator = AerSimulator()
    shots = run.sizes.batch_shots

    def sample(batch: list[Any]) -> list[int]:
        result = simulator.run(batch, shots=shots).result()
        return [sum(result.get_counts(i).values()) for i in range(len(batch))]

    def whole() -> None:
        assert sample(circuits) == [shots] * len(circuits)

    sample(circuits[:1])
    cpu: list[float] = []
    (seconds,) = timed(whole, 1, cpu)
    note = f"{len(circuits)} circuits in one AerSimulator.run call"
    cpu_ms = (1000 * cpu[0] / len(circuits), None, None)
    return Row(BENCH, "Aer in-process", seconds, note=note, cpu_ms=cpu_ms)


def run(run: Run) -> tuple[list[Row], list[Target]]:
    """Run the same random circuits through each client."""
    qubits, n = run.sizes.batch_qubits, run.sizes.batch_circuits
    specs = [random_circuit(qubits, 4, seed) for seed in range(n)]
    aer = _aer_row(run, [to_qiskit(ops, qubits) for ops in specs])
    ours = _qiskit_rows(run, [to_qiskit(ops, qubits) for ops in specs])
    ours.append(
        _pennylane_row(
            run, [to_pennylane_tape(ops, qubits, run.sizes.batch_shots) for ops in specs], qubits
        )
    )
    ours.append(_quri_row(run, [to_quri(ops, qubits) for ops in specs]))
    packed = _pennylane_row(
        run, [to_pennylane_tape(ops, qubits, run.sizes.batch_shots) for ops in specs], qubits, True
    )
    reference = _reference_row(run, [to_qasm(ops, qubits) for ops in specs])
    rows = [*ours, packed, reference, aer]
    set_ratios(rows, aer)
    return rows, _targets(ours, reference)


def _targets(ours: list[Row], reference: Row) -> list[Target]:
    worst = max(ours, key=lambda row: row.ratio or 0.0)
    worst_ratio = worst.ratio or 0.0
    targets = [
        Target(
            BENCH,
            "batch wall time <= 3x Aer in-process (every adapter)",
            f"{min(r.ratio or 0.0 for r in ours):.1f}x-{worst_ratio:.1f}x (worst: {worst.client})",
            worst_ratio <= 3.0,
        )
    ]
    if reference.seconds is None:
        targets.append(Target(BENCH, ">= 10x faster than the reference loop", reference.note, None))
        return targets
    slowest = max(row.seconds or 0.0 for row in ours)
    fastest = min(row.seconds or 0.0 for row in ours)
    targets.append(
        Target(
            BENCH,
            ">= 10x faster than the reference sequential loop (every adapter)",
            f"{reference.seconds / slowest:.1f}x-{reference.seconds / fastest:.1f}x",
            reference.seconds / slowest >= 10.0,
        )
    )
    return targets
