"""pennylane-qiskit's ``qiskit.remote`` device on an ``OqtopusBackend`` (issue 24).

pennylane-qiskit pins an older Qiskit, so this runs in its own environment (``tox -e
pennylane-qiskit``); elsewhere it is skipped. The device runs our backend through
qiskit-ibm-runtime's local mode (its ``SamplerV2``/``EstimatorV2`` wrap Qiskit's
``BackendSamplerV2``/``BackendEstimatorV2``), which deep-copies the backend: that is what failed
before backends could be copied.

Bounds: an expectation value from ``SHOTS`` shots lies within ``K`` standard errors
(``sqrt(1 - <Z>^2) / sqrt(SHOTS)``) of default.qubit's exact value, and each outcome's
frequency within ``K`` binomial standard errors of its exact probability; with ``K = 5`` a
correct implementation fails a check with probability below 6e-7. Seeded runs are compared for
exact equality.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

qml = pytest.importorskip("pennylane")
pytest.importorskip("pennylane_qiskit")

from oqtopus_bridge.qiskit import OqtopusProvider  # noqa: E402

SHOTS = 2000
K = 5.0
ANGLES = (0.4, 1.3)


@pytest.fixture(scope="module")
def backend(local_server: Any) -> Any:
    return OqtopusProvider(local_server.config).get_backend("qulacs")


def _circuit(x: float, y: float) -> None:
    qml.RX(x, wires=0)
    qml.RY(y, wires=1)
    qml.CNOT(wires=[0, 1])


def _qnodes(device: Any, shots: int | None) -> tuple[Any, Any]:
    def expvals(x: float, y: float) -> Any:
        _circuit(x, y)
        return qml.expval(qml.PauliZ(0)), qml.expval(qml.PauliZ(0) @ qml.PauliZ(1))

    def probs(x: float, y: float) -> Any:
        _circuit(x, y)
        return qml.probs(wires=[0, 1]) if shots is None else qml.counts(wires=[0, 1])

    return qml.QNode(expvals, device, shots=shots), qml.QNode(probs, device, shots=shots)


def _remote(backend: Any, **kwargs: Any) -> Any:
    return qml.device("qiskit.remote", wires=2, backend=backend, **kwargs)


def test_qiskit_remote_expvals_and_counts_match_default_qubit(backend: Any) -> None:
    ours_expvals, ours_counts = _qnodes(_remote(backend), SHOTS)
    exact_expvals, exact_probs = _qnodes(qml.device("default.qubit", wires=2), None)
    for got, want in zip(ours_expvals(*ANGLES), exact_expvals(*ANGLES), strict=True):
        bound = K * math.sqrt(max(1 - float(want) ** 2, 0.0) / SHOTS) + 1e-9
        assert abs(float(got) - float(want)) <= bound
    counts = ours_counts(*ANGLES)
    assert sum(counts.values()) == SHOTS
    for index, probability in enumerate(exact_probs(*ANGLES)):
        observed = counts.get(format(index, "02b"), 0) / SHOTS
        bound = K * math.sqrt(probability * (1 - probability) / SHOTS) + 1e-9
        assert abs(observed - float(probability)) <= bound


def test_qiskit_remote_with_a_seed_repeats(backend: Any) -> None:
    def run() -> tuple[Any, Any]:
        expvals, counts = _qnodes(_remote(backend, simulator={"seed_simulator": 5}), SHOTS)
        return np.array(expvals(*ANGLES)), counts(*ANGLES)

    first_expvals, first_counts = run()
    again_expvals, again_counts = run()
    np.testing.assert_array_equal(first_expvals, again_expvals)
    assert first_counts == again_counts
