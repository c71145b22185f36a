"""QURI Parts native use over real HTTP: Sampler, ConcurrentSampler, estimators, SamplingBackend."""

from __future__ import annotations

import importlib
import sys
from collections import Counter
from typing import Any

import numpy as np
import pytest
from quri_parts.circuit import QuantumCircuit
from quri_parts.core.estimator import Estimate
from quri_parts.core.operator import Operator, pauli_label
from quri_parts.core.sampling import create_sampler_from_sampling_backend
from quri_parts.core.state import quantum_state

from oqtopus_bridge.quri_parts import (
    OqtopusQuriBackend,
    create_oqtopus_concurrent_estimator,
    create_oqtopus_concurrent_sampler,
    create_oqtopus_estimator,
    create_oqtopus_sampler,
)


def _x_on(qubits: int, *targets: int) -> QuantumCircuit:
    circuit = QuantumCircuit(qubits)
    for target in targets:
        circuit.add_X_gate(target)
    return circuit


def test_import_reads_no_config() -> None:
    sys.modules.pop("oqtopus_bridge.quri_parts", None)
    importlib.import_module("oqtopus_bridge.quri_parts")  # no ~/.oqtopus, no env: must not fail


def test_sampler(oqtopus_config: Any) -> None:
    sampler = create_oqtopus_sampler("qulacs", oqtopus_config)
    assert sampler(_x_on(3, 0, 2), 10) == Counter({0b101: 10})


def test_sampler_with_job_options(oqtopus_config: Any) -> None:
    sampler = create_oqtopus_sampler(
        "qulacs", oqtopus_config, transpiler_info={"transpiler_lib": None}, name="opt"
    )
    assert sampler(_x_on(1, 0), 5) == Counter({1: 5})
    with pytest.raises(ValueError, match="unknown job option"):
        create_oqtopus_sampler("qulacs", oqtopus_config, shotz=3)


def test_sampler_reads_environment_when_called(local_server: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("OQTOPUS_URL", local_server.url)
    monkeypatch.setenv("OQTOPUS_API_TOKEN", local_server.token)
    assert create_oqtopus_sampler("qulacs")(_x_on(2, 1), 3) == Counter({2: 3})


def test_concurrent_sampler_submits_all_before_waiting(oqtopus_config: Any) -> None:
    sampler = create_oqtopus_concurrent_sampler("qulacs", oqtopus_config)
    results = list(sampler([(_x_on(2, 0), 5), (_x_on(2, 1), 6), (_x_on(2), 7)]))
    assert results == [Counter({1: 5}), Counter({2: 6}), Counter({0: 7})]
    assert list(sampler([])) == []


def test_sampling_backend_protocol(oqtopus_config: Any) -> None:
    backend = OqtopusQuriBackend("qulacs", oqtopus_config)
    job = backend.sample(_x_on(2, 0), 4)
    assert job.result().counts == Counter({1: 4})
    sampler = create_sampler_from_sampling_backend(backend)
    assert sampler(_x_on(2, 1), 3) == Counter({2: 3})
    assert "qulacs" in repr(backend)
    with pytest.raises(ValueError):
        OqtopusQuriBackend("", oqtopus_config)


def test_estimator_matches_qulacs(oqtopus_config: Any) -> None:
    from quri_parts.qulacs.estimator import create_qulacs_vector_estimator

    circuit = QuantumCircuit(2)
    circuit.add_H_gate(0)
    circuit.add_CNOT_gate(0, 1)
    circuit.add_RY_gate(1, 0.3)
    state = quantum_state(2, circuit=circuit)
    operator = Operator({pauli_label("Z0 Z1"): 1.0, pauli_label("X0 X1"): 0.5})
    exact = create_qulacs_vector_estimator()(operator, state).value.real
    estimate = create_oqtopus_estimator("qulacs", 4000, oqtopus_config)(operator, state)
    assert isinstance(estimate.error, float)
    # stds is the standard error of the sum; allow 5 of them (plus a floor for tiny stds).
    assert abs(estimate.value.real - exact) <= 5 * estimate.error + 0.05
    assert estimate.value.imag == 0


def test_estimator_complex_coefficients_split(oqtopus_config: Any) -> None:
    state = quantum_state(2, circuit=_x_on(2, 0))
    operator = Operator({pauli_label("Z0"): 1 + 2j, pauli_label("Z1"): 0.5j})
    estimate: Estimate[complex] = create_oqtopus_estimator("qulacs", 100, oqtopus_config)(
        operator, state
    )
    assert estimate.value == pytest.approx(complex(-1, -2 + 0.5))


def test_concurrent_estimator_broadcasts(oqtopus_config: Any) -> None:
    estimator = create_oqtopus_concurrent_estimator("qulacs", 100, oqtopus_config)
    state = quantum_state(2, circuit=_x_on(2, 1))
    values = [e.value for e in estimator([pauli_label("Z0"), pauli_label("Z1")], [state])]
    assert np.allclose(values, [1, -1])
    states = [quantum_state(1, circuit=_x_on(1, 0)), quantum_state(1, circuit=_x_on(1))]
    assert np.allclose([e.value for e in estimator([pauli_label("Z0")], states)], [-1, 1])
    with pytest.raises(ValueError):
        estimator([], [state])
    with pytest.raises(ValueError):
        estimator([pauli_label("Z0")] * 2, [state] * 3)


def test_estimator_bad_shots(oqtopus_config: Any) -> None:
    with pytest.raises(ValueError, match="shots"):
        create_oqtopus_estimator("qulacs", 0, oqtopus_config)


def test_numpy_integer_shots(oqtopus_config: Any) -> None:
    """Issue 22 item 1: shots from numpy arithmetic (np.int64) are shots."""
    sampler = create_oqtopus_sampler("qulacs", oqtopus_config)
    assert sampler(_x_on(2, 0), np.int64(100)) == Counter({1: 100})
    estimator = create_oqtopus_estimator("qulacs", np.int32(50), oqtopus_config)
    assert estimator(pauli_label("Z0"), quantum_state(1, circuit=_x_on(1, 0))).value == -1


@pytest.mark.parametrize("shots", [100.0, float("nan"), True, np.bool_(True), np.float64(10)])
def test_non_integer_shots_are_refused(oqtopus_config: Any, shots: Any) -> None:
    sampler = create_oqtopus_sampler("qulacs", oqtopus_config)
    with pytest.raises(ValueError, match=r"shots should be a positive integer.*pass an int"):
        sampler(_x_on(1, 0), shots)


def test_state_vector_is_refused_not_estimated_as_zero(oqtopus_config: Any) -> None:
    """Issue 22 item 3: a state vector was silently estimated as |00> (its empty circuit)."""
    from quri_parts.core.state import QuantumStateVector

    estimator = create_oqtopus_estimator("qulacs", 100, oqtopus_config)
    one = QuantumStateVector(2, vector=np.array([0, 1, 0, 0], dtype=complex))
    with pytest.raises(ValueError, match=r"QuantumStateVector.*circuit state"):
        estimator(pauli_label("Z0"), one)
    concurrent = create_oqtopus_concurrent_estimator("qulacs", 100, oqtopus_config)
    with pytest.raises(ValueError, match="QuantumStateVector"):
        concurrent([pauli_label("Z0")], [one])
    with pytest.raises(ValueError, match=r"no circuit.*circuit state"):
        estimator(pauli_label("Z0"), object())  # type: ignore[arg-type]
    # |0...0> as a vector is what the circuit starts from anyway: it may be sent.
    zero = QuantumStateVector(1, vector=np.array([1, 0], dtype=complex), circuit=_x_on(1, 0))
    assert estimator(pauli_label("Z0"), zero).value == -1
