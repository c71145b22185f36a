"""Faults LocalServer cannot produce: retries, drops, bad bodies, timeouts."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from oqtopus_bridge import OqtopusConfig, OqtopusSamplingBackend, OqtopusSamplingJob
from oqtopus_bridge.api import REGISTER_RETRIES
from oqtopus_bridge.errors import (
    AuthenticationError,
    ConnectError,
    RequestTimeout,
    ServerError,
    StorageError,
    TransportError,
)

from .stub import Reply, Request, StubServer, zipped

TOKEN = "secret-token-123"
JOB = {"job_id": "j1", "status": "succeeded", "job_type": "sampling", "device_id": "qulacs"}


def _config(url: str, **kw: Any) -> OqtopusConfig:
    return OqtopusConfig(url, TOKEN, **kw)


def _stub_service(stub_url: Callable[[], str], overrides: dict[str, Callable[[Request], Reply]]):
    """A minimal storage-protocol service; ``overrides`` maps "METHOD path" to handlers."""
    fields = {
        "key": "j1/input.zip",
        "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "x-amz-credential": "cred",
        "x-amz-date": "20260101T000000Z",
        "policy": "p",
        "x-amz-signature": "sig",
        "Content-Type": "application/zip",
    }
    result = {"sampling": {"counts": {"01": 5}, "divided_counts": None}, "estimation": None}

    def handler(request: Request) -> Reply:
        key = f"{request.method} {request.path.split('?')[0]}"
        if key in overrides:
            return overrides[key](request)
        if key == "POST /jobs":
            return Reply(
                body={"job_id": "j1", "presigned_url": {"url": "/upload", "fields": fields}}
            )
        if key in ("POST /upload", "POST /jobs/j1/submit", "POST /jobs/j1/cancel"):
            return Reply(status=204 if key == "POST /upload" else 200, body={"message": "ok"})
        if key == "GET /jobs/j1/status":
            return Reply(body={"job_id": "j1", "status": "succeeded"})
        if key == "GET /jobs/j1":
            return Reply(body={**JOB, "job_info": {"result": f"{stub_url()}/objects/result.zip"}})
        if key == "GET /objects/result.zip":
            return Reply(body=zipped("result.json", result))
        return Reply(status=404, body={"message": f"no route {key}"})

    return handler


def _cloud_job(seen: dict[str, str], ended: dict[str, Any]) -> Callable[[Request], Reply]:
    """``GET /jobs/j1`` as OQTOPUS Cloud answers it: the last status its status route gave.

    The client's first wait request is this ``GET`` with ``Prefer: wait``, which the cloud
    ignores and answers at once ("submitted"); the client then polls the status, and gets the
    whole job (``ended``) once the status said it has ended.
    """

    def handler(request: Request) -> Reply:
        status = seen.get("status", "submitted")
        ended_now = status in ("succeeded", "failed", "cancelled")
        return Reply(body={**ended, "status": status} if ended_now else {**JOB, "status": status})

    return handler


def _run(overrides: dict[str, Callable[[Request], Reply]], **config: Any) -> tuple[Any, StubServer]:
    holder: dict[str, str] = {}
    stub = StubServer(_stub_service(lambda: holder["url"], overrides))
    holder["url"] = stub.url
    return stub, stub


def test_presigned_fields_forwarded_verbatim_file_last_no_token() -> None:
    stub, _ = _run({})
    with stub:
        backend = OqtopusSamplingBackend(_config(stub.url))
        assert backend.sample_qasm("OPENQASM 3;", "qulacs", 5).result().counts == Counter({1: 5})
    upload = next(r for r in stub.requests if r.path == "/upload")
    assert "q-api-token" not in {k.lower() for k in upload.headers}
    body = upload.body.decode("latin-1")
    names = [part.split('"')[0] for part in body.split('form-data; name="')[1:]]
    assert names == [
        "key",
        "x-amz-algorithm",
        "x-amz-credential",
        "x-amz-date",
        "policy",
        "x-amz-signature",
        "Content-Type",
        "file",
    ]
    assert 'filename="input.zip"' in body
    api_requests = [r for r in stub.requests if r.path.startswith("/jobs")]
    assert all(r.headers.get("q-api-token") == TOKEN for r in api_requests)
    assert all(r.headers["User-Agent"].startswith("oqtopus-bridge/") for r in api_requests)
    submit = next(r for r in stub.requests if r.path == "/jobs/j1/submit")
    assert json.loads(submit.body)["shots"] == 5


def test_status_503_then_success_is_retried_with_retry_after() -> None:
    calls = {"n": 0}

    seen: dict[str, str] = {}

    def flaky(request: Request) -> Reply:
        calls["n"] += 1
        if calls["n"] == 1:
            return Reply(status=503, body={"message": "busy"}, headers={"Retry-After": "0"})
        seen["status"] = "succeeded"
        return Reply(body={"job_id": "j1", "status": "succeeded"})

    ended: dict[str, Any] = {**JOB}
    stub, _ = _run({"GET /jobs/j1/status": flaky, "GET /jobs/j1": _cloud_job(seen, ended)})
    ended["job_info"] = {"result": f"{stub.url}/objects/result.zip"}
    with stub:
        backend = OqtopusSamplingBackend(_config(stub.url))
        assert backend.sample_qasm("OPENQASM 3;", "qulacs", 5).result().counts == Counter({1: 5})
    assert stub.paths("GET").count("/jobs/j1/status") == 2


def test_dropped_connection_on_get_is_retried() -> None:
    calls = {"n": 0}

    def dropping(request: Request) -> Reply:
        calls["n"] += 1
        if calls["n"] == 1:
            return Reply(drop=True)
        return Reply(body={**JOB, "job_info": {}})

    stub, _ = _run({"GET /jobs/j1": dropping})
    with stub:
        job = OqtopusSamplingBackend(_config(stub.url)).retrieve_job("j1")
    assert job.status == "succeeded"
    assert calls["n"] == 2


def test_register_is_retried_a_bounded_number_of_times_after_server_errors() -> None:
    # Registering again is safe (an unsubmitted job never runs), so a busy server gets a few tries.
    stub, _ = _run({"POST /jobs": lambda r: Reply(status=503, body={"message": "down"})})
    with stub, pytest.raises(ServerError, match="down") as info:
        OqtopusSamplingBackend(_config(stub.url, protocol="storage")).sample_qasm("Q", "qulacs", 1)
    assert info.value.status_code == 503
    assert stub.paths("POST").count("/jobs") == 1 + REGISTER_RETRIES


def test_dropped_register_is_retried_then_reported() -> None:
    stub, _ = _run({"POST /jobs": lambda r: Reply(drop=True)})
    with stub, pytest.raises(TransportError):
        OqtopusSamplingBackend(_config(stub.url)).sample_qasm("Q", "qulacs", 1)
    assert stub.paths("POST").count("/jobs") == 1 + REGISTER_RETRIES


def test_a_bad_request_to_register_is_not_retried() -> None:
    stub, _ = _run({"POST /jobs": lambda r: Reply(status=401, body={"detail": "Unauthorized"})})
    with stub, pytest.raises(AuthenticationError):
        OqtopusSamplingBackend(_config(stub.url)).sample_qasm("Q", "qulacs", 1)
    assert stub.paths("POST").count("/jobs") == 1


def test_failed_upload_cancels_the_registered_job() -> None:
    stub, _ = _run({"POST /upload": lambda r: Reply(status=403, body="<Error>expired</Error>")})
    with stub, pytest.raises(StorageError, match="403"):
        OqtopusSamplingBackend(_config(stub.url)).sample_qasm("Q", "qulacs", 1)
    assert "/jobs/j1/cancel" in stub.paths("POST")
    assert "/jobs/j1/submit" not in stub.paths("POST")


def test_failed_submit_cancels_the_registered_job() -> None:
    bad = {"POST /jobs/j1/submit": lambda r: Reply(status=400, body={"detail": "bad device"})}
    stub, _ = _run(bad)
    with stub, pytest.raises(Exception, match="bad device"):
        OqtopusSamplingBackend(_config(stub.url)).sample_qasm("Q", "qulacs", 1)
    assert "/jobs/j1/cancel" in stub.paths("POST")


def test_lost_submit_answer_checks_state_and_never_submits_twice() -> None:
    stub, _ = _run(
        {
            "POST /jobs/j1/submit": lambda r: Reply(drop=True),
            "GET /jobs/j1/status": lambda r: Reply(body={"job_id": "j1", "status": "submitted"}),
        }
    )
    with stub:
        job = OqtopusSamplingBackend(_config(stub.url)).sample_qasm("Q", "qulacs", 1)
    assert job.job_id == "j1"
    assert stub.paths("POST").count("/jobs/j1/submit") == 1
    assert "/jobs/j1/cancel" not in stub.paths("POST")


def test_malformed_json_is_transport_error() -> None:
    stub, _ = _run({"GET /jobs/j1": lambda r: Reply(body="<html>gateway</html>")})
    with stub, pytest.raises(TransportError, match="not JSON"):
        OqtopusSamplingBackend(_config(stub.url)).retrieve_job("j1")


@pytest.mark.parametrize(
    ("payload", "match"),
    [(b"PK\x03\x04truncated", "not a valid zip"), (None, "one file, found 2")],
)
def test_truncated_or_multi_entry_result_zip(payload: bytes | None, match: str) -> None:
    import io
    import zipfile

    if payload is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("a.json", "{}")
            archive.writestr("b.json", "{}")
        payload = buffer.getvalue()
    stub, _ = _run({"GET /objects/result.zip": lambda r: Reply(body=payload)})
    with stub, pytest.raises(StorageError, match=match):
        OqtopusSamplingBackend(_config(stub.url)).sample_qasm("Q", "qulacs", 1).result()


def test_slow_server_times_out() -> None:
    stub, _ = _run({"GET /jobs/j1": lambda r: Reply(body={**JOB}, delay=0.5)})
    with stub, pytest.raises(RequestTimeout):
        OqtopusSamplingBackend(_config(stub.url, read_timeout=0.1)).retrieve_job("j1")


def test_unreachable_url_is_connect_error() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = OqtopusSamplingBackend(_config(f"http://127.0.0.1:{port}", connect_timeout=0.5))
    with pytest.raises(ConnectError) as info:
        backend.retrieve_job("j1")
    assert TOKEN not in str(info.value)


def test_proxy_is_used_for_api_and_storage() -> None:
    stub, _ = _run({})
    seen: list[str] = []
    original = stub.handler

    def proxy(request: Request) -> Reply:
        seen.append(request.path)  # a forward proxy receives absolute URLs
        path = (
            "/" + request.path.split("/", 3)[3] if request.path.startswith("http") else request.path
        )
        return original(Request(request.method, path, request.headers, request.body))

    stub.handler = proxy
    with stub:
        backend = OqtopusSamplingBackend(
            OqtopusConfig("http://oqtopus.invalid", TOKEN, proxy=stub.url)
        )
        job = backend.sample_qasm("Q", "qulacs", 1)
    assert isinstance(job, OqtopusSamplingJob)
    assert "http://oqtopus.invalid/jobs" in seen
    assert "http://oqtopus.invalid/upload" in seen


def test_environment_proxy_is_read_once_when_the_client_is_created(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HTTP_PROXY is honoured as requests honours it, but read at creation, not per request."""
    stub, _ = _run({})
    seen: list[str] = []
    original = stub.handler

    def proxy(request: Request) -> Reply:
        seen.append(request.path)
        path = "/" + request.path.split("/", 3)[3]
        return original(Request(request.method, path, request.headers, request.body))

    stub.handler = proxy
    with stub:
        monkeypatch.setenv("HTTP_PROXY", stub.url)
        monkeypatch.setenv("NO_PROXY", "")
        backend = OqtopusSamplingBackend(OqtopusConfig("http://oqtopus.invalid", TOKEN))
        monkeypatch.delenv("HTTP_PROXY")  # later changes do not reach a client already made
        backend.retrieve_job("j1")
        backend.retrieve_job("j1")
    assert seen == ["http://oqtopus.invalid/jobs/j1"] * 2


def test_a_netrc_entry_is_honoured_as_requests_honours_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """~/.netrc is read once per host (not per request) but still applied to every request."""
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login user password secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    stub, _ = _run({})
    with stub:
        backend = OqtopusSamplingBackend(_config(stub.url))
        backend.retrieve_job("j1")
        backend.retrieve_job("j1")
    sent = [r.headers.get("Authorization", "") for r in stub.requests]
    assert len(sent) == 2 and all(value.startswith("Basic ") for value in sent)


def test_token_is_not_forwarded_across_hosts_on_redirect() -> None:
    with StubServer(lambda r: Reply(body={**JOB, "job_info": {}})) as other:
        target = other.url.replace("127.0.0.1", "localhost") + "/jobs/j1"
        redirect = {"GET /jobs/j1": lambda r: Reply(status=307, headers={"Location": target})}
        stub, _ = _run(redirect)
        with stub:
            OqtopusSamplingBackend(_config(stub.url)).retrieve_job("j1")
    assert other.requests
    assert "q-api-token" not in {k.lower() for k in other.requests[0].headers}


def test_unknown_status_is_not_final_and_failed_message_is_surfaced() -> None:
    statuses = iter(["cancelling", "running", "failed"])
    seen: dict[str, str] = {}

    def status(request: Request) -> Reply:
        seen["status"] = next(statuses)
        return Reply(body={"job_id": "j1", "status": seen["status"]})

    failed = {**JOB, "job_info": {"message": "engine exploded"}}
    stub, _ = _run({"GET /jobs/j1/status": status, "GET /jobs/j1": _cloud_job(seen, failed)})
    from oqtopus_bridge.errors import JobFailedError

    with stub:
        job = OqtopusSamplingBackend(_config(stub.url)).sample_qasm("Q", "qulacs", 1)
        with pytest.raises(JobFailedError, match="engine exploded"):
            job.result(wait=0.01)
    assert stub.paths("GET").count("/jobs/j1/status") == 3
    first_wait = next(r for r in stub.requests if r.path == "/jobs/j1")
    assert first_wait.headers.get("Prefer") == "wait=1"  # asked, ignored: then plain polls
