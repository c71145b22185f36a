"""``GET /device_histories`` and ``GET /device_histories/{history_uid}``: recorded calibrations.

As the cloud's user spec has them (``oqtopus-cloud:backend/oas/user/paths/devices.yaml``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from ..context import ServerContext
from ..errors import NotFound
from ..history import history_key, normalize_time
from ..repository import HistoryEntry, HistoryQuery
from ..storage import read_single_entry
from .deps import Caller, Context

router = APIRouter()


def _item(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "history_uid": entry.history_uid,
        "device_id": entry.device_id,
        "calibrated_at": entry.calibrated_at,
        "n_qubits": entry.n_qubits,
        "n_couplings": entry.n_couplings,
    }


def _stamp(value: dt.datetime | None) -> str | None:
    return None if value is None else normalize_time(value.isoformat())


@router.get("/device_histories")
def list_device_histories(
    context: Context,
    who: Caller,
    device_id: Annotated[str | None, Query(max_length=256)] = None,
    since: Annotated[dt.datetime | None, Query(alias="from")] = None,
    until: Annotated[dt.datetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> dict[str, Any]:
    """List recorded calibrations, newest first; ``from``/``to`` bound ``calibrated_at``."""
    context.catalog.all()  # picks up an edited devices.json (and records it) first
    query = HistoryQuery(device_id, _stamp(since), _stamp(until), limit, offset)
    entries, total = context.repo.device_history(query)
    if device_id is not None and total == 0 and context.catalog.get(device_id) is None:
        raise NotFound(f"device_id={device_id} is not found.")
    return {"items": [_item(e) for e in entries], "total": total, "limit": limit, "offset": offset}


def _device_info(context: ServerContext, history_uid: str) -> str:
    key = history_key(history_uid)
    if context.settings.protocol == "legacy":
        return read_single_entry(context.store.get(key))[1].decode()
    return context.store.download_url(key)


@router.get("/device_histories/{history_uid}")
def get_device_history(history_uid: str, context: Context, who: Caller) -> dict[str, Any]:
    """Return one entry with its ``device_info`` (a download URL; JSON text in legacy mode)."""
    entry = context.repo.history_entry(history_uid)
    if entry is None:
        raise NotFound(f"device history {history_uid} is not found.")
    return {**_item(entry), "device_info": _device_info(context, history_uid)}
