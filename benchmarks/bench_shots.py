"""Benchmark 8: the engine's sampling shortcuts (issue 22, items 4 and 5), as ratios in one run.

* Shots scaling on the ideal device: the same 5-qubit circuit at 1k and 100k shots. Aer's
  per-shot sampling made 100x the shots cost about 10x the time; sampling the final state's
  probabilities makes it nearly free (target: 100x the shots in at most 1.5x the time).
* Idle qubits on the noisy 16-qubit ``anemone``: a 5-qubit program declared on 16 qubits and
  measured entirely (what a circuit without measurements exports) against the same program
  declared on 5 qubits, and Aer in-process on the 5 qubits with the device's noise model.
"""

from __future__ import annotations

from benchmarks.harness import SMOKE, Row, Run, Target, interleaved, median
from benchmarks.workloads import random_circuit, to_qasm, to_qiskit

BENCH = "8 sampling shortcuts"
QUBITS = 5


def run(run: Run) -> tuple[list[Row], list[Target]]:
    """Time the two comparisons; ratios are of medians of interleaved repetitions."""
    from oqtopus_bridge import OqtopusSamplingBackend

    smoke = run.sizes == SMOKE
    reps = 1 if smoke else 7
    ops = random_circuit(QUBITS, 4, seed=22)
    backend = OqtopusSamplingBackend(run.server.config())

    def job(program: str, device: str, shots: int) -> None:
        result = backend.sample_qasm(program, device, shots, name="bench").result()
        assert sum(result.counts.values()) == shots

    few, many = (20, 200) if smoke else (1_000, 100_000)
    noisy = 20 if smoke else 500
    narrow, wide = to_qasm(ops, QUBITS), to_qasm(ops, 16)
    calls = [
        lambda: job(narrow, "qulacs", few),
        lambda: job(narrow, "qulacs", many),
        lambda: job(wide, "anemone", noisy),
        lambda: job(narrow, "anemone", noisy),
        _aer_noisy(ops, noisy),
    ]
    for call in calls:
        call()  # warm-up
    times = [median(t) for t in interleaved(calls, reps)]
    rows = [
        Row(BENCH, f"ideal, {few} shots", times[0], note=f"{QUBITS} qubits; median of {reps}"),
        Row(BENCH, f"ideal, {many} shots", times[1], times[1] / times[0], f"ideal, {few} shots"),
        Row(BENCH, "anemone, 5 of 16 qubits", times[2], times[2] / times[4], "Aer, 5 qubits"),
        Row(BENCH, "anemone, 5-qubit program", times[3], times[3] / times[4], "Aer, 5 qubits"),
        Row(
            BENCH, "Aer, 5 qubits", times[4], note=f"in-process, the 5 qubits' noise, {noisy} shots"
        ),
    ]
    rows[2].note = f"16 declared and measured, {noisy} shots; median of {reps}"
    scaling, idle = times[1] / times[0], times[2] / times[3]
    # The 16-qubit program also costs a wider transpilation (layout and measurements of 16).
    return rows, [
        Target(BENCH, f"{many // few}x shots <= 1.5x the time", f"{scaling:.2f}x", scaling <= 1.5),
        Target(BENCH, "16 declared qubits <= 2x 5 (anemone)", f"{idle:.2f}x", idle <= 2),
    ]


def _aer_noisy(ops: list, shots: int):  # type: ignore[no-untyped-def]
    """Aer in-process on the 5 qubits with anemone's noise model (the local engine's model)."""
    from qiskit_aer import AerSimulator

    from oqtopus_bridge.local.devices import Device, default_catalog
    from oqtopus_bridge.local.engine.simulate import noise_model

    entry = next(e for e in default_catalog() if e["device_id"] == "anemone")
    from qiskit import transpile

    model = noise_model(Device(**entry), frozenset(range(QUBITS)))  # as the server builds it
    simulator = AerSimulator(noise_model=model)
    # In the device's basis, so that every gate carries its noise (layout: qubits 0-4).
    circuit = transpile(to_qiskit(ops, QUBITS), basis_gates=["x", "sx", "rz", "cx"])

    def call() -> None:
        assert sum(simulator.run(circuit, shots=shots).result().get_counts().values()) == shots

    return call
