"""Devices over real HTTP: listing, properties, device_info as a dict, errors."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from oqtopus_bridge import BackendError, OqtopusDevice, OqtopusDeviceBackend
from oqtopus_bridge.devices import _as_info_dict
from oqtopus_bridge.errors import NotFoundError


@pytest.fixture
def device_backend(oqtopus_config: Any) -> OqtopusDeviceBackend:
    return OqtopusDeviceBackend(oqtopus_config)


def test_get_devices_lists_qulacs(device_backend: Any) -> None:
    devices = device_backend.get_devices()
    assert all(isinstance(device, OqtopusDevice) for device in devices)
    assert "qulacs" in {device.device_id for device in devices}


def test_every_documented_property(device_backend: Any) -> None:
    device = device_backend.get_device("anemone")
    assert device.device_id == "anemone"
    assert device.device_type in ("QPU", "simulator")
    assert device.status in ("available", "unavailable")
    assert isinstance(device.n_pending_jobs, int)
    assert device.n_qubits == 16
    assert isinstance(device.basis_gates, list) and device.basis_gates
    assert isinstance(device.supported_instructions, list)
    assert isinstance(device.description, str)
    assert device.available_at is None or isinstance(device.available_at, dt.datetime)
    assert device.calibrated_at is None or isinstance(device.calibrated_at, dt.datetime)
    info = device.device_info
    assert isinstance(info, dict)
    assert len(info["qubits"]) == 16
    assert device.device_info is info  # downloaded once


def test_refresh_and_to_json(device_backend: Any, local_server: Any) -> None:
    device = device_backend.get_device("qulacs")
    device.refresh()
    data = json.loads(device.to_json())
    assert data["device_id"] == "qulacs"
    assert isinstance(data["device_info"], dict)
    assert local_server.token not in device.to_json()


def test_unknown_device_is_not_found(device_backend: Any) -> None:
    with pytest.raises(NotFoundError):
        device_backend.get_device("no-such-device")


def test_legacy_device_info_is_a_dict(legacy_server: Any) -> None:
    device = OqtopusDeviceBackend(legacy_server.config).get_device("qulacs")
    assert isinstance(device.device_info, dict)
    assert device.device_info


def test_device_info_forms() -> None:
    assert _as_info_dict(None) == {}
    assert _as_info_dict('{"a": 1}') == {"a": 1}
    assert _as_info_dict({"a": 1}) == {"a": 1}
    assert _as_info_dict("[1]") == {"value": [1]}
    assert _as_info_dict("not json") == {"value": "not json"}


def test_constructor_rejects_none(device_backend: Any) -> None:
    with pytest.raises(ValueError):
        OqtopusDevice(None, device_backend.api)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        OqtopusDevice({"device_id": "x"}, None)  # type: ignore[arg-type]


def test_bad_token_is_backend_error(local_server: Any) -> None:
    from oqtopus_bridge import OqtopusConfig
    from oqtopus_bridge.errors import AuthenticationError

    backend = OqtopusDeviceBackend(OqtopusConfig(local_server.url, "wrong-token"))
    with pytest.raises(AuthenticationError) as info:
        backend.get_devices()
    assert isinstance(info.value, BackendError)
    assert info.value.status_code == 401
    assert "wrong-token" not in str(info.value)
