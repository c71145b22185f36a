"""``GET /devices`` and ``GET /devices/{device_id}``."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter

from ..context import ServerContext
from ..devices import Device
from ..views import device_view
from .deps import Caller, Context

router = APIRouter()


def _view(context: ServerContext, device: Device) -> dict[str, Any]:
    if context.settings.protocol == "legacy":
        info = json.dumps(device.device_info)
    else:
        info = context.store.download_url(f"devices/{device.device_id}/device_info.zip")
    return device_view(device, context.repo.count_pending(device.device_id), info)


@router.get("/devices")
def list_devices(context: Context, who: Caller) -> list[dict[str, Any]]:
    """List every device of the catalog."""
    return [_view(context, device) for device in context.catalog.all()]


@router.get("/devices/{device_id}")
def get_device(device_id: str, context: Context, who: Caller) -> dict[str, Any]:
    """Return one device."""
    return _view(context, context.service.device(device_id))
