"""Parametric estimators and packed sweeps against QURI Parts' own qulacs simulators (issue 22)."""

from __future__ import annotations

import math
import uuid
from collections import Counter
from typing import Any

import numpy as np
import pytest
from quri_parts.circuit import QuantumCircuit, UnboundParametricQuantumCircuit
from quri_parts.core.operator import Operator, pauli_label
from quri_parts.core.state import quantum_state

from oqtopus_bridge import OqtopusJobBackendBase
from oqtopus_bridge.quri_parts import (
    create_oqtopus_concurrent_parametric_estimator,
    create_oqtopus_multi_manual_sampler,
    create_oqtopus_parametric_estimator,
)

SHOTS = 4000


def _ansatz() -> UnboundParametricQuantumCircuit:
    circuit = UnboundParametricQuantumCircuit(2)
    circuit.add_ParametricRY_gate(0)
    circuit.add_CNOT_gate(0, 1)
    circuit.add_ParametricRX_gate(1)
    return circuit


OPERATOR = Operator({pauli_label("Z0 Z1"): 0.7, pauli_label("X1"): -0.4, pauli_label("Z0"): 0.2})
PARAMS = [[0.1, 0.2], [1.0, -0.5], [2.5, 0.9]]


def _exact(params: list[float]) -> float:
    from quri_parts.qulacs.estimator import create_qulacs_vector_parametric_estimator

    state = quantum_state(2, circuit=_ansatz())
    return create_qulacs_vector_parametric_estimator()(OPERATOR, state, params).value.real


def test_parametric_estimator_matches_qulacs(oqtopus_config: Any) -> None:
    """Bound: 5 standard errors of the estimate plus 0.02."""
    estimator = create_oqtopus_parametric_estimator("qulacs", SHOTS, oqtopus_config)
    state = quantum_state(2, circuit=_ansatz())
    estimate = estimator(OPERATOR, state, PARAMS[1])
    assert abs(estimate.value.real - _exact(PARAMS[1])) <= 5 * estimate.error + 0.02
    with pytest.raises(ValueError, match="2 parameters, got 1"):
        estimator(OPERATOR, state, [0.1])
    with pytest.raises(ValueError, match="no parameters to bind"):
        estimator(OPERATOR, quantum_state(2, circuit=QuantumCircuit(2)), [0.1])  # type: ignore[arg-type]


def test_concurrent_parametric_estimator_matches_qulacs(oqtopus_config: Any) -> None:
    from quri_parts.qulacs.estimator import create_qulacs_vector_concurrent_parametric_estimator

    estimator = create_oqtopus_concurrent_parametric_estimator("qulacs", SHOTS, oqtopus_config)
    state = quantum_state(2, circuit=_ansatz())
    ours = list(estimator(OPERATOR, state, PARAMS))
    exact = list(create_qulacs_vector_concurrent_parametric_estimator()(OPERATOR, state, PARAMS))
    assert len(ours) == len(PARAMS)
    for mine, reference in zip(ours, exact, strict=True):
        assert abs(mine.value.real - reference.value.real) <= 5 * mine.error + 0.02
    assert list(estimator(OPERATOR, state, [])) == []


def test_multi_manual_sampler_packs_a_sweep(oqtopus_config: Any) -> None:
    """A sweep of 10 2-qubit circuits on the 16-qubit ideal device: 2 jobs, not 10.

    Oracle: each circuit's exact probabilities from QURI Parts' qulacs; bound: every outcome within
    5 binomial standard deviations (+1).
    """
    from quri_parts.qulacs.simulator import run_circuit

    angles = np.linspace(0.0, math.pi, 10)
    circuits = [_ansatz().bind_parameters([float(a), float(a) / 2]) for a in angles]
    name = f"sweep-packed-{uuid.uuid4()}"
    sampler = create_oqtopus_multi_manual_sampler("qulacs", oqtopus_config, name=name)
    results = list(sampler([(c, SHOTS) for c in circuits]))
    for circuit, counts in zip(circuits, results, strict=True):
        assert sum(counts.values()) == SHOTS
        vector = run_circuit(circuit, np.array([1, 0, 0, 0], dtype=complex))
        for outcome in range(4):
            p = abs(vector[outcome]) ** 2
            sigma = math.sqrt(SHOTS * p * (1 - p))
            assert abs(counts.get(outcome, 0) - p * SHOTS) <= 5 * sigma + 1
    jobs = OqtopusJobBackendBase(oqtopus_config).list_jobs(query=name, size=50)
    assert len(jobs) == 2 and {job["job_type"] for job in jobs} == {"multi_manual"}


def test_multi_manual_sampler_groups_by_shots(oqtopus_config: Any) -> None:
    one = QuantumCircuit(1)
    one.add_X_gate(0)
    sampler = create_oqtopus_multi_manual_sampler("qulacs", oqtopus_config, max_qubits=2)
    results = list(sampler([(one, 5), (one, 5), (one, 5), (one, 7)]))
    assert results == [Counter({1: 5})] * 3 + [Counter({1: 7})]
    with pytest.raises(ValueError, match="uses 3 qubits"):
        sampler([(QuantumCircuit(3), 5)])
