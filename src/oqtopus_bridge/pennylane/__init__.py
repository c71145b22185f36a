"""PennyLane devices ``oqtopus.sampler`` and ``oqtopus.estimator`` running tapes on OQTOPUS.

Registered as PennyLane plugins, so ``qml.device("oqtopus.sampler", wires=2, device_id="qulacs")``
builds an `OqtopusSamplerDevice`. Shots are set the PennyLane 0.45 way, on the QNode
(``@qml.set_shots(1000)``).
"""

from __future__ import annotations

from oqtopus_bridge import KEEP_GATES, RUN_AS_WRITTEN, FoldingWarning
from oqtopus_bridge.pennylane.estimator import OqtopusEstimatorDevice
from oqtopus_bridge.pennylane.sampler import OqtopusSamplerDevice

__all__ = [
    "KEEP_GATES",
    "RUN_AS_WRITTEN",
    "FoldingWarning",
    "OqtopusEstimatorDevice",
    "OqtopusSamplerDevice",
]
