"""Circuits holding composite instructions run through all three entry points (issue 22).

Each kind of `qiskit_composites` goes, untranspiled, through ``backend.run``, OqtopusSamplerV2 and
OqtopusEstimatorV2 on the ideal ``qulacs`` device. Oracles: Qiskit's ``Statevector`` /
``StatevectorEstimator`` (exact) and Aer for the sub-circuit that measures. A sampled probability
must lie within 5 binomial standard deviations of the exact one (exactly 0 where it is 0); an
expectation value within 5 of the service's standard errors; each fails a correct implementation
with probability below 1e-5.
"""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.primitives import StatevectorEstimator
from qiskit.quantum_info import SparsePauliOp, Statevector
from qiskit_aer import AerSimulator
from qiskit_composites import COMPOSITES, parametric_real_amplitudes, subcircuit_with_measurements

from oqtopus_bridge.qiskit import OqtopusBackend, OqtopusEstimatorV2, OqtopusSamplerV2

SHOTS = 4000
K = 5.0
# Qiskit's own PauliEvolutionGate.to_matrix (the Statevector oracle) warns from scipy's expm.
pytestmark = pytest.mark.filterwarnings("ignore::scipy.sparse.SparseEfficiencyWarning")


def _assert_sampled(counts: dict[str, int], exact: dict[str, float], shots: int) -> None:
    """Every outcome's frequency within K binomial standard deviations of its exact probability."""
    assert sum(counts.values()) == shots
    for key in set(counts) | set(exact):
        p = exact.get(key, 0.0)
        bound = K * np.sqrt(p * (1 - p) / shots) + 1e-9
        assert abs(counts.get(key, 0) / shots - p) <= bound, (key, counts, exact)


def _probabilities(circuit: QuantumCircuit) -> dict[str, float]:
    probs = Statevector(circuit).probabilities_dict()
    return {key: value for key, value in probs.items() if value > 1e-12}


def _measured(circuit: QuantumCircuit) -> QuantumCircuit:
    measured = circuit.copy()
    measured.measure_all()
    return measured


@pytest.mark.parametrize("kind", sorted(COMPOSITES))
def test_backend_run(qulacs: OqtopusBackend, kind: str) -> None:
    circuit = COMPOSITES[kind]()
    counts = qulacs.run(_measured(circuit), shots=SHOTS).result().get_counts()
    _assert_sampled(counts, _probabilities(circuit), SHOTS)


@pytest.mark.parametrize("kind", sorted(COMPOSITES))
def test_sampler(qulacs: OqtopusBackend, kind: str) -> None:
    circuit = COMPOSITES[kind]()
    result = OqtopusSamplerV2(qulacs).run([_measured(circuit)], shots=SHOTS).result()
    _assert_sampled(result[0].data.meas.get_counts(), _probabilities(circuit), SHOTS)


def test_sampler_binds_a_parametric_library_block(qulacs: OqtopusBackend) -> None:
    circuit = parametric_real_amplitudes()
    values = np.array([[0.1, 0.5, 0.9, 1.3, 1.7, 2.1], [2.0, -1.0, 0.3, 0.0, 1.1, -0.7]])
    result = OqtopusSamplerV2(qulacs).run([(_measured(circuit), values)], shots=SHOTS).result()
    for row, bound in enumerate(values):
        expected = _probabilities(circuit.assign_parameters(bound))
        _assert_sampled(result[0].data.meas.get_counts(row), expected, SHOTS)


# Observables that do not commute with the computational basis, so phases matter.
OBSERVABLES = [SparsePauliOp(["XXI", "IYZ", "ZIX", "ZZZ"], coeffs=[0.7, -0.4, 1.1, 0.5])]


@pytest.mark.parametrize("kind", sorted(COMPOSITES))
def test_estimator(qulacs: OqtopusBackend, kind: str) -> None:
    circuit = COMPOSITES[kind]()
    estimator = OqtopusEstimatorV2(qulacs, options={"default_precision": 0.02})
    result = estimator.run([(circuit, OBSERVABLES)]).result()[0]
    exact = StatevectorEstimator().run([(circuit, OBSERVABLES)]).result()[0].data.evs
    assert np.all(np.abs(result.data.evs - exact) <= K * result.data.stds + 1e-6)


@pytest.mark.parametrize("kind", ["appended_subcircuit", "library_block", "unitary_gate"])
def test_estimator_on_sampling_jobs(qulacs: OqtopusBackend, kind: str) -> None:
    circuit = COMPOSITES[kind]()
    options = {"default_precision": 0.02, "job_type": "sampling"}
    result = OqtopusEstimatorV2(qulacs, options=options).run([(circuit, OBSERVABLES)]).result()[0]
    exact = StatevectorEstimator().run([(circuit, OBSERVABLES)]).result()[0].data.evs
    assert np.all(np.abs(result.data.evs - exact) <= K * result.data.stds + 1e-6)


def test_estimator_binds_a_parametric_library_block(qulacs: OqtopusBackend) -> None:
    circuit = parametric_real_amplitudes()
    observable = SparsePauliOp(["XX", "ZY", "IZ"], coeffs=[1.0, 0.5, -0.8])
    values = [[0.1, 0.5, 0.9, 1.3, 1.7, 2.1], [2.0, -1.0, 0.3, 0.0, 1.1, -0.7]]
    estimator = OqtopusEstimatorV2(qulacs, options={"default_precision": 0.02})
    result = estimator.run([(circuit, observable, values)]).result()[0]
    exact = StatevectorEstimator().run([(circuit, observable, values)]).result()[0].data.evs
    assert np.all(np.abs(result.data.evs - exact) <= K * result.data.stds + 1e-6)


def test_measuring_subcircuit_keeps_bit_order_through_run_and_sampler(
    qulacs: OqtopusBackend,
) -> None:
    circuit = subcircuit_with_measurements()
    aer = AerSimulator()
    exact = aer.run(transpile(circuit, aer), shots=SHOTS, seed_simulator=3).result().get_counts()
    assert set(exact) == {"011", "111"}  # clbits 0 and 1 always read 1, clbit 2 is random
    counts = qulacs.run(circuit, shots=SHOTS).result().get_counts()
    _assert_sampled(counts, {"011": 0.5, "111": 0.5}, SHOTS)
    sampled = OqtopusSamplerV2(qulacs).run([circuit], shots=SHOTS).result()[0]
    _assert_sampled(sampled.data.c.get_counts(), {"011": 0.5, "111": 0.5}, SHOTS)
