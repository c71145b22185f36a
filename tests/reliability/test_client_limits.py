"""The client against a hostile server: an answer dripped forever, bodies that no decoder accepts.

Issue 21 item 11: ``read_timeout`` bounds each socket read, so a server that sends one byte now and
then kept a request waiting for minutes. The per-request deadline (``OqtopusConfig(deadline=...)``)
bounds the whole request. The stub drips forever; the test's deadline is one second, and the
assertions are on the error's type and message, never on elapsed time.
"""

from __future__ import annotations

import io
import json
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from stub_http import Reply, StubServer

from oqtopus_bridge import OqtopusConfig, OqtopusJobBackendBase
from oqtopus_bridge.errors import RequestTimeout, ResultError, StorageError

JOB_ID = "01a20b00-0000-7000-8000-000000000002"


def _drip() -> Iterator[bytes]:
    yield b'{"job_id": "'
    while True:  # forever: only the client's deadline ends this
        time.sleep(0.05)
        yield b"x"


def _config(url: str, **extra: Any) -> OqtopusConfig:
    return OqtopusConfig(url, "stub-token", protocol="storage", read_timeout=5.0, **extra)


def test_a_body_dripped_forever_ends_at_the_deadline() -> None:
    routes = {"GET /jobs/*": lambda m, p, b: Reply(200, chunks=_drip)}
    with StubServer(routes) as stub:
        backend = OqtopusJobBackendBase(_config(stub.url, deadline=1.0))
        with pytest.raises(RequestTimeout) as caught:
            backend.retrieve_job(JOB_ID)
    message = str(caught.value)
    assert "GET /jobs/" in message
    assert "deadline of 1 s" in message
    assert "deadline=" in message  # says what to change
    assert "stub-token" not in message


@pytest.fixture
def header_dripper() -> Iterator[str]:
    """A raw server that answers every connection with a status line dripped forever."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                while not stop.is_set():
                    conn.sendall(b"X-Slow: y\r\n")
                    time.sleep(0.05)
            except OSError:
                return  # the client gave up: the expected end

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    host, port = listener.getsockname()
    yield f"http://{host}:{port}"
    stop.set()
    listener.close()


def test_headers_dripped_forever_end_at_the_deadline(header_dripper: str) -> None:
    backend = OqtopusJobBackendBase(_config(header_dripper, deadline=1.0))
    with pytest.raises(RequestTimeout) as caught:
        backend.retrieve_job(JOB_ID)
    assert "deadline of 1 s" in str(caught.value)


def _serve_a_finished_job(routes: dict[str, Any], url: str) -> None:
    """The stub answers ``GET /jobs/{id}``: a succeeded job, result at ``/obj/result.zip``."""
    job = {
        "job_id": JOB_ID,
        "job_type": "sampling",
        "status": "succeeded",
        "job_info": {"result": f"{url}/obj/result.zip"},
    }
    routes["GET /jobs/*"] = lambda m, p, b: Reply(200, json.dumps(job).encode())


def test_a_storage_download_dripped_forever_ends_at_the_deadline() -> None:
    routes: dict[str, Any] = {}
    with StubServer(routes) as stub:
        _serve_a_finished_job(routes, stub.url)
        routes["GET /obj/result.zip"] = lambda m, p, b: Reply(200, headers={}, chunks=_drip)
        backend = OqtopusJobBackendBase(_config(stub.url, deadline=1.0))
        with pytest.raises(RequestTimeout) as caught:
            backend.retrieve_job(JOB_ID).result(timeout=30, wait=0.1)
    assert "result.zip" in str(caught.value)
    assert "deadline of 1 s" in str(caught.value)


def test_the_deadline_must_be_positive() -> None:
    with pytest.raises(ValueError, match="deadline"):
        OqtopusConfig("http://127.0.0.1:1", "t", deadline=0)


NESTED = b"[" * 200_000 + b"]" * 200_000


def test_deeply_nested_json_from_the_api_is_a_result_error() -> None:
    with StubServer({"GET /jobs/*": lambda m, p, b: Reply(200, NESTED)}) as stub:
        backend = OqtopusJobBackendBase(_config(stub.url))
        with pytest.raises(ResultError) as caught:
            backend.retrieve_job(JOB_ID)
    assert "nested too deeply" in str(caught.value)
    assert "GET /jobs/" in str(caught.value)


def test_deeply_nested_json_in_an_error_answer_keeps_the_status() -> None:
    with StubServer({"GET /jobs/*": lambda m, p, b: Reply(503, NESTED)}) as stub:
        backend = OqtopusJobBackendBase(_config(stub.url))
        with pytest.raises(Exception) as caught:
            backend.retrieve_job(JOB_ID)
    assert "503" in str(caught.value)
    assert not isinstance(caught.value, RecursionError)


def _zip(name: str, data: bytes, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def _encrypted_flag(data: bytes) -> bytes:
    # Set general-purpose bit 0 (encrypted) in the local and the central header.
    raw = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.find(signature)
        raw[at + offset] |= 1
    return bytes(raw)


def _unknown_method(data: bytes) -> bytes:
    raw = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = raw.find(signature)
        raw[at + offset : at + offset + 2] = (99).to_bytes(2, "little")
    return bytes(raw)


def _corrupt_deflate(data: bytes) -> bytes:
    raw = bytearray(data)
    start = raw.find(b"result.json") + len("result.json")
    raw[start : start + 8] = b"\xff" * 8
    return bytes(raw)


_RESULT = json.dumps({"sampling": {"counts": {"00": 6, "11": 4}}}).encode() * 20
BROKEN_OBJECTS = {
    "nested-json": _zip("result.json", NESTED),
    "encrypted-flag": _encrypted_flag(_zip("result.json", _RESULT)),
    "unknown-method": _unknown_method(_zip("result.json", _RESULT)),
    "corrupt-deflate": _corrupt_deflate(_zip("result.json", _RESULT)),
}


@pytest.mark.parametrize("case", list(BROKEN_OBJECTS))
def test_an_undecodable_result_object_is_a_storage_error(case: str) -> None:
    routes: dict[str, Any] = {}
    with StubServer(routes) as stub:
        _serve_a_finished_job(routes, stub.url)
        routes["GET /obj/result.zip"] = lambda m, p, b: Reply(200, BROKEN_OBJECTS[case], {})
        backend = OqtopusJobBackendBase(_config(stub.url))
        with pytest.raises(StorageError) as caught:
            backend.retrieve_job(JOB_ID).result(timeout=30, wait=0.1)
    assert "result" in str(caught.value)
    assert "the server stored" in str(caught.value)  # says whose fault and what to do
