"""The user-facing job rules of the service: ownership, the state machine, and submission checks.

No HTTP here: methods take plain values and raise `.errors` exceptions that the app maps to
status codes. Messages follow the real service (``shared/reference/oqtopus-server.md`` sections 3,
5 and 7).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import logging
from collections.abc import Callable
from typing import Any

from .devices import Device, DeviceCatalog
from .errors import BadRequest, NotFound
from .repository import Identity, JobQuery, JobRecord, Repository, new_job_id, utc_now
from .schemas import LegacySubmitJobRequest, SubmitJobRequest
from .settings import ServerSettings
from .storage import ObjectStore

log = logging.getLogger("oqtopus_bridge.local")

CANCELLABLE = ("registered", "submitted", "ready", "running")
TERMINAL = ("succeeded", "failed", "cancelled")


class JobService:
    """Job and device operations on behalf of an authenticated caller.

    Args:
        settings: Server settings.
        repo: The database.
        store: Object storage.
        catalog: The device catalog.
        enqueue: Called with a job id and its job type once the job is ``submitted``.
        on_cancel: Called with a job id once the job is ``cancelled`` (stops its simulation).
    """

    def __init__(
        self,
        settings: ServerSettings,
        repo: Repository,
        store: ObjectStore,
        catalog: DeviceCatalog,
        enqueue: Callable[[str, str], None],
        on_cancel: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.repo = repo
        self.store = store
        self.catalog = catalog
        self._enqueue = enqueue
        self._on_cancel = on_cancel

    # -- devices ----------------------------------------------------------------------------------

    def device(self, device_id: str) -> Device:
        """Return a device or raise 404 ``device_id=... is not found.``."""
        device = self.catalog.get(device_id)
        if device is None:
            raise NotFound(f"device_id={device_id} is not found.")
        return device

    # -- jobs -------------------------------------------------------------------------------------

    def owned_job(self, who: Identity, job_id: str) -> JobRecord:
        """Return the caller's job; someone else's job is indistinguishable from a missing one.

        An SSE program's job-scoped token owns only the jobs that program created (issue 21).
        """
        record = self.repo.get_job(job_id)
        if record is None or record.owner != who.user_id:
            raise NotFound("job not found with the given id")
        _check_scope(who, record)
        return record

    def owned_status(self, who: Identity, job_id: str) -> str:
        """Return the status of the caller's job (read alone: the poll every client repeats)."""
        if who.scope_job_id is not None:
            return self.owned_job(who, job_id).status
        found = self.repo.job_status(job_id)
        if found is None or found[0] != who.user_id:
            raise NotFound("job not found with the given id")
        return found[1]

    def register(self, who: Identity) -> dict[str, Any]:
        """Create a ``registered`` job and return ``{job_id, presigned_url}``."""
        job_id = new_job_id()
        self.repo.insert_job(
            JobRecord(
                job_id=job_id,
                owner=who.user_id,
                status="registered",
                created_at=utc_now(),
                parent_job_id=who.scope_job_id,
            )
        )
        form = self.store.upload_form(f"{job_id}/input.zip", self.settings.max_upload_bytes)
        log.debug("job %s registered", job_id)
        return {"job_id": job_id, "presigned_url": form}

    def _resolve_device(self, who: Identity, device_id: str) -> str:
        """Map ``"sse"`` and ``""`` (ids SSE programs give inner jobs) to the SSE job's device."""
        if device_id in ("sse", "") and who.scope_job_id is not None:
            parent = self.repo.get_job(who.scope_job_id)
            if parent is not None and parent.device_id:
                return parent.device_id
        return device_id

    def _check_device(self, device_id: str) -> Device:
        device = self.catalog.get(device_id)
        if device is None:
            raise BadRequest("device not found")
        if device.status != "available":
            raise BadRequest(f"device {device_id} is not available")
        return device

    def submit(self, who: Identity, job_id: str, request: SubmitJobRequest) -> None:
        """Move a registered job to ``submitted`` after the real service's checks."""
        record = self.owned_job(who, job_id)
        if record.status != "registered":
            raise BadRequest(
                f"{job_id} job is not in valid status for submission (valid status: 'registered')"
            )
        device_id = self._resolve_device(who, request.device_id)
        self._check_device(device_id)
        if not self.store.exists(f"{job_id}/input.zip"):
            raise BadRequest(f"job information input for {job_id} job not found")
        columns = _submit_columns(request, device_id)
        if not self.repo.update_job(job_id, expect=("registered",), **columns):
            raise BadRequest(f"{job_id} job changed status during submission; retry")
        log.debug("job %s submitted (%s on %s)", job_id, request.job_type, device_id)
        self._enqueue(job_id, request.job_type)

    def create_legacy(self, who: Identity, request: LegacySubmitJobRequest) -> str:
        """Create and submit a job from a legacy inline ``POST /jobs`` body."""
        device_id = self._resolve_device(who, request.device_id)
        self._check_device(device_id)
        payload = _legacy_input(request)
        job_id = new_job_id()
        self.store.put_json(job_id, "input", payload)
        record = JobRecord(
            job_id=job_id,
            owner=who.user_id,
            status="registered",
            created_at=utc_now(),
            parent_job_id=who.scope_job_id,
        )
        self.repo.insert_job(record)
        self.repo.update_job(job_id, **_submit_columns(request, device_id))
        log.debug("job %s submitted (%s on %s)", job_id, request.job_type, device_id)
        self._enqueue(job_id, request.job_type)
        return job_id

    def cancel(self, who: Identity, job_id: str) -> None:
        """Cancel a job that has not finished; idempotent on cancelled jobs."""
        record = self.owned_job(who, job_id)
        if record.status == "cancelled":
            return
        if record.status not in CANCELLABLE or not self.repo.update_job(
            job_id, expect=CANCELLABLE, status="cancelled", ended_at=utc_now()
        ):
            raise BadRequest(
                f"{job_id} job is not in valid status for cancellation (valid statuses for "
                "cancellation: 'registered', 'ready', 'submitted' and 'running')"
            )
        log.info("job %s cancelled", job_id)
        if self._on_cancel is not None:
            self._on_cancel(job_id)

    def delete(self, who: Identity, job_id: str) -> None:
        """Delete a finished job and all its objects."""
        record = self.owned_job(who, job_id)
        if record.status not in TERMINAL:
            raise BadRequest(
                f"{job_id} job is not in valid status for deletion (valid statuses for deletion: "
                "'succeeded', 'failed' and 'cancelled')"
            )
        self.repo.delete_job(job_id)
        self.store.delete_job(job_id)
        log.info("job %s deleted", job_id)

    def list_jobs(self, who: Identity, query: JobQuery) -> list[JobRecord]:
        """Return one page of the caller's jobs (an SSE program's: the jobs it created)."""
        if who.scope_job_id is not None:
            query = dataclasses.replace(query, parent_job_id=who.scope_job_id)
        return self.repo.list_jobs(who.user_id, query)

    def sselog(self, who: Identity, job_id: str) -> dict[str, str]:
        """Return the legacy ``{file: base64 zip, file_name}`` SSE log of a finished SSE job."""
        record = self.owned_job(who, job_id)
        if record.job_type != "sse":
            raise BadRequest(f"job {job_id} is not an sse job")
        if record.status not in TERMINAL:
            raise BadRequest("job has not finished yet")
        key = f"{job_id}/sse_log.zip"
        if not self.store.exists(key):
            raise NotFound("log file not found")
        data = base64.b64encode(self.store.get(key)).decode()
        return {"file": data, "file_name": f"sselog_{job_id}.zip"}


def _check_scope(who: Identity, record: JobRecord) -> None:
    """Refuse a job-scoped token (an SSE program's) a job that program did not create."""
    if who.scope_job_id is not None and record.parent_job_id != who.scope_job_id:
        raise NotFound(
            "job not found with the given id: an SSE program's token reaches only the jobs it "
            "created"
        )


def _submit_columns(request: SubmitJobRequest, device_id: str) -> dict[str, Any]:
    # ``device_id`` as resolved (an SSE program's "sse" names its job's device), not as sent.
    return {
        "name": request.name,
        "description": request.description,
        "device_id": device_id,
        "job_type": request.job_type,
        "shots": request.shots,
        "transpiler_info": request.transpiler_info if request.transpiler_info is not None else {},
        "simulator_info": request.simulator_info if request.simulator_info is not None else {},
        "mitigation_info": request.mitigation_info if request.mitigation_info is not None else {},
        "status": "submitted",
        "submitted_at": utc_now(),
    }


def _legacy_input(request: LegacySubmitJobRequest) -> dict[str, Any]:
    """Turn a legacy inline job_info into the ``input.json`` the engine reads."""
    info = request.job_info
    if request.job_type == "sse":
        if len(info.program) != 1:
            raise BadRequest("an sse job needs exactly one program: the base64 of a .py file")
        try:
            source = base64.b64decode(info.program[0], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise BadRequest("sse program must be the base64 of a UTF-8 Python file") from exc
        return {"sse_program": source}
    if request.job_type == "estimation" and not info.operator:
        raise BadRequest("an estimation job needs job_info.operator")
    payload: dict[str, Any] = {"program": info.program}
    if info.operator is not None:
        payload["operator"] = [json.loads(item.model_dump_json()) for item in info.operator]
    return payload
