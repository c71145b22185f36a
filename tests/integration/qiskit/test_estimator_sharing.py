"""``OqtopusEstimatorV2(options={"job_type": "sampling"})``: measurements shared by observables.

3 observables x 4 parameter sets are 12 estimation jobs by default; with shared sampling jobs
they are one job per (parameter set, qubit-wise commuting basis): here ZZ, ZI - 0.5 IZ and XX
need the bases ZZ and XX, so 8 jobs (4 without grouping of ZI and IZ would be more). The jobs
are counted in the local server's job listing, by a job name unique to each run.

Values must lie within K * stds (the estimator's own standard errors) plus ATOL of Qiskit's exact
StatevectorEstimator; with K = 5 a correct implementation fails a value with probability ~6e-7.
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import ParameterVector
from qiskit.primitives import StatevectorEstimator
from qiskit.quantum_info import SparsePauliOp

from oqtopus_bridge import OqtopusJobBackendBase
from oqtopus_bridge.qiskit import OqtopusBackend, OqtopusEstimatorV2

K = 5.0
ATOL = 1e-6
PRECISION = 0.03


def _pub() -> tuple[QuantumCircuit, list[list[SparsePauliOp]], np.ndarray]:
    p = ParameterVector("p", 2)
    circuit = QuantumCircuit(2, name="shared")
    circuit.ry(p[0], 0)
    circuit.ry(p[1], 1)
    circuit.cx(0, 1)
    observables = [
        [SparsePauliOp("ZZ")],
        [SparsePauliOp.from_list([("IZ", 1.0), ("ZI", -0.5)])],
        [SparsePauliOp("XX")],
    ]
    values = np.random.default_rng(7).uniform(0, np.pi, size=(1, 4, 2))
    return circuit, observables, values


def _jobs_named(config: Any, name: str) -> int:
    listing = OqtopusJobBackendBase(config).list_jobs(query=name, size=100)
    return sum(1 for job in listing if job.get("name") == name)


def _run(backend: OqtopusBackend, config: Any, **options: Any) -> tuple[Any, int]:
    name = f"sharing-{uuid.uuid4().hex[:8]}"
    estimator = OqtopusEstimatorV2(
        mode=backend,
        options={"default_precision": PRECISION, "run_options": {"job_name": name}, **options},
    )
    result = estimator.run([_pub()]).result()
    return result, _jobs_named(config, name)


@pytest.mark.parametrize(
    ("options", "jobs"),
    [
        ({}, 12),  # the default: one estimation job per (bound circuit, observable)
        ({"job_type": "sampling"}, 8),  # bases ZZ and XX per parameter set
        ({"job_type": "sampling", "abelian_grouping": False}, 16),  # ZZ, ZI, IZ, XX each
    ],
)
def test_job_count_and_values_against_statevector_estimator(
    qulacs: OqtopusBackend, local_server: Any, options: dict[str, Any], jobs: int
) -> None:
    result, submitted = _run(qulacs, local_server.config, **options)
    assert submitted == jobs
    reference = StatevectorEstimator().run([_pub()]).result()[0].data
    data = result[0].data
    assert data.evs.shape == data.stds.shape == reference.evs.shape == (3, 4)
    assert np.all(data.stds > 0)
    assert np.all(np.abs(data.evs - reference.evs) <= K * data.stds + ATOL)
    assert result[0].metadata["shots"] == 1112


def test_shared_sampling_on_an_isa_circuit_runs_as_is(
    anemone: OqtopusBackend, local_server: Any
) -> None:
    circuit, observables, values = _pub()
    isa = transpile(circuit, anemone, seed_transpiler=3)
    mapped = [[o[0].apply_layout(isa.layout)] for o in observables]
    estimator = OqtopusEstimatorV2(mode=anemone, options={"job_type": "sampling"})
    estimator.options.default_precision = 0.05
    job = estimator.run([(isa, mapped, values)])
    assert all(child.transpiler_info == {"transpiler_lib": None} for child in job._batch.children)
    data = job.result()[0].data
    reference = StatevectorEstimator().run([(circuit, observables, values)]).result()[0].data
    # anemone is noisy: its gate and readout errors bias values by up to ~0.15 here.
    assert np.all(np.abs(data.evs - reference.evs) <= K * data.stds + 0.15)


def test_identity_and_constant_terms_have_no_variance(qulacs: OqtopusBackend) -> None:
    circuit = QuantumCircuit(2)
    circuit.h(0)
    observable = SparsePauliOp.from_list([("II", 2.0), ("ZI", 0.0)])
    estimator = OqtopusEstimatorV2(mode=qulacs, options={"job_type": "sampling"})
    job = estimator.run([(circuit, observable)])
    data = job.result()[0].data
    assert float(data.evs) == 2.0 and float(data.stds) == 0.0
    assert job.job_ids() == []  # nothing to measure: no job at all
