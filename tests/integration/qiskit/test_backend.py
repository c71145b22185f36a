"""Provider, backend and job against the LocalServer: discovery, run, retrieval, errors."""

from __future__ import annotations

from typing import Any

import pytest
from qiskit import QuantumCircuit, qasm3, transpile
from qiskit.circuit import Parameter
from qiskit.providers import JobError, JobStatus, QiskitBackendNotFoundError
from qiskit.quantum_info import Statevector
from qiskit_aer import AerSimulator
from qiskit_layouts import REGISTER_LAYOUTS

from oqtopus_bridge.qiskit import (
    OqtopusBackend,
    OqtopusCircuitError,
    OqtopusInputError,
    OqtopusJobError,
    OqtopusJobNotFoundError,
    OqtopusJobTimeoutError,
    OqtopusProvider,
)

SHOTS = 20


def _classical() -> QuantumCircuit:
    return REGISTER_LAYOUTS["three_registers_reversed_with_cx"]()


def _aer_counts(circuit: QuantumCircuit) -> dict[str, int]:
    return AerSimulator().run(circuit, shots=SHOTS).result().get_counts()


def test_backends_and_keyword_filters(provider: OqtopusProvider) -> None:
    names = {b.name for b in provider.backends()}
    assert {"qulacs", "anemone"} <= names
    assert [b.name for b in provider.backends(device_type="simulator")] == ["qulacs"]
    assert "anemone" not in {b.name for b in provider.backends(device_type="SIMULATOR")}
    assert all(b.num_qubits >= 16 for b in provider.backends(min_num_qubits=16))
    assert {b.name for b in provider.backends(status="unavailable")}.isdisjoint({"qulacs"})
    assert [b.name for b in provider.backends(filters=lambda b: b.name == "anemone")] == ["anemone"]
    assert provider.least_busy().name in names


def test_get_backend_unknown_lists_the_available_ids(provider: OqtopusProvider) -> None:
    with pytest.raises(QiskitBackendNotFoundError, match="available devices: .*qulacs.*anemone"):
        provider.get_backend("no-such-device")


def test_provider_from_url_and_token(local_server: Any) -> None:
    provider = OqtopusProvider(url=local_server.url, api_token=local_server.token)
    assert provider.get_backend("qulacs").num_qubits == 16


def test_anemone_target_is_calibrated_and_transpile_respects_it(anemone: OqtopusBackend) -> None:
    target = anemone.target
    assert {"x", "sx", "rz", "cx", "measure"} <= set(target.operation_names)
    assert target.qubit_properties[0].t1 is not None and target.qubit_properties[0].t1 < 1e-3
    assert 0 < target["measure"][(0,)].error < 0.1
    assert target["cx"][(0, 1)].duration > 0
    coupling = {tuple(edge) for edge in anemone.coupling_map.get_edges()}
    assert (0, 5) not in coupling and (0, 1) in coupling  # a 4x4 grid, not all-to-all
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 2)
    qc.cx(1, 2)
    qc.measure_all()
    isa = transpile(qc, anemone, seed_transpiler=7)
    assert set(isa.count_ops()) <= {"x", "sx", "rz", "cx", "measure", "barrier"}
    assert anemone.is_native(isa)


def test_native_isa_circuit_runs_as_is_and_others_are_transpiled(anemone: OqtopusBackend) -> None:
    qc = QuantumCircuit(2)
    qc.x(0)
    qc.cx(0, 1)
    qc.measure_all()
    isa = transpile(qc, anemone, seed_transpiler=3)
    job = anemone.run([isa, qc], shots=200)
    counts = job.result().get_counts()
    for outcome in counts:
        assert max(outcome, key=outcome.get) == "11"  # noisy device, but mostly right
    native, transpiled = job.transpiled_programs()
    assert transpiled is not None
    # The ISA circuit ran as sent (issue 24: this was None): the program is the circuit itself.
    assert native == job._batch.children[0].job_info["program"][0]
    ran = qasm3.loads(native).remove_final_measurements(inplace=False)
    assert Statevector(ran).equiv(Statevector(isa.remove_final_measurements(inplace=False)))


def test_simulator_isa_circuit_on_physical_qubits_is_exact(qulacs: OqtopusBackend) -> None:
    circuit = _classical()
    isa = transpile(circuit, qulacs, initial_layout=[9, 2, 14, 0, 7], seed_transpiler=1)
    assert isa.layout is not None and qulacs.is_native(isa)
    assert qulacs.run(isa, shots=SHOTS).result().get_counts() == _aer_counts(circuit)


def test_multiprogramming_packs_a_list_into_one_multi_manual_job(qulacs: OqtopusBackend) -> None:
    circuits = [_classical(), REGISTER_LAYOUTS["two_registers_out_of_order"]()]
    job = qulacs.run(circuits, shots=SHOTS, multiprogramming=True)
    assert len(job.job_ids()) == 1
    assert job.result().get_counts() == [_aer_counts(c) for c in circuits]


def test_retrieve_job_in_a_new_provider_rebuilds_the_same_result(
    local_server: Any, qulacs: OqtopusBackend
) -> None:
    circuits = [_classical(), REGISTER_LAYOUTS["keyword_register_partial"]()]
    circuits[0].metadata = {"run": 1}
    job = qulacs.run(circuits, shots=SHOTS)
    original = job.result()
    retrieved = OqtopusProvider(local_server.config).retrieve_job(job.job_id())
    assert retrieved.job_id() == job.job_id() and retrieved.status() is JobStatus.DONE
    again = retrieved.result()
    assert again.get_counts() == original.get_counts()
    assert [r.header for r in again.results] == [r.header for r in original.results]
    single = OqtopusProvider(local_server.config).retrieve_job(job.job_ids()[1])
    assert single.result().get_counts() == original.get_counts(1)


def test_retrieve_unknown_job_says_so(provider: OqtopusProvider) -> None:
    with pytest.raises(OqtopusJobNotFoundError, match="no OQTOPUS job 'nope'") as info:
        provider.retrieve_job("nope")
    assert isinstance(info.value, JobError)


def test_jobs_lists_recent_sampling_jobs(provider: OqtopusProvider, qulacs: OqtopusBackend) -> None:
    job = qulacs.run(_classical(), shots=SHOTS)
    job.result()
    recent = provider.jobs(limit=50, status="succeeded")
    assert job.job_id() in {j.job_id() for j in recent}


def test_failed_child_raises_job_error_with_the_server_message(qulacs: OqtopusBackend) -> None:
    job = qulacs.run(
        [_classical(), _classical()], shots=SHOTS, transpiler_info={"transpiler_lib": "bogus"}
    )
    with pytest.raises(OqtopusJobError, match=r"2 of 2 OQTOPUS jobs.*transpiler_lib") as info:
        job.result()
    assert isinstance(info.value, JobError)
    assert job.status() is JobStatus.ERROR


def test_timeout_raises_qiskit_job_timeout_error(qulacs: OqtopusBackend, local_server: Any) -> None:
    from oqtopus_bridge.local.engine.worker import HOLD_HOOK, HOOKS_DIR

    # The server holds the job until the test releases it, so the timeout cannot race its end.
    job = qulacs.run(_classical(), shots=SHOTS, job_name=HOLD_HOOK)
    with pytest.raises(OqtopusJobTimeoutError, match="did not finish within 0"):
        job.result(timeout=0)
    hooks = local_server.data_dir / HOOKS_DIR
    hooks.mkdir(exist_ok=True)
    for child in job.job_ids():
        (hooks / child).touch()
    assert job.result().get_counts() == _aer_counts(_classical())  # still retrievable


def test_cancel_of_a_finished_job_reports_false(qulacs: OqtopusBackend) -> None:
    job = qulacs.run(_classical(), shots=SHOTS)
    job.result()
    assert job.cancel() is False  # the service refuses; logged, not raised


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"shots": 0}, OqtopusInputError, r"shots must be an integer in 1\.\.10,000,000"),
        ({"shots": 10_000_001}, OqtopusInputError, "shots must be"),
        ({"bogus": 1}, OqtopusInputError, r"unknown run option\(s\) \['bogus'\]"),
        ({"transpiler_info": "none"}, OqtopusInputError, "transpiler_info must be a dict"),
        ({"memory": "yes"}, OqtopusInputError, "memory must be True or False"),
    ],
)
def test_bad_run_options_are_rejected_before_submission(
    qulacs: OqtopusBackend, options: dict, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        qulacs.run(_classical(), **options)


def test_set_options_validates(qulacs: OqtopusBackend) -> None:
    with pytest.raises(AttributeError):
        qulacs.set_options(bogus=1)
    with pytest.raises(OqtopusInputError):
        qulacs.set_options(shots=-3)
    assert qulacs.options.shots == 1024


def test_bad_circuits_are_rejected_with_advice(qulacs: OqtopusBackend) -> None:
    unbound = QuantumCircuit(1, 1)
    unbound.rx(Parameter("theta"), 0)
    with pytest.raises(OqtopusCircuitError, match="assign_parameters"):
        qulacs.run(unbound)
    too_wide = QuantumCircuit(17, 1)
    with pytest.raises(OqtopusCircuitError, match="17 qubits but the device has 16"):
        qulacs.run(too_wide)
    dynamic = QuantumCircuit(1, 1)
    with dynamic.if_test((dynamic.clbits[0], 1)):
        dynamic.x(0)
    with pytest.raises(OqtopusCircuitError, match="control flow"):
        qulacs.run(dynamic)
    with pytest.raises(OqtopusInputError, match="QuantumCircuit"):
        qulacs.run(["OPENQASM 3.0;"])
