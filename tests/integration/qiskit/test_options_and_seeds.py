"""IBM habits of the primitives (issue 24): ``mode=``, attribute options, and seeds end to end.

A seed travels as the OQTOPUS job's ``simulator_info.seed_simulation``, which the local server's
simulator honours, so every seeded run below is repeated and compared for exact equality; the
jobs of one call get distinct seeds derived from the user's, so copies of a circuit differ.
Unseeded runs of a 4-qubit uniform superposition at 400 shots repeat exactly with probability
far below 1e-9, which makes "differs" a safe check.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.primitives import BackendEstimatorV2, BackendSamplerV2
from qiskit.quantum_info import SparsePauliOp

from oqtopus_bridge.qiskit import (
    OqtopusBackend,
    OqtopusEstimatorOptions,
    OqtopusEstimatorV2,
    OqtopusInputError,
    OqtopusOptionError,
    OqtopusSamplerOptions,
    OqtopusSamplerV2,
)

SHOTS = 400


def _uniform(width: int = 4) -> QuantumCircuit:
    circuit = QuantumCircuit(width, name="uniform")
    circuit.h(range(width))
    circuit.measure_all()
    return circuit


def _rotated() -> tuple[QuantumCircuit, list[SparsePauliOp]]:
    theta = Parameter("theta")
    circuit = QuantumCircuit(2)
    circuit.ry(theta, 0)
    circuit.cx(0, 1)
    circuit.rx(0.4, 1)
    return circuit, [SparsePauliOp("ZZ"), SparsePauliOp("XI"), SparsePauliOp("IY")]


def test_primitives_take_the_backend_as_mode_or_backend(qulacs: OqtopusBackend) -> None:
    for primitive in (OqtopusSamplerV2, OqtopusEstimatorV2):
        assert primitive(mode=qulacs).backend is qulacs
        assert primitive(qulacs).backend is qulacs
        assert primitive(backend=qulacs).backend is qulacs
        with pytest.raises(OqtopusInputError, match="needs a backend"):
            primitive()
        with pytest.raises(OqtopusInputError, match="OqtopusBackend, got str"):
            primitive(mode="qulacs")


def test_sampler_options_are_attributes_checked_on_assignment(qulacs: OqtopusBackend) -> None:
    sampler = OqtopusSamplerV2(mode=qulacs, options={"default_shots": 30})
    assert isinstance(sampler.options, OqtopusSamplerOptions)
    sampler.options.default_shots = 17
    assert sampler.run([_uniform()]).result()[0].data.meas.num_shots == 17
    sampler.options.update(default_shots=23, seed_simulator=4)
    assert (sampler.options.default_shots, sampler.options.seed_simulator) == (23, 4)
    with pytest.raises(OqtopusOptionError, match="default_shots, seed_simulator, run_options"):
        sampler.options.shots = 5
    with pytest.raises(AttributeError, match="no option 'defaultshots'"):
        sampler.options.defaultshots = 5
    with pytest.raises(OqtopusInputError, match="default_shots must be an integer"):
        sampler.options.default_shots = 0
    with pytest.raises(OqtopusOptionError):  # nothing is changed by a failing update
        sampler.options.update(default_shots=99, bogus=1)
    assert sampler.options.default_shots == 23
    with pytest.raises(OqtopusOptionError, match="no option 'shots'"):
        OqtopusSamplerV2(qulacs, options={"shots": 5})
    assert pickle.loads(pickle.dumps(sampler.options)) == sampler.options


def test_estimator_options_are_attributes_checked_on_assignment(qulacs: OqtopusBackend) -> None:
    estimator = OqtopusEstimatorV2(mode=qulacs)
    assert isinstance(estimator.options, OqtopusEstimatorOptions)
    assert estimator.options.default_precision == 0.015625
    estimator.options.default_precision = 0.05
    circuit, observables = _rotated()
    result = estimator.run([(circuit, observables[0], [0.3])]).result()[0]
    assert result.metadata["shots"] == 400
    estimator.options.default_shots = 150  # overrides default_precision, as IBM's
    assert estimator.run([(circuit, observables[0], [0.3])]).result()[0].metadata["shots"] == 150
    with pytest.raises(OqtopusInputError, match="positive"):
        estimator.options.default_precision = -1
    with pytest.raises(OqtopusOptionError, match="default_precision, default_shots"):
        estimator.options.precision = 0.1
    with pytest.raises(OqtopusInputError, match="job_type must be"):
        estimator.options.job_type = "shared"
    with pytest.raises(OqtopusInputError, match="unknown run option"):
        OqtopusEstimatorV2(qulacs, options={"run_options": {"bogus": 1}})


def test_backend_run_seed_reaches_the_job_and_repeats(qulacs: OqtopusBackend) -> None:
    first = qulacs.run(_uniform(), shots=SHOTS, seed_simulator=5)
    again = qulacs.run(_uniform(), shots=SHOTS, seed_simulator=5)
    assert first.result().get_counts() == again.result().get_counts()
    assert first._batch.children[0].simulator_info["seed_simulation"] == 5
    other = qulacs.run(_uniform(), shots=SHOTS, seed_simulator=6).result().get_counts()
    assert other != first.result().get_counts()


def test_jobs_of_one_seeded_call_get_distinct_derived_seeds(qulacs: OqtopusBackend) -> None:
    job = qulacs.run([_uniform(), _uniform()], shots=SHOTS, seed_simulator=5)
    seeds = [child.simulator_info["seed_simulation"] for child in job._batch.children]
    assert seeds[0] == 5 and len(set(seeds)) == 2
    counts = job.result().get_counts()
    assert counts[0] != counts[1]
    repeated = qulacs.run([_uniform(), _uniform()], shots=SHOTS, seed_simulator=5)
    assert repeated.result().get_counts() == counts


def test_seed_in_simulator_info_and_conflicts(qulacs: OqtopusBackend) -> None:
    info = {"seed_simulation": 9}
    a = qulacs.run(_uniform(), shots=SHOTS, simulator_info=info).result().get_counts()
    b = qulacs.run(_uniform(), shots=SHOTS, seed_simulator=9).result().get_counts()
    assert a == b
    with pytest.raises(OqtopusInputError, match="disagree"):
        qulacs.run(_uniform(), seed_simulator=1, simulator_info=info)
    with pytest.raises(OqtopusInputError, match="seed_simulator must be"):
        qulacs.run(_uniform(), seed_simulator=-1)


def test_qiskit_backend_sampler_with_a_seed_repeats(qulacs: OqtopusBackend) -> None:
    def counts() -> list[dict[str, int]]:
        sampler = BackendSamplerV2(backend=qulacs, options={"seed_simulator": 5})
        result = sampler.run([_uniform(), _uniform(3)], shots=SHOTS).result()
        return [pub.data.meas.get_counts() for pub in result]

    first = counts()
    assert counts() == first
    unseeded = BackendSamplerV2(backend=qulacs).run([_uniform()], shots=SHOTS).result()
    assert unseeded[0].data.meas.get_counts() != first[0]


def test_qiskit_backend_estimator_with_a_seed_repeats(qulacs: OqtopusBackend) -> None:
    circuit, observables = _rotated()
    pub = (circuit, [[o] for o in observables], [[0.3], [1.1]])

    def values() -> tuple[np.ndarray, np.ndarray]:
        estimator = BackendEstimatorV2(
            backend=qulacs, options={"seed_simulator": 5, "default_precision": 0.05}
        )
        data = estimator.run([pub]).result()[0].data
        return data.evs, data.stds

    evs, stds = values()
    again_evs, again_stds = values()
    np.testing.assert_array_equal(evs, again_evs)
    np.testing.assert_array_equal(stds, again_stds)


def test_native_primitives_with_a_seed_repeat(qulacs: OqtopusBackend) -> None:
    theta = Parameter("theta")
    swept = QuantumCircuit(3)
    swept.ry(theta, range(3))
    swept.measure_all()
    values = [[0.5], [1.0], [1.5]]

    def sampled(seed: int | None) -> list[dict[str, int]]:
        sampler = OqtopusSamplerV2(mode=qulacs, options={"default_shots": SHOTS})
        sampler.options.seed_simulator = seed
        bits = sampler.run([(swept, values)]).result()[0].data.meas
        return [bits[i].get_counts() for i in range(3)]

    assert sampled(5) == sampled(5)
    assert sampled(5) != sampled(6)
    circuit, observables = _rotated()
    pub = (circuit, [[o] for o in observables], [[0.3], [1.1]])
    for job_type in ("estimation", "sampling"):
        estimator = OqtopusEstimatorV2(mode=qulacs, options={"default_precision": 0.05})
        estimator.options.update(seed_simulator=5, job_type=job_type)
        first = estimator.run([pub]).result()[0].data
        again = estimator.run([pub]).result()[0].data
        np.testing.assert_array_equal(first.evs, again.evs)
        np.testing.assert_array_equal(first.stds, again.stds)
