"""Fault injection: the core client submits through a proxy that breaks ~20% of requests.

One bounded run (``fault_run``) feeds several tests: invariants that must hold whatever the client
gives up on (no duplicate job, no job that runs after the client said it failed, clear errors, no
hang, ``Retry-After`` honoured), and the headline requirement (every submission completes exactly
once with a correct result).
"""

from __future__ import annotations

import collections
import dataclasses
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fault_proxy import FaultPlan, FaultProxy
from figures import Report, size
from raw_client import BELL, RawClient

from oqtopus_bridge import BackendError, OqtopusConfig, OqtopusSamplingBackend

SHOTS = 20
RAN = ("submitted", "ready", "running", "succeeded", "failed")
# ~20% of requests get a fault, spread over every kind the proxy knows.
MIX = {
    "drop_before": 0.03,
    "drop_after": 0.03,
    "reset_upload": 0.01,
    "delay": 0.03,
    "status_429": 0.02,
    "status_500": 0.01,
    "status_502": 0.02,
    "status_503": 0.02,
    "truncate": 0.03,
}
READ_TIMEOUT = 5.0
RESULT_TIMEOUT = 90.0
# The longest a call may take: every retry budget spent on the slowest faults, with backoff caps.
CALL_BOUND = 60.0


@dataclasses.dataclass
class Outcome:
    name: str
    job_id: str | None = None
    submit_error: BaseException | None = None
    result_error: BaseException | None = None
    counts: dict[int, int] | None = None
    submit_s: float = 0.0
    result_s: float = 0.0


def _one(backend: OqtopusSamplingBackend, name: str) -> Outcome:
    outcome = Outcome(name)
    start = time.monotonic()
    try:
        job = backend.sample_qasm(BELL, device_id="qulacs", shots=SHOTS, name=name)
        outcome.job_id = job.job_id
    except Exception as exc:
        outcome.submit_error = exc
        return outcome
    finally:
        outcome.submit_s = time.monotonic() - start
    start = time.monotonic()
    try:
        outcome.counts = dict(job.result(timeout=RESULT_TIMEOUT, wait=0.3, progress=False).counts)
    except Exception as exc:
        outcome.result_error = exc
    outcome.result_s = time.monotonic() - start
    return outcome


@dataclasses.dataclass
class FaultRun:
    outcomes: list[Outcome]
    server_jobs: dict[str, list[dict[str, Any]]]
    orphans: int
    faults: dict[str, int]
    requests: int
    retry_after_gaps: list[tuple[str, float]]
    wall_s: float


@pytest.fixture(scope="module")
def fault_run(fresh_server: Any) -> FaultRun:
    total = size(150, 1000)
    plan = FaultPlan(probabilities=MIX, seed=9, delay_s=(0.05, 0.5), retry_after_s=1)
    with FaultProxy(fresh_server.url, plan, lifetime_s=size(600, 3600)) as proxy:
        config = OqtopusConfig(
            proxy.url,
            fresh_server.token,
            protocol="storage",
            connect_timeout=2.0,
            read_timeout=READ_TIMEOUT,
        )
        backend = OqtopusSamplingBackend(config)
        begin = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            outcomes = list(pool.map(lambda i: _one(backend, f"fault-{i}"), range(total)))
        wall = time.monotonic() - begin
        faults = {k: v for k, v in proxy.faults.items() if k != "pass"}
        requests, gaps = sum(proxy.faults.values()), proxy.retry_after_gaps()
    truth = RawClient(fresh_server.url, fresh_server.token).list_jobs()
    by_name: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for job in truth:
        by_name[str(job.get("name", ""))].append(job)
    orphans = sum(1 for job in truth if job["status"] == "registered")
    return FaultRun(outcomes, dict(by_name), orphans, faults, requests, gaps, wall)


def _ran(run: FaultRun, name: str) -> list[dict[str, Any]]:
    return [job for job in run.server_jobs.get(name, []) if job["status"] in RAN]


def test_faults_were_injected(fault_run: FaultRun) -> None:
    share = sum(fault_run.faults.values()) / fault_run.requests
    assert 0.12 < share < 0.28, fault_run.faults
    assert set(fault_run.faults) == set(MIX), "every fault kind should occur in the run"


def test_no_job_is_ever_duplicated(fault_run: FaultRun) -> None:
    duplicated = {
        o.name: len(_ran(fault_run, o.name))
        for o in fault_run.outcomes
        if len(_ran(fault_run, o.name)) > 1
    }
    assert duplicated == {}


def test_a_returned_job_is_the_one_that_runs_and_its_result_is_correct(fault_run: FaultRun) -> None:
    for outcome in fault_run.outcomes:
        if outcome.job_id is None:
            continue
        assert [job["job_id"] for job in _ran(fault_run, outcome.name)] == [outcome.job_id]
        if outcome.counts is not None:
            assert sum(outcome.counts.values()) == SHOTS
            assert set(outcome.counts) <= {0b00, 0b11}


def test_errors_are_clear_backend_errors(fault_run: FaultRun, fresh_server: Any) -> None:
    for outcome in fault_run.outcomes:
        for error in (outcome.submit_error, outcome.result_error):
            if error is None:
                continue
            assert isinstance(error, BackendError), repr(error)
            assert len(str(error)) > 20 and fresh_server.token not in str(error)


def test_no_call_hangs_past_its_timeouts(fault_run: FaultRun) -> None:
    assert max(o.submit_s for o in fault_run.outcomes) < CALL_BOUND
    assert max(o.result_s for o in fault_run.outcomes) < RESULT_TIMEOUT + CALL_BOUND


def test_retry_after_is_honoured(fault_run: FaultRun) -> None:
    gaps = [gap for _, gap in fault_run.retry_after_gaps]
    assert gaps, "no 429 was retried on a job path in this run"
    assert min(gaps) >= 0.95, sorted(fault_run.retry_after_gaps, key=lambda item: item[1])[:3]


@pytest.mark.xfail(
    strict=True,
    reason="core: submit answered 429/503/500 and GETs answered 500 are not retried; see the "
    "strict xfails in test_fault_scenarios.py",
)
def test_every_submission_completes_exactly_once(fault_run: FaultRun, report: Report) -> None:
    outcomes = fault_run.outcomes
    kinds = collections.Counter(
        "ok"
        if o.counts is not None
        else f"submit:{type(o.submit_error).__name__}"
        if o.submit_error
        else f"result:{type(o.result_error).__name__}"
        for o in outcomes
    )
    report.record(
        "faults",
        submissions=len(outcomes),
        requests_through_proxy=fault_run.requests,
        faults_injected=dict(sorted(fault_run.faults.items())),
        fault_share=round(sum(fault_run.faults.values()) / fault_run.requests, 3),
        outcomes=dict(sorted(kinds.items())),
        duplicated_jobs=sum(1 for o in outcomes if len(_ran(fault_run, o.name)) > 1),
        # The client raised, yet the job ran: a user who resubmits gets it twice. Timing-dependent
        # here; asserted deterministically in test_fault_scenarios.py.
        failed_submissions_that_ran=sum(
            1 for o in outcomes if o.submit_error is not None and _ran(fault_run, o.name)
        ),
        orphan_registered_jobs=fault_run.orphans,
        max_submit_s=round(max(o.submit_s for o in outcomes), 2),
        max_result_s=round(max(o.result_s for o in outcomes), 2),
        min_retry_after_gap_s=round(min((g for _, g in fault_run.retry_after_gaps), default=0), 2),
        wall_s=round(fault_run.wall_s, 1),
    )
    failed = {
        o.name: repr(o.submit_error or o.result_error)[:200] for o in outcomes if o.counts is None
    }
    assert failed == {}, f"{len(failed)} of {len(outcomes)} submissions did not complete: " + str(
        list(failed.items())[:5]
    )
