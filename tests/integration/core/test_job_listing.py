"""Job listing and deletion (beyond the documented API) against the local server."""

from __future__ import annotations

from typing import Any

import pytest

from oqtopus_bridge import OqtopusJobBackendBase, OqtopusSamplingBackend
from oqtopus_bridge.errors import BadRequestError, NotFoundError

PROGRAM = 'OPENQASM 3; include "stdgates.inc"; qubit[1] q; bit[1] c; x q[0]; c[0] = measure q[0];'


@pytest.fixture
def fresh_user(local_server: Any) -> Any:
    from oqtopus_bridge import OqtopusConfig

    return OqtopusConfig(local_server.url, local_server.add_user("lister"))


def test_list_jobs_filters_orders_and_limits(fresh_user: Any) -> None:
    sampler = OqtopusSamplingBackend(fresh_user)
    jobs = [sampler.sample_qasm(PROGRAM, "qulacs", 5, name=f"listed-{i}") for i in range(3)]
    for job in jobs:
        job.result(timeout=60, wait=0.5)
    backend = OqtopusJobBackendBase(fresh_user)

    newest = backend.list_jobs(limit=2)
    assert [job["job_id"] for job in newest] == [jobs[2].job_id, jobs[1].job_id]
    oldest = backend.list_jobs(limit=10, newest_first=False, fields=["job_id", "status"])
    assert [job["job_id"] for job in oldest] == [job.job_id for job in jobs]
    assert all(set(job) <= {"job_id", "status"} for job in oldest)
    assert [j["name"] for j in backend.list_jobs(query="listed-1")] == ["listed-1"]
    assert backend.list_jobs(status="cancelled") == []
    with pytest.raises(ValueError, match="limit"):
        backend.list_jobs(limit=0)


def test_delete_job_removes_only_finished_jobs(fresh_user: Any) -> None:
    sampler = OqtopusSamplingBackend(fresh_user)
    job = sampler.sample_qasm(PROGRAM, "qulacs", 5)
    job.result(timeout=60, wait=0.5)
    backend = OqtopusJobBackendBase(fresh_user)
    backend.delete_job(job.job_id)
    with pytest.raises(NotFoundError):
        backend.retrieve_job(job.job_id)
    with pytest.raises(NotFoundError):
        backend.delete_job(job.job_id)


def test_deleting_an_unfinished_job_is_refused(fresh_user: Any) -> None:
    # A registered-only job (never submitted) cannot be deleted; cancelling it makes it deletable.
    from oqtopus_bridge.api import OqtopusApi

    api = OqtopusApi(fresh_user)
    job_id = str(api.transport.request("POST", "/jobs")["job_id"])
    backend = OqtopusJobBackendBase(fresh_user)
    with pytest.raises(BadRequestError):
        backend.delete_job(job_id)
    api.cancel_job(job_id)
    backend.delete_job(job_id)


def test_a_registered_but_never_submitted_job_can_be_retrieved_and_cancelled(
    fresh_user: Any,
) -> None:
    from oqtopus_bridge.api import OqtopusApi
    from oqtopus_bridge.jobs import OqtopusJobBase

    job_id = str(OqtopusApi(fresh_user).transport.request("POST", "/jobs")["job_id"])
    job = OqtopusJobBackendBase(fresh_user).retrieve_job(job_id)
    assert type(job) is OqtopusJobBase
    assert job.status == "registered"
    job.cancel()
    assert job.status == "cancelled"
