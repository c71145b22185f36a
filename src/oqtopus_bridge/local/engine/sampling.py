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
from collections.abc import Sequence
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

    Computed once per prepared program (`.prepared` keeps it), so a job walks its circuit's
    instructions once, not at every step of `simulate.run_plans` (issue 23).

    Attributes:
        circuit: The circuit for Aer, without the idle qubits' measurements.
        idle: ``(clbit, p1)`` pairs: the classical bit of an idle qubit's measurement and the
            probability that it reads 1 (``prob_meas1_prep0`` of the qubit; 0 on an ideal device).
        touched: The qubit indices some instruction of ``circuit`` acts on.
        measures: Whether ``circuit`` measures anything.
        measured: ``{clbit: qubit}`` of ``circuit``'s measurements (the last one of a bit wins).
        body: On an ideal device, ``circuit`` without its terminal measurements, saving the
            measured qubits' probabilities (`probability_circuit`); None where that does not
            apply or the device is noisy.
        qubits: The qubits ``body`` saves (bit ``j`` of an outcome index is ``qubits[j]``).
    """

    circuit: QuantumCircuit
    idle: tuple[tuple[int, float], ...]
    touched: frozenset[int] = frozenset()
    measures: bool = True
    measured: dict[int, int] = dataclasses.field(default_factory=dict)
    body: QuantumCircuit | None = None
    qubits: tuple[int, ...] = ()


@dataclasses.dataclass
class _Walk:
    """What one pass over a circuit's instructions finds (names and bits only: no gate objects)."""

    control_flow: bool = False
    terminal: bool = True
    active: set[int] = dataclasses.field(default_factory=set)
    touched: set[int] = dataclasses.field(default_factory=set)
    writers: dict[int, int] = dataclasses.field(default_factory=dict)  # clbit -> measurements
    targets: dict[int, list[int]] = dataclasses.field(default_factory=dict)  # qubit -> clbits
    measured: dict[int, int] = dataclasses.field(default_factory=dict)  # clbit -> qubit


def _walk(circuit: QuantumCircuit) -> _Walk:
    """Read every instruction once by its name (``inst.operation`` would build a gate object)."""
    qubit_index = {qubit: i for i, qubit in enumerate(circuit.qubits)}
    clbit_index = {clbit: i for i, clbit in enumerate(circuit.clbits)}
    walk = _Walk()
    measured_qubits: set[int] = set()
    for inst in circuit.data:
        name = inst.name
        touched = [qubit_index[q] for q in inst.qubits]
        walk.touched.update(touched)
        if name in CONTROL_FLOW_OP_NAMES:
            walk.control_flow, walk.terminal = True, False
            walk.active.update(touched)
        elif name == "measure":
            clbit = clbit_index[inst.clbits[0]]
            walk.writers[clbit] = walk.writers.get(clbit, 0) + 1
            walk.targets.setdefault(touched[0], []).append(clbit)
            walk.measured[clbit] = touched[0]
            measured_qubits.add(touched[0])
        elif name not in _PASSIVE:
            walk.active.update(touched)
            if name == "reset" or not measured_qubits.isdisjoint(touched):
                walk.terminal = False
    return walk


def plan(circuit: QuantumCircuit, device: Device) -> Plan:
    """Split ``circuit`` into what Aer must simulate and the idle qubits' readout draws."""
    walk = _walk(circuit)
    idle_qubits: set[int] = set()
    if not walk.control_flow:  # a condition may read any bit: keep every measurement
        # A qubit measured into a bit that something else also writes stays with Aer.
        idle_qubits = {
            qubit
            for qubit, clbits in walk.targets.items()
            if qubit not in walk.active and all(walk.writers[clbit] == 1 for clbit in clbits)
        }
    if idle_qubits:
        reduced, idle = _without(circuit, idle_qubits, device)
        walk = _walk(reduced)
    else:
        reduced, idle = circuit, ()
    body: QuantumCircuit | None = None
    qubits: tuple[int, ...] = ()
    if not device.noisy:
        made = _probability_body(reduced, walk)
        if made is not None:
            body, qubits = made[0], tuple(made[1])
    return Plan(
        reduced, idle, frozenset(walk.touched), bool(walk.measured), walk.measured, body, qubits
    )


def _without(
    circuit: QuantumCircuit, idle_qubits: set[int], device: Device
) -> tuple[QuantumCircuit, tuple[tuple[int, float], ...]]:
    """The circuit with no instruction on ``idle_qubits``, and their measurements as draws."""
    qubit_index = {qubit: i for i, qubit in enumerate(circuit.qubits)}
    clbit_index = {clbit: i for i, clbit in enumerate(circuit.clbits)}
    reduced = circuit.copy_empty_like()
    idle: list[tuple[int, float]] = []
    for inst in circuit.data:
        touched = [qubit_index[q] for q in inst.qubits]
        if not any(q in idle_qubits for q in touched):
            reduced._append(inst)
        elif inst.name == "measure":
            idle.append((clbit_index[inst.clbits[0]], _p1(device, touched[0])))
        elif inst.name == "barrier":
            kept = [q for q in inst.qubits if qubit_index[q] not in idle_qubits]
            if kept:
                reduced.barrier(*kept)
        # a delay on an idle qubit: nothing happens to |0>
    return reduced, tuple(idle)


def _p1(device: Device, qubit: int) -> float:
    """The probability that qubit ``qubit`` of ``device`` prepared in |0> reads 1."""
    if not device.noisy:
        return 0.0
    qubits = device.device_info.get("qubits", [])
    if qubit >= len(qubits):
        return 0.0
    meas = qubits[qubit].get("meas_error") or {}
    return float(meas.get("prob_meas1_prep0", 0.0) or 0.0)


#: Shots of one key whose idle bits are drawn at once: bounds the draw's memory to about
#: ``IDLE_DRAW_ELEMENTS`` random numbers however many shots and idle qubits a job has.
IDLE_DRAW_ELEMENTS = 1 << 18


def add_idle_bits(
    counts: dict[str, int], idle: tuple[tuple[int, float], ...], rng: np.random.Generator
) -> dict[str, int]:
    """Set the idle bits of every shot in ``counts`` (they are 0 there) by their readout error.

    Each shot draws one uniform number per noisy idle bit, in shot order, so the draws are the
    same whether they are made at once or in blocks of rows (numpy's generator fills arrays
    in order): blocks of `IDLE_DRAW_ELEMENTS` numbers keep the memory bounded (it was one
    ``shots x idle`` array).
    """
    noisy = [(clbit, p1) for clbit, p1 in idle if p1 > 0.0]
    if not noisy or not counts:
        return counts
    width = len(next(iter(counts)))
    positions = [width - 1 - clbit for clbit, _ in noisy]  # clbit 0 is the rightmost character
    probabilities = np.array([p1 for _, p1 in noisy])
    rows = max(1, IDLE_DRAW_ELEMENTS // len(noisy))
    merged: dict[str, int] = {}
    for key, value in counts.items():
        for start in range(0, value, rows):
            flips = rng.random((min(rows, value - start), len(noisy))) < probabilities
            patterns, numbers = np.unique(flips, axis=0, return_counts=True)
            for pattern, number in zip(patterns, numbers, strict=True):
                chars = list(key)
                for position in np.flatnonzero(pattern):
                    chars[positions[position]] = "1"
                new = "".join(chars)
                merged[new] = merged.get(new, 0) + int(number)
    return merged


def terminal(circuit: QuantumCircuit) -> bool:
    """Whether every measurement is final: nothing but measurements after a qubit's first one.

    Control flow (a condition on a measured bit) and ``reset`` also rule the shortcut out.
    """
    return _walk(circuit).terminal


def measured_map(circuit: QuantumCircuit) -> dict[int, int]:
    """``{clbit: qubit}`` of the circuit's measurements (the last one of a bit wins)."""
    return _walk(circuit).measured


def probability_circuit(circuit: QuantumCircuit) -> tuple[QuantumCircuit, list[int]] | None:
    """The circuit without its (terminal) measurements, saving the measured qubits' probabilities.

    Returns None when the shortcut does not apply: a measurement that is not terminal, or more
    measured qubits than `MAX_PROBABILITY_QUBITS`. The second item lists the saved qubits (bit
    ``j`` of an outcome index is qubit ``qubits[j]``).
    """
    return _probability_body(circuit, _walk(circuit))


def _probability_body(
    circuit: QuantumCircuit, walk: _Walk
) -> tuple[QuantumCircuit, list[int]] | None:
    qubits = sorted(set(walk.measured.values()))
    if not walk.terminal or len(qubits) > MAX_PROBABILITY_QUBITS:
        return None
    body = circuit.copy_empty_like()
    for inst in circuit.data:
        if inst.name != "measure":
            body._append(inst)
    if qubits:
        body.save_probabilities(qubits, label="probabilities")
    return body, qubits


def draw_counts(
    probabilities: Any,
    circuit: QuantumCircuit,
    qubits: Sequence[int],
    shots: int,
    rng: np.random.Generator,
    measured: dict[int, int] | None = None,
) -> dict[str, int]:
    """Wire-format counts of ``shots`` draws from ``probabilities`` over ``qubits``.

    ``measured`` is ``measured_map(circuit)`` when the caller has it already.
    """
    width = circuit.num_clbits
    if not qubits:
        return {"0" * width: shots}
    # In place: a 20-qubit vector is 8 MiB, and each copy cost 10-15 ms (the values are the same).
    weights = np.asarray(probabilities, dtype=float)
    weights = np.clip(weights, 0.0, None, out=weights if weights.flags.writeable else None)
    weights /= weights.sum()
    drawn = rng.multinomial(shots, weights)
    outcomes = np.flatnonzero(drawn)
    position = {qubit: j for j, qubit in enumerate(qubits)}
    chars = np.full((outcomes.size, width), ord("0"), dtype=np.uint8)
    for clbit, qubit in (measured_map(circuit) if measured is None else measured).items():
        chars[:, width - 1 - clbit] += ((outcomes >> position[qubit]) & 1).astype(np.uint8)
    raw = chars.tobytes().decode("ascii")
    return {
        raw[i * width : (i + 1) * width]: int(drawn[outcome]) for i, outcome in enumerate(outcomes)
    }
