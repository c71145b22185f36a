"""The request watchdog cuts only the connection its request holds, also in a forked child."""

from __future__ import annotations

import multiprocessing
import time

from oqtopus_bridge import deadline as deadlines


class _Sock:
    def __init__(self) -> None:
        self.shut = False

    def shutdown(self, how: int) -> None:
        self.shut = True


class _Conn:
    def __init__(self) -> None:
        self.sock = _Sock()


def test_a_connection_given_back_to_its_pool_is_not_cut_by_the_old_deadline() -> None:
    kept, held = _Conn(), _Conn()
    budget = deadlines.Deadline(60)
    budget.attach(kept)
    budget.detach(kept)  # back in the pool while a retry waits: another thread may take it
    budget.attach(held)
    assert budget.expire() is True
    assert (kept.sock.shut, held.sock.shut) == (False, True)


def _child_watchdog_expires(queue: multiprocessing.Queue) -> None:
    with deadlines.request_deadline(0.01) as budget:
        assert budget is not None
        for _ in range(3000):  # a hang guard: the watchdog expires it after 10 ms
            if budget.expired:
                break
            time.sleep(0.01)
        queue.put(budget.expired)


def test_a_forked_child_has_a_watchdog_of_its_own() -> None:
    with deadlines.request_deadline(60):
        pass  # the parent's watchdog thread runs now
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child_watchdog_expires, args=(queue,))
    child.start()
    assert queue.get(timeout=120) is True
    child.join()
