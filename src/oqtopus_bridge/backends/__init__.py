"""The documented OQTOPUS backends: sampling, estimation, SSE, devices and job retrieval."""

from __future__ import annotations

from oqtopus_bridge.backends.base import OqtopusBackendBase, OqtopusJobBackendBase
from oqtopus_bridge.backends.device import OqtopusDeviceBackend
from oqtopus_bridge.backends.estimation import OqtopusEstimationBackend
from oqtopus_bridge.backends.sampling import OqtopusSamplingBackend
from oqtopus_bridge.backends.sse import OqtopusSseBackend, OqtopusSseJob

__all__ = [
    "OqtopusBackendBase",
    "OqtopusDeviceBackend",
    "OqtopusEstimationBackend",
    "OqtopusJobBackendBase",
    "OqtopusSamplingBackend",
    "OqtopusSseBackend",
    "OqtopusSseJob",
]
