from __future__ import annotations

import itertools

import pytest

from oqtopus_bridge.polling import MIN_HOLD_S, PollPolicy, poll_until, wait_held


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _policy(fake: FakeClock, **kw: float) -> PollPolicy:
    return PollPolicy(clock=fake.clock, sleep=fake.sleep, **kw)


def test_intervals_start_small_grow_and_are_capped() -> None:
    policy = PollPolicy(first=0.05, factor=1.5, cap=1.0)
    intervals = list(itertools.islice(policy.intervals(), 12))
    assert intervals[0] == 0.05
    assert intervals[1] == pytest.approx(0.075)
    assert intervals == sorted(intervals)
    assert max(intervals) == 1.0


def test_with_cap_bounds_first_interval() -> None:
    policy = PollPolicy(first=0.05).with_cap(0.01)
    assert next(policy.intervals()) == 0.01
    with pytest.raises(ValueError):
        PollPolicy().with_cap(-1)


def test_poll_until_success_counts_checks() -> None:
    fake = FakeClock()
    answers = iter([False, False, True])
    assert poll_until(lambda: next(answers), None, _policy(fake, cap=10.0))
    assert len(fake.sleeps) == 3
    assert fake.sleeps[0] == PollPolicy().first


def test_poll_until_timeout_never_oversleeps() -> None:
    fake = FakeClock()
    checks = []
    assert not poll_until(lambda: checks.append(1) or False, 1.0, _policy(fake, cap=0.4))
    assert fake.now == pytest.approx(1.0)
    assert all(s <= 0.4 for s in fake.sleeps)
    assert len(checks) == len(fake.sleeps)


def test_zero_timeout_checks_at_most_once() -> None:
    fake = FakeClock()
    assert not poll_until(lambda: False, 0, _policy(fake))
    assert fake.sleeps == []


def test_job_wait_uses_injected_policy_without_sleeping() -> None:
    from oqtopus_bridge.jobs import OqtopusSamplingJob

    fake = FakeClock()

    class FakeApi:
        statuses = iter(["submitted", "running", "cancelling", "succeeded"])
        gets = 0

        def holds(self, what: str) -> bool:
            return False  # a server that ignores Prefer: wait, as OQTOPUS Cloud does

        def get_job_status(self, job_id: str) -> str:
            return next(self.statuses)

        def get_job(self, job_id: str) -> dict[str, object]:
            FakeApi.gets += 1
            return {"job_id": job_id, "status": "succeeded", "job_info": {}}

    job = OqtopusSamplingJob({"job_id": "j", "status": "submitted"}, FakeApi())  # type: ignore[arg-type]
    job.poll_policy = _policy(fake)
    assert job.wait_for_completion(timeout=100, wait=2.0) is not None
    assert len(fake.sleeps) == 4  # "cancelling" is not final
    assert max(fake.sleeps) <= 2.0
    assert FakeApi.gets == 1  # the full job is fetched once, at the end


def test_wait_held_never_sleeps_while_the_server_holds() -> None:
    fake = FakeClock()
    holds: list[float] = []

    def ask(hold: float) -> tuple[bool, bool]:
        holds.append(hold)
        fake.now += hold  # the server held the request that long
        return len(holds) == 3, True

    assert wait_held(ask, None, _policy(fake, cap=10.0))
    assert fake.sleeps == []
    assert holds[0] == MIN_HOLD_S
    assert holds == sorted(holds)


def test_wait_held_sleeps_like_poll_until_when_the_server_does_not_hold() -> None:
    fake = FakeClock()
    answers = iter([False, False, False, True])
    ask = lambda hold: (next(answers), False)  # noqa: E731
    assert wait_held(ask, None, _policy(fake, cap=10.0), at_once=False)
    assert len(fake.sleeps) == 4
    assert fake.sleeps[0] == PollPolicy().first


def test_wait_held_probes_at_once_then_sleeps_when_the_server_does_not_hold() -> None:
    fake = FakeClock()
    answers = iter([False, False, False, True])
    assert wait_held(lambda hold: (next(answers), False), None, _policy(fake, cap=10.0))
    assert len(fake.sleeps) == 3  # the first request went at once: it might have been held


def test_wait_held_asks_no_longer_hold_than_the_time_left() -> None:
    fake = FakeClock()
    holds: list[float] = []

    def ask(hold: float) -> tuple[bool, bool]:
        holds.append(hold)
        fake.now += hold
        return False, True

    assert not wait_held(ask, 2.5, _policy(fake, cap=10.0))
    assert fake.now == pytest.approx(2.5)
    assert sum(holds) == pytest.approx(2.5)


def test_wait_held_with_a_zero_cap_still_holds() -> None:
    fake = FakeClock()
    holds: list[float] = []
    answers = iter([False, False, True])

    def ask(hold: float) -> tuple[bool, bool]:
        holds.append(hold)
        return next(answers), True

    assert wait_held(ask, None, _policy(fake).with_cap(0.0))
    assert fake.sleeps == [] and holds == [MIN_HOLD_S] * 3  # no busy loop either


def test_wait_held_zero_timeout_asks_nothing() -> None:
    fake = FakeClock()
    assert not wait_held(lambda hold: pytest.fail("asked"), 0, _policy(fake))
