"""OQTOPUS statuses map to Qiskit's JobStatus; unknown and cancelling ones are never final."""

from __future__ import annotations

import pytest
from qiskit.providers import JobStatus
from qiskit.providers.jobstatus import JOB_FINAL_STATES

from oqtopus_bridge.qiskit._batch import JobBatch, aggregate_status, to_job_status


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("registered", JobStatus.INITIALIZING),
        ("submitted", JobStatus.QUEUED),
        ("ready", JobStatus.QUEUED),
        ("running", JobStatus.RUNNING),
        ("cancelling", JobStatus.RUNNING),
        ("succeeded", JobStatus.DONE),
        ("failed", JobStatus.ERROR),
        ("cancelled", JobStatus.CANCELLED),
    ],
)
def test_status_map(status: str, expected: JobStatus) -> None:
    assert to_job_status(status) is expected


def test_unknown_status_warns_once_and_is_not_final() -> None:
    with pytest.warns(RuntimeWarning, match="unknown OQTOPUS job status 'paused-by-admin'"):
        assert to_job_status("paused-by-admin") not in JOB_FINAL_STATES


@pytest.mark.parametrize(
    ("children", "expected"),
    [
        ([JobStatus.DONE, JobStatus.DONE], JobStatus.DONE),
        ([JobStatus.DONE, JobStatus.RUNNING], JobStatus.RUNNING),
        ([JobStatus.QUEUED, JobStatus.ERROR], JobStatus.QUEUED),
        ([JobStatus.INITIALIZING, JobStatus.DONE], JobStatus.INITIALIZING),
        ([JobStatus.DONE, JobStatus.CANCELLED], JobStatus.CANCELLED),
        ([JobStatus.CANCELLED, JobStatus.ERROR, JobStatus.DONE], JobStatus.ERROR),
    ],
)
def test_aggregate_status(children: list[JobStatus], expected: JobStatus) -> None:
    assert aggregate_status(children) is expected


class _RefusingChild:
    """A child job whose cancel the service refuses; refresh reveals its real status."""

    def __init__(self, status_after_refusal: str) -> None:
        self.job_id = "j1"
        self.status = "running"
        self._after = status_after_refusal

    def cancel(self) -> None:
        from oqtopus_bridge.errors import BadRequestError

        raise BadRequestError(400, "job j1 cannot be cancelled")

    def refresh(self) -> None:
        self.status = self._after


@pytest.mark.parametrize("ended", ["succeeded", "failed", "cancelled"])
def test_cancel_refused_because_the_job_ended_is_false_and_quiet(
    ended: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert JobBatch([_RefusingChild(ended)]).cancel() is False
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]


def test_cancel_refused_for_a_running_job_raises_the_service_error() -> None:
    from oqtopus_bridge.errors import BackendError

    with pytest.raises(BackendError, match="cannot be cancelled"):
        JobBatch([_RefusingChild("running")]).cancel()
