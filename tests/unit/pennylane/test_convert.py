"""Tape -> OpenQASM 3 conversion, checked by meaning (never by QASM text).

Qiskit reads our QASM; its unitary or sampled outcomes must equal PennyLane's own.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane.devices.preprocess import decompose
from pennylane.exceptions import DeviceError
from qiskit import qasm3
from qiskit.primitives import StatevectorSampler
from qiskit.quantum_info import Operator

from oqtopus_bridge.pennylane import _convert


def _decomposed(tape):
    (out,), _ = decompose(
        tape, stopping_condition=_convert.is_supported_gate, skip_initial_state_prep=False
    )
    return out


def _assert_equal_up_to_phase(a, b):
    index = np.unravel_index(np.argmax(np.abs(b)), b.shape)
    phase = a[index] / b[index]
    assert abs(abs(phase) - 1) < 1e-9
    np.testing.assert_allclose(a, phase * b, atol=1e-9)


def _check_unitary(ops, wires):
    tape = _decomposed(qml.tape.QuantumScript(ops))
    wire_map = _convert.wire_map_for(qml.wires.Wires(wires), tape)
    circuit = qasm3.loads(_convert.tape_to_qasm(tape, wire_map))
    # Qiskit: qubit 0 least significant; PennyLane's wire_order: first wire most significant.
    expected = qml.matrix(qml.tape.QuantumScript(ops), wire_order=list(reversed(wires)))
    _assert_equal_up_to_phase(Operator(circuit).data, expected)


GATES = [
    [qml.Identity(0)],
    [qml.X(0)],
    [qml.Y(0)],
    [qml.Z(0)],
    [qml.H(0)],
    [qml.S(0)],
    [qml.adjoint(qml.S(0))],
    [qml.T(0)],
    [qml.adjoint(qml.T(0))],
    [qml.SX(0)],
    [qml.RX(0.3, 0)],
    [qml.RY(-1.2, 0)],
    [qml.RZ(2.1, 0)],
    [qml.PhaseShift(0.7, 0)],
    [qml.U1(0.4, 0)],
    [qml.U2(0.4, -0.9, 0)],
    [qml.U3(0.1, 0.2, 0.3, 0)],
    [qml.CNOT([1, 0])],
    [qml.CY([0, 1])],
    [qml.CZ([0, 1])],
    [qml.CH([1, 0])],
    [qml.SWAP([0, 1])],
    [qml.ControlledPhaseShift(0.5, [1, 0])],
    [qml.CRX(0.3, [0, 1])],
    [qml.CRY(0.4, [1, 0])],
    [qml.CRZ(0.5, [0, 1])],
    [qml.Toffoli([2, 0, 1])],
    [qml.CSWAP([1, 2, 0])],
    [qml.Rot(0.1, -0.7, 1.3, 1)],
    [qml.CRot(0.4, -1.1, 2.3, [2, 0])],
]


@pytest.mark.parametrize("ops", GATES, ids=lambda ops: ops[0].name)
def test_every_mapped_gate_has_the_pennylane_unitary(ops):
    _check_unitary(ops, [0, 1, 2])


DECOMPOSED = [
    [qml.adjoint(qml.SX(1))],
    [qml.IsingXX(0.4, [0, 2])],
    [qml.MultiRZ(0.6, [0, 1, 2])],
    [qml.ECR([1, 0])],
    [qml.ISWAP([0, 1])],
    [qml.QubitUnitary(qml.matrix(qml.Rot(0.3, 0.2, 0.1, 0)) @ qml.matrix(qml.SX(0)), 0)],
    [qml.GlobalPhase(0.3), qml.H(0)],
    [qml.Barrier([0, 1]), qml.CNOT([0, 2])],
]


@pytest.mark.parametrize("ops", DECOMPOSED, ids=lambda ops: ops[0].name)
def test_decomposed_operations_keep_their_unitary(ops):
    _check_unitary(ops, [0, 1, 2])


def test_custom_wire_labels_map_to_declared_order():
    wires = ["b", 7, "a"]
    ops = [qml.CNOT(["a", 7]), qml.RY(0.3, "b"), qml.CRZ(1.1, ["b", "a"]), qml.H(7)]
    _check_unitary(ops, wires)


def _random_op(kind, theta, wires):
    return [
        qml.RX(theta, wires[0]),
        qml.CNOT(wires[:2]),
        qml.Rot(theta, 0.3, -theta, wires[1]),
        qml.IsingYY(theta, wires[:2]),
        qml.CRY(theta, wires[:2]),
        qml.Toffoli(wires),
    ][kind]


def test_random_circuits_keep_their_unitary():
    rng = np.random.default_rng(7)
    for _ in range(5):
        ops = [
            _random_op(int(rng.integers(6)), float(rng.uniform(-np.pi, np.pi)), rng.permutation(3))
            for _ in range(8)
        ]
        _check_unitary(ops, [2, 0, 1])


def _sampled_pennylane_counts(ops, device_wires, measure, shots=64):
    tape = _decomposed(qml.tape.QuantumScript(ops))
    wire_map = _convert.wire_map_for(qml.wires.Wires(device_wires), tape)
    circuit = qasm3.loads(_convert.tape_to_qasm(tape, wire_map, measure=measure))
    wire_counts = (
        StatevectorSampler(seed=3).run([circuit], shots=shots).result()[0].data.c.get_counts()
    )
    return _convert.counts_to_pennylane(wire_counts, len(measure))


@pytest.mark.parametrize(
    ("device_wires", "measure"),
    [
        ([0, 1, 2], [2, 0]),
        ([2, 0, 1], [0, 1, 2]),
        (["x", "y", "z"], ["z", "x", "y"]),
        (["x", "y", "z"], ["y"]),
    ],
)
def test_measured_wires_come_back_in_pennylane_order(device_wires, measure):
    ops = [qml.X(device_wires[0]), qml.X(device_wires[2])]
    counts = _sampled_pennylane_counts(ops, device_wires, measure)
    dev = qml.device("default.qubit", wires=device_wires)

    @qml.set_shots(64)
    @qml.qnode(dev)
    def reference():
        for op in ops:
            qml.apply(op)
        return qml.counts(wires=measure)

    assert counts == {str(k): int(v) for k, v in reference().items()}


def test_estimation_program_has_no_measurement_and_parses():
    tape = qml.tape.QuantumScript([qml.H(0), qml.CNOT([0, 1])])
    circuit = qasm3.loads(_convert.tape_to_qasm(tape, {0: 0, 1: 1}))
    assert circuit.num_clbits == 0
    assert circuit.num_qubits == 2


def test_unsupported_gate_and_unknown_wire_raise_device_error():
    with pytest.raises(DeviceError, match="decompose"):
        _convert.tape_to_qasm(qml.tape.QuantumScript([qml.IsingXX(0.1, [0, 1])]), {0: 0, 1: 1})
    with pytest.raises(DeviceError, match="not among the device wires"):
        _convert.tape_to_qasm(qml.tape.QuantumScript([qml.X("a")]), {0: 0})


@pytest.mark.parametrize(
    "tape",
    [
        # a foreign wire anywhere is named, even after an unsupported gate or on a skipped one
        qml.tape.QuantumScript([qml.IsingXX(0.1, [0, 1]), qml.X("a")]),
        qml.tape.QuantumScript([qml.GlobalPhase(0.3, wires=["a"])]),
        qml.tape.QuantumScript([qml.X(0)], [qml.expval(qml.Z("b"))]),
        qml.tape.QuantumScript([qml.CNOT([0, "a"]), qml.X("b")]),
    ],
)
def test_every_foreign_wire_is_named_before_anything_else(tape):
    with pytest.raises(DeviceError, match="not among the device wires") as raised:
        _convert.tape_to_qasm(tape, {0: 0, 1: 1})
    missing = [wire for wire in tape.wires if wire not in (0, 1)]
    assert f"wires {missing} are not" in str(raised.value)


def test_measured_wires_requires_a_single_counts_measurement():
    tape = qml.tape.QuantumScript([], [qml.counts(wires=[1, 0])])
    assert list(_convert.measured_wires(tape)) == [1, 0]
    with pytest.raises(DeviceError, match="exactly one"):
        _convert.measured_wires(qml.tape.QuantumScript([], [qml.expval(qml.Z(0))]))


def test_pauli_terms_use_device_qubit_indices():
    obs = 0.5 * qml.Z("a") @ qml.Z("c") - 0.3 * qml.X("b") + 0.2 * qml.Identity("a")
    terms = dict(_convert.pauli_terms(obs, {"c": 0, "a": 1, "b": 2}))
    assert terms == pytest.approx({"Z0 Z1": 0.5, "X2": -0.3, "I": 0.2})


def test_pauli_terms_reject_non_pauli_and_complex():
    with pytest.raises(DeviceError, match="Pauli"):
        _convert.pauli_terms(qml.Hermitian(np.eye(2), 0), {0: 0})
    with pytest.raises(DeviceError, match="complex"):
        _convert.pauli_terms(1j * qml.X(0), {0: 0})


def test_single_word_variance_matches_definition():
    assert _convert.single_word_variance(
        [("Z0", 2.0), ("I", 1.0)], 1.0 + 2.0 * 0.5
    ) == pytest.approx(4.0 * (1 - 0.25))
    assert _convert.single_word_variance([("I", 3.0)], 3.0) == 0.0
    with pytest.raises(DeviceError, match="single Pauli word"):
        _convert.single_word_variance([("Z0", 1.0), ("X1", 1.0)], 0.0)


def test_counts_to_pennylane_pads_keys_that_lost_leading_zeros():
    assert _convert.counts_to_pennylane({"1": 3, "10": 2, "001": 1}, 3) == {"100": 4, "010": 2}
