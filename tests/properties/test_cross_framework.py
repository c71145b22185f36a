"""The same logical circuit, written in QURI Parts, Qiskit and PennyLane, gives the same outcome.

Each framework's result is decoded with that framework's *documented* convention (written out here,
not taken from our bits module): QURI Parts integer bit i = qubit i; Qiskit key's rightmost
character = clbit 0; PennyLane key's leftmost character = the first measured wire. So a bit-order
slip in any adapter shows up as a disagreement, and the classical oracle (bit arithmetic on X/CNOT
circuits) says which side is wrong.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pennylane as qml
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit as QiskitCircuit
from quri_parts.circuit import QuantumCircuit as QuriCircuit

from oqtopus_bridge import OqtopusSamplingBackend
from oqtopus_bridge.qiskit import OqtopusProvider

Op = tuple[str, tuple[int, ...]]


@st.composite
def circuits(draw: st.DrawFn, *, gates: tuple[str, ...] = ("x", "cx")) -> tuple[int, list[Op]]:
    n = draw(st.integers(1, 4))
    ops: list[Op] = []
    for _ in range(draw(st.integers(0, 6))):
        gate = draw(st.sampled_from([g for g in gates if n > 1 or g != "cx"]))
        width = 2 if gate == "cx" else 1
        ops.append((gate, tuple(draw(st.permutations(range(n)))[:width])))
    return n, ops


def _classical_outcome(n: int, ops: list[Op]) -> int:
    bits = [0] * n
    for gate, qubits in ops:
        if gate == "x":
            bits[qubits[0]] ^= 1
        else:
            bits[qubits[1]] ^= bits[qubits[0]]
    return sum(bit << qubit for qubit, bit in enumerate(bits))


def _quri_parts(config: Any, n: int, ops: list[Op], shots: int) -> Counter[int]:
    circuit = QuriCircuit(n)
    for gate, qubits in ops:
        {"x": circuit.add_X_gate, "h": circuit.add_H_gate, "cx": circuit.add_CNOT_gate}[gate](
            *qubits
        )
    return Counter(OqtopusSamplingBackend(config).sample(circuit, "qulacs", shots).result().counts)


def _qiskit(config: Any, n: int, ops: list[Op], shots: int) -> Counter[int]:
    circuit = QiskitCircuit(n, n)
    for gate, qubits in ops:
        getattr(circuit, gate)(*qubits)
    circuit.measure(range(n), range(n))
    counts = (
        OqtopusProvider(config)
        .get_backend("qulacs")
        .run(circuit, shots=shots)
        .result()
        .get_counts()
    )
    return Counter({int(key, 2): value for key, value in counts.items()})  # clbit 0 rightmost


def _pennylane(config: Any, n: int, ops: list[Op], shots: int) -> Counter[int]:
    dev = qml.device("oqtopus.sampler", wires=n, device_id="qulacs", oqtopus_config=config)
    gate_map = {"x": qml.PauliX, "h": qml.Hadamard, "cx": qml.CNOT}

    @qml.set_shots(shots)
    @qml.qnode(dev)
    def circuit() -> Any:
        for gate, qubits in ops:
            gate_map[gate](wires=list(qubits))
        return qml.counts(wires=range(n), all_outcomes=False)

    counts = circuit()
    # PennyLane: the first measured wire (wire 0) is the leftmost character.
    return Counter(
        {sum(int(c) << i for i, c in enumerate(key)): int(v) for key, v in counts.items()}
    )


@settings(max_examples=8)
@given(circuits())
def test_classical_circuits_agree_exactly_across_frameworks(oqtopus_config: Any, case: Any) -> None:
    n, ops = case
    expected = Counter({_classical_outcome(n, ops): 4})
    assert _quri_parts(oqtopus_config, n, ops, 4) == expected
    assert _qiskit(oqtopus_config, n, ops, 4) == expected
    assert _pennylane(oqtopus_config, n, ops, 4) == expected


def _tvd(p: Counter[int], q: Counter[int]) -> float:
    total_p, total_q = sum(p.values()), sum(q.values())
    return 0.5 * sum(abs(p[k] / total_p - q[k] / total_q) for k in set(p) | set(q))


@pytest.mark.parametrize("seed", range(3))
def test_random_circuits_agree_in_distribution_across_frameworks(
    oqtopus_config: Any, seed: int
) -> None:
    # Bound: with 3000 shots on at most 16 outcomes, the total variation distance between two
    # samples of the same distribution stays below 0.08 except with probability < 1e-6
    # (Bretagnolle-Huber-Carol).
    rng = random.Random(seed)
    n = 3
    ops: list[Op] = [("h", (0,)), ("cx", (0, 1)), ("h", (2,))]
    for _ in range(4):
        gate = rng.choice(["x", "h", "cx"])
        ops.append((gate, tuple(rng.sample(range(n), 2 if gate == "cx" else 1))))
    shots = 3000
    reference = _quri_parts(oqtopus_config, n, ops, shots)
    assert _tvd(reference, _qiskit(oqtopus_config, n, ops, shots)) < 0.08
    assert _tvd(reference, _pennylane(oqtopus_config, n, ops, shots)) < 0.08
