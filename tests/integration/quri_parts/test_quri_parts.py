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


def test_shots_above_the_maximum_run_as_a_composite_job(oqtopus_config: Any) -> None:
    """Issue 22 item 2: QURI Parts backends split shots over the device maximum and sum counts."""
    from oqtopus_bridge.quri_parts.composite import OqtopusCompositeSamplingJob

    backend = OqtopusQuriBackend("qulacs", oqtopus_config, max_shots=100)
    job = backend.sample(_x_on(2, 1), 250)
    assert isinstance(job, OqtopusCompositeSamplingJob)
    assert [j.shots for j in job.jobs] == [100, 100, 50]
    assert job.result().counts == Counter({2: 250})
    sampler = create_oqtopus_concurrent_sampler("qulacs", oqtopus_config, max_shots=100)
    assert list(sampler([(_x_on(1, 0), 150), (_x_on(1), 20)])) == [
        Counter({1: 150}),
        Counter({0: 20}),
    ]


def test_service_maximum_splits_by_default(oqtopus_config: Any) -> None:
    """10,000,001 shots were refused; now two jobs (cheap: the ideal device samples from p)."""
    job = OqtopusQuriBackend("qulacs", oqtopus_config).sample(_x_on(1, 0), 10_000_001)
    assert [j.shots for j in job.jobs] == [10_000_000, 1]  # type: ignore[union-attr]
    assert job.result().counts == Counter({1: 10_000_001})


def test_enable_shots_roundup(oqtopus_config: Any) -> None:
    rounded = OqtopusQuriBackend("qulacs", oqtopus_config, min_shots=10, max_shots=100)
    assert sum(rounded.sample(_x_on(1, 0), 3).result().counts.values()) == 10
    assert [j.shots for j in rounded.sample(_x_on(1, 0), 205).jobs] == [100, 100, 10]  # type: ignore[union-attr]
    strict = OqtopusQuriBackend(
        "qulacs", oqtopus_config, min_shots=10, max_shots=100, enable_shots_roundup=False
    )
    with pytest.raises(ValueError, match="minimum"):
        strict.sample(_x_on(1, 0), 3)
    assert sum(strict.sample(_x_on(1, 0), 205).result().counts.values()) == 200
    with pytest.raises(ValueError, match="min_shots"):
        OqtopusQuriBackend("qulacs", oqtopus_config, min_shots=5, max_shots=2)


def test_qubit_mapping_remaps_the_circuit_and_the_counts(oqtopus_config: Any) -> None:
    """As QiskitSamplingBackend's qubit_mapping: run on device qubits, counts in circuit qubits."""
    circuit = _x_on(3, 0)
    circuit.add_CNOT_gate(0, 2)  # |101>: key 0b101
    backend = OqtopusQuriBackend(
        "qulacs",
        oqtopus_config,
        qubit_mapping={0: 4, 1: 2, 2: 7},
        transpiler_info={"transpiler_lib": None},
        circuit_transpiler=None,
    )
    job = backend.sample(circuit, 20)
    sent = job.jobs[0].job_info["input"]["program"][0]  # type: ignore[union-attr]
    assert "q[4]" in sent and "q[7]" in sent
    assert job.result().counts == Counter({0b101: 20})
    measured = _x_on(3, 0)
    measured.add_CNOT_gate(0, 2)
    measured_circuit = QuantumCircuit(3, cbit_count=2)
    measured_circuit.extend(measured)
    measured_circuit.measure([2, 0], [0, 1])  # classical bit 0 = qubit 2, bit 1 = qubit 0
    assert backend.sample(measured_circuit, 10).result().counts == Counter({0b11: 10})
    with pytest.raises(ValueError, match="no device qubit"):
        OqtopusQuriBackend("qulacs", oqtopus_config, qubit_mapping={0: 1}).sample(circuit, 1)
    with pytest.raises(ValueError, match="distinct"):
        OqtopusQuriBackend("qulacs", oqtopus_config, qubit_mapping={0: 1, 1: 1})


def test_circuit_transpiler_runs_before_export(oqtopus_config: Any) -> None:
    from quri_parts.circuit.transpile import RZSetTranspiler

    circuit = QuantumCircuit(2)
    circuit.add_H_gate(0)
    circuit.add_CNOT_gate(0, 1)
    circuit.add_X_gate(0)
    backend = OqtopusQuriBackend(
        "qulacs",
        oqtopus_config,
        circuit_transpiler=RZSetTranspiler(),
        transpiler_info={"transpiler_lib": None},
    )
    job = backend.sample(circuit, 200)
    sent = job.job_info["input"]["program"][0]  # type: ignore[union-attr]
    assert "h q" not in sent and "sx q" in sent  # RZSet = {X, SqrtX, RZ, CNOT}
    assert set(job.result().counts) <= {0b01, 0b10}
    with pytest.raises(ValueError, match="CircuitTranspiler"):
        OqtopusQuriBackend("qulacs", oqtopus_config, circuit_transpiler=3)  # type: ignore[arg-type]
