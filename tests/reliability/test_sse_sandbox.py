"""The SSE sandbox of the local server: what a user program can and cannot reach.

What the server guarantees (asserted): a scrubbed environment without the server's paths or the
user's real token, a job-scoped token that sees no other user's jobs and dies with the job, a
wall-clock limit and an address-space limit, and no access to the server's data directory
(database, signing key, token file), which does not exist in the program's own root. The attacks
of a hostile program are in ``test_sse_hostile.py``.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from raw_client import RawClient

from oqtopus_bridge.local import LocalServer

TIME_LIMIT_S = 4.0
GENEROUS_TIME_LIMIT_S = 300.0
MEMORY_LIMIT = 768 * 1024 * 1024

PROBE = """
import json, os, urllib.request, urllib.error
def get(path):
    req = urllib.request.Request(os.environ["OQTOPUS_URL"] + path,
                                 headers={"q-api-token": os.environ["OQTOPUS_API_TOKEN"]})
    try:
        with urllib.request.urlopen(req, timeout=10) as answer:
            return [answer.status, answer.read().decode()[:4000]]
    except urllib.error.HTTPError as exc:
        return [exc.code, ""]
files = {}
for path in PATHS:
    try:
        with open(path, "rb") as handle:
            files[path] = "read %d bytes" % len(handle.read())
    except OSError as exc:
        files[path] = "refused: " + type(exc).__name__
probe = {"env": dict(os.environ), "other": get("/jobs/OTHER"), "own": get("/jobs"), "files": files}
print("PROBE" + json.dumps(probe))
"""


@pytest.fixture(scope="module")
def sse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    # A generous time limit: on a loaded machine a program's start-up alone can take seconds, and
    # only the time-limit test below is about that limit (it has its own server).
    with LocalServer(
        data_dir=tmp_path_factory.mktemp("sse-server"),
        sse_timeout_s=GENEROUS_TIME_LIMIT_S,
        sse_memory_bytes=MEMORY_LIMIT,
    ) as server:
        yield server


def _run(server: LocalServer, source: str, timeout: float = 60) -> tuple[dict[str, Any], str]:
    client = RawClient(server.url, server.token)
    job_id = client.submit(job_type="sse", payload={"sse_program": source}, name="sse-probe")
    client.wait([job_id], timeout)
    job = client.job(job_id)
    url = job["job_info"].get("sse_log")
    log = ""
    if url:
        with zipfile.ZipFile(io.BytesIO(requests.get(url, timeout=10).content)) as archive:
            log = archive.read(archive.namelist()[0]).decode(errors="replace")
    return job, log


@pytest.fixture(scope="module")
def probe(sse_server: LocalServer) -> dict[str, Any]:
    """Run the probe program once, aimed at another user's job and the server's files."""
    other = RawClient(sse_server.url, sse_server.add_user("someone-else"))
    other_job = other.submit(shots=5, name="not-yours")
    data_dir = Path(sse_server.data_dir)
    paths = [str(data_dir / name) for name in ("signing.key", "api_token", "oqtopus.sqlite3")]
    source = PROBE.replace("OTHER", other_job).replace("PATHS", repr(paths))
    job, log = _run(sse_server, source)
    assert job["status"] == "succeeded", job
    line = next(line for line in log.splitlines() if line.startswith("PROBE"))
    return {"data": json.loads(line[5:]), "paths": paths, "server": sse_server}


def test_the_environment_is_scrubbed(probe: dict[str, Any]) -> None:
    env = probe["data"]["env"]
    server = probe["server"]
    assert set(env) <= {
        "PATH",
        "HOME",
        "OQTOPUS_URL",
        "OQTOPUS_API_TOKEN",
        "PYTHONPATH",
        "PWD",
        "LC_CTYPE",
    }, sorted(env)
    assert env["OQTOPUS_API_TOKEN"] != server.token
    assert not any(str(server.data_dir) in value for value in env.values())


def test_the_job_token_sees_no_other_users_job(probe: dict[str, Any]) -> None:
    status, _ = probe["data"]["other"]
    assert status == 404
    status, body = probe["data"]["own"]
    assert status == 200 and "not-yours" not in body


def test_the_job_token_dies_with_the_job(probe: dict[str, Any]) -> None:
    token = probe["data"]["env"]["OQTOPUS_API_TOKEN"]
    response = requests.get(
        f"{probe['server'].url}/jobs", headers={"q-api-token": token}, timeout=10
    )
    assert response.status_code == 401


def test_the_program_cannot_read_the_servers_data_directory(probe: dict[str, Any]) -> None:
    files = probe["data"]["files"]
    assert all(result.startswith("refused") for result in files.values()), files


def test_the_program_is_killed_at_its_time_limit(tmp_path: Path) -> None:
    # The program never ends, so whatever the machine's load it can only stop at the limit; the
    # message says which limit stopped it (no wall-clock assertion).
    with LocalServer(data_dir=tmp_path, sse_timeout_s=TIME_LIMIT_S) as server:
        job, _ = _run(server, "while True:\n    pass\n")
    assert job["status"] == "failed"
    assert "time limit" in job["job_info"]["message"]


def test_the_program_is_stopped_at_its_memory_limit(sse_server: LocalServer) -> None:
    source = "chunks = []\nfor _ in range(64):\n    chunks.append(bytearray(64 * 1024 * 1024))\n"
    job, log = _run(sse_server, source)
    assert job["status"] == "failed"
    assert "MemoryError" in job["job_info"]["message"] + log
