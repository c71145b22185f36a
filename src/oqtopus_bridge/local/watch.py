"""Waiting for a job to end without polling: the server side of ``Prefer: wait`` (issue 23).

A client that waits for a job polls it; each poll is a request, and a poll that comes too early is
wasted while one that comes too late adds to the job's latency (the first poll of a 4 ms job came
after 10 ms). A client may instead send ``Prefer: wait=N`` (RFC 7240: it prefers an answer within
N seconds, and it is willing to wait that long) on ``GET /jobs/{id}`` or ``GET
/jobs/{id}/status``: the server then holds the answer until the job has ended or N seconds have
passed (capped by `MAX_HOLD_S`), and says so with ``Preference-Applied``. OQTOPUS Cloud ignores the
header, as RFC 7240 lets a server do, and answers at once: the client then polls as before.

`JobWatch` is told of every status change by the repository (from whatever thread made it: the
engine's pool threads, a cancel on the event loop) and wakes the requests held for that job on
their event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import threading
from collections.abc import Callable

__all__ = ["MAX_HOLD_S", "JobWatch", "requested_wait"]

#: The longest a request is held, whatever the client asked for.
MAX_HOLD_S = 10.0

_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*\"?([0-9]+(?:\.[0-9]+)?)\"?", re.IGNORECASE)


def requested_wait(prefer: str | None) -> float | None:
    """The seconds a ``Prefer`` header asks the server to wait, capped; None if it asks nothing.

    Args:
        prefer: The request's ``Prefer`` header (several preferences may be listed).

    Returns:
        ``min(wait, MAX_HOLD_S)``, or None when the header has no (well-formed) ``wait``.
    """
    if not prefer:
        return None
    match = _WAIT.search(prefer)
    if match is None:
        return None
    value = float(match.group(1))
    return min(value, MAX_HOLD_S) if math.isfinite(value) else None


class JobWatch:
    """Wakes the requests held for a job when its status changes, or all of them at shutdown."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        self._closed = False

    def changed(self, job_id: str) -> None:
        """Wake the requests held for ``job_id`` (thread-safe; called on every status change)."""
        with self._lock:
            waiters = self._waiters.pop(job_id, ())
        for loop, event in waiters:
            _wake(loop, event)

    def close(self) -> None:
        """Wake every held request and hold no more (the server is stopping)."""
        with self._lock:
            self._closed = True
            waiters = [pair for pairs in self._waiters.values() for pair in pairs]
            self._waiters.clear()
        for loop, event in waiters:
            _wake(loop, event)

    async def hold(self, job_id: str, seconds: float, ended: Callable[[], bool]) -> None:
        """Return once ``ended()`` is true, ``seconds`` have passed, or the server stops.

        ``ended`` is checked after the request is registered, so a change that lands between the
        caller's first look and the registration is not missed.

        Args:
            job_id: The job to watch.
            seconds: The longest to wait.
            ended: Whether the job has ended (reads its status).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            event = asyncio.Event()
            with self._lock:
                if self._closed:
                    return
                self._waiters.setdefault(job_id, []).append((loop, event))
            try:
                if ended():
                    return
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return
                try:
                    await asyncio.wait_for(event.wait(), remaining)
                except asyncio.TimeoutError:
                    return
            finally:
                self._forget(job_id, event)

    def _forget(self, job_id: str, event: asyncio.Event) -> None:
        with self._lock:
            waiters = self._waiters.get(job_id)
            if waiters is None:
                return
            waiters[:] = [pair for pair in waiters if pair[1] is not event]
            if not waiters:
                del self._waiters[job_id]


def _wake(loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
    with contextlib.suppress(RuntimeError):  # that loop has closed: nothing waits on it any more
        loop.call_soon_threadsafe(event.set)
