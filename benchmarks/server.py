"""The benchmark server process: one LocalServer behind an ASGI wrapper that counts HTTP traffic.

Run as a script by :class:`benchmarks.harness.ServerProcess`. It prints one JSON line (url, token,
pid) once it accepts requests and serves until its stdin closes. The server code is not modified:
``create_app`` is wrapped, so every request (API and presigned storage) passes the counter.
``GET /__bench/stats`` returns the counters and ``POST /__bench/reset`` zeroes them; neither is
counted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]

#: Job ids (UUIDs) and storage keys under them collapse into one route name per endpoint.
_MAX_SEQUENCE = 50_000
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def route_name(method: str, path: str) -> str:
    """Return ``"GET /jobs/{id}/status"``-style names for per-endpoint counts."""
    return f"{method} {_ID.sub('{id}', path)}"


def _header_bytes(headers: Any) -> int:
    # "name: value\r\n" per header; close enough to the wire size for a per-job comparison.
    return sum(len(name) + len(value) + 4 for name, value in headers)


class TrafficCounter:
    """ASGI middleware counting requests and bytes (request line, headers and bodies, both ways)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._lock = threading.Lock()
        self.engine: Any = None  # set once the server runs: its engine reports ready workers
        self.reset()

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self.requests = 0
            self.bytes_in = 0
            self.bytes_out = 0
            self.routes: Counter[str] = Counter()
            self.sequence: list[str] = []  # route names in arrival order (bounded)

    def snapshot(self) -> dict[str, Any]:
        """Return the counters as a JSON-ready dict."""
        with self._lock:
            return {
                "requests": self.requests,
                "bytes_in": self.bytes_in,
                "bytes_out": self.bytes_out,
                "routes": dict(self.routes),
                "sequence": list(self.sequence),
                "ready_workers": self._ready_workers(),
            }

    def _ready_workers(self) -> int | None:
        # None before the server runs, or on a server older than the count (A/B runs).
        count = getattr(self.engine, "ready_workers", None)
        return None if count is None else int(count())

    def _add(self, *, requests: int = 0, bytes_in: int = 0, bytes_out: int = 0) -> None:
        with self._lock:
            self.requests += requests
            self.bytes_in += bytes_in
            self.bytes_out += bytes_out

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith("/__bench/"):
            await self._control(scope, send)
            return
        line = len(scope["method"]) + len(scope.get("raw_path") or b"") + 11
        self._add(requests=1, bytes_in=line + _header_bytes(scope["headers"]))
        name = route_name(scope["method"], scope["path"])
        with self._lock:
            self.routes[name] += 1
            if len(self.sequence) < _MAX_SEQUENCE:
                self.sequence.append(name)

        async def counting_receive() -> Message:
            message: Message = await receive()
            if message["type"] == "http.request":
                self._add(bytes_in=len(message.get("body", b"")))
            return message

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._add(bytes_out=17 + _header_bytes(message.get("headers", [])))
            elif message["type"] == "http.response.body":
                self._add(bytes_out=len(message.get("body", b"")))
            await send(message)

        await self.app(scope, counting_receive, counting_send)

    async def _control(self, scope: Scope, send: Any) -> None:
        if scope["method"] == "POST" and scope["path"] == "/__bench/reset":
            self.reset()
        body = json.dumps(self.snapshot()).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def main(argv: list[str] | None = None) -> None:
    """Serve until stdin closes (the parent benchmark process exits or stops the server)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)

    import oqtopus_bridge.local.server as server_module
    from oqtopus_bridge.local import LocalServer

    original = server_module.create_app

    counters: list[TrafficCounter] = []

    def counting_create_app(*a: Any, **kw: Any) -> Any:
        counters.append(TrafficCounter(original(*a, **kw)))
        return counters[-1]

    server_module.create_app = counting_create_app  # type: ignore[assignment]
    with LocalServer(data_dir=args.data_dir, workers=args.workers) as server:
        for counter in counters:
            counter.engine = server._context.engine  # type: ignore[union-attr]
        workers = server._context.settings.worker_count  # type: ignore[union-attr]
        ready = {"url": server.url, "token": server.token, "pid": os.getpid(), "workers": workers}
        print(json.dumps(ready), flush=True)
        sys.stdin.read()  # serve until the parent closes our stdin


if __name__ == "__main__":
    main()
