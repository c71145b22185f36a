"""Listing jobs: the service's paging and filters, the filters it lacks, and every page in turn.

``GET /jobs`` (spec ``user-api-s3``) pages with ``page``/``size`` and filters by ``status``, text
(``q``: job id, name or description) and submission time (``start_time``/``end_time``, on
``submitted_at``). It has no device filter, so ``device_id`` is applied here, on the client, to each
page the server sends. A page past the end is empty on the local server and, by the spec's wording,
may repeat the last page on the real service; iteration stops on either, and drops duplicates that
jobs created while paging newest-first can cause.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from oqtopus_bridge.api import OqtopusApi

__all__ = [
    "JOB_STATUSES",
    "MAX_PAGE",
    "MAX_PAGE_SIZE",
    "JobFilter",
    "TimeLike",
    "check_int",
    "fetch_page",
    "iter_pages",
    "parse_iso",
    "to_utc_stamp",
]

MAX_PAGE_SIZE = 65_535  # spec: size 1..65535
MAX_PAGE = 4_294_967_295  # spec: page 1..4294967295
JOB_STATUSES = (
    "registered",
    "submitted",
    "ready",
    "running",
    "cancelling",
    "succeeded",
    "failed",
    "cancelled",
)

TimeLike = dt.datetime | dt.date | str


def to_utc_stamp(value: TimeLike, name: str) -> str:
    """Return ``value`` as the UTC timestamp the service compares (``2026-12-01T09:30:00.000000Z``).

    A naive time (no offset) is local time, as ``datetime.astimezone`` takes it and as Qiskit's
    ``created_after`` documents; a date means its local midnight.

    Args:
        value: A ``datetime``, a ``date`` or an ISO 8601 string (``2026-12-01``,
            ``2026-12-01T09:30``, ``2026-12-01T09:30:00Z``, ``...+09:00``).
        name: The argument's name, for the error message.

    Returns:
        The timestamp in UTC with microseconds and a ``Z``.

    Raises:
        ValueError: If ``value`` is neither a time nor an ISO 8601 string.
    """
    if isinstance(value, str):
        try:
            value = parse_iso(value)
        except ValueError:
            raise ValueError(
                f"{name} must be an ISO 8601 time such as 2026-12-01, 2026-12-01T09:30 or "
                f"2026-12-01T09:30:00Z, not {value!r}"
            ) from None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if not isinstance(value, dt.datetime):
        raise ValueError(
            f"{name} must be a datetime or an ISO 8601 string, not {type(value).__name__}"
        )
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> dt.datetime:
    """Parse an ISO 8601 time, with a ``Z`` suffix too (which Python 3.10's parser refuses).

    Raises:
        ValueError: If ``text`` is not an ISO 8601 date or time.
    """
    text = text.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    return dt.datetime.fromisoformat(text)


def check_int(value: Any, name: str, low: int, high: int) -> int:
    """Return ``value`` if it is an integer in ``low..high``; else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}, not {value!r}")
    return value


@dataclasses.dataclass(frozen=True)
class JobFilter:
    """Which jobs to list and in what order; the server applies all but ``device_id``.

    Attributes:
        status: Only jobs in this status.
        query: Only jobs whose id, name or description contains this text.
        start_time: Only jobs submitted at or after this time.
        end_time: Only jobs submitted at or before this time.
        device_id: Only jobs for this device (applied on the client).
        fields: Only these job fields; all when None.
        newest_first: Newest first (``order=DESC``) or oldest first.
    """

    status: str | None = None
    query: str | None = None
    start_time: TimeLike | None = None
    end_time: TimeLike | None = None
    device_id: str | None = None
    fields: Sequence[str] | None = None
    newest_first: bool = True

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in JOB_STATUSES:
            raise ValueError(
                f"status must be one of {', '.join(JOB_STATUSES)}, not {self.status!r}"
            )
        if isinstance(self.fields, str):
            raise ValueError("fields must be a list of field names, e.g. ['job_id', 'status']")
        start, end = self._stamps()
        if start is not None and end is not None and start > end:
            raise ValueError(f"start_time ({start}) is after end_time ({end}): no job can match")

    def _stamps(self) -> tuple[str | None, str | None]:
        start = None if self.start_time is None else to_utc_stamp(self.start_time, "start_time")
        end = None if self.end_time is None else to_utc_stamp(self.end_time, "end_time")
        return start, end

    @property
    def filters_on_client(self) -> bool:
        """Whether some jobs of a server page may be dropped here (a device filter is set)."""
        return bool(self.device_id)

    def params(self, page: int, size: int) -> dict[str, Any]:
        """Return the ``GET /jobs`` query for one page."""
        params: dict[str, Any] = {
            "page": page,
            "size": size,
            "order": "DESC" if self.newest_first else "ASC",
        }
        start, end = self._stamps()
        for key, value in (
            ("status", self.status),
            ("q", self.query),
            ("start_time", start),
            ("end_time", end),
        ):
            if value:
                params[key] = value
        if self.fields:
            # job_id for de-duplication and device_id for the client-side filter, dropped later.
            extra = ["job_id"] + (["device_id"] if self.device_id else [])
            params["fields"] = ",".join(dict.fromkeys([*self.fields, *extra]))
        return params

    def keep(self, job: Mapping[str, Any]) -> bool:
        """Whether a job the server sent passes the client-side filter."""
        return not self.device_id or job.get("device_id") == self.device_id

    def shape(self, job: dict[str, Any]) -> dict[str, Any]:
        """Drop the fields added only for the client's own use."""
        if not self.fields:
            return job
        wanted = set(self.fields)
        return {key: value for key, value in job.items() if key in wanted}


def fetch_page(
    api: OqtopusApi, job_filter: JobFilter, page: int, size: int
) -> list[dict[str, Any]]:
    """One ``GET /jobs`` page as the server sends it.

    The legacy spec spells the parameter ``end_tiime`` (sic, ``user-api-legacy``); unless the
    server is known to speak the current protocol, both spellings are sent (servers ignore
    parameters they do not know).
    """
    params = job_filter.params(page, size)
    if "end_time" in params and api.protocol != "storage":
        params["end_tiime"] = params["end_time"]
    return api.list_jobs(params)


def iter_pages(
    api: OqtopusApi, job_filter: JobFilter, size: int, first_page: int = 1
) -> Iterator[list[dict[str, Any]]]:
    """Yield the server's pages from ``first_page`` on, filtered and de-duplicated, until the end.

    Args:
        api: The user API.
        job_filter: What to list.
        size: Jobs per server page.
        first_page: The first page to fetch.

    Yields:
        The kept jobs of each page (possibly empty when the client-side filter drops them all).
    """
    seen: set[str] = set()
    page = first_page
    while page <= MAX_PAGE:
        batch = fetch_page(api, job_filter, page, size)
        fresh = [job for job in batch if str(job.get("job_id")) not in seen]
        if not fresh:
            return  # past the end: empty, or the last page repeated
        seen.update(str(job.get("job_id")) for job in fresh)
        yield [job_filter.shape(job) for job in fresh if job_filter.keep(job)]
        if len(batch) < size:
            return
        page += 1
