"""Job listing and deletion (beyond the documented API) against the local server."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from oqtopus_bridge import OqtopusJobBackendBase, OqtopusSamplingBackend
from oqtopus_bridge.errors import BadRequestError, NotFoundError

from .conftest import RequestCounter

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


# -- paging, time windows, device filter and iteration (issue 15) ----------------------------------


@pytest.fixture
def paging_user(local_server: Any, request: pytest.FixtureRequest) -> Any:
    """A user of its own per test, so that only the test's jobs are listed."""
    from oqtopus_bridge import OqtopusConfig

    return OqtopusConfig(local_server.url, local_server.add_user(f"pager-{request.node.name}"))


@pytest.fixture
def five_jobs(paging_user: Any) -> list[Any]:
    """Five jobs, oldest first: three on qulacs, two on anemone (submitted, not awaited)."""
    sampler = OqtopusSamplingBackend(paging_user)
    devices = ["qulacs", "anemone", "qulacs", "anemone", "qulacs"]
    return [
        sampler.sample_qasm(PROGRAM, device, 5, name=f"paged-{i}")
        for i, device in enumerate(devices)
    ]


def _ids(jobs: list[dict[str, Any]]) -> list[str]:
    return [str(job["job_id"]) for job in jobs]


def test_list_jobs_pages_partition_the_list(paging_user: Any, five_jobs: list[Any]) -> None:
    backend = OqtopusJobBackendBase(paging_user)
    newest = [job.job_id for job in reversed(five_jobs)]
    pages = [_ids(backend.list_jobs(page=page, size=2)) for page in (1, 2, 3, 4)]
    assert pages == [newest[0:2], newest[2:4], newest[4:], []]
    oldest = _ids(backend.list_jobs(page=2, size=2, newest_first=False))
    assert oldest == [five_jobs[2].job_id, five_jobs[3].job_id]
    assert _ids(backend.list_jobs(limit=3)) == newest[:3]  # limit: the page size's older name
    with pytest.raises(ValueError, match="same setting"):
        backend.list_jobs(limit=3, size=4)
    with pytest.raises(ValueError, match="page must be an integer from 1"):
        backend.list_jobs(page=0)


def test_iter_jobs_goes_through_every_page_once(paging_user: Any, five_jobs: list[Any]) -> None:
    backend = OqtopusJobBackendBase(paging_user)
    counter = RequestCounter(backend)
    every = _ids(list(backend.iter_jobs(page_size=2)))
    assert every == [job.job_id for job in reversed(five_jobs)]
    assert (
        len([url for url in counter.urls if "/jobs?" in url]) == 3
    )  # 2 + 2 + 1: a short page ends
    fields = list(backend.iter_jobs(page_size=2, fields=["name"], newest_first=False))
    assert fields == [
        {"name": f"paged-{i}"} for i in range(5)
    ]  # job_id was only for de-duplication
    assert list(backend.iter_jobs(query="no-such-job")) == []
    with pytest.raises(ValueError, match="page_size"):
        backend.iter_jobs(page_size=0)


def test_time_window_uses_submission_times(paging_user: Any, five_jobs: list[Any]) -> None:
    backend = OqtopusJobBackendBase(paging_user)
    times = {str(j["job_id"]): str(j["submitted_at"]) for j in backend.list_jobs(size=10)}
    middle = times[five_jobs[2].job_id]  # as the server recorded it: no clock of ours involved
    after = {job_id for job_id, at in times.items() if at >= middle}
    before = {job_id for job_id, at in times.items() if at <= middle}
    assert set(_ids(backend.list_jobs(size=10, start_time=middle))) == after
    assert set(_ids(backend.list_jobs(size=10, end_time=middle))) == before
    assert _ids(backend.list_jobs(size=10, start_time=middle, end_time=middle)) == [
        five_jobs[2].job_id
    ]
    as_datetime = dt.datetime.fromisoformat(middle.replace("Z", "+00:00"))
    local = as_datetime.astimezone().replace(tzinfo=None)  # a naive time is local time
    assert set(_ids(backend.list_jobs(size=10, start_time=local))) == after
    assert set(_ids(list(backend.iter_jobs(page_size=1, end_time=as_datetime)))) == before
    with pytest.raises(ValueError, match="ISO 8601"):
        backend.list_jobs(start_time="yesterday")
    with pytest.raises(ValueError, match="after end_time"):
        backend.list_jobs(start_time="2026-12-02", end_time="2026-12-01")


def test_device_filter_applies_to_the_whole_list(paging_user: Any, five_jobs: list[Any]) -> None:
    backend = OqtopusJobBackendBase(paging_user)
    anemone = [five_jobs[3].job_id, five_jobs[1].job_id]
    assert _ids(backend.list_jobs(device_id="anemone")) == anemone
    # Pages count matching jobs, although the service cannot filter by device.
    assert _ids(backend.list_jobs(device_id="anemone", size=1, page=2)) == anemone[1:]
    assert backend.list_jobs(device_id="anemone", size=1, page=3) == []
    assert _ids(list(backend.iter_jobs(device_id="qulacs", page_size=1))) == [
        five_jobs[4].job_id,
        five_jobs[2].job_id,
        five_jobs[0].job_id,
    ]
    shaped = backend.list_jobs(device_id="anemone", fields=["job_id", "name"])
    assert shaped == [
        {"job_id": anemone[0], "name": "paged-3"},
        {"job_id": anemone[1], "name": "paged-1"},
    ]
    assert _ids(backend.list_jobs(device_id="qulacs", query="paged-2")) == [five_jobs[2].job_id]
    assert backend.list_jobs(device_id="anemone", query="paged-2") == []
    with pytest.raises(ValueError, match="status must be one of"):
        backend.list_jobs(status="done")


def test_iteration_stops_when_a_server_repeats_its_last_page() -> None:
    # The spec says a page past the end "returns the last page"; the local server returns [].
    from oqtopus_bridge import OqtopusConfig

    from .stub import Reply, Request, StubServer

    jobs = [{"job_id": f"j{i}", "status": "succeeded"} for i in range(4)]

    def handler(request: Request) -> Reply:
        query = dict(part.split("=", 1) for part in request.path.split("?", 1)[1].split("&"))
        page, size = int(query["page"]), int(query["size"])
        last = (len(jobs) - 1) // size + 1
        start = (min(page, last) - 1) * size
        return Reply(body=jobs[start : start + size])

    with StubServer(handler) as stub:
        backend = OqtopusJobBackendBase(OqtopusConfig(stub.url, "token"))
        assert _ids(list(backend.iter_jobs(page_size=2))) == ["j0", "j1", "j2", "j3"]
        pages = [int(p.split("page=")[1].split("&")[0]) for p in stub.paths("GET")]
        assert pages == [1, 2, 3]
