"""The documented ``OqtopusDeviceBackend``: list devices and get one by id."""

from __future__ import annotations

from oqtopus_bridge.backends.base import OqtopusBackendBase
from oqtopus_bridge.devices import OqtopusDevice

__all__ = ["OqtopusDeviceBackend"]


class OqtopusDeviceBackend(OqtopusBackendBase):
    """A backend that lists the devices of an OQTOPUS server.

    Args:
        config: Connection settings; see `OqtopusBackendBase`
            for how None is resolved.
    """

    def get_devices(self) -> list[OqtopusDevice]:
        """Get all devices registered in Oqtopus Cloud.

        Returns:
            The devices.

        Raises:
            BackendError: If the request fails (authentication, network, server error).
        """
        return [OqtopusDevice(device, self.api) for device in self.api.get_devices()]

    def get_device(self, device_id: str) -> OqtopusDevice:
        """Get a device by its ID.

        Args:
            device_id: The ID of the device.

        Returns:
            The device.

        Raises:
            BackendError: If the device does not exist (``NotFoundError``) or the request fails.
        """
        return OqtopusDevice(self.api.get_device(device_id), self.api)
