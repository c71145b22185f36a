"""What every backend shares: config resolution, one API per backend, argument checks, retrieval."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from oqtopus_bridge.api import JobSpec, OqtopusApi
from oqtopus_bridge.backends.sse_job import OqtopusSseJob
from oqtopus_bridge.config import OqtopusConfig, resolve_config
from oqtopus_bridge.errors import ResultError
from oqtopus_bridge.jobs import OqtopusEstimationJob, OqtopusJobBase, OqtopusSamplingJob

__all__ = ["MAX_SHOTS", "OqtopusBackendBase", "OqtopusJobBackendBase", "check_shots", "make_job"]

logger = logging.getLogger(__name__)

MAX_SHOTS = 10_000_000  # the service's limit (spec section 3.3)


def check_shots(shots: Any) -> int:
    """Return ``shots`` if it is an integer in 1..10,000,000.

    Raises:
        ValueError: Otherwise, with the documented message.
    """
    if isinstance(shots, bool) or not isinstance(shots, int) or not 1 <= shots <= MAX_SHOTS:
        raise ValueError(
            f"shots should be a positive integer.: {shots} (the service accepts 1 to {MAX_SHOTS:,})"
        )
    return shots


def info_dict(value: Mapping[str, Any] | None, name: str) -> dict[str, Any]:
    """Return ``{}`` for None, a copy of a mapping, or raise ``ValueError`` for anything else."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must be a dict or None, not {type(value).__name__}")
    return dict(value)


def make_job(data: Mapping[str, Any], api: OqtopusApi) -> OqtopusJobBase:
    """Wrap a job dict in the job class of its ``job_type``.

    Raises:
        ResultError: If the job type is unknown.
    """
    job_type = str(data.get("job_type") or "")
    if not job_type and data.get("status") in ("registered", "cancelled"):
        # A job registered but never submitted (e.g. an upload that failed) has no type yet: the
        # service shows only its id and status. It can still be inspected and cancelled.
        return OqtopusJobBase(data, api)
    if job_type in ("sampling", "multi_manual"):
        return OqtopusSamplingJob(data, api)
    if job_type == "estimation":
        return OqtopusEstimationJob(data, api)
    if job_type == "sse":
        return OqtopusSseJob(data, api)
    raise ResultError(f"Unknown job_type: {job_type!r} (job {data.get('job_id')})")


class OqtopusBackendBase:
    """Resolves the configuration and owns one API (one keep-alive session) per backend.

    Args:
        config: Connection settings. If None and both ``OQTOPUS_URL`` and ``OQTOPUS_API_TOKEN`` are
            set, they are used (with ``OQTOPUS_PROXY``); otherwise the ``default`` section of
            ``~/.oqtopus`` is read.

    Raises:
        ValueError: If no configuration can be found (a ``ConfigError`` saying what to write).
    """

    def __init__(self, config: OqtopusConfig | None = None) -> None:
        self.config = resolve_config(config)
        self._api = OqtopusApi(self.config)

    @property
    def api(self) -> OqtopusApi:
        """The user API this backend talks through (shared by the jobs it creates)."""
        return self._api

    def _submit(self, spec: JobSpec) -> dict[str, Any]:
        record = self._api.submit_job(spec)
        logger.info("submitted %s job %s to %s", spec.job_type, record["job_id"], spec.device_id)
        return record

    def close(self) -> None:
        """Close the HTTP sessions (also released on garbage collection)."""
        self._api.close()


class OqtopusJobBackendBase(OqtopusBackendBase):
    """A backend that can retrieve any job by id."""

    def retrieve_job(self, job_id: str) -> OqtopusJobBase:
        """Retrieve the job with the given id from OQTOPUS Cloud.

        Args:
            job_id: The id of the job to retrieve.

        Returns:
            An ``OqtopusSamplingJob`` (sampling, multi_manual), ``OqtopusEstimationJob`` or
            ``OqtopusSseJob``, by the job's type; a plain ``OqtopusJobBase`` (status, refresh,
            cancel) for a job that was registered but never submitted, which has no type yet.

        Raises:
            BackendError: If the job cannot be found, authentication failed, or its type is unknown.
        """
        return make_job(self._api.get_job(job_id), self._api)

    def list_jobs(
        self,
        *,
        status: str | None = None,
        limit: int = 10,
        query: str | None = None,
        fields: Sequence[str] | None = None,
        newest_first: bool = True,
    ) -> list[dict[str, Any]]:
        """List your jobs as the service summarizes them (one ``GET /jobs``; no result downloads).

        Not part of the documented API; the CLI and the Qiskit provider use it.

        Args:
            status: Only jobs in this status (e.g. ``"succeeded"``).
            limit: Most jobs to return (1 to 65,535).
            query: Only jobs whose id, name or description contains this text.
            fields: Only these job fields (e.g. ``["job_id", "status"]``); all when None.
            newest_first: Order by creation time, newest first (default) or oldest first.

        Returns:
            Job dicts as the server sends them (a ``registered`` job has only ``job_id`` and
            ``status``); use `retrieve_job` for a full job object.

        Raises:
            ValueError: If ``limit`` is out of range.
            BackendError: If the request fails.
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 65_535:
            raise ValueError(f"limit must be an integer from 1 to 65535, not {limit!r}")
        params: dict[str, Any] = {
            "page": 1,
            "size": limit,
            "order": "DESC" if newest_first else "ASC",
        }
        if status:
            params["status"] = status
        if query:
            params["q"] = query
        if fields:
            params["fields"] = ",".join(fields)
        return self._api.list_jobs(params)[:limit]

    def delete_job(self, job_id: str) -> None:
        """Delete a finished (succeeded, failed or cancelled) job and its stored data.

        Not part of the documented API.

        Raises:
            BackendError: If the job does not exist, is not finished, or the request fails.
        """
        self._api.delete_job(job_id)
