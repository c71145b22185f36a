"""QURI Parts -> OpenQASM 3, tested by meaning: Qiskit's state of the QASM equals qulacs' state."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from quri_parts.circuit import QuantumCircuit, UnboundParametricQuantumCircuit

from oqtopus_bridge.errors import ConversionError
from oqtopus_bridge.qasm import circuit_to_qasm, circuits_to_qasm

qiskit = pytest.importorskip("qiskit")
pytest.importorskip("qiskit_qasm3_import")


def _qulacs_vector(circuit: Any) -> np.ndarray:
    from quri_parts.core.state import quantum_state
    from quri_parts.qulacs.simulator import evaluate_state_to_vector

    state = quantum_state(circuit.qubit_count, circuit=circuit)
    return np.asarray(evaluate_state_to_vector(state).vector)


def _qiskit_vector(qasm: str) -> np.ndarray:
    from qiskit import qasm3
    from qiskit.quantum_info import Statevector

    loaded = qasm3.loads(qasm)
    loaded.remove_final_measurements()
    return np.asarray(Statevector(loaded).data)


def _assert_same_state(circuit: Any) -> None:
    expected = _qulacs_vector(circuit)
    actual = _qiskit_vector(circuit_to_qasm(circuit))
    overlap = abs(np.vdot(expected, actual))
    assert overlap == pytest.approx(1.0, abs=1e-9)


def _every_gate_circuit() -> QuantumCircuit:
    c = QuantumCircuit(3)
    for gate in ("H", "X", "Y", "Z", "S", "Sdag", "T", "Tdag", "SqrtX", "SqrtXdag", "SqrtY"):
        getattr(c, f"add_{gate}_gate")(0)
    c.add_SqrtYdag_gate(1)
    c.add_Identity_gate(2)
    c.add_RX_gate(0, 0.3)
    c.add_RY_gate(1, 0.7)
    c.add_RZ_gate(2, 1.1)
    c.add_U1_gate(0, 0.2)
    c.add_U2_gate(1, 0.3, 0.4)
    c.add_U3_gate(2, 0.5, 0.6, 0.7)
    c.add_CNOT_gate(0, 1)
    c.add_CZ_gate(1, 2)
    c.add_SWAP_gate(0, 2)
    c.add_TOFFOLI_gate(0, 1, 2)
    c.add_Pauli_gate([0, 1, 2], [1, 2, 3])
    c.add_PauliRotation_gate([0, 2], [2, 3], 0.9)
    return c


def test_every_gate_converts_with_the_same_state() -> None:
    _assert_same_state(_every_gate_circuit())


def test_unitary_matrix_gates() -> None:
    c = QuantumCircuit(2)
    c.add_H_gate(0)
    h = 1 / math.sqrt(2)
    c.add_UnitaryMatrix_gate([1], [[h, h], [h, -h]])
    theta = 0.4
    rzz = np.diag(np.exp(1j * theta * np.array([-1, 1, 1, -1]) / 2))
    c.add_UnitaryMatrix_gate([0, 1], rzz.tolist())
    _assert_same_state(c)


def test_output_ends_by_measuring_every_qubit() -> None:
    c = QuantumCircuit(3)
    c.add_X_gate(1)
    text = circuit_to_qasm(c)
    assert text.startswith("OPENQASM 3;")
    assert "bit[3] c;" in text
    assert text.rstrip().endswith("c = measure q;")
    assert "measure" not in circuit_to_qasm(c, measure=False)


def test_measurement_gates_become_explicit_measures() -> None:
    c = QuantumCircuit(3, cbit_count=2)
    c.add_X_gate(2)
    c.measure([2, 0], [0, 1])
    text = circuit_to_qasm(c)
    assert "bit[2] c;" in text
    assert "c[0] = measure q[2];" in text
    assert "c[1] = measure q[0];" in text
    assert "c = measure q;" not in text
    from qiskit import qasm3

    assert qasm3.loads(text).num_clbits == 2


def test_parametric_circuit_is_a_clear_value_error() -> None:
    c = UnboundParametricQuantumCircuit(1)
    c.add_ParametricRX_gate(0)
    with pytest.raises(ConversionError, match="bind") as info:
        circuit_to_qasm(c)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)


def test_not_a_circuit() -> None:
    with pytest.raises(ConversionError, match="sample_qasm"):
        circuit_to_qasm("OPENQASM 3;")  # type: ignore[arg-type]


def test_wide_unitary_matrix_is_refused() -> None:
    c = QuantumCircuit(3)
    c.add_UnitaryMatrix_gate([0, 1, 2], np.eye(8).tolist())
    with pytest.raises(ConversionError, match="3 qubits"):
        circuit_to_qasm(c)


def test_list_conversion() -> None:
    c = QuantumCircuit(1)
    assert len(circuits_to_qasm([c, c])) == 2
    assert len(circuits_to_qasm(c)) == 1
