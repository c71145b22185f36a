"""HTTP/1.1 over a bare socket, for requests no HTTP library sends: half a request, a body that
never ends, a chunked body streamed until the server answers (issue 21's limits tests)."""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

#: How long a test waits for an answer before calling it missing (a hang detector, not a bound
#: on speed: every answer expected here comes without waiting for anything).
ANSWER_TIMEOUT_S = 30.0


def connect(url: str) -> socket.socket:
    """Open a TCP connection to the server at ``url``."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80))
    sock.settimeout(ANSWER_TIMEOUT_S)
    return sock


def head(method: str, path: str, headers: dict[str, str]) -> bytes:
    """A request line and headers (``Host`` added), ending with the blank line."""
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunk(data: bytes) -> bytes:
    """``data`` framed as one chunk of a chunked body."""
    return b"%x\r\n%s\r\n" % (len(data), data)


def stream(sock: socket.socket, chunks: Iterable[bytes]) -> int:
    """Send ``chunks`` until they end or the server answers or closes; return the bytes sent."""
    sent = 0
    for data in chunks:
        readable, _, _ = select.select([sock], [], [], 0)
        if readable:
            break
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += len(data)
    return sent


def answer(sock: socket.socket) -> tuple[int, dict[str, str], Any]:
    """Read one response: ``(status, headers, JSON body or text)``.

    Raises:
        TimeoutError: No complete answer within `ANSWER_TIMEOUT_S`.
    """
    data = b""
    while b"\r\n\r\n" not in data:
        data += _recv(sock)
    top, body = data.split(b"\r\n\r\n", 1)
    status_line, *header_lines = top.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines)}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        more = _recv(sock)
        if not more:
            break
        body += more
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        parsed = body.decode("utf-8", "replace")
    return int(status_line.split()[1]), headers, parsed


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except ConnectionResetError:
        return b""


def closed_by_server(sock: socket.socket) -> bool:
    """Wait (up to `ANSWER_TIMEOUT_S`) for the server to close ``sock``; True once it has."""
    try:
        while True:
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
