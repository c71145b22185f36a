"""Sampling without Aer's per-shot cost: idle qubits, and ideal circuits from their probabilities.

Two shortcuts of `simulate.run_counts` (issue 22, items 4 and 5), each giving the same
distribution as running every shot through Aer:

* An *idle* qubit is measured but never acted on by a gate, reset or control flow (a program
  that measures every qubit of a large device but uses a few). It stays in |0>, so each of its
  measurements reads 1 with the device's readout error ``prob_meas1_prep0`` alone,
  independently of everything else. Its measurements are removed from the circuit Aer runs
  (Aer then drops the qubit: it simulates only the qubits instructions touch) and its bits are
  drawn here.
* On an ideal device, a circuit whose measurements are all terminal (no gate, reset or control
  flow after a qubit's measurement) has outcome probabilities fixed by its final state: one Aer
  run saves them (`save_probabilities`) and a multinomial draw gives the counts.

Randomness comes from a numpy ``Generator`` seeded with the job's ``seed_simulation``, so a seeded
job is reproducible.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import CONTROL_FLOW_OP_NAMES

from ..devices import Device

#: Instructions that leave a qubit in |0> as they found it (no noise is attached to them).
_PASSIVE = frozenset({"barrier", "delay"})
#: Wider probability vectors are not worth the memory (2**24 doubles = 128 MiB).
MAX_PROBABILITY_QUBITS = 24


@dataclasses.dataclass(frozen=True)
class Plan:
    """How one circuit is sampled: what Aer runs, and the bits drawn from readout error alone.

    Attributes:
        circuit: The circuit for Aer, without the idle qubits' measurements.
        idle: ``(clbit, p1)`` pairs: the classical bit of an idle qubit's measurement and the
            probability that it reads 1 (``prob_meas1_prep0`` of the qubit; 0 on an ideal device).
    """

    circuit: QuantumCircuit
    idle: tuple[tuple[int, float], ...]


def plan(circuit: QuantumCircuit, device: Device) -> Plan:
    """Split ``circuit`` into what Aer must simulate and the idle qubits' readout draws."""
    if any(inst.operation.name in CONTROL_FLOW_OP_NAMES for inst in circuit.data):
        return Plan(circuit, ())  # a condition may read any bit: keep every measurement
    qubit_index = {qubit: i for i, qubit in enumerate(circuit.qubits)}
    clbit_index = {clbit: i for i, clbit in enumerate(circuit.clbits)}
    active: set[int] = set()
    writers: dict[int, int] = {}  # clbit -> how many measurements write it
    targets: dict[int, list[int]] = {}  # qubit -> the clbits its measurements write
    for inst in circuit.data:
        touched = [qubit_index[q] for q in inst.qubits]
        if inst.operation.name == "measure":
            clbit = clbit_index[inst.clbits[0]]
            writers[clbit] = writers.get(clbit, 0) + 1
            targets.setdefault(touched[0], []).append(clbit)
        elif inst.operation.name not in _PASSIVE:
            active.update(touched)
    # A qubit measured into a bit that something else also writes stays with Aer.
    idle_qubits = {
        qubit
        for qubit, clbits in targets.items()
        if qubit not in active and all(writers[clbit] == 1 for clbit in clbits)
    }
    if not idle_qubits:
        return Plan(circuit, ())
    return _without(circuit, idle_qubits, qubit_index, clbit_index, device)


def _without(
    circuit: QuantumCircuit,
    idle_qubits: set[int],
    qubit_index: dict[Any, int],
    clbit_index: dict[Any, int],
    device: Device,
) -> Plan:
    """The circuit with no instruction on ``idle_qubits``, and their measurements as draws."""
    reduced = circuit.copy_empty_like()
    idle: list[tuple[int, float]] = []
    for inst in circuit.data:
        touched = [qubit_index[q] for q in inst.qubits]
        if not any(q in idle_qubits for q in touched):
            reduced.append(inst)
        elif inst.operation.name == "measure":
            idle.append((clbit_index[inst.clbits[0]], _p1(device, touched[0])))
        elif inst.operation.name == "barrier":
            kept = [q for q in inst.qubits if qubit_index[q] not in idle_qubits]
            if kept:
                reduced.barrier(*kept)
        # a delay on an idle qubit: nothing happens to |0>
    return Plan(reduced, tuple(idle))


def _p1(device: Device, qubit: int) -> float:
    """The probability that qubit ``qubit`` of ``device`` prepared in |0> reads 1."""
    if not device.noisy:
        return 0.0
    qubits = device.device_info.get("qubits", [])
    if qubit >= len(qubits):
        return 0.0
    meas = qubits[qubit].get("meas_error") or {}
    return float(meas.get("prob_meas1_prep0", 0.0) or 0.0)


def add_idle_bits(
    counts: dict[str, int], idle: tuple[tuple[int, float], ...], rng: np.random.Generator
) -> dict[str, int]:
    """Set the idle bits of every shot in ``counts`` (they are 0 there) by their readout error."""
    noisy = [(clbit, p1) for clbit, p1 in idle if p1 > 0.0]
    if not noisy or not counts:
        return counts
    width = len(next(iter(counts)))
    merged: dict[str, int] = {}
    probabilities = np.array([p1 for _, p1 in noisy])
    for key, value in counts.items():
        flips = rng.random((value, len(noisy))) < probabilities  # one row per shot
        patterns, numbers = np.unique(flips, axis=0, return_counts=True)
        for pattern, number in zip(patterns, numbers, strict=True):
            chars = list(key)
            for (clbit, _), flipped in zip(noisy, pattern, strict=True):
                if flipped:
                    chars[width - 1 - clbit] = "1"  # clbit 0 is the rightmost character
            new = "".join(chars)
            merged[new] = merged.get(new, 0) + int(number)
    return merged


def terminal(circuit: QuantumCircuit) -> bool:
    """Whether every measurement is final: nothing but measurements after a qubit's first one.

    Control flow (a condition on a measured bit) and ``reset`` also rule the shortcut out.
    """
    qubit_index = {qubit: i for i, qubit in enumerate(circuit.qubits)}
    measured: set[int] = set()
    for inst in circuit.data:
        name = inst.operation.name
        if name in CONTROL_FLOW_OP_NAMES or name == "reset":
            return False
        touched = {qubit_index[q] for q in inst.qubits}
        if name == "measure":
            measured |= touched
        elif name not in _PASSIVE and touched & measured:
            return False
    return True


def measured_map(circuit: QuantumCircuit) -> dict[int, int]:
    """``{clbit: qubit}`` of the circuit's measurements (the last one of a bit wins)."""
    qubit_index = {qubit: i for i, qubit in enumerate(circuit.qubits)}
    clbit_index = {clbit: i for i, clbit in enumerate(circuit.clbits)}
    return {
        clbit_index[inst.clbits[0]]: qubit_index[inst.qubits[0]]
        for inst in circuit.data
        if inst.operation.name == "measure"
    }


def probability_circuit(circuit: QuantumCircuit) -> tuple[QuantumCircuit, list[int]] | None:
    """The circuit without its (terminal) measurements, saving the measured qubits' probabilities.

    Returns None when the shortcut does not apply: a measurement that is not terminal, or more
    measured qubits than `MAX_PROBABILITY_QUBITS`. The second item lists the saved qubits (bit
    ``j`` of an outcome index is qubit ``qubits[j]``).
    """
    qubits = sorted(set(measured_map(circuit).values()))
    if not terminal(circuit) or len(qubits) > MAX_PROBABILITY_QUBITS:
        return None
    body = circuit.copy_empty_like()
    for inst in circuit.data:
        if inst.operation.name != "measure":
            body.append(inst)
    if qubits:
        body.save_probabilities(qubits, label="probabilities")
    return body, qubits


def draw_counts(
    probabilities: Any,
    circuit: QuantumCircuit,
    qubits: list[int],
    shots: int,
    rng: np.random.Generator,
) -> dict[str, int]:
    """Wire-format counts of ``shots`` draws from ``probabilities`` over ``qubits``."""
    width = circuit.num_clbits
    if not qubits:
        return {"0" * width: shots}
    weights = np.clip(np.asarray(probabilities, dtype=float), 0.0, None)
    drawn = rng.multinomial(shots, weights / weights.sum())
    outcomes = np.flatnonzero(drawn)
    position = {qubit: j for j, qubit in enumerate(qubits)}
    chars = np.full((outcomes.size, width), ord("0"), dtype=np.uint8)
    for clbit, qubit in measured_map(circuit).items():
        chars[:, width - 1 - clbit] += ((outcomes >> position[qubit]) & 1).astype(np.uint8)
    raw = chars.tobytes().decode("ascii")
    return {
        raw[i * width : (i + 1) * width]: int(drawn[outcome]) for i, outcome in enumerate(outcomes)
    }
