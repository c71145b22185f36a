"""Job routes of the legacy inline protocol (``shared/spec/user-api-legacy/openapi.yaml``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from ..schemas import LegacySubmitJobRequest
from ..views import legacy_job, select_fields
from .deps import Caller, Context
from .jobs import job_query, parse_fields

router = APIRouter()

LegacyStatus = Literal["submitted", "ready", "running", "succeeded", "failed", "cancelled"]


@router.get("/jobs")
def list_jobs(
    context: Context,
    who: Caller,
    fields: Annotated[str | None, Query(max_length=1024)] = None,
    start_time: dt.datetime | None = None,
    end_time: dt.datetime | None = None,
    end_tiime: dt.datetime | None = None,  # sic: the legacy spec's parameter name
    status: LegacyStatus | None = None,
    q: Annotated[str | None, Query(max_length=1024)] = None,
    page: Annotated[int, Query(ge=1, le=4294967295)] = 1,
    size: Annotated[int, Query(ge=1, le=65535)] = 100,
    order: Literal["ASC", "DESC"] = "ASC",
) -> list[dict[str, Any]]:
    """List the caller's jobs with inline results."""
    names = parse_fields(fields)
    query = job_query(start_time, end_time or end_tiime, status, q, page, size, order)
    records = context.service.list_jobs(who, query)
    return [select_fields(legacy_job(record, context.store), names) for record in records]


@router.post("/jobs")
def submit_job(request: LegacySubmitJobRequest, context: Context, who: Caller) -> dict[str, str]:
    """Create and submit a job whose ``job_info`` is inline; returns ``{job_id}``."""
    return {"job_id": context.service.create_legacy(who, request)}


@router.get("/jobs/{job_id}")
def get_job(job_id: str, context: Context, who: Caller) -> dict[str, Any]:
    """Return one job with inline ``job_info``."""
    return legacy_job(context.service.owned_job(who, job_id), context.store)


@router.get("/jobs/{job_id}/sselog")
def get_sselog(job_id: str, context: Context, who: Caller) -> dict[str, str]:
    """Return the SSE log as ``{file: <base64 zip>, file_name}``."""
    return context.service.sselog(who, job_id)
