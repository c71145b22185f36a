"""OqtopusSamplerV2 and OqtopusEstimatorV2 against Qiskit's reference primitives.

Sampler sweeps use angles 0 and pi only, so every element is deterministic and compared exactly.
Estimator values must lie within K * stds (the service's standard errors) plus ATOL of the exact
StatevectorEstimator value; a correct implementation fails this with probability ~6e-7 per value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, transpile
from qiskit.circuit import Parameter
from qiskit.primitives import StatevectorEstimator, StatevectorSampler
from qiskit.quantum_info import SparseObservable, SparsePauliOp

from oqtopus_bridge.qiskit import (
    OqtopusBackend,
    OqtopusEstimatorV2,
    OqtopusInputError,
    OqtopusSamplerV2,
)

K = 5.0
ATOL = 1e-6
PRECISION = 0.03  # 1112 shots per estimation job


def _sweep_circuit() -> QuantumCircuit:
    a, b = Parameter("a"), Parameter("b")
    qc = QuantumCircuit(QuantumRegister(3), ClassicalRegister(2, "lo"), ClassicalRegister(1, "hi"))
    qc.rx(a, 0)
    qc.rx(b, 2)
    qc.cx(0, 1)
    qc.measure(0, 2)
    qc.measure(1, 0)
    qc.measure(2, 1)
    return qc


def _angles(shape: tuple[int, ...], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2, size=(*shape, 2)) * np.pi


@pytest.fixture(scope="module")
def sampled(qulacs: OqtopusBackend) -> tuple[list, Any, Any]:
    circuit = _sweep_circuit()
    pubs = [
        (circuit, _angles((), 1)),
        (circuit, _angles((3,), 2), 7),
        (circuit, _angles((2, 3), 3)),
        (circuit, {("a", "b"): _angles((2,), 4)}),
    ]
    job = OqtopusSamplerV2(qulacs, options={"default_shots": 12}).run(pubs)
    reference = StatevectorSampler(default_shots=12).run(pubs).result()
    return pubs, job, reference


def test_sampler_sweeps_match_the_reference_shapes_and_bits(sampled: tuple) -> None:
    pubs, job, reference = sampled
    result = job.result()
    assert len(result) == len(pubs)
    for got, want in zip(result, reference, strict=True):
        assert got.data.shape == want.data.shape
        assert got.metadata["shots"] == want.metadata["shots"]
        for name in ("lo", "hi"):
            mine, theirs = getattr(got.data, name), getattr(want.data, name)
            assert mine.num_shots == theirs.num_shots
            for index in np.ndindex(*got.data.shape):
                assert mine[index].get_counts() == theirs[index].get_counts()
        assert got.join_data().get_counts() == want.join_data().get_counts()


def test_sampler_deduplicates_identical_elements(sampled: tuple) -> None:
    pubs, job, _ = sampled
    elements = sum(max(1, int(np.prod(np.shape(p[1])[:-1]))) for p in pubs[:3]) + 2
    assert len(job.job_ids()) < elements  # 0/pi grids repeat points: each unique one runs once


def test_sampler_rejects_bad_shots_and_options(qulacs: OqtopusBackend) -> None:
    circuit = _sweep_circuit()
    with pytest.raises(ValueError, match="shots must be"):
        OqtopusSamplerV2(qulacs).run([(circuit, _angles((), 0), 0)])
    with pytest.raises(OqtopusInputError, match="shots must be"):
        OqtopusSamplerV2(qulacs).run([(circuit, _angles((), 0))], shots=10_000_001)
    with pytest.raises(OqtopusInputError, match="OqtopusSamplerV2 has no option .shots."):
        OqtopusSamplerV2(qulacs, options={"shots": 5})
    with pytest.raises(ValueError, match="parameter"):
        OqtopusSamplerV2(qulacs).run([circuit])  # unbound parameters, Qiskit's coercion message


def _assert_close(result: Any, reference: Any) -> None:
    for got, want in zip(result, reference, strict=True):
        assert got.data.evs.shape == want.data.evs.shape == got.data.stds.shape
        assert np.all(np.abs(got.data.evs - want.data.evs) <= K * got.data.stds + ATOL)


def _state() -> QuantumCircuit:
    theta, phi = Parameter("theta"), Parameter("phi")
    qc = QuantumCircuit(3)
    qc.ry(theta, 0)
    qc.cx(0, 1)
    qc.rx(phi, 2)
    qc.cz(1, 2)
    qc.h(2)
    return qc


def test_estimator_broadcasting_matches_statevector_estimator(qulacs: OqtopusBackend) -> None:
    observables = [
        [SparsePauliOp.from_list([("ZZI", 1.0), ("IIX", -0.5), ("III", 0.25)])],
        [SparsePauliOp("XYZ")],
    ]  # shape (2, 1)
    values = [[[0.3, 1.1], [1.4, -0.7], [2.5, 0.2]]]  # shape (1, 3)
    pubs = [
        (_state(), observables, values),
        (_state(), ["IZI", "ZII", "IIZ"], [0.7, 0.4]),
        (_state(), "III", [0.2, 0.1]),
    ]
    estimator = OqtopusEstimatorV2(qulacs, options={"default_precision": PRECISION})
    result = estimator.run(pubs).result()
    reference = StatevectorEstimator().run(pubs).result()
    assert [r.data.evs.shape for r in result] == [(2, 3), (3,), ()]
    assert result[0].metadata["shots"] == int(np.ceil(1 / PRECISION**2))
    assert result[2].data.evs == pytest.approx(1.0) and result[2].data.stds == 0
    _assert_close(result, reference)


def test_estimator_expands_projector_observables(qulacs: OqtopusBackend) -> None:
    observable = SparseObservable.from_list([("0+I", 1.0), ("rlZ", -0.5)])
    estimator = OqtopusEstimatorV2(qulacs, options={"default_precision": PRECISION})
    result = estimator.run([(_state(), observable, [0.9, 0.4])]).result()
    paulis = SparsePauliOp.from_sparse_observable(observable)  # Qiskit's own expansion (oracle)
    reference = StatevectorEstimator().run([(_state(), paulis, [0.9, 0.4])]).result()
    _assert_close(result, reference)


def test_estimator_on_an_isa_circuit_follows_its_layout(qulacs: OqtopusBackend) -> None:
    virtual = _state().assign_parameters([0.8, 0.3])
    isa = transpile(virtual, qulacs, initial_layout=[11, 4, 6], seed_transpiler=2)
    observable = SparsePauliOp.from_list([("ZZI", 1.0), ("XII", 0.5)])
    estimator = OqtopusEstimatorV2(qulacs, options={"default_precision": PRECISION})
    result = estimator.run([(isa, observable.apply_layout(isa.layout))]).result()
    reference = StatevectorEstimator().run([(virtual, observable)]).result()
    _assert_close(result, reference)


def test_estimator_per_pub_precision_and_shot_cap(qulacs: OqtopusBackend) -> None:
    estimator = OqtopusEstimatorV2(qulacs)
    job = estimator.run([(_state(), "ZII", [0.1, 0.2], 0.05)], precision=0.5)
    assert job.result()[0].metadata["shots"] == 400
    with pytest.raises(OqtopusInputError, match="precision 0.0001 needs 100,000,000 shots"):
        estimator.run([(_state(), "ZII", [0.1, 0.2])], precision=1e-4)


def test_estimator_rejects_observables_on_missing_qubits(qulacs: OqtopusBackend) -> None:
    with pytest.raises(ValueError, match="number of qubits"):
        OqtopusEstimatorV2(qulacs).run([(_state(), "ZIII", [0.1, 0.2])])


def test_qiskit_backend_estimator_runs_on_the_backend(qulacs: OqtopusBackend) -> None:
    from qiskit.primitives import BackendEstimatorV2

    pubs = [(_state(), SparsePauliOp.from_list([("ZZI", 1.0), ("XII", 0.3)]), [0.4, 0.9])]
    estimator = BackendEstimatorV2(backend=qulacs, options={"default_precision": PRECISION})
    _assert_close(estimator.run(pubs).result(), StatevectorEstimator().run(pubs).result())
