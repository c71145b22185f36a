"""How to wait for jobs: a growing, capped poll interval with an injectable clock and sleep."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator

__all__ = ["DEFAULT_POLICY", "PollPolicy", "poll_until"]


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
    start = policy.clock()
    for interval in policy.intervals():
        delay = interval
        if timeout is not None:
            remaining = timeout - (policy.clock() - start)
            if remaining <= 0:
                return False
            delay = min(interval, remaining)
        policy.sleep(delay)
        if check():
            return True
    return False  # pragma: no cover  # intervals() is infinite
