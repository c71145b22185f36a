"""The transport reads an answer's body as ``requests`` would, on every path (issue 23).

An unencoded answer with a ``Content-Length`` is read in one call (`transport._read_declared`);
chunked and compressed answers go through ``iter_content``. A raw socket server sends each shape,
including a body cut short, and the outcome (or the error, down to the message) is compared with
what ``requests`` itself reads from the same answer.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from oqtopus_bridge import OqtopusConfig
from oqtopus_bridge.errors import TransportError
from oqtopus_bridge.transport import Transport

_BODY = json.dumps({"status": "running"}).encode()
_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
ANSWERS = {
    "length": _HEAD + b"Content-Length: %d\r\n\r\n" % len(_BODY) + _BODY,
    "chunked": _HEAD
    + b"Transfer-Encoding: chunked\r\n\r\n%x\r\n" % len(_BODY)
    + _BODY
    + b"\r\n0\r\n\r\n",
    "gzip": _HEAD
    + b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(gzip.compress(_BODY))
    + gzip.compress(_BODY),
    "cut-short": _HEAD + b"Content-Length: 100\r\n\r\n" + _BODY[:10],
}


@pytest.fixture
def server() -> Iterator[tuple[str, dict[str, Any]]]:
    """Answers every request with ``state["answer"]`` (closing after one cut short)."""
    state: dict[str, Any] = {"answer": ANSWERS["length"], "connections": 0}
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            state["connections"] += 1
            threading.Thread(target=_answer, args=(conn, state), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", state
    listener.close()


def _answer(conn: socket.socket, state: dict[str, Any]) -> None:
    with conn:
        while conn.recv(65536):
            conn.sendall(state["answer"])
            if state["answer"] is ANSWERS["cut-short"]:
                return


def _outcome(call: Any) -> Any:
    try:
        return ("value", call())
    except (requests.exceptions.RequestException, TransportError) as exc:
        cause = exc.__cause__ if isinstance(exc, TransportError) else exc
        return ("error", type(cause).__name__, str(cause))


@pytest.mark.parametrize("shape", list(ANSWERS))
def test_each_answer_is_read_as_requests_reads_it(
    server: tuple[str, dict[str, Any]], shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, state = server
    state["answer"] = ANSWERS[shape]
    monkeypatch.setattr("oqtopus_bridge.transport.time.sleep", lambda seconds: None)
    transport = Transport(OqtopusConfig(url, "tok"))
    ours = _outcome(lambda: transport.request("GET", "/jobs/x/status"))
    theirs = _outcome(lambda: json.loads(requests.get(url + "/jobs/x/status", timeout=5).content))
    assert ours == theirs


def test_a_body_read_at_once_leaves_the_connection_for_the_next_request(
    server: tuple[str, dict[str, Any]],
) -> None:
    url, state = server
    transport = Transport(OqtopusConfig(url, "tok"))
    for _ in range(5):
        assert transport.request("GET", "/jobs/x/status") == {"status": "running"}
    assert state["connections"] == 1
