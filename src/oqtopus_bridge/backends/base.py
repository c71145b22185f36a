"""What every backend shares: config resolution, one API per backend, argument checks, retrieval."""

from __future__ import annotations

import itertools
import logging
import numbers
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from oqtopus_bridge.api import JobSpec, OqtopusApi
from oqtopus_bridge.backends.listing import (
    MAX_PAGE,
    MAX_PAGE_SIZE,
    JobFilter,
    TimeLike,
    check_int,
    fetch_page,
    iter_pages,
)
from oqtopus_bridge.backends.sse_job import OqtopusSseJob
from oqtopus_bridge.config import OqtopusConfig, resolve_config
from oqtopus_bridge.errors import ResultError
from oqtopus_bridge.jobs import OqtopusEstimationJob, OqtopusJobBase, OqtopusSamplingJob

__all__ = ["MAX_SHOTS", "OqtopusBackendBase", "OqtopusJobBackendBase", "check_shots", "make_job"]

logger = logging.getLogger(__name__)

MAX_SHOTS = 10_000_000  # the service's limit (spec section 3.3)


def check_shots(shots: Any) -> int:
    """Return ``shots`` as an ``int`` if it is an integer in 1..10,000,000.

    Any integer type is accepted (``int``, ``numpy.int64``: every ``numbers.Integral``), since
    shot counts often come out of numpy arithmetic; ``bool``, floats (even ``100.0``) and NaN are
    not shot counts.

    Raises:
        ValueError: Otherwise, with the documented message and what to pass instead.
    """
    # numpy.bool_ is no numbers.Integral; bool is, and is refused explicitly.
    if isinstance(shots, bool) or not isinstance(shots, numbers.Integral):
        raise ValueError(
            f"shots should be a positive integer.: {shots!r} is a {type(shots).__name__}; "
            f"pass an int (e.g. int(shots) after rounding), 1 to {MAX_SHOTS:,}"
        )
    if not 1 <= int(shots) <= MAX_SHOTS:
        raise ValueError(
            f"shots should be a positive integer: {shots} (the service accepts 1 to {MAX_SHOTS:,})"
        )
    return int(shots)


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
            ``~/.oqtopus`` is read; failing both, the official oqtopus-client SDK's sources
            (``OQTOPUS_BASE_URL`` with ``OQTOPUS_API_TOKEN``, then its ``config.ini``). See
            ``oqtopus_bridge.config.locate_config``.

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
        limit: int | None = None,
        query: str | None = None,
        fields: Sequence[str] | None = None,
        newest_first: bool = True,
        page: int = 1,
        size: int | None = None,
        start_time: TimeLike | None = None,
        end_time: TimeLike | None = None,
        device_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """List one page of your jobs as the service summarizes them (no result downloads).

        Not part of the documented API; the CLI and the Qiskit provider use it. Paging is the
        service's: page ``page`` holds jobs ``(page - 1) * size + 1`` to ``page * size`` of the
        filtered list. Use ``iter_jobs`` to go through every page.

        Args:
            status: Only jobs in this status (e.g. ``"succeeded"``).
            limit: Jobs per page, the same as ``size`` (kept from earlier versions).
            query: Only jobs whose id, name or description contains this text.
            fields: Only these job fields (e.g. ``["job_id", "status"]``); all when None.
            newest_first: Order by creation time, newest first (default) or oldest first.
            page: Which page, from 1.
            size: Jobs per page, 1 to 65,535 (default 10).
            start_time: Only jobs submitted at or after this time: a ``datetime`` (naive means
                local time) or an ISO 8601 string such as ``"2026-12-01T09:30:00Z"``.
            end_time: Only jobs submitted at or before this time (same forms).
            device_id: Only jobs for this device. The service has no such filter, so it is
                applied here: a page then costs as many requests as it takes to fill it.

        Returns:
            Job dicts as the server sends them (a ``registered`` job has only ``job_id`` and
            ``status``, and a time window leaves it out: it has no ``submitted_at``); use
            ``retrieve_job`` for a full job object.

        Raises:
            ValueError: If a page, size, status or time is invalid, or ``limit`` and ``size``
                disagree.
            BackendError: If the request fails.

        Examples:
            ```python
            backend = OqtopusJobBackendBase()
            backend.list_jobs(size=20, page=2, start_time="2026-12-01", device_id="anemone")
            ```
        """
        size = _page_size(size, limit)
        check_int(page, "page", 1, MAX_PAGE)
        job_filter = JobFilter(status, query, start_time, end_time, device_id, fields, newest_first)
        if not job_filter.filters_on_client:
            page_jobs = fetch_page(self._api, job_filter, page, size)
            return [job_filter.shape(job) for job in page_jobs][:size]
        wanted = itertools.islice(
            self._iter(job_filter, max(size, 100)), (page - 1) * size, page * size
        )
        return list(wanted)

    def iter_jobs(
        self,
        *,
        status: str | None = None,
        query: str | None = None,
        fields: Sequence[str] | None = None,
        newest_first: bool = True,
        start_time: TimeLike | None = None,
        end_time: TimeLike | None = None,
        device_id: str | None = None,
        page_size: int = 100,
    ) -> Iterator[dict[str, Any]]:
        """Iterate over every job that matches, page after page, fetching pages as needed.

        Not part of the documented API. The filters are those of ``list_jobs``. Jobs created while
        iterating newest-first shift later pages; a job seen twice is yielded once.

        Args:
            status: Only jobs in this status.
            query: Only jobs whose id, name or description contains this text.
            fields: Only these job fields; all when None.
            newest_first: Newest first (default) or oldest first.
            start_time: Only jobs submitted at or after this time (see ``list_jobs``).
            end_time: Only jobs submitted at or before this time.
            device_id: Only jobs for this device (applied on the client).
            page_size: Jobs per request, 1 to 65,535 (default 100, the service's own default).

        Yields:
            Job dicts as the server sends them.

        Raises:
            ValueError: If an argument is invalid (raised at the call, before any request).
            BackendError: If a request fails.

        Examples:
            ```python
            failed = [job["job_id"] for job in backend.iter_jobs(status="failed")]
            ```
        """
        check_int(page_size, "page_size", 1, MAX_PAGE_SIZE)
        job_filter = JobFilter(status, query, start_time, end_time, device_id, fields, newest_first)
        return self._iter(job_filter, page_size)

    def _iter(self, job_filter: JobFilter, size: int) -> Iterator[dict[str, Any]]:
        for batch in iter_pages(self._api, job_filter, size):
            yield from batch

    def delete_job(self, job_id: str) -> None:
        """Delete a finished (succeeded, failed or cancelled) job and its stored data.

        Not part of the documented API.

        Raises:
            BackendError: If the job does not exist, is not finished, or the request fails.
        """
        self._api.delete_job(job_id)


def _page_size(size: int | None, limit: int | None) -> int:
    """The page size from ``size`` or its older name ``limit`` (default 10, as the spec's)."""
    if size is not None and limit is not None and size != limit:
        raise ValueError(f"limit ({limit}) and size ({size}) are the same setting; pass one")
    chosen = size if size is not None else limit if limit is not None else 10
    return check_int(chosen, "size" if size is not None else "limit", 1, MAX_PAGE_SIZE)
