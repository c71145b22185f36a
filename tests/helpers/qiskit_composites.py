"""Qiskit circuits holding each kind of composite instruction (issue 22), unmeasured.

Every builder returns a circuit with no classical bits, whose state is not a basis state (so a
dropped or misplaced block changes the outcome); tests add measurements or observables. Angles
are bound, except in `parametric_real_amplitudes`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import PauliEvolutionGate, UnitaryGate, real_amplitudes
from qiskit.quantum_info import SparsePauliOp, random_unitary


def _block() -> QuantumCircuit:
    sub = QuantumCircuit(2, name="block")
    sub.ry(0.7, 0)
    sub.cx(0, 1)
    sub.rz(0.4, 1)
    sub.sx(1)
    return sub


def appended_subcircuit() -> QuantumCircuit:
    qc = QuantumCircuit(3)
    qc.h(2)
    qc.append(_block(), [2, 0])  # a non-gate Instruction: what the exporter cannot write
    return qc


def composed_wrapped() -> QuantumCircuit:
    qc = QuantumCircuit(3)
    qc.x(1)
    qc.compose(_block(), [1, 2], wrap=True, inplace=True)
    return qc


def library_block() -> QuantumCircuit:
    qc = QuantumCircuit(3)
    qc.append(real_amplitudes(3, reps=2).assign_parameters(np.linspace(0.3, 2.8, 9)), [0, 1, 2])
    return qc


def parametric_real_amplitudes() -> QuantumCircuit:
    """``real_amplitudes(2, reps=2)`` appended with its 6 parameters unbound."""
    qc = QuantumCircuit(2)
    qc.append(real_amplitudes(2, reps=2), [0, 1])
    return qc


def initialized() -> QuantumCircuit:
    qc = QuantumCircuit(3)
    amplitudes = np.array([0.1, 0.5j, 0.0, 0.3, -0.4, 0.2, 0.6, 0.1], dtype=complex)
    qc.initialize(amplitudes / np.linalg.norm(amplitudes), [0, 1, 2])
    return qc


def prepared_state() -> QuantumCircuit:
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.prepare_state([0.6, 0.0, 0.0, 0.8j], [1, 2])
    return qc


def unitary_gate() -> QuantumCircuit:
    qc = QuantumCircuit(3)
    qc.append(UnitaryGate(random_unitary(4, seed=7)), [0, 2])
    qc.append(UnitaryGate(random_unitary(2, seed=8)), [1])
    return qc


def pauli_evolution() -> QuantumCircuit:
    qc = QuantumCircuit(3)
    qc.h(0)
    # Commuting terms: the gate's own synthesis (a product formula) is then exactly exp(-iHt).
    hamiltonian = SparsePauliOp(["XXI", "ZZI", "YYI", "IIX"], coeffs=[0.5, 0.8, -0.3, 0.4])
    qc.append(PauliEvolutionGate(hamiltonian, time=0.9), [0, 1, 2])
    return qc


def controlled_custom_gate() -> QuantumCircuit:
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.append(_block().to_gate(label="blk").control(1), [0, 1, 2])
    return qc


def custom_gate() -> QuantumCircuit:
    qc = QuantumCircuit(3)
    qc.append(_block().to_gate(), [1, 0])
    qc.rzz(0.3, 0, 2)  # a standard gate outside stdgates.inc, kept as written
    return qc


COMPOSITES: dict[str, Callable[[], QuantumCircuit]] = {
    "appended_subcircuit": appended_subcircuit,
    "composed_wrapped": composed_wrapped,
    "library_block": library_block,
    "initialized": initialized,
    "prepared_state": prepared_state,
    "unitary_gate": unitary_gate,
    "pauli_evolution": pauli_evolution,
    "controlled_custom_gate": controlled_custom_gate,
    "custom_gate": custom_gate,
}
"""Every kind, by name; ``initialized`` holds a reset (its definition starts with one)."""


def subcircuit_with_measurements() -> QuantumCircuit:
    """A sub-circuit instruction that measures, resets and has a barrier inside."""
    sub = QuantumCircuit(2, 2, name="measuring")
    sub.h(0)
    sub.cx(0, 1)
    sub.measure(1, 0)
    sub.reset(1)
    sub.barrier()
    sub.x(1)
    sub.measure(1, 1)
    qc = QuantumCircuit(3, 3)
    qc.x(2)
    qc.append(sub.to_instruction(), [0, 1], [2, 0])
    qc.measure(2, 1)
    return qc
