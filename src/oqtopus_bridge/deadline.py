"""Per-request deadlines: a watchdog that ends a request whose whole answer takes too long.

``requests``' read timeout bounds each socket read, so a server (or a proxy) that sends one byte
every few seconds keeps a request waiting forever (issue 21). A `Deadline` bounds the request as a
whole: connect, sending, the headers and every chunk of the body, and urllib3's retries. The
thread that sends the request enters `request_deadline`; the connection pools of our sessions
(`WatchedAdapter`) tell the current deadline which connection the request uses; when the deadline
passes, one shared watchdog thread shuts that connection's socket down, which wakes the blocked
read at once. The caller then sees `Deadline.expired` and raises the library's timeout error.

Watching costs one heap push per request; the watchdog sleeps until the earliest deadline.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import requests.adapters
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["Deadline", "WatchedAdapter", "current_deadline", "request_deadline"]

#: How often an expired, unfinished request's connection is cut again (a retry's new connection).
_RECHECK = 0.1

_local = threading.local()


class Deadline:
    """The time budget of one request and the connection it uses now.

    Args:
        seconds: The budget, from now.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self.done = False
        self._conn: Any = None
        self._lock = threading.Lock()

    def attach(self, conn: Any) -> None:
        """Note the connection the request uses now (cut at once if the deadline has passed)."""
        with self._lock:
            if self.done:
                return
            self._conn = conn
            if self.expired:
                _cut(conn)

    def expire(self) -> bool:
        """Mark the deadline passed, cut the connection; return whether the request is still on."""
        with self._lock:
            if self.done:
                return False
            self.expired = True
            if self._conn is not None:
                _cut(self._conn)
            return True

    def detach(self, conn: Any) -> None:
        """The request gave ``conn`` back to its pool (a retry waits, or it is done): leave it be.

        Another thread may take the connection from the pool meanwhile; cutting it then would end
        that thread's request, which this deadline says nothing about.
        """
        with self._lock:
            if self._conn is conn:
                self._conn = None

    def finish(self) -> None:
        """The request is over: the watchdog leaves its connection alone from now on."""
        with self._lock:
            self.done = True
            self._conn = None


def _cut(conn: Any) -> None:
    sock = getattr(conn, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread that expires deadlines in time order."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        """Start empty, with no thread (also in a forked child, where the thread did not follow)."""
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: Deadline) -> None:
        """Expire ``deadline`` when its time comes (unless it finished before)."""
        with self._wake:
            if len(self._heap) > 1024:
                self._compact()
            heapq.heappush(self._heap, (deadline.at, next(self._order), deadline))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="oqtopus-deadlines", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is deadline:
                self._wake.notify()

    def _compact(self) -> None:
        live = [entry for entry in self._heap if not entry[2].done]
        if len(live) < len(self._heap):
            heapq.heapify(live)
            self._heap = live

    def _run(self) -> None:
        with self._wake:
            while True:
                if not self._heap:
                    self._wake.wait()
                    continue
                at, _, deadline = self._heap[0]
                now = time.monotonic()
                if deadline.done:
                    heapq.heappop(self._heap)
                elif at > now:
                    self._wake.wait(at - now)
                else:
                    heapq.heappop(self._heap)
                    if deadline.expire():  # still running: cut any new connection soon
                        heapq.heappush(self._heap, (now + _RECHECK, next(self._order), deadline))


_WATCHDOG = _Watchdog()
# A forked child has the parent's heap but not its thread: it would never expire a deadline.
os.register_at_fork(after_in_child=_WATCHDOG._reset)


def current_deadline() -> Deadline | None:
    """The deadline of the request this thread is sending, or None."""
    deadline: Deadline | None = getattr(_local, "deadline", None)
    return deadline


@contextlib.contextmanager
def request_deadline(seconds: float | None) -> Iterator[Deadline | None]:
    """Bound every request this thread sends inside the block by one budget of ``seconds``.

    Args:
        seconds: The budget; None for no deadline.

    Yields:
        The `Deadline` (check ``expired`` when a request fails), or None.
    """
    if seconds is None:
        yield None
        return
    deadline = Deadline(seconds)
    outer = current_deadline()
    _local.deadline = deadline
    _WATCHDOG.watch(deadline)
    try:
        yield deadline
    finally:
        deadline.finish()
        _local.deadline = outer


class _Watched:
    """Pool methods that tell the sending thread's deadline which connection it holds."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)  # type: ignore[misc]
        deadline = current_deadline()
        if deadline is not None:
            deadline.attach(conn)
        return conn

    def _put_conn(self, conn: Any) -> None:
        deadline = current_deadline()
        if deadline is not None:
            deadline.detach(conn)
        super()._put_conn(conn)  # type: ignore[misc]


class _WatchedHTTPPool(_Watched, HTTPConnectionPool):
    pass


class _WatchedHTTPSPool(_Watched, HTTPSConnectionPool):
    pass


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class WatchedAdapter(requests.adapters.HTTPAdapter):
    """An ``HTTPAdapter`` whose pools report each request's connection to its deadline."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """Create the pool manager as requests does, with the watched pool classes."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        """The proxy's pool manager as requests builds it, with the watched pool classes."""
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if hasattr(manager, "pool_classes_by_scheme"):
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager
