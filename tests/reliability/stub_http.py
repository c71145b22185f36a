"""A tiny loopback HTTP server answering from a route table: responses the real server never gives.

Routes map ``"METHOD /path"`` (glob, query string ignored) to a handler
``(method, path, body) -> Reply``. Unmatched requests get 404. The server records every request
(``requests``, and with their headers ``received``) and stops when the context exits.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    """One canned response.

    Attributes:
        status: HTTP status.
        body: Raw body bytes (sent as-is: malformed JSON is the point).
        headers: Extra headers; ``Content-Length`` is added unless ``chunks`` is given.
        chunks: If given, the body is streamed in these pieces with chunked transfer encoding (for
            bodies too large to build in memory).
    """

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    chunks: Callable[[], Iterable[bytes]] | None = None


Handler = Callable[[str, str, bytes], Reply]


class StubServer:
    """Serve ``routes`` on ``127.0.0.1:0`` in a daemon thread; a context manager.

    Args:
        routes: ``"METHOD /path-glob"`` -> handler.
    """

    def __init__(self, routes: dict[str, Handler]) -> None:
        self.routes = routes
        self.requests: list[tuple[str, str]] = []
        self.received: list[tuple[str, str, dict[str, str]]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """Base URL of the stub."""
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> StubServer:
        stub = self

        class _Handler(_StubHandler):
            owner = stub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def reply_for(self, method: str, path: str, body: bytes) -> Reply:
        """Return the reply of the first matching route (404 when none matches)."""
        self.requests.append((method, path))
        target = f"{method} {path.split('?', 1)[0]}"
        for pattern, handler in self.routes.items():
            if fnmatch.fnmatchcase(target, pattern):
                return handler(method, path, body)
        return Reply(404, b'{"message": "no stub route"}')


class _StubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: StubServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.owner.received.append((self.command, self.path, dict(self.headers.items())))
        reply = self.owner.reply_for(self.command, self.path, body)
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        if reply.chunks is None:
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for chunk in reply.chunks():
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True  # the client gave up reading: that is the expected outcome

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch  # noqa: N815
