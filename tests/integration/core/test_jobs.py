"""Job objects over real HTTP: properties, refresh, waiting, timeouts, cancel, retrieval, JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from oqtopus_bridge import (
    BackendError,
    OqtopusEstimationJob,
    OqtopusJobBackendBase,
    OqtopusSamplingJob,
    OqtopusSseBackend,
    OqtopusSseJob,
)
from oqtopus_bridge.errors import JobCancelledError, JobTimeoutError, NotFoundError

from .test_sampling import X0_QASM


@pytest.fixture
def sleeping_program(tmp_path: Path) -> str:
    path = tmp_path / "sleepy.py"
    path.write_text("import time\nprint('started', flush=True)\ntime.sleep(60)\n")
    return str(path)


@pytest.fixture
def running_sse_job(oqtopus_config: Any, sleeping_program: str) -> Any:
    job = OqtopusSseBackend(oqtopus_config).run_sse(sleeping_program, "qulacs", "sleepy")
    yield job
    job.refresh()
    if job.status not in ("succeeded", "failed", "cancelled"):
        job.cancel()


def test_every_documented_property(sampling_backend: Any) -> None:
    job = sampling_backend.sample_qasm(X0_QASM, "qulacs", 7, name="props", description="d")
    assert job.wait_for_completion(wait=0.5) is not None
    assert isinstance(job.job_id, str) and job.job_id
    assert (job.name, job.description, job.job_type) == ("props", "d", "sampling")
    assert (job.status, job.device_id, job.shots) == ("succeeded", "qulacs", 7)
    assert isinstance(job.transpiler_info, dict)
    assert job.simulator_info == {}
    assert job.mitigation_info == {}
    assert isinstance(job.execution_time, float)
    for stamp in (job.submitted_at, job.ready_at, job.running_at, job.ended_at):
        assert isinstance(stamp, dt.datetime)
    assert job.submitted_at <= job.ended_at  # type: ignore[operator]


def test_job_info_is_peer_compatible(sampling_backend: Any) -> None:
    job = sampling_backend.sample_qasm(X0_QASM, "qulacs", 5)
    job.result()
    info = job.job_info
    assert info["input"]["program"] == [X0_QASM]
    assert info["program"] == [X0_QASM]  # legacy alias
    assert info["result"]["sampling"]["counts"] == {"01": 5}
    assert "transpiled_program" in info["transpile_result"]
    assert info["message"] is None
    assert job.job_info is info  # cached


def test_peer_private_job_to_dict_has_status(sampling_backend: Any) -> None:
    job = sampling_backend.sample_qasm(X0_QASM, "qulacs", 5)
    job.result()
    assert job._job.to_dict()["status"] == "succeeded"


def test_to_json_round_trips_without_token(sampling_backend: Any, local_server: Any) -> None:
    job = sampling_backend.sample_qasm(X0_QASM, "qulacs", 5, name="j")
    job.result()
    text = job.to_json()
    data = json.loads(text)
    assert data["job_id"] == job.job_id
    assert data["status"] == "succeeded"
    assert data["name"] == "j"
    assert data["job_info"]["result"]["sampling"]["counts"] == {"01": 5}
    assert dt.datetime.fromisoformat(data["ended_at"]) == job.ended_at
    assert local_server.token not in text
    assert local_server.token not in repr(job)


def test_retrieve_job_dispatches_on_type(sampling_backend: Any, oqtopus_config: Any) -> None:
    from quri_parts.core.operator import pauli_label

    from oqtopus_bridge import OqtopusEstimationBackend

    sampling = sampling_backend.sample_qasm(X0_QASM, "qulacs", 3)
    multi = sampling_backend.sample_qasm([X0_QASM], "qulacs", 3)
    estimation = OqtopusEstimationBackend(oqtopus_config).estimate_qasm(
        X0_QASM, pauli_label("Z0"), "qulacs", 10
    )
    base = OqtopusJobBackendBase(oqtopus_config)
    assert isinstance(base.retrieve_job(sampling.job_id), OqtopusSamplingJob)
    assert isinstance(base.retrieve_job(multi.job_id), OqtopusSamplingJob)
    retrieved = base.retrieve_job(estimation.job_id)
    assert isinstance(retrieved, OqtopusEstimationJob)
    assert retrieved.result().exp_value == pytest.approx(-1.0)
    again = sampling_backend.retrieve_job(sampling.job_id)
    assert again.result().counts == Counter({1: 3})


def test_retrieve_unknown_job_is_not_found(sampling_backend: Any) -> None:
    with pytest.raises(NotFoundError) as info:
        sampling_backend.retrieve_job("00000000-0000-0000-0000-000000000000")
    assert isinstance(info.value, BackendError)
    assert info.value.status_code == 404


def test_wait_for_completion_timeout_returns_none(running_sse_job: Any) -> None:
    assert running_sse_job.wait_for_completion(timeout=0.3, wait=0.1) is None
    assert running_sse_job.status in ("submitted", "ready", "running")


def test_result_timeout_raises_documented_message(running_sse_job: Any) -> None:
    with pytest.raises(JobTimeoutError, match=r"^Timeout occurred after 0.3 seconds\.$") as info:
        running_sse_job.result(timeout=0.3, wait=0.1)
    assert isinstance(info.value, BackendError)
    assert isinstance(info.value, TimeoutError)
    assert info.value.job_id == running_sse_job.job_id


def test_cancel_then_result_raises_cancelled(running_sse_job: Any) -> None:
    running_sse_job.cancel()
    assert running_sse_job.status in ("cancelling", "cancelled")
    with pytest.raises(JobCancelledError):
        running_sse_job.result(timeout=30, wait=0.2)
    assert running_sse_job.status == "cancelled"


def test_cancel_finished_job_is_backend_error(sampling_backend: Any) -> None:
    job = sampling_backend.sample_qasm(X0_QASM, "qulacs", 3)
    job.result()
    with pytest.raises(BackendError):
        job.cancel()


def test_constructor_rejects_none(sampling_backend: Any) -> None:
    with pytest.raises(ValueError, match="job"):
        OqtopusSamplingJob(None, sampling_backend.api)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="job_api"):
        OqtopusSamplingJob({"job_id": "x"}, None)  # type: ignore[arg-type]


def test_wait_all_waits_for_every_job(sampling_backend: Any) -> None:
    from oqtopus_bridge.jobs import wait_all

    jobs = [sampling_backend.sample_qasm(X0_QASM, "qulacs", 2) for _ in range(3)]
    wait_all(jobs, timeout=60)
    assert all(job.status == "succeeded" for job in jobs)
    assert [job.result().counts for job in jobs] == [Counter({1: 2})] * 3


def test_wait_all_timeout(running_sse_job: Any) -> None:
    from oqtopus_bridge.jobs import wait_all

    with pytest.raises(JobTimeoutError, match="Timeout occurred after 0.2 seconds."):
        wait_all([running_sse_job], timeout=0.2)


def test_sse_job_retrieved_is_sse(running_sse_job: Any, oqtopus_config: Any) -> None:
    job = OqtopusJobBackendBase(oqtopus_config).retrieve_job(running_sse_job.job_id)
    assert isinstance(job, OqtopusSseJob)
    assert job.job_type == "sse"
