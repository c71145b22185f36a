"""Classical Qiskit circuits with awkward register layouts, for unit and integration tests.

Each is deterministic (only X and CX on |0...0>), so any simulator gives one outcome and a wrong
bit order shows as a wrong key.
"""

from __future__ import annotations

from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Clbit


def two_registers_out_of_order() -> QuantumCircuit:
    qc = QuantumCircuit(QuantumRegister(3), ClassicalRegister(2, "a"), ClassicalRegister(1, "b"))
    qc.x(0)
    qc.x(2)
    qc.measure(2, 0)
    qc.measure(0, 1)
    qc.measure(1, 2)
    return qc


def keyword_register_partial() -> QuantumCircuit:
    qc = QuantumCircuit(QuantumRegister(4, "data"), ClassicalRegister(3, "input"))
    qc.add_register(ClassicalRegister(2, "out"))
    qc.x([1, 3])
    qc.measure(3, 0)
    qc.measure(1, 4)  # clbits 1, 2 and 3 stay unmeasured
    return qc


def measure_all_with_creg() -> QuantumCircuit:
    qc = QuantumCircuit(3, 2)
    qc.x(1)
    qc.measure(1, 0)
    qc.measure_all()
    return qc


def loose_clbits() -> QuantumCircuit:
    qc = QuantumCircuit(2)
    qc.add_bits([Clbit(), Clbit()])
    qc.add_register(ClassicalRegister(2, "r"))
    qc.x(0)
    qc.measure(0, 1)
    qc.measure(0, 3)
    return qc


def three_registers_reversed_with_cx() -> QuantumCircuit:
    qc = QuantumCircuit(QuantumRegister(5), *(ClassicalRegister(n, f"r{n}") for n in (1, 3, 2)))
    qc.x([0, 3, 4])
    qc.cx(0, 1)
    qc.cx(3, 2)
    qc.measure(range(5), [5, 4, 3, 2, 1])
    return qc


def bell_like_classical() -> QuantumCircuit:
    qc = QuantumCircuit(2, name="ghz-classical")
    qc.x(0)
    qc.cx(0, 1)
    qc.measure_all()
    return qc


REGISTER_LAYOUTS = {
    "two_registers_out_of_order": two_registers_out_of_order,
    "keyword_register_partial": keyword_register_partial,
    "measure_all_with_creg": measure_all_with_creg,
    "loose_clbits": loose_clbits,
    "three_registers_reversed_with_cx": three_registers_reversed_with_cx,
    "measure_all_only": bell_like_classical,
}
