"""The announcements of ``GET /announcements``: a built-in one, or ``announcements.json``.

The real service's announcements come from its operators. Locally, one announcement says what this
server is; a JSON list in ``<data_dir>/announcements.json`` (objects with ``title``, ``content`` and
optional ``start_time``, ``end_time``, ``publishable``) replaces it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

FILE_NAME = "announcements.json"
_ALWAYS = ("2025-01-01T00:00:00Z", "9999-12-31T23:59:59Z")
log = logging.getLogger("oqtopus_bridge.local")

LOCAL_ANNOUNCEMENT = {
    "title": "Local OQTOPUS-compatible server",
    "content": (
        "This is oqtopus-bridge's local server: jobs run on a simulator on this machine, and there "
        "are no accounts to manage. Put your own announcements in announcements.json in the "
        "server's data directory."
    ),
}


def _entry(index: int, raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": index,
        "title": str(raw.get("title", "")),
        "content": str(raw.get("content", "")),
        "start_time": str(raw.get("start_time", _ALWAYS[0])),
        "end_time": str(raw.get("end_time", _ALWAYS[1])),
        "publishable": bool(raw.get("publishable", True)),
    }


def load_announcements(data_dir: Path) -> list[dict[str, Any]]:
    """Return the announcements (``id`` = position), as the spec's ``GetAnnouncementResponse``."""
    path = data_dir / FILE_NAME
    raws: list[Any] = [LOCAL_ANNOUNCEMENT]
    if path.exists():
        try:
            loaded = json.loads(path.read_text())
            if not isinstance(loaded, list) or not all(isinstance(x, dict) for x in loaded):
                raise ValueError("it must be a JSON list of objects")
            raws = loaded
        except ValueError as exc:
            log.warning("ignoring invalid %s: %s", path, exc)
    return [_entry(index, raw) for index, raw in enumerate(raws)]
