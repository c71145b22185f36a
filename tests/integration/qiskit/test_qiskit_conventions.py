"""Issue 14: what Qiskit users do, against the LocalServer, with Aer and the reference primitives.

Each test names the numbered item of issue 14 it guards. The oracles are independent of our code:
``AerSimulator``, ``StatevectorSampler`` and Qiskit's ``BackendSamplerV2`` over Aer.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, transpile
from qiskit.exceptions import QiskitError
from qiskit.primitives import BackendSamplerV2, StatevectorEstimator, StatevectorSampler
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler.exceptions import TranspilerError
from qiskit_aer import AerSimulator

from oqtopus_bridge.qiskit import (
    OqtopusBackend,
    OqtopusCircuitError,
    OqtopusEstimatorV2,
    OqtopusJobNotFoundError,
    OqtopusProvider,
    OqtopusSamplerV2,
)

SHOTS = 40


def _aer_counts(circuit: QuantumCircuit, shots: int = SHOTS) -> dict[str, int]:
    return AerSimulator().run(circuit, shots=shots).result().get_counts()


def _reset_and_mid_circuit_measure() -> QuantumCircuit:
    """Deterministic: c0 = 1 (mid-circuit), reset, c1 = 0, x after a measurement, c2 = 1."""
    qc = QuantumCircuit(QuantumRegister(2, "q"), ClassicalRegister(3, "c"), name="resets")
    qc.x(0)
    qc.measure(0, 0)
    qc.reset(0)
    qc.measure(0, 1)
    qc.x(1)
    qc.measure(1, 2)
    qc.x(1)  # a gate after a measurement on the same qubit
    return qc


def _measured(num_qubits: int = 2, name: str = "measured") -> QuantumCircuit:
    qc = QuantumCircuit(num_qubits, name=name)
    qc.x(0)
    for qubit in range(1, num_qubits):
        qc.cx(0, qubit)
    qc.measure_all()
    return qc


# ------------------------------------------------------------------------------- 1. resets
def test_1_targets_offer_reset_exactly_where_the_device_lists_it(
    qulacs: OqtopusBackend, anemone: OqtopusBackend
) -> None:
    assert "reset" in qulacs.device.supported_instructions
    assert "reset" in qulacs.target.operation_names
    assert "reset" not in anemone.device.supported_instructions
    assert "reset" not in anemone.target.operation_names


def test_1_reset_and_mid_circuit_measurement_run_on_the_ideal_simulator(
    qulacs: OqtopusBackend,
) -> None:
    circuit = _reset_and_mid_circuit_measure()
    expected = _aer_counts(circuit)
    isa = transpile(circuit, qulacs, seed_transpiler=3)
    assert "reset" in isa.count_ops()
    # transpiled (runs on the service's native path when native) and untranspiled (the service
    # transpiles): both must succeed and agree with Aer
    assert qulacs.run([isa, circuit], shots=SHOTS).result().get_counts() == [expected, expected]


def test_1_reset_native_program_runs_as_is(qulacs: OqtopusBackend) -> None:
    circuit = _reset_and_mid_circuit_measure()
    native = transpile(circuit, basis_gates=["x", "sx", "rz", "cx", "reset", "measure"])
    counts = qulacs.run(native, shots=SHOTS, transpiler_info={"transpiler_lib": None}).result()
    assert counts.get_counts() == _aer_counts(circuit)


def test_1_initialize_transpiles_to_reset_and_runs_on_the_ideal_simulator(
    qulacs: OqtopusBackend,
) -> None:
    circuit = QuantumCircuit(2, 2)
    circuit.initialize([0, 0, 0, 1], [0, 1])  # |11>
    circuit.measure([0, 1], [0, 1])
    isa = transpile(circuit, qulacs, seed_transpiler=1)
    assert qulacs.run(isa, shots=SHOTS).result().get_counts() == _aer_counts(circuit)


def test_1_reset_is_refused_up_front_where_the_device_cannot_run_it(
    anemone: OqtopusBackend,
) -> None:
    circuit = _reset_and_mid_circuit_measure()
    with pytest.raises(TranspilerError):
        transpile(circuit, anemone)
    with pytest.raises(OqtopusCircuitError, match="uses reset, which device anemone does not run"):
        anemone.run(circuit)
    initialize = QuantumCircuit(1, 1)
    initialize.initialize([0, 1], 0)
    initialize.measure(0, 0)
    with pytest.raises(OqtopusCircuitError, match="uses reset"):
        OqtopusSamplerV2(anemone).run([initialize])


def test_1_mid_circuit_measurement_runs_on_the_noisy_device(anemone: OqtopusBackend) -> None:
    circuit = QuantumCircuit(1, 2)
    circuit.x(0)
    circuit.measure(0, 0)
    circuit.x(0)
    circuit.measure(0, 1)
    isa = transpile(circuit, anemone, seed_transpiler=2)
    counts = anemone.run(isa, shots=200).result().get_counts()
    assert max(counts, key=counts.get) == "01"  # noisy, but mostly Aer's deterministic answer


# --------------------------------------------------------------------------- 2. numpy shots
@pytest.mark.parametrize("shots", [np.int64(25), np.int32(25), np.uint16(25)])
def test_2_numpy_integer_shots_are_accepted_everywhere(qulacs: OqtopusBackend, shots: Any) -> None:
    circuit = _measured()
    result = qulacs.run(circuit, shots=shots).result()
    assert result.results[0].shots == 25 and result.get_counts() == _aer_counts(circuit, 25)
    pub = OqtopusSamplerV2(qulacs).run([circuit, (circuit, None, shots)], shots=shots).result()
    assert [r.data.meas.num_shots for r in pub] == [25, 25]
    sampler = OqtopusSamplerV2(qulacs, options={"default_shots": shots})
    assert sampler.default_shots == 25 and isinstance(sampler.default_shots, int)
    qiskit_own = BackendSamplerV2(backend=qulacs, options={"default_shots": shots})
    reference = StatevectorSampler(default_shots=25).run([circuit]).result()
    counts = qiskit_own.run([circuit]).result()[0].data.meas.get_counts()
    assert counts == reference[0].data.meas.get_counts()


def test_2_set_options_takes_numpy_shots_and_still_refuses_bad_ones(
    provider: OqtopusProvider,
) -> None:
    backend = provider.get_backend("qulacs")  # a private backend: options are per object
    backend.set_options(shots=np.int64(12))
    assert backend.options.shots == 12 and type(backend.options.shots) is int
    assert backend.run(_measured()).result().results[0].shots == 12
    for bad in (np.float64(12.0), True, 0, np.int64(0)):
        with pytest.raises(ValueError, match="shots must be an integer"):
            backend.run(_measured(), shots=bad)


# ---------------------------------------------------------------- 3. PUBs without measurements
def _unmeasured() -> QuantumCircuit:
    qc = QuantumCircuit(2, name="unmeasured")
    qc.h(0)
    return qc


def test_3_an_unmeasured_pub_beside_a_measured_one_is_returned_empty(
    qulacs: OqtopusBackend,
) -> None:
    pubs = [_measured(), _unmeasured()]
    with pytest.warns(UserWarning, match="no output classical registers"):
        reference = StatevectorSampler(default_shots=SHOTS).run(pubs).result()
    with pytest.warns(UserWarning, match="no classical registers"):
        job = OqtopusSamplerV2(qulacs, options={"default_shots": SHOTS}).run(pubs)
    assert len(job.job_ids()) == 1  # only the measured PUB went to the service
    result = job.result()
    assert result[0].data.meas.get_counts() == reference[0].data.meas.get_counts()
    assert list(result[1].data) == list(reference[1].data) == []
    assert result[1].data.shape == reference[1].data.shape


def test_3_a_zero_width_register_pub_keeps_its_register(qulacs: OqtopusBackend) -> None:
    circuit = QuantumCircuit(QuantumRegister(1), ClassicalRegister(0, "empty"))
    circuit.h(0)
    reference = StatevectorSampler(default_shots=SHOTS).run([circuit]).result()[0]
    result = OqtopusSamplerV2(qulacs, options={"default_shots": SHOTS}).run([circuit]).result()[0]
    assert list(result.data) == list(reference.data) == ["empty"]
    assert result.data.empty.num_shots == reference.data.empty.num_shots == SHOTS
    assert result.data.empty.num_bits == 0


def test_3_backend_run_and_backend_sampler_handle_unmeasured_circuits_as_aer_does(
    qulacs: OqtopusBackend,
) -> None:
    circuits = [_measured(), _unmeasured()]
    job = qulacs.run(circuits, shots=SHOTS)
    assert len(job.job_ids()) == 1
    ours, aer = job.result(), AerSimulator().run(circuits, shots=SHOTS).result()
    assert ours.get_counts(0) == aer.get_counts(0)
    assert not hasattr(ours.results[1].data, "counts") and not hasattr(
        aer.results[1].data, "counts"
    )
    with pytest.warns(UserWarning, match="no output classical registers"):
        ours_v2 = BackendSamplerV2(backend=qulacs).run(circuits, shots=SHOTS).result()
    with pytest.warns(UserWarning, match="no output classical registers"):
        aer_v2 = BackendSamplerV2(backend=AerSimulator()).run(circuits, shots=SHOTS).result()
    assert ours_v2[0].data.meas.get_counts() == aer_v2[0].data.meas.get_counts()
    assert list(ours_v2[1].data) == list(aer_v2[1].data) == []


def test_3_counts_of_an_unmeasured_circuit_say_it_has_no_measurements_and_what_to_do(
    qulacs: OqtopusBackend,
) -> None:
    """Aer's own error is ``No counts for experiment "1"`` (issue 22)."""
    result = qulacs.run([_measured(), _unmeasured()], shots=SHOTS, memory=True).result()
    assert sum(result.get_counts(0).values()) == SHOTS
    advice = r"'unmeasured' has no measurements .*measure_all\(\).*OqtopusEstimatorV2"
    for key in (1, "unmeasured", None):
        with pytest.raises(QiskitError, match=advice):
            result.get_counts(key)
    with pytest.raises(OqtopusCircuitError, match=advice):
        result.get_memory(1)
    assert len(result.get_memory(0)) == SHOTS


def test_3_a_job_of_unmeasured_circuits_only_sends_nothing(
    provider: OqtopusProvider, qulacs: OqtopusBackend
) -> None:
    job = qulacs.run(_unmeasured(), shots=SHOTS)
    assert job.job_ids() == [] and job.result().results[0].shots == SHOTS
    with pytest.raises(OqtopusJobNotFoundError, match="sent nothing to OQTOPUS"):
        provider.retrieve_job(job.job_id())


# ----------------------------------------------------------------------------- 4. metadata
def test_4_numpy_metadata_is_kept_and_what_is_lost_is_named(
    local_server: Any, qulacs: OqtopusBackend
) -> None:
    circuit = _measured()
    marker = object()
    circuit.metadata = {
        "n": np.int64(3),
        "x": np.float64(0.5),
        "flag": np.bool_(True),
        "angles": np.array([1, 2]),
        "nested": {"k": [np.int32(1), "a"]},
        "obj": marker,
    }
    aer_header = AerSimulator().run(circuit, shots=SHOTS).result().results[0].header
    with pytest.warns(UserWarning, match=r"'measured': obj\); a retrieved job lacks them"):
        job = qulacs.run(circuit, shots=SHOTS)
    header = job.result().results[0].header
    assert header["metadata"].keys() == aer_header["metadata"].keys()
    assert header["metadata"]["obj"] is marker and header["metadata"]["n"] == 3
    with pytest.warns(UserWarning, match=r"'measured': obj\); this retrieved job lacks them"):
        retrieved = OqtopusProvider(local_server.config).retrieve_job(job.job_id())
    assert retrieved.result().results[0].header["metadata"] == {
        "n": 3,
        "x": 0.5,
        "flag": True,
        "angles": [1, 2],
        "nested": {"k": [1, "a"]},
    }


# ------------------------------------------------------------------------ 5. multiprogramming
def test_5_multiprogramming_circuits_transpiled_for_the_device(qulacs: OqtopusBackend) -> None:
    circuits = [_measured(2, "two"), _measured(3, "three")]
    isa = [transpile(c, qulacs, initial_layout=[5, 9, 2][: c.num_qubits]) for c in circuits]
    assert all(c.num_qubits == qulacs.num_qubits for c in isa)
    job = qulacs.run(isa, shots=SHOTS, multiprogramming=True)
    assert len(job.job_ids()) == 1
    assert job.result().get_counts() == [_aer_counts(c) for c in circuits]


def test_5_multiprogramming_on_the_noisy_grid(anemone: OqtopusBackend) -> None:
    circuits = [_measured(2, "two"), _measured(3, "three")]
    isa = [transpile(c, anemone, seed_transpiler=4) for c in circuits]
    job = anemone.run(isa, shots=200, multiprogramming=True)
    assert len(job.job_ids()) == 1
    for counts, circuit in zip(job.result().get_counts(), circuits, strict=True):
        (expected,) = _aer_counts(circuit)
        assert max(counts, key=counts.get) == expected  # noisy, but mostly right


def test_5_circuits_too_many_for_one_run_are_packed_into_several(qulacs: OqtopusBackend) -> None:
    circuits = [_measured(7, f"seven-{i}") for i in range(3)]  # 21 qubits on a 16-qubit device
    job = qulacs.run(circuits, shots=SHOTS, multiprogramming=True)
    assert len(job.job_ids()) == 2
    assert job.result().get_counts() == [_aer_counts(c) for c in circuits]


# --------------------------------------------------------------------- 6. reprs and cancel
def test_6_backends_and_jobs_have_informative_reprs(qulacs: OqtopusBackend) -> None:
    assert (
        repr(qulacs) == "<OqtopusBackend('qulacs', simulator, num_qubits=16, status='available')>"
    )
    job = qulacs.run([_measured(), _measured()], shots=SHOTS)
    text = repr(job)
    assert "object at" not in text and job.job_id() in text and "circuits=2" in text
    primitive = OqtopusSamplerV2(qulacs).run([_measured()], shots=SHOTS)
    assert (
        repr(primitive) == f"<OqtopusPrimitiveJob({primitive.job_id()!r}, kind='sampler', jobs=1)>"
    )
    job.result()


def test_6_cancel_racing_the_end_of_the_job_is_quiet(
    local_server: Any,
    qulacs: OqtopusBackend,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    job = qulacs.run(_measured(), shots=SHOTS)
    # Another handle waits for the end; this one still believes the job is queued, so its cancel
    # request reaches a job that has already succeeded (the race, made deterministic).
    OqtopusProvider(local_server.config).retrieve_job(job.job_id()).result()
    with caplog.at_level(logging.INFO):
        assert job.cancel() is False
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert capsys.readouterr().err == ""
    assert job.result().get_counts() == _aer_counts(_measured())


def test_1_reset_in_an_estimator_pub_on_the_ideal_simulator(qulacs: OqtopusBackend) -> None:
    circuit = QuantumCircuit(2)
    circuit.x([0, 1])
    circuit.reset(0)  # back to |0>, then |+>: <XZ> = -1 exactly (qubit 1 stays |1>)
    circuit.h(0)
    unitary_twin = QuantumCircuit(2)
    unitary_twin.x(1)
    unitary_twin.h(0)
    observable = [SparsePauliOp("ZX"), SparsePauliOp("ZI")]
    reference = StatevectorEstimator().run([(unitary_twin, observable)]).result()[0].data.evs
    ours = OqtopusEstimatorV2(qulacs).run([(circuit, observable)]).result()[0].data.evs
    assert reference.tolist() == pytest.approx([-1.0, -1.0])
    assert ours.tolist() == pytest.approx(reference.tolist())


# ------------------------------------------------- further: options other providers take
def test_classified_meas_level_is_accepted_and_pulse_level_options_say_why_not(
    qulacs: OqtopusBackend,
) -> None:
    circuit = _measured()
    sampler = BackendSamplerV2(backend=qulacs, options={"run_options": {"meas_level": 2}})
    counts = sampler.run([circuit], shots=SHOTS).result()[0].data.meas.get_counts()
    assert counts == _aer_counts(circuit)
    with pytest.raises(
        ValueError, match="meas_level=1 is not available: OQTOPUS returns classified"
    ):
        qulacs.run(circuit, meas_level=1)
    with pytest.raises(ValueError, match="meas_return is not available"):
        qulacs.run(circuit, meas_return="avg")
    with pytest.raises(ValueError, match="init_qubits is not available"):
        qulacs.run(circuit, init_qubits=False)
