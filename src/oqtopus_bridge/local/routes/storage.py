"""The presigned storage endpoints: multipart ``POST`` upload and signed ``GET`` download."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from ..context import ServerContext
from ..errors import Forbidden, NotFound, TooLarge
from ..storage import DOWNLOAD_PREFIX, UPLOAD_PATH, make_zip
from .deps import Context
from .limits import FORM_OVERHEAD
from .upload import read_form

router = APIRouter()

#: Objects up to this size are read and written on the event loop (a small job's zips are a few
#: hundred bytes); a bigger one goes to a thread, so a large upload or result never stalls the
#: other requests.
INLINE_BYTES = 256 * 1024


async def accept_upload(request: Request, context: ServerContext) -> Response:
    """Store the ``file`` of an S3-style presigned POST form; answer 204 like S3.

    The form's signature, expiry and job are checked when its file part begins, before the file
    is read, and the file's size while it streams (`upload.read_form`, issue 21).

    Raises:
        ServerError: Missing or forged form fields, an upload over the limit, or a job that is
            gone or already submitted.
    """
    limit = context.settings.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + FORM_OVERHEAD:
        raise TooLarge(f"upload exceeds the {limit // (1024 * 1024)} MiB limit")

    def authorize(fields: dict[str, str]) -> int:
        key = fields["key"]
        granted = context.store.verify_upload(key, fields["policy"], fields["signature"])
        job = context.repo.job_status(key.split("/", 1)[0])
        if job is None or job[1] != "registered":
            raise Forbidden("the job of this upload form is gone or already submitted")
        return min(granted, limit)

    fields, data = await read_form(request, authorize)
    if len(data) <= INLINE_BYTES:
        context.store.put(fields["key"], data)
    else:
        await run_in_threadpool(context.store.put, fields["key"], data)
    return Response(status_code=204)


async def object_response(
    context: ServerContext, key: str, expires: str, signature: str
) -> Response:
    """Return the object ``key`` to the holder of a valid presigned URL.

    Raises:
        ServerError: A missing, forged or expired signature, or no such object.
    """
    if not expires or not signature:
        raise Forbidden("missing expires/signature: use a presigned URL from the API")
    context.store.verify_download(key, expires, signature)
    if key.startswith("devices/"):
        device = context.catalog.get(key.split("/")[1]) if key.count("/") == 2 else None
        if device is None or not key.endswith("/device_info.zip"):
            raise NotFound(f"object {key} not found")
        data = make_zip("device_info.json", json.dumps(device.device_info).encode())
    else:
        small = context.store.get_small(key, INLINE_BYTES)
        data = small if small is not None else await run_in_threadpool(context.store.get, key)
    return Response(content=data, media_type="application/zip")


@router.post(UPLOAD_PATH, status_code=204)
async def upload(request: Request, context: Context) -> Response:
    """Accept an S3-style presigned POST: form fields, then ``file``; answers 204 like S3."""
    return await accept_upload(request, context)


@router.get(DOWNLOAD_PREFIX + "{key:path}")
async def download(key: str, context: Context, expires: str = "", signature: str = "") -> Response:
    """Serve an object to a holder of a valid presigned URL."""
    return await object_response(context, key, expires, signature)
