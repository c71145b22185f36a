"""Estimation over real HTTP: operators, results, documented errors."""

from __future__ import annotations

from typing import Any

import pytest
from quri_parts.circuit import QuantumCircuit
from quri_parts.core.operator import PAULI_IDENTITY, Operator, pauli_label

from oqtopus_bridge import OqtopusEstimationBackend, OqtopusEstimationJob, OqtopusEstimationResult

from .conftest import RequestCounter


@pytest.fixture
def estimation_backend(oqtopus_config: Any) -> OqtopusEstimationBackend:
    return OqtopusEstimationBackend(oqtopus_config)


def test_bell_estimation_matches_exact(estimation_backend: Any, bell: QuantumCircuit) -> None:
    operator = Operator({pauli_label("X0 X1"): 1.0, pauli_label("Z0 Z1"): 1.0})
    job = estimation_backend.estimate(bell, operator=operator, device_id="qulacs", shots=2000)
    assert isinstance(job, OqtopusEstimationJob)
    assert job.job_type == "estimation"
    result = job.result()
    assert isinstance(result, OqtopusEstimationResult)
    assert result.exp_value == pytest.approx(2.0, abs=1e-9)  # eigenstate: no shot noise
    assert result.stds is not None and result.stds >= 0


def test_identity_and_asymmetric_terms(estimation_backend: Any) -> None:
    circuit = QuantumCircuit(3)
    circuit.add_X_gate(2)
    operator = Operator({PAULI_IDENTITY: 0.5, pauli_label("Z2"): 2.0, pauli_label("Z0"): 1.0})
    result = estimation_backend.estimate(circuit, operator, "qulacs", 100).result()
    assert result.exp_value == pytest.approx(0.5 - 2.0 + 1.0)


def test_estimate_qasm_with_service_label_pairs(estimation_backend: Any) -> None:
    qasm = 'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[2] q;\nx q[1];\n'
    job = estimation_backend.estimate_qasm(qasm, [("Z1", 1.0), ("Z 0", 0.25)], "qulacs", 100)
    assert job.result().exp_value == pytest.approx(-1.0 + 0.25)
    assert job.job_info["operator"] == [
        {"pauli": "Z1", "coeff": 1.0},
        {"pauli": "Z0", "coeff": 0.25},
    ]


def test_complex_coefficient_raises_before_any_request(estimation_backend: Any) -> None:
    counter = RequestCounter(estimation_backend)
    operator = Operator({pauli_label("Z0"): 1.0 + 1j})
    with pytest.raises(ValueError, match="Complex numbers are not supported in coefficient"):
        estimation_backend.estimate_qasm("OPENQASM 3;", operator, "qulacs", 10)
    assert len(counter) == 0


def test_tiny_imaginary_part_is_accepted(estimation_backend: Any) -> None:
    qasm = 'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[1] q;\n'
    operator = Operator({pauli_label("Z0"): 1.0 + 1e-12j})
    assert estimation_backend.estimate_qasm(qasm, operator, "qulacs", 10).result().exp_value == 1.0


@pytest.mark.parametrize("shots", [0, -5])
def test_bad_shots(estimation_backend: Any, shots: int) -> None:
    with pytest.raises(ValueError, match="shots should be a positive integer"):
        estimation_backend.estimate_qasm("OPENQASM 3;", pauli_label("Z0"), "qulacs", shots)
