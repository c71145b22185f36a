"""Local-only extensions of the user API (not in the real service), under ``/local``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from ..engine.sse import OUTPUT_ITEM
from ..errors import BadRequest, NotFound
from .deps import Caller, Context

router = APIRouter()


@router.get("/local/jobs/{job_id}/program_output", response_class=PlainTextResponse)
def get_program_output(job_id: str, context: Context, who: Caller) -> PlainTextResponse:
    """Return an SSE program's stdout and stderr as text, also when the job failed.

    The real service (and so this server's ``job_info``) offers no ``sse_log`` for a failed SSE
    job; locally the output is kept so a failed program can be debugged (``docs/sse.md``).
    """
    record = context.service.owned_job(who, job_id)
    if record.job_type != "sse":
        raise BadRequest(f"job {job_id} is not an sse job: only sse jobs have program output")
    key = f"{job_id}/{OUTPUT_ITEM}"
    if not context.store.exists(key):
        raise NotFound(f"job {job_id} has no program output yet (status {record.status})")
    return PlainTextResponse(context.store.get(key).decode("utf-8", errors="replace"))
