"""Waiting with held requests (RFC 7240 ``Prefer: wait``, issue 23), on the real local server.

The local server holds ``GET /jobs/{id}`` (and ``/status``) until the job ends, so a client waits
for a small job with one request and no poll interval. OQTOPUS Cloud ignores the preference; the
client then polls as before (``test_faults.py`` drives that against a stub server).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import requests

from oqtopus_bridge import OqtopusSamplingBackend
from oqtopus_bridge.jobs import wait_all
from oqtopus_bridge.polling import PollPolicy

from .conftest import RequestCounter

HOLD = "test-hook:hold"
BELL = "\n".join(
    ["OPENQASM 3;", 'include "stdgates.inc";', "qubit[2] q;", "bit[2] c;", "h q[0];"]
    + ["cx q[0], q[1];", "c = measure q;"]
)


def _never_sleep(seconds: float) -> None:
    raise AssertionError(f"the client slept {seconds} s: the server should have held the request")


NO_SLEEP = PollPolicy(sleep=_never_sleep)


def _release(server: Any, job_id: str) -> None:
    hooks = Path(server.data_dir) / "test-hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / job_id).touch()


def _held_get(server: Any, path: str, wait: str) -> requests.Response:
    return requests.get(
        f"{server.url}{path}",
        headers={"q-api-token": server.token, "Prefer": f"wait={wait}"},
        timeout=120,
    )


def _await_waiter(server: Any, job_id: str) -> None:
    """Return once a request for ``job_id`` is held by the server (a condition, not a delay)."""
    watch = server._context.watch  # the running server's JobWatch (see local/watch.py)
    ready = threading.Event()
    for _ in range(60_000):
        with watch._lock:
            if job_id in watch._waiters:
                return
        ready.wait(0.001)
    raise AssertionError(f"no request for {job_id} was ever held")


def test_a_small_job_is_waited_for_by_one_held_request_without_sleeping(
    sampling_backend: OqtopusSamplingBackend,
) -> None:
    counter = RequestCounter(sampling_backend)
    job = sampling_backend.sample_qasm(BELL, "qulacs", 100)
    job.poll_policy = NO_SLEEP
    counts = job.result().counts
    assert sum(counts.values()) == 100
    assert not [url for url in counter.urls if url.endswith("/status")]
    methods = [url.split(" ", 1)[0] for url in counter.urls]
    # register, upload, submit; then GET /jobs/{id} (held until the job ended) and the result
    assert methods[:3] == ["POST", "POST", "POST"]
    assert f"/jobs/{job.job_id}" in counter.urls[3]
    assert sampling_backend.api.holds("job") is True


def test_a_held_get_answers_when_the_job_ends(local_server: Any) -> None:
    backend = OqtopusSamplingBackend(local_server.config)
    job = backend.sample_qasm(BELL, "qulacs", 10, name=HOLD)
    answer: dict[str, requests.Response] = {}
    thread = threading.Thread(
        target=lambda: answer.update(r=_held_get(local_server, f"/jobs/{job.job_id}", "10"))
    )
    thread.start()
    try:
        _await_waiter(local_server, job.job_id)
    finally:
        _release(local_server, job.job_id)
        thread.join()
    response = answer["r"]
    assert response.status_code == 200
    assert response.json()["status"] == "succeeded"
    assert response.json()["job_info"]["result"]  # the whole job: the result's download URL
    assert response.headers["Preference-Applied"] == "wait=10"
    assert response.headers["Vary"] == "Prefer"


def test_a_held_status_request_that_runs_out_answers_the_current_status(
    local_server: Any,
) -> None:
    backend = OqtopusSamplingBackend(local_server.config)
    job = backend.sample_qasm(BELL, "qulacs", 10, name=HOLD)
    try:
        response = _held_get(local_server, f"/jobs/{job.job_id}/status", "0.05")
    finally:
        _release(local_server, job.job_id)
    assert response.status_code == 200
    assert response.json()["status"] in ("submitted", "ready", "running")
    assert response.headers["Preference-Applied"] == "wait=0.05"
    job.result()


def test_a_held_request_for_someone_elses_job_is_refused_at_once(local_server: Any) -> None:
    response = _held_get(local_server, "/jobs/no-such-job", "10")
    assert response.status_code == 404
    assert "Preference-Applied" not in response.headers


def test_wait_all_waits_with_held_requests_only(sampling_backend: OqtopusSamplingBackend) -> None:
    counter = RequestCounter(sampling_backend)
    jobs = [sampling_backend.sample_qasm(BELL, "qulacs", 20) for _ in range(6)]
    for job in jobs:
        job.poll_policy = NO_SLEEP
    wait_all(jobs)
    assert all(job.status == "succeeded" for job in jobs)
    assert not [url for url in counter.urls if url.endswith("/status")]
    assert all(sum(job.result().counts.values()) == 20 for job in jobs)


def test_a_legacy_server_holds_the_status_request(legacy_server: Any) -> None:
    backend = OqtopusSamplingBackend(legacy_server.config)
    backend.sample_qasm(BELL, "qulacs", 10).result()  # its first wait request is GET /jobs/{id}
    assert backend.api.holds("job") is False  # the legacy job route is FastAPI's: not held
    job = backend.sample_qasm(BELL, "qulacs", 10)
    job.poll_policy = NO_SLEEP  # now only the status is asked, and held: no sleep
    assert sum(job.result().counts.values()) == 10
    assert backend.api.holds("status") is True
