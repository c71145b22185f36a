"""The device history: one entry, with its ``device_info`` kept in storage, per calibration change.

Like the real cloud (table ``device_info_history``, storage key
``device_histories/{uid}/device_info.zip``), the server appends an entry whenever a device's
``device_info`` differs from the last one recorded: at first start, and whenever ``devices.json``
is edited (or ``serve --mirror`` copies a device in).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import uuid

from .devices import Device
from .repository import HistoryEntry, Repository, utc_now
from .storage import ObjectStore, make_zip


def history_key(history_uid: str) -> str:
    """Return the storage key of the ``device_info`` of one history entry."""
    return f"device_histories/{history_uid}/device_info.zip"


def normalize_time(value: str | None) -> str | None:
    """Return an ISO timestamp as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC); unparseable text as is."""
    if value is None:
        return None
    try:
        stamp = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    return stamp.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class CalibrationHistory:
    """Records catalog loads into the repository (the catalog's ``on_load`` callback).

    Args:
        repo: The database.
        store: Object storage for the recorded ``device_info`` documents.
    """

    def __init__(self, repo: Repository, store: ObjectStore) -> None:
        self._repo = repo
        self._store = store

    def __call__(self, devices: list[Device]) -> None:
        """Append an entry for every device whose ``device_info`` changed."""
        for device in devices:
            document = json.dumps(device.device_info, sort_keys=True).encode()
            entry = HistoryEntry(
                history_uid=str(uuid.uuid4()),
                device_id=device.device_id,
                calibrated_at=normalize_time(device.calibrated_at),
                n_qubits=device.n_qubits,
                n_couplings=len(device.device_info.get("couplings") or []),
                recorded_at=utc_now(),
            )
            # Store the document first: an entry never points at a missing object.
            key = history_key(entry.history_uid)
            self._store.put(key, make_zip("device_info.json", document))
            if not self._repo.record_calibration(entry, hashlib.sha256(document).hexdigest()):
                shutil.rmtree(self._store.path(key).parent, ignore_errors=True)
