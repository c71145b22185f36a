"""JSON shapes of jobs and devices as each protocol shows them (pure functions, no HTTP)."""

from __future__ import annotations

import json
import logging
from typing import Any

from .archive import ArchiveError
from .devices import Device
from .repository import JobRecord
from .storage import ObjectStore

log = logging.getLogger("oqtopus_bridge.local")

JOB_FIELDS = (
    "job_id",
    "name",
    "description",
    "job_type",
    "status",
    "device_id",
    "shots",
    "job_info",
    "transpiler_info",
    "simulator_info",
    "mitigation_info",
    "execution_time",
    "submitted_at",
    "ready_at",
    "running_at",
    "ended_at",
)
OUTPUT_ITEMS = ("combined_program", "result", "transpile_result", "sse_log")


def _base(record: JobRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in JOB_FIELDS if name != "job_info"}


def storage_job(record: JobRecord, store: ObjectStore) -> dict[str, Any]:
    """Return the storage-protocol ``jobs.Job``, ``job_info`` as download URLs; nulls omitted."""
    if record.status == "registered":
        return {"job_id": record.job_id, "status": record.status}
    job = _base(record)
    # ``input`` is required by the schema, so it is always present (even if never uploaded).
    info: dict[str, Any] = {"input": store.download_url(f"{record.job_id}/input.zip")}
    stored = store.items(record.job_id)
    for item in OUTPUT_ITEMS:
        if item in stored:
            info[item] = store.download_url(f"{record.job_id}/{item}.zip")
    if record.message is not None:
        info["message"] = record.message
    job["job_info"] = info
    return {key: value for key, value in job.items() if value is not None}


def json_entry(store: ObjectStore, job_id: str, item: str) -> Any:
    """Return the single entry of ``{job_id}/{item}.zip`` as JSON, as text if it is not JSON."""
    try:
        data = store.read_entry(job_id, item)
    except ArchiveError as exc:  # the server writes these objects; a broken one is left out
        log.warning("job %s: %s.zip cannot be read: %s", job_id, item, exc)
        return None
    if data is None:
        return None
    text = data.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def legacy_job(record: JobRecord, store: ObjectStore) -> dict[str, Any]:
    """Return the legacy ``jobs.JobDef`` with results inline; nulls omitted."""
    job = _base(record)
    given = json_entry(store, record.job_id, "input") or {}
    info: dict[str, Any] = {
        "program": given.get("program") or [],
        "operator": given.get("operator"),
    }
    info["combined_program"] = json_entry(store, record.job_id, "combined_program")
    result = json_entry(store, record.job_id, "result")
    if isinstance(result, dict):
        info["result"] = {k: v for k, v in result.items() if v is not None}
    transpiled = json_entry(store, record.job_id, "transpile_result")
    if isinstance(transpiled, dict):
        info["transpile_result"] = {
            "transpiled_program": transpiled.get("transpiled_program"),
            "stats": json.dumps(transpiled.get("stats")),
            "virtual_physical_mapping": json.dumps(transpiled.get("virtual_physical_mapping")),
        }
    info["message"] = record.message
    job["job_info"] = {k: v for k, v in info.items() if v is not None}
    return {key: value for key, value in job.items() if value is not None}


def select_fields(job: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """Keep only ``fields`` (requested but undefined fields are ``null``, as the spec says)."""
    if fields is None or job.get("status") == "registered":
        return job
    return {name: job.get(name) for name in fields}


def device_view(device: Device, n_pending: int, device_info: str | None) -> dict[str, Any]:
    """Return ``devices.DeviceInfo``; ``device_info`` is a URL (storage) or JSON text (legacy)."""
    view: dict[str, Any] = {
        "device_id": device.device_id,
        "device_type": device.device_type,
        "status": device.status,
        "available_at": device.available_at,
        "n_pending_jobs": n_pending,
        "n_qubits": device.n_qubits,
        "basis_gates": device.basis_gates,
        "supported_instructions": device.supported_instructions,
        "device_info": device_info,
        "calibrated_at": device.calibrated_at,
        "description": device.description,
    }
    return {key: value for key, value in view.items() if value is not None}
