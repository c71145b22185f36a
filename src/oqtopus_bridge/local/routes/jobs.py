"""Job routes of the storage protocol, and the status/cancel/delete routes both protocols share."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from ..context import ServerContext
from ..errors import BadRequest
from ..repository import Identity, JobQuery
from ..schemas import SubmitJobRequest
from ..views import JOB_FIELDS, select_fields, storage_job
from .deps import Caller, Context

router = APIRouter()
common_router = APIRouter()

Status = Literal[
    "registered", "submitted", "ready", "running", "cancelling", "succeeded", "failed", "cancelled"
]


def parse_fields(fields: str | None) -> list[str] | None:
    """Split ``fields=a,b`` and refuse unknown names with the real service's 400."""
    if fields is None:
        return None
    names = [name.strip() for name in fields.split(",") if name.strip()]
    unknown = [name for name in names if name not in JOB_FIELDS]
    if unknown:
        raise BadRequest(f"fields {unknown} is invalid")
    return names


def _stamp(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def job_query(
    start_time: dt.datetime | None,
    end_time: dt.datetime | None,
    status: str | None,
    q: str | None,
    page: int,
    size: int,
    order: str,
) -> JobQuery:
    """Build the repository query of ``GET /jobs``."""
    return JobQuery(
        status=status,
        start_time=_stamp(start_time),
        end_time=_stamp(end_time),
        q=q,
        page=page,
        size=size,
        descending=order == "DESC",
    )


@router.get("/jobs")
def list_jobs(
    context: Context,
    who: Caller,
    fields: Annotated[str | None, Query(max_length=1024)] = None,
    start_time: dt.datetime | None = None,
    end_time: dt.datetime | None = None,
    status: Status | None = None,
    q: Annotated[str | None, Query(max_length=1024)] = None,
    page: Annotated[int, Query(ge=1, le=4294967295)] = 1,
    size: Annotated[int, Query(ge=1, le=65535)] = 100,
    order: Literal["ASC", "DESC"] = "ASC",
) -> list[dict[str, Any]]:
    """List the caller's jobs (null fields omitted; registered jobs show job_id and status)."""
    names = parse_fields(fields)
    query = job_query(start_time, end_time, status, q, page, size, order)
    records = context.service.list_jobs(who, query)
    return [select_fields(storage_job(record, context.store), names) for record in records]


# The handlers of a small job's requests, shared by the routes below and by `.hot`, which
# serves the same requests without FastAPI's per-request machinery (issue 16).


def register(context: ServerContext, who: Identity) -> dict[str, Any]:
    """Register a job; return ``{job_id, presigned_url}``."""
    return context.service.register(who)


def submit(
    context: ServerContext, who: Identity, job_id: str, request: SubmitJobRequest
) -> dict[str, str]:
    """Submit a registered job; return the acknowledgement body."""
    context.service.submit(who, job_id, request)
    return {"message": "job submitted"}


def job(context: ServerContext, who: Identity, job_id: str) -> dict[str, Any]:
    """Return the caller's job with ``job_info`` as download URLs."""
    return storage_job(context.service.owned_job(who, job_id), context.store)


def job_status(context: ServerContext, who: Identity, job_id: str) -> dict[str, str]:
    """Return ``{job_id, status}`` of the caller's job."""
    return {"job_id": job_id, "status": context.service.owned_status(who, job_id)}


# ``async``: their work (an SQLite read or a short write, a stat, an HMAC) takes well under a
# millisecond, less than the thread-pool hand-off a sync route pays per request.


@router.post("/jobs")
async def register_job(context: Context, who: Caller) -> dict[str, Any]:
    """Register a job and return a presigned form for uploading ``input.zip``."""
    return register(context, who)


@router.post("/jobs/{job_id}/submit")
async def submit_job(
    job_id: str, request: SubmitJobRequest, context: Context, who: Caller
) -> dict[str, str]:
    """Submit a registered job whose ``input.zip`` was uploaded."""
    return submit(context, who, job_id, request)


@router.get("/jobs/{job_id}")
async def get_job(job_id: str, context: Context, who: Caller) -> dict[str, Any]:
    """Return one job with ``job_info`` as download URLs."""
    return job(context, who, job_id)


@common_router.get("/jobs/{job_id}/status")
async def get_job_status(job_id: str, context: Context, who: Caller) -> dict[str, str]:
    """Return ``{job_id, status}``."""
    return job_status(context, who, job_id)


@common_router.post("/jobs/{job_id}/cancel")
def cancel_job(job_id: str, context: Context, who: Caller) -> dict[str, str]:
    """Cancel an unfinished job."""
    context.service.cancel(who, job_id)
    return {"message": "cancel request accepted"}


@common_router.delete("/jobs/{job_id}")
def delete_job(job_id: str, context: Context, who: Caller) -> dict[str, str]:
    """Delete a finished job and its objects."""
    context.service.delete(who, job_id)
    return {"message": "job deleted"}
