"""The documented ``OqtopusDeviceBackend``: list devices and get one by id."""

from __future__ import annotations

from oqtopus_bridge.backends.base import OqtopusBackendBase
from oqtopus_bridge.devices import OqtopusDevice
from oqtopus_bridge.errors import BackendError, NotFoundError, join_message

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
        try:
            return OqtopusDevice(self.api.get_device(device_id), self.api)
        except NotFoundError as exc:
            try:
                known = [str(device.get("device_id")) for device in self.api.get_devices()]
            except BackendError:
                raise exc from None
            detail = (
                f"no device {device_id!r}; available devices: {', '.join(known)}. "
                "Pass one of these ids (list them with 'oqtopus-bridge devices')"
            )
            raise NotFoundError(
                exc.status_code,
                join_message(exc.message, detail),
                exc.body,
                context=exc.context,
            ) from exc
