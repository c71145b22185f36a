"""A loopback HTTP proxy that injects network and server faults between a client and a server.

It listens on ``127.0.0.1:0`` and forwards each request to one upstream base URL. Per request a
seeded RNG (or a scripted queue, for deterministic scenarios) picks one fault:

- ``drop_before``: close the connection without forwarding (the server never saw the request);
- ``reset_upload``: read part of the request body, then reset (RST) without forwarding;
- ``drop_after``: forward, then close without answering (the server acted; the client can't know);
- ``delay``: sleep a bounded time, then forward;
- ``status_429`` (with ``Retry-After``), ``status_500``, ``status_502``, ``status_503`` (with
  ``Retry-After``): answer without forwarding (the server never saw the request);
- ``truncate``: forward, then send the full ``Content-Length`` but only half the body, and close.

Absolute upstream URLs in JSON response bodies (the presigned storage URLs) are rewritten to point
at the proxy, so storage traffic crosses the faults too. The proxy is bounded: it stops by itself
after ``lifetime_s``.
"""

from __future__ import annotations

import contextlib
import fnmatch
import http.client
import json
import random
import socket
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

FAULTS = (
    "drop_before",
    "reset_upload",
    "drop_after",
    "delay",
    "status_429",
    "status_500",
    "status_502",
    "status_503",
    "truncate",
)
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
}


@dataclass
class FaultPlan:
    """Which faults to inject and how often.

    Attributes:
        probabilities: Fault name -> probability per request (their sum must be <= 1).
        seed: Seed of the RNG that draws faults.
        delay_s: ``(low, high)`` bounds of an injected delay.
        retry_after_s: Value of the ``Retry-After`` header sent with an injected 429.
        only: Glob patterns ``"METHOD /path"``; requests that match none are never faulted.
        script: Glob pattern ``"METHOD /path"`` -> faults applied, in order, to the next matching
            requests (deterministic scenarios); scripted faults win over random ones.
    """

    probabilities: Mapping[str, float] = field(default_factory=dict)
    seed: int = 0
    delay_s: tuple[float, float] = (0.05, 0.3)
    retry_after_s: int = 1
    only: tuple[str, ...] = ("*",)
    script: Mapping[str, Iterable[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.probabilities) - set(FAULTS)
        for faults in self.script.values():
            unknown |= set(faults) - set(FAULTS) - {"pass"}
        if unknown:
            raise ValueError(f"unknown fault(s) {sorted(unknown)}; known: {FAULTS}")
        if sum(self.probabilities.values()) > 1.0 + 1e-9:
            raise ValueError("fault probabilities sum to more than 1")


@dataclass(frozen=True)
class Event:
    """One request seen by the proxy."""

    at: float
    method: str
    path: str
    fault: str
    status: int | None


class FaultProxy:
    """Run the proxy in a daemon thread; use as a context manager.

    Args:
        upstream: Base URL of the real server, e.g. ``"http://127.0.0.1:8123"``.
        plan: The faults to inject.
        lifetime_s: The proxy shuts itself down after this many seconds.
        upstream_timeout_s: Timeout of each forwarded request.
    """

    def __init__(
        self,
        upstream: str,
        plan: FaultPlan | None = None,
        *,
        lifetime_s: float = 600.0,
        upstream_timeout_s: float = 60.0,
    ) -> None:
        parts = urlsplit(upstream)
        self.upstream = upstream.rstrip("/")
        self._upstream_addr = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.plan = plan or FaultPlan()
        self.lifetime_s = lifetime_s
        self.upstream_timeout_s = upstream_timeout_s
        self._rng = random.Random(self.plan.seed)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._script = {pattern: deque(faults) for pattern, faults in self.plan.script.items()}
        self.events: list[Event] = []
        self.faults: Counter[str] = Counter()
        self._server: ThreadingHTTPServer | None = None
        self._timer: threading.Timer | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        assert self._server is not None, "the proxy is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FaultProxy:
        self._server = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        self._timer = threading.Timer(self.lifetime_s, self.close)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop accepting connections, then wait for the requests in flight (idempotent).

        A request the client gave up on (a delayed submit, say) may still be on its way to the
        server; once ``close`` returns, every request the proxy accepted has been answered or
        dropped, so the server's state is final for what the client sent.
        """
        server, self._server = self._server, None
        if self._timer is not None:
            self._timer.cancel()
        if server is not None:
            server.shutdown()
            server.server_close()
        with self._idle:
            # The bound only turns a proxy bug into a failure instead of a hang.
            assert self._idle.wait_for(lambda: self._in_flight == 0, timeout=300), "stuck request"

    def _begin(self) -> None:
        with self._lock:
            self._in_flight += 1

    def _end(self) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    # -- decisions --------------------------------------------------------------------------------

    def choose(self, method: str, path: str) -> str:
        """Return the fault for one request (``"pass"`` for none) and count it."""
        target = f"{method} {path.split('?', 1)[0]}"
        with self._lock:
            fault = "pass"
            for pattern, queue in self._script.items():
                if queue and fnmatch.fnmatchcase(target, pattern):
                    fault = queue.popleft()
                    break
            else:
                if any(fnmatch.fnmatchcase(target, pattern) for pattern in self.plan.only):
                    fault = self._draw()
            self.faults[fault] += 1
            return fault

    def _draw(self) -> str:
        roll = self._rng.random()
        for name, probability in self.plan.probabilities.items():
            if roll < probability:
                return name
            roll -= probability
        return "pass"

    def delay(self) -> float:
        """Return one injected delay in seconds."""
        with self._lock:
            return self._rng.uniform(*self.plan.delay_s)

    def record(self, method: str, path: str, fault: str, status: int | None) -> None:
        """Remember one request (for the report and the Retry-After check)."""
        with self._lock:
            self.events.append(
                Event(time.monotonic(), method, path.split("?", 1)[0], fault, status)
            )

    def injected(self) -> int:
        """Return how many requests got a fault."""
        with self._lock:
            return sum(count for name, count in self.faults.items() if name != "pass")

    def retry_after_gaps(
        self, shared: tuple[str, ...] = ("/jobs", "/_storage/upload")
    ) -> list[tuple[str, float]]:
        """Return, per injected 429 whose path was requested again, the seconds until the retry.

        Paths in ``shared`` are skipped: every client uses them, so the next request on them need
        not be a retry of the refused one.
        """
        with self._lock:
            events = list(self.events)
        gaps: list[tuple[str, float]] = []
        for index, event in enumerate(events):
            if event.fault != "status_429" or event.path.rstrip("/") in shared:
                continue
            later = (
                e for e in events[index + 1 :] if (e.method, e.path) == (event.method, event.path)
            )
            nxt = next(later, None)
            if nxt is not None:
                gaps.append((f"{event.method} {event.path}", nxt.at - event.at))
        return gaps

    # -- forwarding -------------------------------------------------------------------------------

    def forward(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        """Send one request upstream and return ``(status, reason, headers, body)``."""
        conn = http.client.HTTPConnection(*self._upstream_addr, timeout=self.upstream_timeout_s)
        try:
            sent = [
                (k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP and k.lower() != "host"
            ]
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", f"{self._upstream_addr[0]}:{self._upstream_addr[1]}")
            for key, value in sent:
                conn.putheader(key, value)
            conn.putheader("Content-Length", str(len(body)))
            conn.putheader("Connection", "close")
            conn.endheaders(body)
            response = conn.getresponse()
            data = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
            return response.status, response.reason, kept, self._rewrite(data, kept)
        finally:
            conn.close()

    def _rewrite(self, data: bytes, headers: list[tuple[str, str]]) -> bytes:
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        if "json" not in content_type or self._server is None:
            return data
        return data.replace(self.upstream.encode(), self.url.encode())


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # injected resets make the stdlib print tracebacks for sockets we broke on purpose


def _make_handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(_FaultHandler):
        owner = proxy

    return Handler


class _FaultHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: FaultProxy

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass  # quiet: the proxy keeps its own event list

    def _dispatch(self) -> None:
        self.owner._begin()
        try:
            self._play()
        finally:
            self.owner._end()

    def _play(self) -> None:
        method, path = self.command, self.path
        fault = self.owner.choose(method, path)
        if fault == "reset_upload":
            self._read_body(partial=True)
            self.owner.record(method, path, fault, None)
            return self._reset()
        body = self._read_body()
        if fault == "drop_before":
            self.owner.record(method, path, fault, None)
            return self._drop()
        if fault.startswith("status_"):
            return self._answer_fault(method, path, fault)
        if fault == "delay":
            time.sleep(self.owner.delay())
        try:
            status, reason, headers, data = self.owner.forward(
                method, path, list(self.headers.items()), body
            )
        except OSError:
            self.owner.record(method, path, "upstream_error", None)
            return self._drop()
        self.owner.record(method, path, fault, status)
        if fault == "drop_after":
            return self._drop()
        self._send(status, reason, headers, data, truncate=fault == "truncate")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch  # noqa: N815

    def _read_body(self, partial: bool = False) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if partial:
            length = length // 2
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _answer_fault(self, method: str, path: str, fault: str) -> None:
        status = int(fault.split("_")[1])
        headers = [("Content-Type", "application/json")]
        if status in (429, 503):
            headers.append(("Retry-After", str(self.owner.plan.retry_after_s)))
        body = json.dumps({"message": f"injected fault {status}"}).encode()
        self.owner.record(method, path, fault, status)
        self._send(status, "Injected", headers, body)

    def _send(
        self,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        body: bytes,
        truncate: bool = False,
    ) -> None:
        self.send_response(status, reason)
        for key, value in headers:
            if key.lower() not in ("server", "date"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        if truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body[: len(body) // 2] if truncate else body)
        self.wfile.flush()
        if truncate:
            self._drop()

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _reset(self) -> None:
        self.close_connection = True
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN: a mid-upload reset.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
