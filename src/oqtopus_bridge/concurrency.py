"""Run independent calls (e.g. job submissions) on a bounded thread pool, results in input order."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, ClassVar, TypeVar

__all__ = ["DEFAULT_MAX_WORKERS", "LockedObject", "run_concurrently"]

T = TypeVar("T")


class LockedObject:
    """A base for objects that guard their state with ``self._lock`` and still copy and pickle.

    A lock does not pickle (``copy.deepcopy`` and ``pickle`` raised ``cannot pickle
    '_thread.lock'``, issue 24): the state is pickled without it, and a copy gets a fresh one.
    Subclasses set ``_LOCK_TYPE`` to ``threading.RLock`` where a method re-enters.
    """

    _LOCK_TYPE: ClassVar[Callable[[], Any]] = threading.Lock
    _lock: Any

    def _new_lock(self) -> None:
        self._lock = type(self)._LOCK_TYPE()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._new_lock()


#: Submissions are I/O bound (3 requests each); more threads than this only queue at the server.
DEFAULT_MAX_WORKERS = 8


def run_concurrently(calls: Sequence[Callable[[], T]], max_workers: int | None = None) -> list[T]:
    """Run zero-argument callables concurrently and return their results in input order.

    Every call runs to completion even if another fails; then the first exception, in input order,
    is re-raised (so no submission is left half-observed).

    Args:
        calls: The callables.
        max_workers: Pool size; ``min(len(calls), 8)`` when None. One call runs inline.

    Returns:
        ``[call() for call in calls]``, computed concurrently.

    Raises:
        ValueError: If ``max_workers`` is less than 1.
        Exception: The first exception raised by a call, in input order.
    """
    if max_workers is not None and max_workers < 1:
        raise ValueError(f"max_workers must be >= 1, not {max_workers}")
    if not calls:
        return []
    workers = min(len(calls), max_workers or DEFAULT_MAX_WORKERS)
    if len(calls) == 1 or workers == 1:
        return _run_serially(calls)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="oqtopus") as pool:
        futures = [pool.submit(call) for call in calls]
        wait(futures)
    for future in futures:
        error = future.exception()
        if error is not None:
            raise error
    return [future.result() for future in futures]


def _run_serially(calls: Sequence[Callable[[], T]]) -> list[T]:
    results: list[T] = []
    first_error: BaseException | None = None
    for call in calls:
        try:
            results.append(call())
        except Exception as exc:  # keep running the rest, as the pooled path does
            first_error = first_error or exc
    if first_error is not None:
        raise first_error
    return results
