"""Job handles: the documented sampling, estimation and SSE jobs, waiting, results and ``wait_all``.

Waiting polls the cheap ``GET /jobs/{id}/status`` with a growing interval
(`oqtopus_bridge.polling`); the full job and the result zip are fetched once, at the end, and
cached. A server that holds a request until the job ends (RFC 7240 ``Prefer: wait``, as the local
server does) is asked ``GET /jobs/{id}`` instead, once: it answers with the whole job the moment
the job ends, with no poll interval and no status request (issue 23).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from quri_parts.backend import SamplingJob

from oqtopus_bridge.api import OqtopusApi
from oqtopus_bridge.concurrency import LockedObject
from oqtopus_bridge.errors import (
    JobCancelledError,
    JobFailedError,
    JobTimeoutError,
    ResultError,
)
from oqtopus_bridge.interrupts import note_running_jobs
from oqtopus_bridge.models import JobRecord, JsonEncoder, is_final
from oqtopus_bridge.polling import DEFAULT_POLICY, PollPolicy, wait_held
from oqtopus_bridge.progress import StatusBar
from oqtopus_bridge.results import OqtopusEstimationResult, OqtopusSamplingResult

__all__ = ["OqtopusEstimationJob", "OqtopusJobBase", "OqtopusSamplingJob", "wait_all"]


def timeout_message(timeout: float | None) -> str:
    """The documented timeout message."""
    return f"Timeout occurred after {timeout} seconds."


class OqtopusJobBase(LockedObject):
    """Common behaviour of OQTOPUS jobs: properties, refresh, waiting, cancel, JSON.

    Args:
        job: The job as returned by the server (a dict or a ``JobRecord``).
        job_api: The API the job was created through.

    Raises:
        ValueError: If ``job`` or ``job_api`` is None.
    """

    _LOCK_TYPE = threading.RLock  # methods that hold the lock call one another

    #: How waiting polls; replace it on an instance to tune polling, or to test without sleeping.
    poll_policy: PollPolicy = DEFAULT_POLICY

    def __init__(self, job: Mapping[str, Any] | JobRecord, job_api: OqtopusApi) -> None:
        if job is None:
            raise ValueError("'job' should not be None")
        if job_api is None:
            raise ValueError("'job_api' should not be None")
        self._job = job if isinstance(job, JobRecord) else JobRecord(job)
        self._api = job_api
        self._objects: dict[str, Any] = {}  # downloaded storage objects, immutable once present
        self._job_info: dict[str, Any] | None = None
        self._complete = "job_info" in self._job.to_dict()  # record came from a full GET
        self._new_lock()  # a copy of the job gets its own lock, and its API reconnects (issue 24)

    # ----------------------------------------------------------------- properties
    @property
    def job_id(self) -> str:
        """The id of the job."""
        return self._job.job_id

    @property
    def name(self) -> str:
        """The name of the job (``""`` if none)."""
        return self._job.text("name")

    @property
    def description(self) -> str:
        """The description of the job (``""`` if none)."""
        return self._job.text("description")

    @property
    def job_type(self) -> str:
        """The job type: sampling, estimation, multi_manual or sse."""
        return self._job.text("job_type")

    @property
    def status(self) -> str:
        """The status as last seen (call `refresh` to update it)."""
        return self._job.status

    @property
    def device_id(self) -> str:
        """The device id of the job."""
        return self._job.text("device_id")

    @property
    def shots(self) -> int:
        """The shots of the job."""
        return int(self._job.number("shots"))

    @property
    def transpiler_info(self) -> dict[str, Any]:
        """The transpiler info of the job."""
        return self._job.info("transpiler_info")

    @property
    def simulator_info(self) -> dict[str, Any]:
        """The simulator info of the job."""
        return self._job.info("simulator_info")

    @property
    def mitigation_info(self) -> dict[str, Any]:
        """The mitigation info of the job."""
        return self._job.info("mitigation_info")

    @property
    def execution_time(self) -> float:
        """The execution time of the job in seconds (0.0 until known)."""
        return self._job.number("execution_time")

    @property
    def submitted_at(self) -> dt.datetime | None:
        """The ``submitted_at`` of the job."""
        return self._job.time("submitted_at")

    @property
    def ready_at(self) -> dt.datetime | None:
        """The ``ready_at`` of the job."""
        return self._job.time("ready_at")

    @property
    def running_at(self) -> dt.datetime | None:
        """The ``running_at`` of the job."""
        return self._job.time("running_at")

    @property
    def ended_at(self) -> dt.datetime | None:
        """The ``ended_at`` of the job."""
        return self._job.time("ended_at")

    @property
    def job_info(self) -> dict[str, Any]:
        """The detail information of the job, with storage objects downloaded (once) and decoded.

        Keys: ``input``, ``result``, ``transpile_result``, ``combined_program``, ``message`` (those
        the server has), plus the legacy aliases ``program`` and ``operator``.
        """
        with self._lock:
            if self._job_info is None:
                if not self._complete:
                    self.refresh()
                self._job_info = self._api.resolve_job_info(
                    self._job.get("job_info"), cache=self._objects
                )
            return self._job_info

    # -------------------------------------------------------------------- actions
    def refresh(self) -> None:
        """Retrieve the latest job information from OQTOPUS Cloud.

        Raises:
            BackendError: If the job cannot be found, authentication failed, a timeout occurred.
        """
        self._take_job(self._api.get_job(self.job_id))

    def _take_job(self, data: Mapping[str, Any]) -> None:
        """Keep a whole job record as the server sent it (``GET /jobs/{id}``)."""
        with self._lock:
            self._job.update(data)
            self._complete = True
            self._job_info = None

    def _ask(self, hold: float) -> tuple[bool, bool]:
        """One wait step the server may hold for ``hold`` seconds: ``(ended, held)``.

        A server that holds ``GET /jobs/{id}`` (``Prefer: wait``) answers it with the whole job the
        moment the job ends, so no status request and no refresh follow; one that holds only the
        status is asked the status; against one that holds neither (OQTOPUS Cloud), this is the
        plain status poll, and the caller sleeps between polls.
        """
        if self._api.holds("job") is not False:
            data, held = self._api.wait_job(self.job_id, hold)
            self._take_job(data)
            return is_final(self.status), held
        if self._api.holds("status") is not False:
            status, held = self._api.wait_job_status(self.job_id, hold)
            self._note_status(status)
            return is_final(status), held
        return is_final(self._poll_status()), False

    def _may_hold(self) -> bool:
        return self._api.holds("job") is not False or self._api.holds("status") is not False

    def _poll_status(self) -> str:
        status = self._api.get_job_status(self.job_id)
        self._note_status(status)
        return status

    def _note_status(self, status: str) -> None:
        with self._lock:
            if status != self._job.status:
                self._job.update({"status": status})
                self._complete = False
                self._job_info = None

    def wait_for_completion(
        self, timeout: float | None = None, wait: float = 10.0, *, progress: bool | None = None
    ) -> JobRecord | None:
        """Wait until the job ends (succeeded, failed or cancelled).

        Args:
            timeout: Seconds to wait at most; None waits forever.
            wait: Largest time in seconds between status queries (polling starts much faster).
            progress: Show a status line; None shows it only in interactive, non-CI sessions.

        Returns:
            The job record, or None if the timeout occurred first.
        """
        if not is_final(self.status):
            with (
                StatusBar(f"job {self.job_id}", progress) as bar,
                note_running_jobs(lambda: [] if is_final(self.status) else [self.job_id]),
            ):

                def ask(hold: float) -> tuple[bool, bool]:
                    answer = self._ask(hold)
                    bar.update(self.status)
                    return answer

                policy = self.poll_policy.with_cap(wait)
                if not wait_held(ask, timeout, policy, at_once=self._may_hold()):
                    return None
        if not self._complete:
            self.refresh()
        return self._job

    def cancel(self) -> None:
        """Cancel the job.

        Raises:
            BackendError: If the job cannot be found, authentication failed, or the job has already
                ended (succeeded, failed or cancelled) and cannot be cancelled.
        """
        self._api.cancel_job(self.job_id)
        self.refresh()

    def to_json(self) -> str:
        """Return a JSON representation of the job (datetimes as ISO-8601; never the token)."""
        data = {
            "job_id": self.job_id,
            "name": self.name,
            "description": self.description,
            "job_type": self.job_type,
            "status": self.status,
            "device_id": self.device_id,
            "shots": self.shots,
            "job_info": self.job_info,
            "transpiler_info": self.transpiler_info,
            "simulator_info": self.simulator_info,
            "mitigation_info": self.mitigation_info,
            "execution_time": self.execution_time,
            "submitted_at": self.submitted_at,
            "ready_at": self.ready_at,
            "running_at": self.running_at,
            "ended_at": self.ended_at,
        }
        return json.dumps(data, cls=JsonEncoder)

    def __repr__(self) -> str:
        # Unlike the peer (repr = to_json), no network access happens in repr.
        return f"{type(self).__name__}(job_id={self.job_id!r}, status={self.status!r})"

    def _repr_html_(self) -> str:
        """The job's fields as last seen (no network access), status coloured, for notebooks."""
        from oqtopus_bridge.display import job_html

        fields = {
            "job_id": self.job_id,
            "name": self.name,
            "job_type": self.job_type,
            "device_id": self.device_id,
            "status": self.status,
            "shots": self._job.get("shots"),
            "submitted_at": self._job.get("submitted_at"),
            "ended_at": self._job.get("ended_at"),
            "execution_time": self._job.get("execution_time"),
            "description": self.description,
        }
        return job_html(type(self).__name__, fields)

    # -------------------------------------------------------------------- results
    def _finished_payload(self, timeout: float | None, wait: float, progress: bool | None) -> Any:
        """Wait, raise for failed/cancelled/timeout, and return the decoded ``result`` object."""
        if self.wait_for_completion(timeout, wait, progress=progress) is None:
            raise JobTimeoutError(timeout_message(timeout), self.job_id)
        self._raise_for_status()
        with self._lock:
            info = self._api.resolve_job_info(
                self._job.get("job_info"), only=("result",), cache=self._objects
            )
        payload = info.get("result")
        if not isinstance(payload, Mapping):
            raise ResultError(f"job {self.job_id} succeeded but has no result object")
        return payload

    def _raise_for_status(self) -> None:
        status = self.status
        if status == "failed":
            message = self._server_message()
            detail = f": {message}" if message else ""
            raise JobFailedError(
                f"Job {self.job_id} ended with status failed{detail}", self.job_id, message
            )
        if status == "cancelled":
            raise JobCancelledError(f"Job {self.job_id} ended with status cancelled.", self.job_id)

    def _server_message(self) -> str | None:
        info = self._job.get("job_info")
        if isinstance(info, str):
            try:
                info = json.loads(info)
            except (ValueError, RecursionError):
                return None
        message = info.get("message") if isinstance(info, Mapping) else None
        return str(message) if message else None


def _sampling_result(payload: Mapping[str, Any], job_id: str) -> OqtopusSamplingResult:
    sampling = payload.get("sampling", payload if "counts" in payload else None)
    if not isinstance(sampling, Mapping):
        raise ResultError(f"job {job_id}: the result has no sampling counts")
    return OqtopusSamplingResult(dict(sampling))


def _estimation_result(payload: Mapping[str, Any], job_id: str) -> OqtopusEstimationResult:
    estimation = payload.get("estimation", payload if "exp_value" in payload else None)
    if not isinstance(estimation, Mapping):
        raise ResultError(f"job {job_id}: the result has no estimation value")
    return OqtopusEstimationResult({"estimation": dict(estimation)})


class OqtopusSamplingJob(OqtopusJobBase, SamplingJob):
    """A job for a sampling measurement (job_type ``sampling`` or ``multi_manual``).

    Also a ``quri_parts.backend.SamplingJob``: ``result()`` blocks until the counts are available.
    """

    def __init__(self, job: Mapping[str, Any] | JobRecord, job_api: OqtopusApi) -> None:
        super().__init__(job, job_api)
        self._result: OqtopusSamplingResult | None = None

    def result(
        self, timeout: float | None = None, wait: float = 10.0, *, progress: bool | None = None
    ) -> OqtopusSamplingResult:
        """Wait until the job ends and return its result.

        Args:
            timeout: Seconds to wait at most; None waits forever.
            wait: Largest time in seconds between status queries.
            progress: Show a status line while waiting (default: interactive, non-CI sessions).

        Returns:
            The sampling result (downloaded once, then cached).

        Raises:
            JobTimeoutError: ``"Timeout occurred after {timeout} seconds."`` (a BackendError).
            JobFailedError: The job failed; the message includes the server's ``job_info.message``.
            JobCancelledError: The job was cancelled.
            BackendError: The job cannot be found, authentication failed, etc.
        """
        if self._result is None:
            payload = self._finished_payload(timeout, wait, progress)
            self._result = _sampling_result(payload, self.job_id)
        return self._result


class OqtopusEstimationJob(OqtopusJobBase):
    """A job for an estimation (job_type ``estimation``)."""

    def __init__(self, job: Mapping[str, Any] | JobRecord, job_api: OqtopusApi) -> None:
        super().__init__(job, job_api)
        self._result: OqtopusEstimationResult | None = None

    def result(
        self, timeout: float | None = None, wait: float = 10.0, *, progress: bool | None = None
    ) -> OqtopusEstimationResult:
        """Wait until the job ends and return its result.

        Args:
            timeout: Seconds to wait at most; None waits forever.
            wait: Largest time in seconds between status queries.
            progress: Show a status line while waiting (default: interactive, non-CI sessions).

        Returns:
            The estimation result (``exp_value``, ``stds``).

        Raises:
            JobTimeoutError: ``"Timeout occurred after {timeout} seconds."`` (a BackendError).
            JobFailedError: The job failed; the message includes the server's ``job_info.message``.
            JobCancelledError: The job was cancelled.
            BackendError: The job cannot be found, authentication failed, etc.
        """
        if self._result is None:
            payload = self._finished_payload(timeout, wait, progress)
            self._result = _estimation_result(payload, self.job_id)
        return self._result


def wait_all(
    jobs: Sequence[OqtopusJobBase], timeout: float | None = None, *, progress: bool | None = None
) -> None:
    """Wait for every job: held requests one job after another, or one shared poll loop.

    A server that holds requests (``Prefer: wait``, the local server) is asked for one job at a
    time, and answers when that job ends; otherwise each tick polls every pending job's status.

    Args:
        jobs: The jobs to wait for (their results are fetched later, by ``result()``).
        timeout: Seconds to wait at most for all of them; None waits forever.
        progress: Show a batch status line (default: interactive, non-CI sessions).

    Raises:
        JobTimeoutError: If some job is still unfinished after ``timeout`` seconds.
        BackendError: If a status query fails.
    """
    pending = [job for job in jobs if not is_final(job.status)]
    if not pending:
        return
    policy = pending[0].poll_policy
    with (
        StatusBar("jobs", progress, total=len(jobs)) as bar,
        note_running_jobs(lambda: [job.job_id for job in pending]),
    ):

        def ask(hold: float) -> tuple[bool, bool]:
            head = pending[0]
            ended, held = head._ask(hold)
            if held:  # the server waited for the head: the next job is asked next, held too
                if ended:
                    pending.pop(0)
            else:  # a plain poll: one tick asks every pending job, then sleeps
                rest = [job for job in pending[1:] if not is_final(job._poll_status())]
                pending[:] = rest if ended else [head, *rest]
            bar.update(f"{len(jobs) - len(pending)} finished", done=len(jobs) - len(pending))
            return not pending, held

        if not wait_held(ask, timeout, policy, at_once=pending[0]._may_hold()):
            raise JobTimeoutError(timeout_message(timeout), pending[0].job_id)
