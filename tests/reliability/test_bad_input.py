"""Bad input to the client: malformed JSON, wrong content types and shapes, huge bodies, zip bombs.

A stub server plays a finished job whose answers are broken in one way per test (the real server
never sends these). Each must end in a clear ``BackendError``; for the huge ones the client runs in
a child process whose peak memory is measured, so "bounded memory" is checked, not assumed.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from figures import Report, size
from stub_http import Reply, StubServer

from oqtopus_bridge import BackendError, OqtopusConfig, OqtopusJobBackendBase

JOB_ID = "01a20b00-0000-7000-8000-000000000001"
MIB = 1024 * 1024
# Peak-memory growth allowed while refusing a huge body or a zip bomb (a sanity ceiling; the real
# criterion is that growth does not follow the body's size).
MEMORY_CEILING_MIB = 512


def _json(value: Any) -> Reply:
    return Reply(200, json.dumps(value).encode())


def _job(stub: StubServer) -> dict[str, Any]:
    return {
        "job_id": JOB_ID,
        "name": "stub",
        "job_type": "sampling",
        "status": "succeeded",
        "device_id": "qulacs",
        "shots": 10,
        "submitted_at": "2025-01-01T00:00:00Z",
        "job_info": {"input": f"{stub.url}/obj/input.zip", "result": f"{stub.url}/obj/result.zip"},
    }


def _zip(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


GOOD_RESULT = _zip("result.json", json.dumps({"sampling": {"counts": {"00": 6, "11": 4}}}).encode())


@pytest.fixture
def stub() -> Iterator[StubServer]:
    routes: dict[str, Callable[[str, str, bytes], Reply]] = {}
    with StubServer(routes) as server:
        routes["GET /jobs/*/status"] = lambda m, p, b: _json(
            {"job_id": JOB_ID, "status": "succeeded"}
        )
        routes["GET /jobs/*"] = lambda m, p, b: _json(_job(server))
        routes["GET /obj/result.zip"] = lambda m, p, b: Reply(200, GOOD_RESULT, {})
        yield server


def _result(stub: StubServer) -> Any:
    config = OqtopusConfig(stub.url, "stub-token", protocol="storage", read_timeout=10.0)
    return OqtopusJobBackendBase(config).retrieve_job(JOB_ID).result(timeout=30, wait=0.1)


def test_the_stub_plays_a_good_job(stub: StubServer) -> None:
    assert dict(_result(stub).counts) == {0: 6, 3: 4}


BROKEN_JOB = {
    "truncated-json": Reply(200, b'{"job_id": "01a2'),
    "html-page": Reply(200, b"<html><body>Login</body></html>", {"Content-Type": "text/html"}),
    "json-list": Reply(200, b"[]"),
    "json-string": Reply(200, b'"hello"'),
    "job-info-a-number": Reply(
        200,
        json.dumps(
            {"job_id": JOB_ID, "status": "succeeded", "job_type": "sampling", "job_info": 5}
        ).encode(),
    ),
    "nul-bytes": Reply(200, b"\x00" * 64),
    "empty-body": Reply(200, b""),
}


@pytest.mark.parametrize("case", list(BROKEN_JOB))
def test_a_broken_job_answer_is_a_clear_error(stub: StubServer, case: str) -> None:
    stub.routes["GET /jobs/*"] = lambda m, p, b: BROKEN_JOB[case]
    with pytest.raises(BackendError) as caught:
        _result(stub)
    assert len(str(caught.value)) > 20


BROKEN_RESULT = {
    "not-a-zip": b"this is not a zip",
    "two-entries": b"",  # filled below
    "counts-not-a-mapping": _zip("result.json", b'{"sampling": {"counts": [1, 2]}}'),
    "counts-bad-keys": _zip("result.json", b'{"sampling": {"counts": {"2x": 1}}}'),
    "counts-negative": _zip("result.json", b'{"sampling": {"counts": {"00": -5}}}'),
    "result-not-json": _zip("result.json", b"\xff\xfe garbage"),
}
_two = io.BytesIO()
with zipfile.ZipFile(_two, "w") as _archive:
    _archive.writestr("result.json", "{}")
    _archive.writestr("extra.json", "{}")
BROKEN_RESULT["two-entries"] = _two.getvalue()


@pytest.mark.parametrize(
    "case",
    list(BROKEN_RESULT),
)
def test_a_broken_result_object_is_a_clear_error(stub: StubServer, case: str) -> None:
    stub.routes["GET /obj/result.zip"] = lambda m, p, b: Reply(200, BROKEN_RESULT[case], {})
    with pytest.raises(BackendError) as caught:
        _result(stub)
    assert len(str(caught.value)) > 20


_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from oqtopus_bridge import BackendError, OqtopusConfig, OqtopusJobBackendBase
    config = OqtopusConfig(sys.argv[1], "stub-token", protocol="storage", read_timeout=30.0)
    job = OqtopusJobBackendBase(config).retrieve_job(sys.argv[2]) if sys.argv[3] == "zip" else None
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        if job is None:
            OqtopusJobBackendBase(config).retrieve_job(sys.argv[2])
        else:
            job.result(timeout=60, wait=0.1)
        outcome = "no error"
    except BackendError as exc:
        outcome = type(exc).__name__ + ": " + str(exc)[:300]
    except MemoryError:
        outcome = "MemoryError"
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"outcome": outcome, "growth_mib": (after - before) / 1024}))
    """
)


def _child(stub: StubServer, mode: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, stub.url, JOB_ID, mode],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _huge(stub: StubServer, mib: int) -> dict[str, Any]:
    def chunks() -> Iterator[bytes]:
        yield b'{"job_id": "' + JOB_ID.encode() + b'", "name": "'
        for _ in range(mib):
            yield b"x" * MIB
        yield b'"}'

    stub.routes["GET /jobs/*"] = lambda m, p, b: Reply(200, chunks=chunks)
    return _child(stub, "json")


def test_a_huge_job_answer_is_refused_with_bounded_memory(stub: StubServer, report: Report) -> None:
    small, large = size(128, 256), size(1024, 4096)
    found = {mib: _huge(stub, mib) for mib in (small, large)}
    report.record("bad_input_huge_json", **{f"body_{mib}_mib": f for mib, f in found.items()})
    for outcome in found.values():
        assert outcome["outcome"].startswith(("ResultError", "TransportError")), outcome
        assert outcome["growth_mib"] < MEMORY_CEILING_MIB, outcome
    # Bounded means independent of the body's size: 8x (long: 16x) the body, not more memory (the
    # margin absorbs allocator noise; a client that buffers would grow by ~900 MiB here).
    assert found[large]["growth_mib"] < found[small]["growth_mib"] + 200, found


def test_an_oversized_answer_is_requested_once(stub: StubServer) -> None:
    _huge(stub, 128)
    assert [r for r in stub.requests if r[0] == "GET"] == [("GET", f"/jobs/{JOB_ID}")]


def _bomb(path: Path, mib: int) -> bytes:
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("result.json", "w", force_zip64=True) as entry,
    ):
        entry.write(b'{"sampling": {"counts": {"0": 1}}, "pad": "')
        for _ in range(mib):
            entry.write(b" " * MIB)
        entry.write(b'"}')
    return path.read_bytes()


def test_a_zip_bomb_result_is_refused_with_bounded_memory(
    stub: StubServer, tmp_path: Path, report: Report
) -> None:
    inflated = size(256, 1024)
    bomb = _bomb(tmp_path / "bomb.zip", inflated)
    stub.routes["GET /obj/result.zip"] = lambda m, p, b: Reply(200, bomb, {})
    found = _child(stub, "zip")
    report.record("bad_input_zip_bomb", zip_kib=len(bomb) // 1024, inflated_mib=inflated, **found)
    assert found["outcome"].startswith(("StorageError", "ResultError")), found
    assert found["growth_mib"] < MEMORY_CEILING_MIB, found
