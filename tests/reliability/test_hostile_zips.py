"""Hostile ``input.zip`` files against the real server (issue 21, items 6 and 7).

Each malformed zip (encrypted, an unknown method, corrupt deflate, deeply nested JSON, NaN, empty,
not a zip) fails its own job with a message naming the problem, and the engine worker that read it
lives on (same pid), so the next user's job is not delayed by a worker restart. A zip bomb is
refused after at most the configured cap, in the worker and in the web view's job page (peak
memory measured, with generous bounds). The job page degrades with a notice, never a 500.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hostile_zips import MALFORMED, bomb, lying_bomb
from raw_client import RawClient

from oqtopus_bridge.local import LocalServer

#: Peak-memory growth allowed while refusing a 600 MiB zip bomb (the old code grew by > 1 GiB).
GROWTH_CEILING_MIB = 200
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Cache-Control")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    data_dir = tmp_path_factory.mktemp("hostile-zips")
    # The default cap (256 MiB), so the test runs unchanged on a server without the setting.
    with LocalServer(data_dir, workers=1) as running:
        yield running


def _worker_pids(server: LocalServer, timeout: float = 120) -> list[int]:
    engine = server._context.engine  # type: ignore[union-attr]
    deadline = time.monotonic() + timeout
    while not engine.worker_pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    return list(engine.worker_pids())


def _peak_mib(pid: int | str = "self") -> float:
    """The peak resident memory (VmHWM) of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc")


def _submit_zip(client: RawClient, data: bytes, name: str) -> str:
    registered = client.register()
    client.upload(registered["presigned_url"], data).raise_for_status()
    body = {"name": name, "device_id": "qulacs", "job_type": "sampling", "shots": 10}
    client.call("POST", f"/jobs/{registered['job_id']}/submit", json=body).raise_for_status()
    return str(registered["job_id"])


def _web(server: LocalServer) -> requests.Session:
    """A browser session of the web view, logged in with the API token form."""
    session = requests.Session()
    response = session.post(f"{server.url}/ui/login", data={"token": server.token}, timeout=30)
    assert response.status_code == 200 and "/ui/jobs" in response.url, response.text[:300]
    return session


@pytest.fixture(scope="module")
def malformed_jobs(server: LocalServer) -> dict[str, dict[str, Any]]:
    """Every malformed zip's job, finished, with the worker pids before and after."""
    client = RawClient(server.url, server.token)
    before = _worker_pids(server)
    ids = {name: _submit_zip(client, data, name) for name, (data, _) in MALFORMED.items()}
    statuses = client.wait(list(ids.values()), 120)
    jobs = {
        name: {**client.job(job_id), "status_seen": statuses[job_id]}
        for name, job_id in ids.items()
    }
    return {"jobs": jobs, "before": before, "client": client}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_input_zip_fails_its_job_with_a_clear_message(
    malformed_jobs: dict[str, Any], name: str
) -> None:
    job = malformed_jobs["jobs"][name]
    message = job["job_info"].get("message", "")
    assert job["status"] == "failed", job
    assert MALFORMED[name][1] in message, message
    assert "memory" not in message and "worker" not in message, message


def test_malformed_zips_leave_the_worker_alive_for_the_next_job(
    server: LocalServer, malformed_jobs: dict[str, Any]
) -> None:
    client: RawClient = malformed_jobs["client"]
    good = client.submit(shots=20)
    assert client.wait([good], 120)[good] == "succeeded"
    assert _worker_pids(server) == malformed_jobs["before"], "a malformed zip replaced the worker"


@pytest.mark.parametrize("make", [bomb, lying_bomb], ids=["bomb", "lying-bomb"])
def test_a_zip_bomb_fails_its_job_within_the_cap(server: LocalServer, make: Any) -> None:
    client = RawClient(server.url, server.token)
    (pid,) = _worker_pids(server)
    before = _peak_mib(pid)
    job_id = _submit_zip(client, make(), make.__name__)
    assert client.wait([job_id], 120)[job_id] == "failed"
    message = client.job(job_id)["job_info"]["message"]
    assert "limit" in message or "CRC" in message, message
    assert _peak_mib(pid) - before < GROWTH_CEILING_MIB
    assert _worker_pids(server) == [pid]


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_the_job_page_of_a_malformed_input_degrades_with_a_notice(
    server: LocalServer, malformed_jobs: dict[str, Any], name: str
) -> None:
    job_id = malformed_jobs["jobs"][name]["job_id"]
    response = _web(server).get(f"{server.url}/ui/jobs/{job_id}", timeout=30)
    assert response.status_code == 200, response.text[:500]
    assert all(header in response.headers for header in SECURITY_HEADERS)
    assert job_id in response.text and "input.zip is not shown" in response.text


def test_the_job_page_of_a_zip_bomb_stays_within_bounded_memory(server: LocalServer) -> None:
    client = RawClient(server.url, server.token)
    job_id = _submit_zip(client, bomb(), "bomb-page")
    client.wait([job_id], 120)
    web = _web(server)
    before = _peak_mib()
    response = web.get(f"{server.url}/ui/jobs/{job_id}", timeout=60)
    assert _peak_mib() - before < GROWTH_CEILING_MIB
    assert response.status_code == 200
    assert "input.zip is not shown" in response.text and "limit" in response.text
