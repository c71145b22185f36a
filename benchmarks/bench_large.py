"""Benchmark 3: one wide random circuit with many shots, end to end vs Aer (overhead ratio)."""

from __future__ import annotations

from benchmarks.harness import (
    WIDE_DEVICE,
    Row,
    Run,
    Target,
    cpu_split,
    interleaved,
    median,
    paired_ratio,
    per_job,
    set_ratios,
)
from benchmarks.workloads import random_circuit, to_qasm, to_qiskit

BENCH = "3 wide circuit"


def run(run: Run) -> tuple[list[Row], list[Target]]:
    """Sample a ``wide_qubits``-qubit random circuit ``wide_shots`` times."""
    from qiskit_aer import AerSimulator

    from oqtopus_bridge import OqtopusSamplingBackend

    sizes = run.sizes
    ops = random_circuit(sizes.wide_qubits, sizes.wide_depth, seed=2025)
    program, circuit = to_qasm(ops, sizes.wide_qubits), to_qiskit(ops, sizes.wide_qubits)
    backend = OqtopusSamplingBackend(run.server.config())
    simulator = AerSimulator()
    shots = sizes.wide_shots

    def ours() -> None:
        job = backend.sample_qasm(program, device_id=WIDE_DEVICE, shots=shots, name="bench")
        assert sum(job.result().counts.values()) == shots

    def aer() -> None:
        assert sum(simulator.run(circuit, shots=shots).result().get_counts().values()) == shots

    ours(), aer()  # warm-up
    with run.server.counting() as traffic:
        cpu: list[list[float]] = []
        ours_times, aer_times = interleaved([ours, aer], sizes.wide_reps, cpu)
    requests, size = per_job(traffic, sizes.wide_reps)
    what = f"{sizes.wide_qubits} qubits, depth {sizes.wide_depth}, {shots} shots"
    rows = [
        Row(
            BENCH,
            "oqtopus-bridge",
            median(ours_times),
            requests_per_job=requests,
            bytes_per_job=size,
            note=f"{what}; median of {sizes.wide_reps}; server transpiles (level 1)",
            cpu_ms=cpu_split(traffic, sizes.wide_reps, sum(cpu[0])),
            extra={"times": ours_times},
        ),
        Row(
            BENCH,
            "Aer in-process",
            median(aer_times),
            note=f"{what}; median of {sizes.wide_reps}; no transpilation",
            extra={"times": aer_times},
        ),
    ]
    set_ratios(rows, rows[1])
    paired_ratio(rows[0], rows[1])
    ratio = rows[0].ratio or 0.0
    return rows, [Target(BENCH, "end to end <= 1.2x Aer in-process", f"{ratio:.2f}x", ratio <= 1.2)]
