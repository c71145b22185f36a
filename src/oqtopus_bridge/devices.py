"""The documented ``OqtopusDevice``: a device's properties, with ``device_info`` always a dict.

``device_info`` comes inline (a JSON string on legacy servers, or an object), as a presigned URL of
``device_info.zip`` (current servers), or null; all three end as a dict, downloaded once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from oqtopus_bridge.api import OqtopusApi
from oqtopus_bridge.concurrency import LockedObject
from oqtopus_bridge.models import DeviceRecord, JsonEncoder, parse_datetime

__all__ = ["OqtopusDevice"]


def _as_info_dict(value: Any) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return {"value": value}
    return dict(value) if isinstance(value, Mapping) else {"value": value}


class OqtopusDevice(LockedObject):
    """A device embedded in the oqtopus framework.

    Args:
        device: The device information (the server's device object, or a ``DeviceRecord``).
        device_api: The API used to refresh the device and download its ``device_info``.

    Raises:
        ValueError: If the device or device_api is None.
    """

    def __init__(self, device: Mapping[str, Any] | DeviceRecord, device_api: OqtopusApi) -> None:
        if device is None:
            raise ValueError("'device' should not be None")
        if device_api is None:
            raise ValueError("'device_api' should not be None")
        self._device = device if isinstance(device, DeviceRecord) else DeviceRecord(device)
        self._api = device_api
        self._device_info: dict[str, Any] | None = None
        self._new_lock()  # a copy gets its own lock, and its API reconnects (issue 24)

    @property
    def device_id(self) -> str:
        """The device id of the device."""
        return str(self._device.get("device_id"))

    @property
    def device_type(self) -> str:
        """The device type of the device (``"QPU"`` or ``"simulator"``)."""
        return str(self._device.get("device_type") or "")

    @property
    def status(self) -> str:
        """The status of the device (``"available"`` or ``"unavailable"``)."""
        return str(self._device.get("status") or "")

    @property
    def available_at(self) -> dt.datetime | None:
        """The ``available_at`` of the device."""
        return parse_datetime(self._device.get("available_at"))

    @property
    def calibrated_at(self) -> dt.datetime | None:
        """The ``calibrated_at`` of the device."""
        return parse_datetime(self._device.get("calibrated_at"))

    @property
    def description(self) -> str:
        """The description of the device."""
        return str(self._device.get("description") or "")

    @property
    def n_pending_jobs(self) -> int:
        """The number of pending jobs in the device."""
        return int(self._device.get("n_pending_jobs") or 0)

    @property
    def n_qubits(self) -> int:
        """The number of qubits in the device (0 if unknown)."""
        return int(self._device.get("n_qubits") or 0)

    @property
    def basis_gates(self) -> list[str]:
        """The basis gates of the device."""
        return self._device.strings("basis_gates")

    @property
    def supported_instructions(self) -> list[str]:
        """The supported instructions of the device."""
        return self._device.strings("supported_instructions")

    @property
    def device_info(self) -> dict[str, Any]:
        """The device information (calibration data) as a dict; ``{}`` when the server has none.

        Raises:
            BackendError: If downloading the presigned ``device_info.zip`` fails.
        """
        with self._lock:
            if self._device_info is None:
                raw = self._device.get("device_info")
                if isinstance(raw, str) and raw.startswith(("http://", "https://", "/")):
                    raw = self._api.fetch_object(raw, "device_info.zip")
                self._device_info = _as_info_dict(raw)
            return self._device_info

    def refresh(self) -> None:
        """Retrieve the device information from OQTOPUS Cloud.

        Raises:
            BackendError: If the device cannot be found, authentication failed, a timeout occurred.
        """
        data = self._api.get_device(self.device_id)
        with self._lock:
            self._device = DeviceRecord(data)
            self._device_info = None

    def to_json(self) -> str:
        """Return a JSON representation of the device (``device_info`` as an object)."""
        data = self._device.to_dict()
        data["device_info"] = self.device_info
        return json.dumps(data, cls=JsonEncoder)

    def plot(self, ax: Any = None, *, title: str | None = None, metric: str = "readout") -> Any:
        """Draw the coupling map, coloured by error as in the web view (the ``plot`` extra).

        Args:
            ax: Matplotlib axes to draw on; a new figure when None.
            title: Figure title; defaults to the device id.
            metric: The qubit colour: ``"readout"`` (assignment error) or ``"1q"`` (1 - fidelity).

        Returns:
            The matplotlib figure.

        Raises:
            ImportError: If matplotlib is not installed.
            ValueError: If ``device_info`` lists no qubits, or ``metric`` is not one of the above.
        """
        from oqtopus_bridge.plotting import plot_device

        return plot_device(self, ax=ax, title=title, metric=metric)

    def __repr__(self) -> str:
        return f"OqtopusDevice(device_id={self.device_id!r}, status={self.status!r})"

    def _repr_html_(self) -> str:
        """The device's fields and, for a QPU, its topology coloured by calibration."""
        from oqtopus_bridge.display import device_html
        from oqtopus_bridge.errors import BackendError

        fields = {
            "device_id": self.device_id,
            "status": self.status,
            "n_qubits": self.n_qubits,
            "device_type": self.device_type,
            "n_pending_jobs": self.n_pending_jobs,
            "basis_gates": ", ".join(self.basis_gates),
            "supported_instructions": ", ".join(self.supported_instructions),
            "calibrated_at": self._device.get("calibrated_at"),
            "description": self.description,
        }
        try:
            info: dict[str, Any] | None = self.device_info
        except BackendError:
            info = None  # a display never raises: the table alone is still useful
        return device_html(fields, info)
