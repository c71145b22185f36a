"""Limits before reading (issue 21, items 4, 5 and 12) against the real server over raw sockets.

The token of an API request is checked before its body is read; its body is capped while it
streams (chunked too); a presigned upload's signature and job are checked before its file is read,
and its size while the file streams. "Before reading" is proved by the answer arriving while the
client has sent no body at all (the old server waited for the body); "capped while streaming" by
the bytes the client could send before the answer: the cap plus the sockets' buffers, not the whole
body. Deeply nested and NaN bodies get a clear 400 on the fast path and through FastAPI alike, and
half-open connections are closed by the header-read timeout.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from raw_client import BELL, RawClient, input_zip
from raw_http import answer, chunk, closed_by_server, connect, head, stream

from oqtopus_bridge.local import LocalServer

MIB = 1024 * 1024
#: What loopback sockets can hold between the client's send and the server's read (send and
#: receive buffers, at most a few MiB each); the old server read ten times this before answering.
BUFFERS = 24 * MIB
API_LIMIT, UPLOAD_LIMIT = 10 * MIB, 50 * MIB  # the defaults
CHUNKED_JSON = {"Transfer-Encoding": "chunked", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with LocalServer(tmp_path_factory.mktemp("limits"), workers=1) as running:
        yield running


@pytest.fixture
def registered(server: LocalServer) -> dict[str, Any]:
    return RawClient(server.url, server.token).register()


def _form_head(fields: dict[str, str]) -> bytes:
    """A multipart body up to the first byte of its ``file`` part (boundary ``B``)."""
    parts = [
        b'--B\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (k.encode(), v.encode())
        for k, v in fields.items()
    ]
    parts.append(
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="input.zip"\r\n'
        b"Content-Type: application/zip\r\n\r\n"
    )
    return b"".join(parts)


def _endless(size: int, fill: bytes = b"[") -> Iterator[bytes]:
    """``size`` bytes as 1 MiB chunks of a chunked body."""
    for _ in range(size // MIB):
        yield chunk(fill * MIB)


@pytest.mark.parametrize("length", ["chunked", "declared"])
@pytest.mark.parametrize("route", ["fast path", "FastAPI"])
def test_a_body_without_a_valid_token_is_refused_before_it_is_read(
    server: LocalServer, registered: dict[str, Any], length: str, route: str
) -> None:
    headers = dict(CHUNKED_JSON)
    if length == "declared":
        headers = {"Content-Length": str(400 * MIB), "Content-Type": "application/json"}
    if route == "FastAPI":  # a content type the fast path leaves to FastAPI
        headers["Content-Type"] = "application/vnd.x+json"
    with connect(server.url) as sock:
        sock.sendall(head("POST", f"/jobs/{registered['job_id']}/submit", headers))
        status, _, body = answer(sock)  # no body was sent: the old server waited for it
    assert status == 401 and "q-api-token" in body["message"]


@pytest.mark.parametrize("route", ["fast path", "FastAPI"])
def test_an_authenticated_body_over_the_limit_is_refused_while_it_streams(
    server: LocalServer, registered: dict[str, Any], route: str
) -> None:
    headers = {**CHUNKED_JSON, "q-api-token": server.token}
    if route == "FastAPI":
        headers["Content-Type"] = "application/vnd.x+json"
    with connect(server.url) as sock:
        sock.sendall(head("POST", f"/jobs/{registered['job_id']}/submit", headers))
        sent = stream(sock, _endless(200 * MIB))
        status, _, body = answer(sock)
    assert status == 413 and "10 MiB limit" in body["message"], body
    assert sent < API_LIMIT + BUFFERS, f"{sent / MIB:.0f} MiB were read before the refusal"
    assert RawClient(server.url, server.token).status(registered["job_id"]) == "registered"


@pytest.mark.parametrize("change", ["forged", "expired", "other job's key"])
def test_a_bad_upload_form_is_refused_before_its_file_is_read(
    server: LocalServer, registered: dict[str, Any], change: str
) -> None:
    fields = dict(registered["presigned_url"]["fields"])
    if change == "forged":
        fields["signature"] = fields["signature"][::-1]
    elif change == "expired":
        policy = json.loads(base64.b64decode(fields["policy"]))
        fields["policy"] = base64.b64encode(json.dumps({**policy, "expires": 1}).encode()).decode()
    else:
        fields["key"] = "01a00000-0000-7000-8000-000000000000/input.zip"
    headers = {"Transfer-Encoding": "chunked", "Content-Type": "multipart/form-data; boundary=B"}
    with connect(server.url) as sock:
        sock.sendall(head("POST", "/_storage/upload", headers) + chunk(_form_head(fields) + b"PK"))
        status, _, body = answer(sock)  # the file never ends: the old server waited for it
    assert status == 403, body


def test_an_upload_over_the_limit_is_refused_while_it_streams(
    server: LocalServer, registered: dict[str, Any]
) -> None:
    headers = {"Transfer-Encoding": "chunked", "Content-Type": "multipart/form-data; boundary=B"}
    with connect(server.url) as sock:
        sock.sendall(head("POST", "/_storage/upload", headers))
        sock.sendall(chunk(_form_head(registered["presigned_url"]["fields"])))
        sent = stream(sock, _endless(300 * MIB, b"z"))
        status, _, body = answer(sock)
    assert status == 413 and "50 MiB limit" in body["message"], body
    assert sent < UPLOAD_LIMIT + BUFFERS, f"{sent / MIB:.0f} MiB were read before the refusal"
    objects = server.data_dir / "objects" / registered["job_id"]
    assert not objects.exists() or not any(objects.iterdir())


def test_a_normal_upload_and_job_still_work(server: LocalServer) -> None:
    client = RawClient(server.url, server.token)
    job_id = client.submit(shots=10)
    assert client.wait([job_id], 120)[job_id] == "succeeded"


BAD_JSON = {
    "nested 100k deep": "[" * 100_000 + "]" * 100_000,
    "nested 65 deep": '{"device_id": "qulacs", "job_type": "sampling", "shots": 1, '
    '"simulator_info": {"a": ' + "[" * 63 + "]" * 63 + "}}",
    "shots NaN": '{"device_id": "qulacs", "job_type": "sampling", "shots": NaN}',
    "shots Infinity": '{"device_id": "qulacs", "job_type": "sampling", "shots": Infinity}',
}


@pytest.mark.parametrize("content_type", ["application/json", "application/vnd.x+json"])
@pytest.mark.parametrize("case", list(BAD_JSON))
def test_deep_or_nan_json_gets_a_clear_400(
    server: LocalServer, registered: dict[str, Any], case: str, content_type: str
) -> None:
    client = RawClient(server.url, server.token)
    response = client.call(
        "POST",
        f"/jobs/{registered['job_id']}/submit",
        data=BAD_JSON[case],
        headers={"content-type": content_type},
    )
    assert response.status_code == 400, response.text[:300]
    message = response.json()["message"]
    assert ("deeper than 64" in message) if "nested" in case else ("not a JSON number" in message)


def test_half_open_connections_are_closed_by_the_header_timeout(tmp_path: Any) -> None:
    with LocalServer(tmp_path, workers=1, header_timeout_s=0.5) as server:
        sockets = [connect(server.url) for _ in range(8)]
        try:
            for sock in sockets[:6]:
                sock.sendall(b"GET /jobs/x/sta")  # half a request line, then nothing
            kept_alive = sockets[6]  # a whole request, then half of the next one
            kept_alive.sendall(head("GET", "/devices", {"q-api-token": server.token}))
            assert answer(kept_alive)[0] == 200
            kept_alive.sendall(b"GET /devi")
            # sockets[7] sent nothing at all
            assert all(closed_by_server(sock) for sock in sockets)
            assert requests.get(f"{server.url}/devices", timeout=30).status_code == 401
        finally:
            for sock in sockets:
                sock.close()


def test_requests_without_a_body_keep_their_answers(server: LocalServer) -> None:
    assert requests.get(f"{server.url}/jobs", timeout=30).status_code == 401
    assert requests.get(f"{server.url}/nowhere", timeout=30).status_code == 404


def test_an_upload_part_with_huge_headers_is_refused_before_its_signature_is_read(
    server: LocalServer,
) -> None:
    """A part's headers are bounded before anything of the form is checked (a regression guard)."""
    headers = {"Transfer-Encoding": "chunked", "Content-Type": "multipart/form-data; boundary=B"}
    with connect(server.url) as sock:
        sock.sendall(head("POST", "/_storage/upload", headers))
        sock.sendall(chunk(b'--B\r\nContent-Disposition: form-data; name="key"\r\nX-Pad: '))
        sent = stream(sock, _endless(40 * MIB, b"a"))
        status, _, body = answer(sock)
    assert status == 400 and "header" in body["message"], body
    assert sent < 16 * MIB, f"{sent / MIB:.0f} MiB were read before the refusal"


def test_a_deep_non_json_profile_body_gets_a_clear_400(server: LocalServer) -> None:
    client = RawClient(server.url, server.token)
    response = client.call(
        "PATCH", "/users/me", data="[" * 100_000, headers={"content-type": "text/plain"}
    )
    assert response.status_code == 400, response.text[:300]
    assert "JSON object" in response.json()["message"]  # was a 500 (RecursionError)


def _seeded(client: RawClient, seed: int) -> str:
    registered = client.register()
    job_id = str(registered["job_id"])
    client.upload(registered["presigned_url"], input_zip({"program": [BELL]})).raise_for_status()
    request = {
        "name": job_id,
        "device_id": "qulacs",
        "job_type": "sampling",
        "shots": 50,
        "simulator_info": {"seed_simulation": seed},
    }
    client.call("POST", f"/jobs/{job_id}/submit", json=request).raise_for_status()
    return job_id


@pytest.mark.parametrize("seed", [-1, 2**70])
def test_a_seed_out_of_numpys_range_runs_and_keeps_the_worker(
    server: LocalServer, seed: int
) -> None:
    """A negative seed_simulation killed the engine worker (numpy's default_rng refuses it)."""
    client = RawClient(server.url, server.token)
    engine = server._context.engine  # type: ignore[union-attr]
    first, second = _seeded(client, seed), _seeded(client, seed)
    statuses = client.wait([first, second], 120)
    assert statuses == {first: "succeeded", second: "succeeded"}, client.job(first)
    assert client.result(first) == client.result(second)  # seeded: the same counts twice
    pids = engine.worker_pids()
    third = _seeded(client, seed)
    assert client.wait([third], 120)[third] == "succeeded"
    assert engine.worker_pids() == pids  # no worker was replaced
