"""IBM habits (issue 24): ``least_busy`` prefers real devices, ``retrieve_job`` of a primitive run
gives a ``PrimitiveResult``.

The local server offers ``qulacs`` (simulator, available), ``anemone`` (QPU, available) and
``kawasaki`` (QPU, unavailable), none with pending jobs. Retrieved results are compared with the
original job's for exact equality (same jobs, same counts).
"""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter
from qiskit.primitives import PrimitiveResult
from qiskit.quantum_info import SparsePauliOp

from oqtopus_bridge.qiskit import (
    OqtopusBackend,
    OqtopusBackendNotFoundError,
    OqtopusEstimatorV2,
    OqtopusJob,
    OqtopusPrimitiveJob,
    OqtopusProvider,
    OqtopusSamplerV2,
)


def test_least_busy_prefers_real_devices(provider: OqtopusProvider) -> None:
    assert provider.least_busy().name == "anemone"
    assert provider.least_busy(simulator=False).name == "anemone"
    assert provider.least_busy(simulator=True).name == "qulacs"
    assert provider.least_busy(min_num_qubits=16, simulator=True).name == "qulacs"
    assert provider.least_busy(filters=lambda b: b.name != "anemone").name == "qulacs"
    with pytest.raises(OqtopusBackendNotFoundError, match="kawasaki \\(QPU, unavailable\\)"):
        provider.least_busy(name="kawasaki")
    assert provider.least_busy(name="kawasaki", operational=False).name == "kawasaki"
    assert [b.name for b in provider.backends(simulator=False, operational=True)] == ["anemone"]
    assert [b.name for b in provider.backends(operational=False)] == ["kawasaki"]


def _registers_circuit() -> QuantumCircuit:
    theta = Parameter("theta")
    circuit = QuantumCircuit(
        QuantumRegister(3), ClassicalRegister(2, "lo"), ClassicalRegister(1, "hi")
    )
    circuit.metadata = {"tag": "retrieved", "n": 3}
    circuit.rx(theta, 0)
    circuit.h(1)
    circuit.cx(0, 2)
    circuit.measure(0, 2)
    circuit.measure(1, 0)
    circuit.measure(2, 1)
    return circuit


def test_retrieve_job_of_a_sampler_run_gives_its_primitive_result(
    qulacs: OqtopusBackend, provider: OqtopusProvider
) -> None:
    circuit = _registers_circuit()
    unmeasured = QuantumCircuit(1)
    sampler = OqtopusSamplerV2(mode=qulacs, options={"default_shots": 50})
    with pytest.warns(UserWarning, match="no classical registers"):
        job = sampler.run([(circuit, [[0.0], [1.0], [np.pi]]), (circuit, [0.5], 20), unmeasured])
    original = job.result()
    retrieved = OqtopusProvider(provider.sampling_backend.config).retrieve_job(job.job_id())
    assert isinstance(retrieved, OqtopusPrimitiveJob)
    result = retrieved.result()
    assert isinstance(result, PrimitiveResult) and len(result) == 3
    for got, want in zip(result, original, strict=True):
        assert got.data.keys() == want.data.keys() and got.data.shape == want.data.shape
        for name in want.data:
            assert got.data[name] == want.data[name]
        assert got.metadata == want.metadata
    # One of its jobs alone is a plain sampling job, as before.
    assert isinstance(provider.retrieve_job(job.job_ids()[0]), OqtopusJob)


@pytest.mark.parametrize("job_type", ["estimation", "sampling"])
def test_retrieve_job_of_an_estimator_run_gives_its_primitive_result(
    qulacs: OqtopusBackend, provider: OqtopusProvider, job_type: str
) -> None:
    theta = Parameter("theta")
    circuit = QuantumCircuit(2)
    circuit.metadata = {"run": job_type}
    circuit.ry(theta, 0)
    circuit.cx(0, 1)
    observables = [[SparsePauliOp("ZZ")], [SparsePauliOp.from_list([("XX", 0.5), ("II", 1)])]]
    estimator = OqtopusEstimatorV2(mode=qulacs, options={"job_type": job_type})
    estimator.options.default_precision = 0.05
    job = estimator.run([(circuit, observables, [[0.2], [0.9]]), (circuit, "ZI", [0.4], 0.1)])
    original = job.result()
    retrieved = provider.retrieve_job(job.job_id())
    assert isinstance(retrieved, OqtopusPrimitiveJob)
    for got, want in zip(retrieved.result(), original, strict=True):
        np.testing.assert_array_equal(got.data.evs, want.data.evs)
        np.testing.assert_array_equal(got.data.stds, want.data.stds)
        assert got.metadata == want.metadata
