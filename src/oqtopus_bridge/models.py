"""Wire objects of the OQTOPUS user API: job statuses, job and device records, tolerant parsing.

Records keep the server's raw dict (unknown fields survive) and expose typed, defaulted views; a
missing ``name`` or ``description`` is ``""``, not a crash (a peer weakness, spec section 11).
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "FINAL_STATUSES",
    "JOB_TYPES",
    "DeviceRecord",
    "JobRecord",
    "JobStatus",
    "JsonEncoder",
    "is_final",
    "parse_datetime",
]


class JobStatus(str, enum.Enum):
    """Every job status the service reports; unknown values are kept as plain strings."""

    REGISTERED = "registered"
    SUBMITTED = "submitted"
    READY = "ready"
    RUNNING = "running"
    CANCELLING = "cancelling"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        """True for succeeded, failed and cancelled."""
        return self.value in FINAL_STATUSES


FINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
JOB_TYPES = ("sampling", "estimation", "multi_manual", "sse")


def is_final(status: str) -> bool:
    """Return True for a terminal status; unknown statuses (e.g. ``cancelling``) are not final."""
    return status in FINAL_STATUSES


def parse_datetime(value: Any) -> dt.datetime | None:
    """Parse an ISO-8601 timestamp (``Z`` accepted); None or unparsable values give None."""
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


class JsonEncoder(json.JSONEncoder):
    """JSON encoder writing datetimes as ISO-8601, as the peer's ``to_json`` does."""

    def default(self, o: Any) -> Any:
        """Encode datetimes and enums; defer the rest to the base class."""
        if isinstance(o, (dt.datetime, dt.date)):
            return o.isoformat()
        if isinstance(o, enum.Enum):
            return o.value
        return super().default(o)


def _dict(value: Any) -> dict[str, Any]:
    """Coerce an info field to a dict: dicts pass, JSON strings are parsed (legacy), else ``{}``."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str) and value.strip():
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            return {}
        return dict(parsed) if isinstance(parsed, Mapping) else {}
    return {}


class JobRecord:
    """The server's view of one job (``GET /jobs/{id}``), kept raw and read through typed accessors.

    Args:
        data: The job object as returned by the server; must contain ``job_id``.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        if not isinstance(data, Mapping) or not data.get("job_id"):
            raise ValueError("a job record needs a job_id")
        self._data = dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Return a copy of the raw job dict (third-party code reads ``to_dict()["status"]``)."""
        return copy.deepcopy(self._data)

    def update(self, data: Mapping[str, Any]) -> None:
        """Merge newer server fields into the record."""
        self._data.update(data)

    def get(self, key: str, default: Any = None) -> Any:
        """Return a raw field."""
        return self._data.get(key, default)

    @property
    def job_id(self) -> str:
        """The job id."""
        return str(self._data["job_id"])

    @property
    def status(self) -> str:
        """The status string (may be a value this client does not know)."""
        return str(self._data.get("status") or "")

    def text(self, key: str) -> str:
        """A string field, ``""`` when missing or null."""
        value = self._data.get(key)
        return "" if value is None else str(value)

    def info(self, key: str) -> dict[str, Any]:
        """A dict-valued info field (``transpiler_info``...), ``{}`` when missing."""
        return _dict(self._data.get(key))

    def number(self, key: str) -> float:
        """A numeric field, 0 when missing."""
        value = self._data.get(key)
        try:
            return float(value) if value is not None else 0.0
        except (TypeError, ValueError):
            return 0.0

    def time(self, key: str) -> dt.datetime | None:
        """A timestamp field."""
        return parse_datetime(self._data.get(key))


class DeviceRecord:
    """The server's view of one device (``GET /devices/{id}``).

    Args:
        data: The device object; must contain ``device_id``.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        if not isinstance(data, Mapping) or not data.get("device_id"):
            raise ValueError("a device record needs a device_id")
        self._data = dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Return a copy of the raw device dict."""
        return copy.deepcopy(self._data)

    def get(self, key: str, default: Any = None) -> Any:
        """Return a raw field."""
        return self._data.get(key, default)

    def strings(self, key: str) -> list[str]:
        """A list-of-strings field; a JSON-encoded list (DB column style) is decoded."""
        value = self._data.get(key)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except (ValueError, RecursionError):
                value = [part.strip() for part in value.split(",") if part.strip()]
        return [str(item) for item in value] if isinstance(value, list) else []
