"""Deterministic random circuits, written once and built in every framework from the same spec."""

from __future__ import annotations

import random
from typing import Any

#: One operation: (gate, qubits, angle or None). Gates: ry, rz, cx.
Op = tuple[str, tuple[int, ...], float | None]
BELL: list[Op] = [("h", (0,), None), ("cx", (0, 1), None)]


def random_circuit(qubits: int, depth: int, seed: int) -> list[Op]:
    """Layers of RY/RZ on every qubit, then CX on alternating neighbour pairs."""
    rng = random.Random(seed)
    ops: list[Op] = []
    for layer in range(depth):
        for q in range(qubits):
            ops.append(("ry", (q,), rng.uniform(0, 6.283)))
            ops.append(("rz", (q,), rng.uniform(0, 6.283)))
        for q in range(layer % 2, qubits - 1, 2):
            ops.append(("cx", (q, q + 1), None))
    return ops


def to_qasm(ops: list[Op], qubits: int) -> str:
    """OpenQASM 3 that measures every qubit into ``c``."""
    lines = ["OPENQASM 3;", 'include "stdgates.inc";', f"qubit[{qubits}] q;", f"bit[{qubits}] c;"]
    for gate, wires, angle in ops:
        args = ", ".join(f"q[{w}]" for w in wires)
        lines.append(f"{gate}({angle!r}) {args};" if angle is not None else f"{gate} {args};")
    lines.append("c = measure q;")
    return "\n".join(lines)


def to_qiskit(ops: list[Op], qubits: int) -> Any:
    """A Qiskit circuit measuring every qubit (classical bit i = qubit i)."""
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(qubits, qubits)
    for gate, wires, angle in ops:
        method = getattr(circuit, gate)
        method(*(() if angle is None else (angle,)), *wires)
    circuit.measure(range(qubits), range(qubits))
    return circuit


def to_quri(ops: list[Op], qubits: int) -> Any:
    """A QURI Parts circuit (measured entirely when sampled)."""
    from quri_parts.circuit import QuantumCircuit

    circuit = QuantumCircuit(qubits)
    for gate, wires, angle in ops:
        if gate == "ry":
            circuit.add_RY_gate(wires[0], angle)
        elif gate == "rz":
            circuit.add_RZ_gate(wires[0], angle)
        elif gate == "h":
            circuit.add_H_gate(wires[0])
        else:
            circuit.add_CNOT_gate(*wires)
    return circuit


def to_pennylane_tape(ops: list[Op], qubits: int, shots: int) -> Any:
    """A PennyLane tape returning ``qml.counts`` over all wires."""
    import pennylane as qml

    gates = {"ry": qml.RY, "rz": qml.RZ, "h": qml.Hadamard, "cx": qml.CNOT}
    operations = [
        gates[g](angle, wires=list(w)) if angle is not None else gates[g](wires=list(w))
        for g, w, angle in ops
    ]
    return qml.tape.QuantumScript(operations, [qml.counts(wires=range(qubits))], shots=shots)
