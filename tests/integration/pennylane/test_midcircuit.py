"""Mid-circuit measurements, deferred (issue 22, item 10), against default.qubit.

Bounds: a probability or the mean of a 0/1 value from n shots has sigma <= 0.5 / sqrt(n); a value
``a m0 + b m1`` of 0/1 measurement values has sigma <= (|a| + |b|) / (2 sqrt(n)); K = 5 sigma (a
correct device fails one check with probability < 1e-6; the server seed makes runs reproducible).
With postselection, n is the number of kept shots.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane.exceptions import DeviceError, QuantumFunctionError

K = 5.0
SHOTS = 4000


def _feedforward(with_counts: bool):
    def circuit():
        qml.RX(0.7, 0)
        m0 = qml.measure(0)
        qml.cond(m0, qml.RY)(1.9, 1)
        m1 = qml.measure(1)
        qml.RX(0.2, 0)
        values = (
            qml.expval(m0),
            qml.probs(op=[m0, m1]),
            qml.expval(qml.Z(1)),
            qml.expval(2 * m0 + m1),
            qml.var(m1),
            qml.probs(op=m1),
        )
        return (*values, qml.sample(m0), qml.counts(m1)) if with_counts else values

    return circuit


def _exact(circuit, wires=None):
    return qml.QNode(circuit, qml.device("default.qubit", wires=wires), mcm_method="deferred")()


@pytest.mark.parametrize("wires", [None, 4], ids=["dynamic", "fixed"])
@pytest.mark.parametrize("kind", ["sampler", "estimator"])
def test_measurement_values_agree_with_default_qubit(kind, wires, make_device):
    dev = make_device(kind, wires=wires)
    actual = qml.set_shots(qml.QNode(_feedforward(True), dev, mcm_method="deferred"), SHOTS)()
    exact = _exact(_feedforward(False))
    sigma = 0.5 / np.sqrt(SHOTS)
    assert abs(actual[0] - exact[0]) <= K * sigma
    np.testing.assert_array_less(np.abs(actual[1] - exact[1]), K * sigma + 1e-12)
    assert abs(actual[2] - exact[2]) <= K * 2 * sigma
    assert abs(actual[3] - exact[3]) <= K * 3 * sigma
    assert abs(actual[4] - exact[4]) <= K * sigma  # Var of a 0/1 value: |d(p - p^2)| <= |dp|
    np.testing.assert_array_less(np.abs(actual[5] - exact[5]), K * sigma + 1e-12)
    samples, counts = actual[6], actual[7]
    assert samples.shape == (SHOTS,) and set(np.unique(samples)) <= {0, 1}
    assert abs(samples.mean() - exact[0]) <= K * sigma
    assert sum(counts.values()) == SHOTS
    assert abs(counts.get(1, 0) / SHOTS - exact[5][1]) <= K * sigma


def test_the_default_mcm_method_is_deferred(make_device):
    circuit = _feedforward(False)
    actual = qml.set_shots(qml.QNode(circuit, make_device(wires=None)), SHOTS)()
    assert abs(actual[0] - _exact(circuit)[0]) <= K * 0.5 / np.sqrt(SHOTS)


def _postselected():
    qml.RY(1.1, 0)
    qml.CNOT([0, 1])
    qml.RY(0.6, 1)
    qml.measure(1, postselect=1)
    return qml.expval(qml.Z(0)), qml.probs(wires=[0])


@pytest.mark.parametrize("kind", ["sampler", "estimator"])
def test_postselection_keeps_the_matching_shots(kind, make_device):
    def with_samples():
        return (*_postselected(), qml.sample(wires=0), qml.counts(wires=[0, 1]))

    dev = make_device(kind, wires=3)
    actual = qml.set_shots(qml.QNode(with_samples, dev, mcm_method="deferred"), SHOTS)()
    exact = _exact(_postselected, wires=3)
    counts = actual[3]
    kept = sum(counts.values())
    assert set(counts) <= {"01", "11"}  # only shots with the postselected outcome are left
    assert len(actual[2]) == kept and 0 < kept < SHOTS  # fewer shots than requested
    sigma = 0.5 / np.sqrt(kept)
    assert abs(actual[0] - exact[0]) <= K * 2 * sigma
    np.testing.assert_array_less(np.abs(actual[1] - exact[1]), K * sigma)


def test_postselection_on_a_wire_changed_afterwards_is_refused(make_device):
    def circuit():
        qml.H(0)
        qml.measure(0, postselect=1)
        qml.H(0)
        return qml.expval(qml.Z(0))

    with pytest.raises(DeviceError, match="postselects by discarding shots"):
        qml.set_shots(qml.QNode(circuit, make_device(wires=2), mcm_method="deferred"), 10)()


def test_too_few_wires_for_the_deferred_measurements(make_device):
    def circuit():
        qml.H(0)
        m = qml.measure(0)
        qml.H(0)
        return qml.expval(m)

    with pytest.raises(DeviceError, match="needs 1 more wire"):
        qml.set_shots(qml.QNode(circuit, make_device(wires=1)), 10)()


@pytest.mark.parametrize("method", ["one-shot", "tree-traversal"])
def test_other_mcm_methods_are_refused_with_the_supported_one_named(method, make_device):
    node = qml.set_shots(
        qml.QNode(_feedforward(False), make_device(wires=3), mcm_method=method), 10
    )
    with pytest.raises(QuantumFunctionError, match='"deferred"'):
        node()


def test_fill_shots_postselection_is_refused(make_device):
    node = qml.set_shots(
        qml.QNode(_postselected, make_device(wires=3), postselect_mode="fill-shots"), 10
    )
    with pytest.raises(DeviceError, match="hw-like"):
        node()
