"""oqtopus-bridge: run quantum programs on OQTOPUS Cloud from QURI Parts, Qiskit and PennyLane."""

from __future__ import annotations

from oqtopus_bridge._version import __version__
from oqtopus_bridge.errors import BackendError

__all__ = ["BackendError", "__version__"]
