"""Sampling over real HTTP against LocalServer: signatures, defaults, errors, bits."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest
from quri_parts.circuit import QuantumCircuit

from oqtopus_bridge import (
    BackendError,
    OqtopusSamplingBackend,
    OqtopusSamplingJob,
    OqtopusSamplingResult,
)
from oqtopus_bridge.errors import BadRequestError, JobFailedError

from .conftest import RequestCounter

X0_QASM = 'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\nx q[0];\nc = measure q;'


def test_sample_bell_counts_are_correlated(sampling_backend: Any, bell: QuantumCircuit) -> None:
    job = sampling_backend.sample(bell, device_id="qulacs", shots=400)
    assert isinstance(job, OqtopusSamplingJob)
    assert job.job_type == "sampling"
    result = job.result(wait=1.0)
    assert isinstance(result, OqtopusSamplingResult)
    assert set(result.counts) <= {0, 3}
    assert sum(result.counts.values()) == 400
    # Binomial(400, 0.5): 5 sigma is 50 counts either side.
    assert abs(result.counts[0] - 200) < 50
    assert result.bit_width == 2
    assert job.status == "succeeded"


def test_sample_bit_order_asymmetric(sampling_backend: Any) -> None:
    circuit = QuantumCircuit(3)
    circuit.add_X_gate(0)
    circuit.add_X_gate(1)
    result = sampling_backend.sample(circuit, "qulacs", 20).result()
    assert result.counts == Counter({0b011: 20})
    assert result.raw_counts == {"011": 20}


def test_sample_qasm_positional_and_result_cached(sampling_backend: Any) -> None:
    job = sampling_backend.sample_qasm(X0_QASM, "qulacs", 10, "name1", "desc1")
    first = job.result()
    assert first is job.result()
    assert first.counts == Counter({1: 10})
    assert job.name == "name1"
    assert job.description == "desc1"
    assert job.shots == 10
    assert job.device_id == "qulacs"


def test_multi_manual_divided_counts(sampling_backend: Any) -> None:
    a = QuantumCircuit(2)
    a.add_X_gate(0)
    b = QuantumCircuit(1)
    b.add_X_gate(0)
    job = sampling_backend.sample([a, b], "qulacs", 30)
    assert job.job_type == "multi_manual"
    result = job.result()
    assert result.counts == Counter({0b101: 30})  # program 0 in the rightmost bits
    assert result.divided_counts == {0: Counter({1: 30}), 1: Counter({1: 30})}


def test_single_element_list_is_multi_manual(sampling_backend: Any) -> None:
    job = sampling_backend.sample_qasm([X0_QASM], "qulacs", 5)
    assert job.job_type == "multi_manual"
    assert job.result().divided_counts == {0: Counter({1: 5})}


def test_plain_sampling_has_no_divided_counts(sampling_backend: Any) -> None:
    assert sampling_backend.sample_qasm(X0_QASM, "qulacs", 5).result().divided_counts is None


def test_job_type_can_be_forced(sampling_backend: Any) -> None:
    job = sampling_backend.sample_qasm([X0_QASM], "qulacs", 5, job_type="sampling")
    assert job.job_type == "sampling"
    assert job.result().counts == Counter({1: 5})


def test_infos_are_sent_and_reported(sampling_backend: Any) -> None:
    transpiler_info = {"transpiler_lib": "qiskit", "transpiler_options": {"optimization_level": 2}}
    mitigation_info = {"ro_error_mitigation": "pseudo_inverse"}
    job = sampling_backend.sample_qasm(
        X0_QASM,
        "qulacs",
        10,
        transpiler_info=transpiler_info,
        mitigation_info=mitigation_info,
        simulator_info={"seed_simulation": 1},
    )
    job.result()
    job.refresh()
    assert job.transpiler_info["transpiler_lib"] == "qiskit"
    assert job.mitigation_info == mitigation_info
    assert job.simulator_info == {"seed_simulation": 1}


@pytest.mark.parametrize("shots", [0, -1, 10_000_001, 1.5, True])
def test_bad_shots_raise_value_error_before_any_request(sampling_backend: Any, shots: Any) -> None:
    counter = RequestCounter(sampling_backend)
    with pytest.raises(ValueError, match="shots should be a positive integer"):
        sampling_backend.sample_qasm(X0_QASM, "qulacs", shots)
    assert len(counter) == 0


def test_empty_program_list_is_value_error(sampling_backend: Any) -> None:
    with pytest.raises(ValueError, match="empty"):
        sampling_backend.sample_qasm([], "qulacs", 10)
    with pytest.raises(ValueError, match="empty"):
        sampling_backend.sample([], "qulacs", 10)


def test_parametric_circuit_is_value_error(sampling_backend: Any) -> None:
    from quri_parts.circuit import UnboundParametricQuantumCircuit

    circuit = UnboundParametricQuantumCircuit(1)
    circuit.add_ParametricRX_gate(0)
    with pytest.raises(ValueError, match="Parametric"):
        sampling_backend.sample(circuit, "qulacs", 10)


def test_circuit_wider_than_device_fails_with_server_message(sampling_backend: Any) -> None:
    circuit = QuantumCircuit(20)
    job = sampling_backend.sample(circuit, "qulacs", 10)
    with pytest.raises(JobFailedError) as info:
        job.result()
    assert info.value.server_message
    assert info.value.job_id == job.job_id
    assert isinstance(info.value, BackendError)


def test_invalid_program_fails_with_message(sampling_backend: Any) -> None:
    job = sampling_backend.sample_qasm("OPENQASM 3; garbage", "qulacs", 10)
    with pytest.raises(JobFailedError, match="failed"):
        job.result()
    assert job.status == "failed"
    assert job.job_info["message"]


def test_unavailable_device_refused_and_no_orphan_left(
    sampling_backend: Any, local_server: Any
) -> None:
    with pytest.raises(BadRequestError, match="not available"):
        sampling_backend.sample_qasm(X0_QASM, "kawasaki", 10)
    registered = sampling_backend.api.transport.request(
        "GET", "/jobs", params={"status": "registered", "size": 100}
    )
    assert registered == []


def test_unknown_device_is_backend_error(sampling_backend: Any) -> None:
    with pytest.raises(BackendError):
        sampling_backend.sample_qasm(X0_QASM, "no-such-device", 10)


def test_trivial_job_needs_under_ten_requests(sampling_backend: Any) -> None:
    counter = RequestCounter(sampling_backend)
    result = sampling_backend.sample_qasm(X0_QASM, "qulacs", 10).result()
    assert result.counts == Counter({1: 10})
    assert len(counter) < 10, counter.urls


def test_results_match_ideal_probabilities(sampling_backend: Any) -> None:
    circuit = QuantumCircuit(1)
    circuit.add_RY_gate(0, 2 * math.asin(math.sqrt(0.25)))  # P(1) = 0.25
    counts = sampling_backend.sample(circuit, "qulacs", 2000).result().counts
    # Binomial(2000, 0.25): sigma ~ 19.4; 5 sigma bound.
    assert abs(counts[1] - 500) < 97


def test_backend_is_usable_from_threads(sampling_backend: Any) -> None:
    from oqtopus_bridge.concurrency import run_concurrently

    jobs = run_concurrently(
        [lambda: sampling_backend.sample_qasm(X0_QASM, "qulacs", 3) for _ in range(6)]
    )
    assert len({job.job_id for job in jobs}) == 6
    assert all(job.result().counts == Counter({1: 3}) for job in jobs)


def test_config_none_reads_environment(local_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OQTOPUS_URL", local_server.url)
    monkeypatch.setenv("OQTOPUS_API_TOKEN", local_server.token)
    backend = OqtopusSamplingBackend()
    assert backend.sample_qasm(X0_QASM, "qulacs", 2).result().counts == Counter({1: 2})


def test_config_none_reads_default_file(local_server: Any, tmp_path: Any) -> None:
    import os
    from pathlib import Path

    Path(os.environ["HOME"], ".oqtopus").write_text(
        f"[default]\nurl={local_server.url}\napi_token={local_server.token}\n"
    )
    backend = OqtopusSamplingBackend()
    assert backend.config.url == local_server.url
    assert backend.sample_qasm(X0_QASM, "qulacs", 2).result().counts == Counter({1: 2})
