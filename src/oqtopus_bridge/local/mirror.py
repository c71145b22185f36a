"""One-step device emulation: copy a real device's ``device_info`` from the cloud to the catalog.

``oqtopus-bridge serve --mirror anemone`` (or ``LocalServer(mirror=["anemone"])``) reads
``GET /devices/anemone`` from the configured service, resolves its ``device_info`` (a presigned
URL of a single-entry zip on newer servers, JSON text on older ones) and writes the device into
``devices.json``, so jobs run offline with a noise model from the device's calibration of now.
Plain ``requests`` only: the server imports nothing from the client side.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from . import safejson
from .archive import MIB, ArchiveError, read_single_entry
from .devices import BASIS_GATES, INSTRUCTIONS, upsert_device

TIMEOUT = (10.0, 60.0)
TOKEN_HEADER = "q-api-token"
#: Largest ``device_info.json`` inflated from the cloud's zip (a 1,000-qubit device's is ~1 MiB).
MAX_DEVICE_INFO_BYTES = 64 * MIB


def _origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of ``url``, the default port made explicit."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a malformed port: an origin of its own, equal to no other
        port = -1
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


class _CloudSession(requests.Session):
    """A session that sends the API token to the cloud's own origin only.

    requests' ``rebuild_auth`` drops ``Authorization`` on a redirect to another host, but knows
    nothing of ``q-api-token``: a cloud (or anything on the way) answering with a redirect to
    another host, scheme or port got the token (issue 21, item 8). Here the token leaves every
    redirected request whose origin differs from the cloud's, and is never put back.
    """

    def __init__(self, base_url: str, token: str) -> None:
        super().__init__()
        self._origin = _origin(base_url)
        self.headers[TOKEN_HEADER] = token

    def rebuild_auth(
        self, prepared_request: requests.PreparedRequest, response: requests.Response
    ) -> None:
        """Drop the token when a redirect leaves the cloud's origin (and what requests drops)."""
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]
        if _origin(prepared_request.url or "") != self._origin:
            prepared_request.headers.pop(TOKEN_HEADER, None)


class MirrorError(ValueError):
    """A device could not be copied from the cloud (the message says why and what to do)."""


def _get(session: requests.Session, url: str, what: str) -> requests.Response:
    try:
        response = session.get(url, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise MirrorError(f"cannot reach {url} to mirror {what}: {exc}") from exc
    if response.status_code in (401, 403):
        raise MirrorError(
            f"the service refused the API token ({response.status_code}) while mirroring {what}: "
            "check the token of the configured OQTOPUS Cloud (oqtopus-bridge config)"
        )
    if response.status_code == 404:
        raise MirrorError(f"{what} is not found at {url}: list devices with oqtopus-bridge devices")
    if response.status_code != 200:
        raise MirrorError(f"{url} answered {response.status_code} while mirroring {what}")
    return response


def _device_info(session: requests.Session, value: Any, what: str) -> dict[str, Any]:
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        plain = requests.Session()  # storage requests carry no token
        plain.proxies = session.proxies
        zipped = _get(plain, value, f"the device_info of {what}").content
        try:
            _, data = read_single_entry(
                zipped, f"the device_info.zip of {what}", MAX_DEVICE_INFO_BYTES
            )
            value = data.decode("utf-8")
        except (ArchiveError, UnicodeDecodeError) as exc:
            raise MirrorError(f"{exc}; check the service's storage") from None
    if isinstance(value, str):
        try:
            value = safejson.loads(value, "the device_info")
        except ValueError as exc:
            raise MirrorError(f"the device_info of {what} is not JSON: {exc}") from exc
    if not isinstance(value, dict) or not isinstance(value.get("qubits"), list):
        raise MirrorError(f"{what} has no device_info with qubits: it cannot be emulated")
    return value


def fetch_device(url: str, token: str, device_id: str, proxy: str | None = None) -> dict[str, Any]:
    """Return the catalog entry of ``device_id`` as the service at ``url`` describes it now.

    Raises:
        MirrorError: The service cannot be reached, refuses the token, or lacks the device.
    """
    session = _CloudSession(url, token)
    if proxy:
        session.proxies = {"http": proxy, "https": proxy}
    what = f"device {device_id!r}"
    base = url.rstrip("/")
    device = _get(session, f"{base}/devices/{device_id}", what).json()
    info = _device_info(session, device.get("device_info"), what)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    description = device.get("description") or ""
    return {
        "device_id": device_id,
        "device_type": device.get("device_type", "QPU"),
        # Locally the copy is always usable, whatever the real device's status is right now.
        "status": "available",
        "description": f"Mirrored from {base} at {stamp}: {description}".strip(),
        "basis_gates": device.get("basis_gates") or BASIS_GATES,
        "supported_instructions": device.get("supported_instructions") or INSTRUCTIONS,
        "noisy": device.get("device_type", "QPU") == "QPU",
        "device_info": info,
    }


def mirror_devices(
    catalog: Path, url: str, token: str, device_ids: Iterable[str], proxy: str | None = None
) -> list[str]:
    """Copy each device from the service into the catalog file ``catalog``; return their ids."""
    copied = []
    for device_id in device_ids:
        upsert_device(catalog, fetch_device(url, token, device_id, proxy))
        copied.append(device_id)
    return copied
