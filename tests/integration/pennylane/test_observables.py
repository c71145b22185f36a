"""Expectation values of nested Pauli observables (issue 22, item 7), against default.qubit.

Bound: each group of qubit-wise commuting words is estimated from its own shots, so the error of
``sum_k c_k <P_k>`` is at most ``sum_k |c_k| sigma_k`` with ``sigma_k <= 1 / sqrt(shots)``; a value
more than ``K * sum_k |c_k| / sqrt(shots)`` from the exact one fails (K = 5: a correct device
fails with probability < 1e-6; the server seed makes each run reproducible).
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest

K = 5.0
SHOTS = 4000

H1 = qml.Z(0) + qml.X(0)
H2 = qml.X(1) + qml.Z(0) @ qml.Z(1)
H3 = qml.dot([0.3, 0.4], [qml.Y(0), qml.X(0) @ qml.X(1)])
# Built outside any QNode: an operator constructed inside one is queued as an operation.
SHAPES = {
    "dot_of_sums": qml.dot([2.0, -0.5, 1.0], [H1, H2, H3]),
    "sprod_of_sum": 2 * H1,
    "sum_of_sprod_of_sum": 2 * H1 - 0.5 * H2 + H3,
    "hamiltonian_of_sums": qml.Hamiltonian([2.0, -0.5], [H1, H2]),
    "hamiltonian_of_scaled_sum": qml.Hamiltonian([1.0, 1.0], [2 * (qml.Z(0) + qml.Z(1)), qml.Z(0)]),
    "hamiltonian_with_identity": qml.Hamiltonian(
        [0.5, 0.2, -0.3], [qml.Z(0), qml.Identity(0), qml.X(0) @ qml.Y(1)]
    ),
    "scaled_hamiltonian": 2 * qml.Hamiltonian([2.0, -0.5], [qml.X(0), qml.Z(0)]),
    "prod_of_paulis": qml.X(0) @ qml.Z(1) @ qml.Y(0) @ qml.Y(0),
    "prod_of_sum": qml.X(0) @ (qml.Z(1) + qml.X(1)),
}


def _circuit(obs):
    def circuit():
        qml.RY(0.4, 0)
        qml.CNOT([0, 1])
        qml.RX(0.3, 1)
        return qml.expval(obs), qml.expval(qml.Z(1))

    return circuit


def _weight(obs) -> float:
    return float(sum(abs(c) for c in obs.pauli_rep.values()))


@pytest.mark.parametrize("kind", ["sampler", "estimator"])
@pytest.mark.parametrize("name", list(SHAPES))
def test_nested_pauli_sums_agree_with_default_qubit(kind, name, make_device):
    obs = SHAPES[name]
    circuit = _circuit(obs)
    actual = qml.set_shots(qml.QNode(circuit, make_device(kind)), SHOTS)()
    exact = qml.QNode(circuit, qml.device("default.qubit", wires=2))()
    sampled = qml.set_shots(
        qml.QNode(circuit, qml.device("default.qubit", wires=2, seed=3)), SHOTS
    )()
    bound = K * _weight(obs) / np.sqrt(SHOTS)
    assert abs(actual[0] - exact[0]) <= bound
    # default.qubit with the same shots is within the same bound of the exact value: 2 * bound.
    assert abs(actual[0] - sampled[0]) <= 2 * bound
    assert abs(actual[1] - exact[1]) <= K / np.sqrt(SHOTS)


def test_flat_pauli_sum_keeps_simple_and_complex_observables():
    from oqtopus_bridge.pennylane.observables import flat_pauli_sum

    assert flat_pauli_sum(qml.Z(0)) is None
    assert flat_pauli_sum(qml.Hermitian(np.eye(2), 0)) is None
    assert flat_pauli_sum(qml.X(0) @ qml.Y(0)) is None  # i Z(0): complex, measured as it is
    flat = flat_pauli_sum(SHAPES["hamiltonian_of_sums"])
    coeffs, words = flat.terms()
    assert len(words) == 4 and all(len(word.pauli_rep) == 1 for word in words)
    assert flat.pauli_rep == 2 * qml.Z(0).pauli_rep + 2 * qml.X(0).pauli_rep - 0.5 * H2.pauli_rep
