"""How to wait for jobs: a growing, capped poll interval with an injectable clock and sleep."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator

__all__ = ["DEFAULT_POLICY", "MIN_HOLD_S", "PollPolicy", "poll_until", "wait_held"]

#: The shortest ``Prefer: wait`` a held poll asks for: the server answers as soon as the job ends.
MIN_HOLD_S = 1.0


@dataclasses.dataclass(frozen=True)
class PollPolicy:
    """Poll intervals that start small and grow geometrically up to a cap.

    A local job finishes in well under a second, so the first poll comes after ``first`` seconds; a
    queued cloud job is not hammered because the interval grows by ``factor`` up to ``cap`` (the
    caller's ``wait``). Tests inject ``clock`` and ``sleep`` so they never really sleep.

    Attributes:
        first: First interval in seconds.
        factor: Growth factor per poll.
        cap: Largest interval in seconds.
        clock: Monotonic clock returning seconds.
        sleep: Function that sleeps for the given seconds.
    """

    # 10 ms: a small local job ends ~15-25 ms after submit; a 50 ms first poll doubled its
    # submit-to-counts latency (issue 10 benchmarks). Cloud jobs only see two extra cheap polls.
    first: float = 0.01
    factor: float = 1.5
    cap: float = 10.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def with_cap(self, cap: float) -> PollPolicy:
        """Return a copy whose interval never exceeds ``cap`` (and starts no later than it)."""
        if cap < 0:
            raise ValueError(f"wait must be >= 0 seconds, not {cap}")
        return dataclasses.replace(self, cap=cap, first=min(self.first, cap))

    def intervals(self) -> Iterator[float]:
        """Yield the successive intervals forever."""
        interval = self.first
        while True:
            yield min(interval, self.cap)
            interval = min(interval * self.factor, self.cap) if self.factor > 1 else interval


DEFAULT_POLICY = PollPolicy()


def poll_until(check: Callable[[], bool], timeout: float | None, policy: PollPolicy) -> bool:
    """Sleep, then call ``check`` until it returns True or ``timeout`` seconds have passed.

    Args:
        check: Returns True when the wait is over (it may do one HTTP request).
        timeout: Seconds to wait at most; None waits forever.
        policy: The intervals, clock and sleep to use.

    Returns:
        True if ``check`` succeeded, False on timeout.
    """
    return wait_held(lambda hold: (check(), False), timeout, policy, at_once=False)


def wait_held(
    ask: Callable[[float], tuple[bool, bool]],
    timeout: float | None,
    policy: PollPolicy,
    *,
    at_once: bool = True,
) -> bool:
    """Wait with requests the server may hold (``Prefer: wait``), sleeping only where it does not.

    ``ask(hold)`` sends one request that the server may hold for up to ``hold`` seconds and returns
    ``(done, held)``. The first request goes at once (unless ``at_once`` is false: the server is
    known not to hold), and so does each one after a request the server held: the server did the
    waiting, and answered the moment the job ended. After a request it did not hold (OQTOPUS
    Cloud ignores the preference), the policy's interval is slept, as `poll_until` does. ``hold``
    is the policy's interval, at least `MIN_HOLD_S` (the cap bounds the time between polls; a held
    answer comes the moment the job ends), and never passes the time left.

    Args:
        ask: Sends one (possibly held) request.
        timeout: Seconds to wait at most; None waits forever.
        policy: The intervals, clock and sleep to use.
        at_once: Send the first request without sleeping first.

    Returns:
        True if ``ask`` said done, False on timeout.
    """
    start = policy.clock()

    def left() -> float | None:
        return None if timeout is None else timeout - (policy.clock() - start)

    held = at_once  # whether to skip the sleep before the next request
    for interval in policy.intervals():
        remaining = left()
        if remaining is not None and remaining <= 0:
            return False
        if not held:
            policy.sleep(interval if remaining is None else min(interval, remaining))
            remaining = left()
        hold = max(MIN_HOLD_S, interval)  # held answers come when the job ends: no cap needed
        if remaining is not None:
            hold = max(0.0, min(hold, remaining))
        done, held = ask(hold)
        if done:
            return True
        held = held and hold > 0  # a zero hold waited for nothing: sleep before the next
    return False  # pragma: no cover  # intervals() is infinite
