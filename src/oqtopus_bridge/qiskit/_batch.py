"""A batch of OQTOPUS jobs behind one Qiskit handle: status mapping, waiting, failures, cancel.

Both :class:`~oqtopus_bridge.qiskit.OqtopusJob` (``backend.run``) and the V2 primitives' jobs hold a
:class:`JobBatch`. Its id is the child ids joined by ``;`` (Braket's convention), so
``provider.retrieve_job`` can take it apart again.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from qiskit.providers import JobStatus

from oqtopus_bridge.concurrency import run_concurrently
from oqtopus_bridge.errors import BackendError, JobCancelledError, JobFailedError
from oqtopus_bridge.errors import JobTimeoutError as _CoreJobTimeoutError
from oqtopus_bridge.jobs import wait_all
from oqtopus_bridge.qiskit.exceptions import OqtopusJobError, OqtopusJobTimeoutError

__all__ = [
    "ID_SEPARATOR",
    "LOCAL_PREFIX",
    "STATUS_MAP",
    "JobBatch",
    "aggregate_status",
    "to_job_status",
]

logger = logging.getLogger(__name__)

ID_SEPARATOR = ";"
LOCAL_PREFIX = "unsubmitted-"
"""Prefix of the id of a Qiskit job that sent nothing to the service."""

STATUS_MAP = {
    "registered": JobStatus.INITIALIZING,
    "submitted": JobStatus.QUEUED,
    "ready": JobStatus.QUEUED,
    "running": JobStatus.RUNNING,
    "cancelling": JobStatus.RUNNING,  # not final: the job may still finish (adapters.md §3.5)
    "succeeded": JobStatus.DONE,
    "failed": JobStatus.ERROR,
    "cancelled": JobStatus.CANCELLED,
}
_FINAL = (JobStatus.DONE, JobStatus.ERROR, JobStatus.CANCELLED)
_warned_statuses: set[str] = set()


def to_job_status(status: str) -> JobStatus:
    """Map an OQTOPUS status to Qiskit's ``JobStatus``.

    An unknown status is reported once as a warning and treated as ``RUNNING`` (not final), so
    waiting goes on until a known final status or the caller's timeout (a hang seen elsewhere:
    qiskit-ibm-runtime #2673).
    """
    mapped = STATUS_MAP.get(status)
    if mapped is None:
        if status not in _warned_statuses:
            _warned_statuses.add(status)
            warnings.warn(
                f"unknown OQTOPUS job status {status!r}; treating it as running",
                RuntimeWarning,
                stacklevel=3,
            )
        return JobStatus.RUNNING
    return mapped


def aggregate_status(statuses: Iterable[JobStatus]) -> JobStatus:
    """The status of a batch: unfinished while any child is, then ERROR > CANCELLED > DONE."""
    values = list(statuses)
    pending = [s for s in values if s not in _FINAL]
    if pending:
        for status in (JobStatus.RUNNING, JobStatus.QUEUED, JobStatus.VALIDATING):
            if status in pending:
                return status
        return JobStatus.INITIALIZING
    for status in (JobStatus.ERROR, JobStatus.CANCELLED):
        if status in values:
            return status
    return JobStatus.DONE


class JobBatch:
    """OQTOPUS child jobs that together form one Qiskit job.

    A batch may be empty when nothing needed the service (every circuit measures nothing); its id
    is then a local one (``LOCAL_PREFIX``), and it is done at once.

    Args:
        children: Core job handles (sampling or estimation), in submission order.
    """

    def __init__(self, children: Sequence[Any]) -> None:
        self.children = list(children)
        self._local_id = f"{LOCAL_PREFIX}{uuid.uuid4().hex}"

    @property
    def job_id(self) -> str:
        """The composite id: child ids joined by ``;`` (a local id for an empty batch)."""
        if not self.children:
            return self._local_id
        return ID_SEPARATOR.join(child.job_id for child in self.children)

    def status(self) -> JobStatus:
        """Refresh unfinished children (concurrently) and return the aggregate status."""
        pending = [c for c in self.children if to_job_status(c.status) not in _FINAL]
        run_concurrently([child.refresh for child in pending])
        return aggregate_status(to_job_status(child.status) for child in self.children)

    def wait(self, timeout: float | None) -> None:
        """Wait until every child has ended.

        Raises:
            OqtopusJobTimeoutError: If some child is still unfinished after ``timeout`` seconds.
        """
        try:
            wait_all(self.children, timeout)
        except _CoreJobTimeoutError as exc:
            raise OqtopusJobTimeoutError(
                f"job {self.job_id} did not finish within {timeout} s; it keeps running on the "
                "service: call result() again, or provider.retrieve_job(job_id) later",
                self.job_id,
            ) from exc

    def results(self, timeout: float | None = None) -> list[Any]:
        """Wait, then return every child's core result in submission order.

        Raises:
            OqtopusJobTimeoutError: If waiting exceeds ``timeout``.
            OqtopusJobError: If any child failed or was cancelled; the message lists every such
                child with the service's message.
        """
        self.wait(timeout)
        results, problems = [], []
        for child in self.children:
            try:
                results.append(child.result())
            except (JobFailedError, JobCancelledError) as exc:
                problems.append(f"{child.job_id}: {exc}")
        if problems:
            raise OqtopusJobError(
                f"{len(problems)} of {len(self.children)} OQTOPUS jobs did not succeed; "
                + "; ".join(problems),
                self.job_id,
            )
        return results

    def cancel(self) -> bool:
        """Cancel unfinished children.

        Returns:
            True if some child was still unfinished and the service accepted every cancel request;
            False if there was nothing left to cancel (every child had already ended, possibly
            while the request was on its way), as ``JobV1``/``AerJob.cancel`` report it.

        Raises:
            BackendError: The service refused to cancel a job that has not ended (the message says
                why), or could not be reached.
        """
        pending = [c for c in self.children if to_job_status(c.status) not in _FINAL]
        if not pending:
            return False
        outcomes = run_concurrently([lambda c=child: _try_cancel(c) for child in pending])
        return all(outcomes)


def _try_cancel(child: Any) -> bool:
    """Cancel one child; a refusal because it has just ended is not an error (issue 14)."""
    try:
        child.cancel()
    except BackendError as refused:
        with contextlib.suppress(BackendError):  # the refusal says more than a failed refresh
            child.refresh()
        if to_job_status(child.status) not in _FINAL:
            raise refused
        logger.debug("OQTOPUS job %s ended before it could be cancelled", child.job_id)
        return False
    return True
