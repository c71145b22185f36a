"""oqtopus-bridge: run quantum programs on OQTOPUS Cloud from QURI Parts, Qiskit and PennyLane."""

from __future__ import annotations

from oqtopus_bridge._version import __version__
from oqtopus_bridge.backends import (
    OqtopusDeviceBackend,
    OqtopusEstimationBackend,
    OqtopusJobBackendBase,
    OqtopusSamplingBackend,
    OqtopusSseBackend,
    OqtopusSseJob,
)
from oqtopus_bridge.config import OqtopusConfig
from oqtopus_bridge.devices import OqtopusDevice
from oqtopus_bridge.errors import BackendError
from oqtopus_bridge.folding import KEEP_GATES, RUN_AS_WRITTEN, FoldingWarning
from oqtopus_bridge.jobs import OqtopusEstimationJob, OqtopusSamplingJob
from oqtopus_bridge.results import OqtopusEstimationResult, OqtopusSamplingResult

__all__ = [
    "KEEP_GATES",
    "RUN_AS_WRITTEN",
    "BackendError",
    "FoldingWarning",
    "OqtopusConfig",
    "OqtopusDevice",
    "OqtopusDeviceBackend",
    "OqtopusEstimationBackend",
    "OqtopusEstimationJob",
    "OqtopusEstimationResult",
    "OqtopusJobBackendBase",
    "OqtopusSamplingBackend",
    "OqtopusSamplingJob",
    "OqtopusSamplingResult",
    "OqtopusSseBackend",
    "OqtopusSseJob",
    "__version__",
]
