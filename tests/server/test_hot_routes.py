"""The hot routes (``routes/hot.py``) answer exactly like the FastAPI routes they stand in for.

Two uvicorn servers share one server context (database, objects, engine): one runs the app as
built, the other the same app without `HotRoutes`, so FastAPI answers everything. The same
requests go to both; status, content type and body must match, byte for byte once the presigned
URLs' expiry and signature (which depend on the second the URL was made) and fresh job ids are
masked. Requests cover each hot endpoint's success and every kind of refusal.
"""

from __future__ import annotations

import io
import json
import re
import socket
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import uvicorn
from local_testkit import BELL, zip_of

from oqtopus_bridge.local import ServerSettings, create_app
from oqtopus_bridge.local.context import ServerContext
from oqtopus_bridge.local.routes.hot import HotRoutes
from oqtopus_bridge.local.storage import ObjectStore

SUBMIT = {"device_id": "qulacs", "job_type": "sampling", "shots": 10}
INPUT = zip_of("input.json", json.dumps({"program": [BELL]}).encode())
_SIGNED = re.compile(r"(expires=)\d+(&signature=)[A-Za-z0-9_-]+")
_POLICY = re.compile(r'("(?:policy|signature)": ?")[^"]+"')
_JOB_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}")


class Pair:
    """The same server twice: ``hot`` (as built) and ``plain`` (FastAPI answers everything)."""

    def __init__(self, hot: str, plain: str, token: str, context: ServerContext) -> None:
        self.urls = {"hot": hot, "plain": plain}
        self.token = token
        self.context = context
        self.http = requests.Session()
        self.http.trust_env = False

    def call(self, which: str, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send one request to the ``which`` server (the token header unless told otherwise)."""
        headers = kwargs.pop("headers", {"q-api-token": self.token})
        url = self.urls[which] + path
        return self.http.request(method, url, headers=headers, timeout=30, **kwargs)

    def both(self, method: str, path: str, **kwargs: Any) -> tuple[Any, Any]:
        """Send the request to both servers; return what each answered, masked."""
        return tuple(  # type: ignore[return-value]
            _answer(self.call(which, method, path, **kwargs)) for which in ("hot", "plain")
        )

    def registered(self, which: str, upload: bool = True) -> str:
        """A job registered through ``which`` (its input uploaded there unless told not to)."""
        form = self.call(which, "POST", "/jobs").json()
        if upload:
            files = {"file": ("input.zip", INPUT, "application/zip")}
            sent = self.call(
                which, "POST", "/_storage/upload", data=form["presigned_url"]["fields"], files=files
            )
            assert sent.status_code == 204, sent.text
        return str(form["job_id"])

    def finished(self) -> str:
        """A succeeded job."""
        job_id = self.registered("plain")
        assert self.call("plain", "POST", f"/jobs/{job_id}/submit", json=SUBMIT).ok
        while True:
            status = self.call("plain", "GET", f"/jobs/{job_id}/status").json()["status"]
            if status == "succeeded":
                return job_id
            assert status not in ("failed", "cancelled"), f"the setup job ended {status}"
            time.sleep(0.05)  # waits for the job; no assertion depends on how long it takes


def _answer(response: requests.Response) -> tuple[int, str | None, str | None, str]:
    if response.headers.get("content-type") == "application/zip":
        # A zip made per request (a device's) holds its time of making: compare its entry.
        return (response.status_code, "application/zip", None, repr(_entry(response.content)))
    text = _SIGNED.sub(r"\1E\2S", response.text)
    text = _POLICY.sub(r'\1P"', text)
    text = _JOB_ID.sub("JOB", text)
    length = response.headers.get("content-length")
    # A masked field changes the length: compare it only where nothing was masked.
    return (
        response.status_code,
        response.headers.get("content-type"),
        length if text == response.text else None,
        text,
    )


def _entry(data: bytes) -> tuple[str, bytes] | bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            (name,) = archive.namelist()
            return name, archive.read(name)
    except zipfile.BadZipFile:
        return data  # an object stored as is


def _listening() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def _start(app: Any, sock: socket.socket) -> tuple[uvicorn.Server, threading.Thread]:
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    return server, thread


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    hot_sock, plain_sock = _listening(), _listening()
    url = "http://127.0.0.1:{}".format
    hot_url, plain_url = url(hot_sock.getsockname()[1]), url(plain_sock.getsockname()[1])
    data_dir: Path = tmp_path_factory.mktemp("hot")
    settings = ServerSettings(data_dir=data_dir, public_url=hot_url, workers=1)
    context = ServerContext.build(settings)
    token = "hot-routes-token"
    context.repo.add_token(context.repo.ensure_user("default"), token)
    context.start()
    plain_app = create_app(settings, context)
    plain_app.user_middleware = [m for m in plain_app.user_middleware if m.cls is not HotRoutes]
    servers = [_start(create_app(settings, context), hot_sock), _start(plain_app, plain_sock)]
    try:
        yield Pair(hot_url, plain_url, token, context)
    finally:
        for server, thread in servers:
            server.should_exit = True
            thread.join(15)
        context.close()
        hot_sock.close()
        plain_sock.close()


TOKENS: list[dict[str, str]] = [{}, {"q-api-token": ""}, {"q-api-token": "wrong"}]


@pytest.mark.parametrize("headers", [None, *TOKENS], ids=["token", "none", "empty", "wrong"])
@pytest.mark.parametrize("state", ["succeeded", "registered", "unknown", "other user's"])
@pytest.mark.parametrize("path", ["/jobs/{}", "/jobs/{}/status", "/jobs/{}?fields=x"])
def test_job_and_status(
    pair: Pair, jobs: dict[str, str], path: str, state: str, headers: dict[str, str] | None
) -> None:
    options = {} if headers is None else {"headers": headers}
    hot, plain = pair.both("GET", path.format(jobs[state]), **options)
    assert hot == plain


@pytest.fixture(scope="module")
def jobs(pair: Pair) -> dict[str, str]:
    other = "other-user-token"
    pair.context.repo.add_token(pair.context.repo.ensure_user("other"), other)
    theirs = pair.http.post(pair.urls["plain"] + "/jobs", headers={"q-api-token": other}).json()
    return {
        "succeeded": pair.finished(),
        "registered": pair.registered("plain", upload=False),
        "unknown": "01234567-89ab-7def-8123-456789abcdef",
        "other user's": theirs["job_id"],
    }


@pytest.mark.parametrize("headers", [None, *TOKENS], ids=["token", "none", "empty", "wrong"])
def test_register(pair: Pair, headers: dict[str, str] | None) -> None:
    options = {} if headers is None else {"headers": headers}
    hot, plain = pair.both("POST", "/jobs", **options)
    assert hot == plain


SUBMISSIONS: dict[str, dict[str, Any]] = {
    "valid": {"json": SUBMIT},
    "charset": {
        "data": json.dumps(SUBMIT),
        "headers": {"content-type": "application/json; charset=utf-8"},
    },
    "malformed JSON": {"data": b"{not json", "headers": {"content-type": "application/json"}},
    "not UTF-8": {"data": b'{"a": "\xff"}', "headers": {"content-type": "application/json"}},
    "empty body": {"data": b"", "headers": {"content-type": "application/json"}},
    "no content type": {"data": json.dumps(SUBMIT)},
    "text/plain": {"data": json.dumps(SUBMIT), "headers": {"content-type": "text/plain"}},
    "vendor +json": {"data": json.dumps(SUBMIT), "headers": {"content-type": "application/x+json"}},
    "list": {"json": [1, 2]},
    "zero shots": {"json": {**SUBMIT, "shots": 0}},
    "shots as text": {"json": {**SUBMIT, "shots": "10"}},
    "unknown job type": {"json": {**SUBMIT, "job_type": "teleport"}},
    "unknown device": {"json": {**SUBMIT, "device_id": "nowhere"}},
    "sse alias without sse token": {"json": {**SUBMIT, "device_id": "sse"}},
}


@pytest.mark.parametrize("kind", list(SUBMISSIONS))
@pytest.mark.parametrize("token", ["valid", "none", "wrong"])
def test_submit(pair: Pair, kind: str, token: str) -> None:
    request = dict(SUBMISSIONS[kind])
    headers = dict(request.pop("headers", {}))
    if token != "none":
        headers["q-api-token"] = pair.token if token == "valid" else "wrong"
    answers = []
    for which in ("hot", "plain"):
        job_id = pair.registered(which)
        path = f"/jobs/{job_id}/submit"
        answers.append(_answer(pair.call(which, "POST", path, headers=headers, **request)))
        if kind == "valid" and token == "valid":  # a second submit of the same job is refused
            answers.append(_answer(pair.call(which, "POST", path, headers=headers, **request)))
    assert answers[: len(answers) // 2] == answers[len(answers) // 2 :]


@pytest.mark.parametrize(
    "state", ["not uploaded", "unknown"], ids=["registered, no input", "unknown job"]
)
def test_submit_refusals_of_the_job(pair: Pair, state: str) -> None:
    answers = []
    for which in ("hot", "plain"):
        job_id = pair.registered(which, upload=False) if state == "not uploaded" else "nope"
        answers.append(_answer(pair.call(which, "POST", f"/jobs/{job_id}/submit", json=SUBMIT)))
    assert answers[0] == answers[1]


def _form(pair: Pair, which: str) -> dict[str, str]:
    fields: dict[str, str] = pair.call(which, "POST", "/jobs").json()["presigned_url"]["fields"]
    return fields


UPLOADS: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {
    "valid": lambda f: {"data": f, "files": {"file": ("input.zip", INPUT)}},
    "bigger than inline": lambda f: {"data": f, "files": {"file": ("i.zip", b"z" * 300_000)}},
    "no file": lambda f: {"data": f},
    "no signature": lambda f: {
        "data": {k: v for k, v in f.items() if k != "signature"},
        "files": {"file": ("input.zip", INPUT)},
    },
    "forged signature": lambda f: {
        "data": {**f, "signature": "forged"},
        "files": {"file": ("input.zip", INPUT)},
    },
    "other key": lambda f: {
        "data": {**f, "key": f["key"].replace("input", "result")},
        "files": {"file": ("input.zip", INPUT)},
    },
    "not a form": lambda f: {"json": f},
    "broken multipart": lambda f: {
        "data": b"--x\r\nnonsense",
        "headers": {"content-type": "multipart/form-data; boundary=x"},
    },
}


@pytest.mark.parametrize("kind", list(UPLOADS))
def test_upload(pair: Pair, kind: str) -> None:
    answers = []
    for which in ("hot", "plain"):
        request = UPLOADS[kind](_form(pair, which))
        answers.append(_answer(pair.call(which, "POST", "/_storage/upload", **request)))
    assert answers[0] == answers[1]


def test_upload_declared_over_the_limit(pair: Pair) -> None:
    limit = pair.context.settings.max_upload_bytes
    answers = []
    for which in ("hot", "plain"):
        with socket.create_connection(("127.0.0.1", int(pair.urls[which].rsplit(":", 1)[1]))) as s:
            s.sendall(
                b"POST /_storage/upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                b"Content-Type: multipart/form-data; boundary=x\r\n"
                b"Content-Length: %d\r\n\r\n" % (limit * 2)
            )
            answers.append(s.makefile("rb").read().split(b"\r\n\r\n", 1)[1])
    assert answers[0] == answers[1]
    assert b"limit" in answers[0]


def _url_path(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1]


@pytest.mark.parametrize(
    "change",
    ["none", "no signature", "forged", "expired", "unknown key", "traversal", "device", "big"],
)
def test_download(pair: Pair, jobs: dict[str, str], change: str) -> None:
    store = pair.context.store
    key = f"{jobs['succeeded']}/result.zip"
    if change == "big":
        key = f"{pair.registered('plain', upload=False)}/input.zip"
        store.put(key, b"b" * 600_000)
    if change == "unknown key":
        key = f"{jobs['succeeded']}/nothing.zip"
    elif change == "device":
        key = "devices/qulacs/device_info.zip"
    path = "/" + _url_path(store.download_url(key))
    if change == "no signature":
        path = path.split("?")[0]
    elif change == "forged":
        path = path.rsplit("=", 1)[0] + "=forged"
    elif change == "expired":
        secret = (pair.context.settings.data_dir / "signing.key").read_bytes()
        path = "/" + _url_path(ObjectStore(store.root, secret, "http://x", -10).download_url(key))
    elif change == "traversal":
        path = "/_storage/objects/../signing.key?expires=1&signature=x"
    hot, plain = pair.both("GET", path, headers={})
    assert hot == plain
    if change in ("none", "device", "big"):
        assert hot[0] == 200


def test_a_revoked_token_is_refused_on_the_hot_routes(pair: Pair, jobs: dict[str, str]) -> None:
    token = "soon-revoked"
    pair.context.repo.add_token(pair.context.repo.ensure_user("default"), token)
    path = f"/jobs/{jobs['succeeded']}/status"
    assert pair.call("hot", "GET", path, headers={"q-api-token": token}).status_code == 200
    assert pair.call("hot", "DELETE", "/api-token", headers={"q-api-token": token}).ok
    refused = pair.call("hot", "GET", path, headers={"q-api-token": token})
    assert refused.status_code == 401
    assert refused.json() == {"message": "Unauthorized: the API token is not valid"}
