"""The presigned storage endpoints: multipart ``POST`` upload and signed ``GET`` download."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from ..errors import BadRequest, Forbidden, NotFound, TooLarge
from ..storage import DOWNLOAD_PREFIX, UPLOAD_PATH, make_zip
from .deps import Context

router = APIRouter()


@router.post(UPLOAD_PATH, status_code=204)
async def upload(request: Request, context: Context) -> Response:
    """Accept an S3-style presigned POST: form fields, then ``file``; answers 204 like S3."""
    limit = context.settings.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise TooLarge(f"upload exceeds the {limit // (1024 * 1024)} MiB limit")
    form = await request.form(max_files=1, max_fields=32)
    try:
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        upload_file = form.get("file")
        missing = [name for name in ("key", "policy", "signature") if name not in fields]
        if missing:
            raise BadRequest(f"missing form field(s) {missing}: forward every presigned field")
        if not isinstance(upload_file, UploadFile):
            raise BadRequest("missing form part 'file' (it must come last, as for S3)")
        key = fields["key"]
        granted = context.store.verify_upload(key, fields["policy"], fields["signature"])
        data = await upload_file.read(min(granted, limit) + 1)
        if len(data) > min(granted, limit):
            raise TooLarge(f"upload exceeds the {limit // (1024 * 1024)} MiB limit")
        job = context.repo.get_job(key.split("/", 1)[0])
        if job is None or job.status != "registered":
            raise Forbidden("the job of this upload form is gone or already submitted")
        context.store.put(key, data)
    finally:
        await form.close()
    return Response(status_code=204)


@router.get(DOWNLOAD_PREFIX + "{key:path}")
def download(key: str, context: Context, expires: str = "", signature: str = "") -> Response:
    """Serve an object to a holder of a valid presigned URL."""
    if not expires or not signature:
        raise Forbidden("missing expires/signature: use a presigned URL from the API")
    context.store.verify_download(key, expires, signature)
    if key.startswith("devices/"):
        device = context.catalog.get(key.split("/")[1]) if key.count("/") == 2 else None
        if device is None or not key.endswith("/device_info.zip"):
            raise NotFound(f"object {key} not found")
        data = make_zip("device_info.json", json.dumps(device.device_info).encode())
    else:
        data = context.store.get(key)
    return Response(content=data, media_type="application/zip")
