"""What the engine's sampling shortcuts take on (issue 22, items 4-5): decisions, not timings."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from oqtopus_bridge.local.devices import Device, default_catalog
from oqtopus_bridge.local.engine import sampling


def _device(device_id: str) -> Device:
    entry = next(e for e in default_catalog() if e["device_id"] == device_id)
    return Device(**json.loads(json.dumps(entry)))


def test_idle_qubits_leave_the_simulated_circuit() -> None:
    circuit = QuantumCircuit(16, 16)
    circuit.sx(0)
    circuit.cx(0, 1)
    circuit.barrier()
    circuit.measure(range(16), range(16))
    anemone = _device("anemone")
    plan = sampling.plan(circuit, anemone)
    touched = {plan.circuit.find_bit(q).index for inst in plan.circuit.data for q in inst.qubits}
    assert touched == {0, 1}
    assert [clbit for clbit, _ in plan.idle] == list(range(2, 16))
    p1 = [q["meas_error"]["prob_meas1_prep0"] for q in anemone.device_info["qubits"][2:]]
    assert [p for _, p in plan.idle] == p1
    assert all(p == 0.0 for _, p in sampling.plan(circuit, _device("qulacs")).idle)


def test_a_bit_written_twice_stays_with_aer() -> None:
    circuit = QuantumCircuit(2, 1)
    circuit.x(0)
    circuit.measure(1, 0)
    circuit.measure(0, 0)
    assert sampling.plan(circuit, _device("anemone")).idle == ()


def test_control_flow_keeps_every_measurement() -> None:
    circuit = QuantumCircuit(2, 2)
    circuit.measure(1, 1)
    with circuit.if_test((circuit.clbits[1], 1)):
        circuit.x(0)
    circuit.measure(0, 0)
    assert sampling.plan(circuit, _device("anemone")).idle == ()
    assert not sampling.terminal(circuit)


def test_terminal_measurements() -> None:
    final = QuantumCircuit(2, 2)
    final.h(0)
    final.measure(0, 0)
    final.x(1)  # a gate on another qubit after a measurement
    final.measure(1, 1)
    assert sampling.terminal(final)
    again = QuantumCircuit(1, 2)
    again.h(0)
    again.measure(0, 0)
    again.h(0)
    again.measure(0, 1)
    assert not sampling.terminal(again)
    reset = QuantumCircuit(1, 1)
    reset.reset(0)
    reset.measure(0, 0)
    assert not sampling.terminal(reset)


def test_idle_bits_follow_their_probability() -> None:
    """Bound: 5 binomial standard deviations, fixed seed."""
    counts = sampling.add_idle_bits({"000": 10_000}, ((1, 0.2), (2, 0.0)), np.random.default_rng(1))
    ones = counts.get("010", 0)
    assert set(counts) <= {"000", "010"}
    assert abs(ones - 2000) <= 5 * (10_000 * 0.2 * 0.8) ** 0.5


def test_draw_counts_keys_by_classical_bit() -> None:
    circuit = QuantumCircuit(2, 3)
    circuit.x(1)
    circuit.measure([0, 1], [2, 0])
    body, qubits = sampling.probability_circuit(circuit) or (None, [])
    assert body is not None and qubits == [0, 1]
    counts = sampling.draw_counts([0, 0, 1, 0], circuit, qubits, 7, np.random.default_rng(0))
    assert counts == {"001": 7}


def _idle_bits_at_once(
    counts: dict[str, int], idle: tuple[tuple[int, float], ...], rng: np.random.Generator
) -> dict[str, int]:
    """Reference: one ``shots x idle`` draw per key, every shot's bits set one by one."""
    noisy = [(clbit, p1) for clbit, p1 in idle if p1 > 0.0]
    merged: dict[str, int] = {}
    for key, value in counts.items():
        flips = rng.random((value, len(noisy))) < np.array([p1 for _, p1 in noisy])
        for row in flips:
            chars = list(key)
            for (clbit, _), flipped in zip(noisy, row, strict=True):
                if flipped:
                    chars[len(key) - 1 - clbit] = "1"
            merged["".join(chars)] = merged.get("".join(chars), 0) + 1
    return merged


def test_idle_bits_drawn_in_blocks_are_the_draws_made_at_once(monkeypatch: Any) -> None:
    """The bounded-memory draw gives the seeded counts of the one-array draw, shot for shot."""
    counts = {"0000": 3001, "0001": 1999}
    idle = ((1, 0.3), (2, 0.0), (3, 0.05))
    expected = _idle_bits_at_once(counts, idle, np.random.default_rng(5))
    assert sampling.add_idle_bits(counts, idle, np.random.default_rng(5)) == expected
    monkeypatch.setattr(sampling, "IDLE_DRAW_ELEMENTS", 7)  # blocks of 3 shots
    assert sampling.add_idle_bits(counts, idle, np.random.default_rng(5)) == expected


def test_a_plan_holds_what_the_sampling_steps_need() -> None:
    circuit = QuantumCircuit(3, 3)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure([0, 1, 2], [2, 0, 1])
    plan = sampling.plan(circuit, _device("qulacs"))
    assert plan.touched == {0, 1} and plan.measures and plan.measured == {2: 0, 0: 1}
    assert plan.body is not None and plan.qubits == (0, 1)
    assert [clbit for clbit, _ in plan.idle] == [1]
    noisy = sampling.plan(circuit, _device("anemone"))
    assert noisy.body is None  # the probability shortcut is for ideal devices
