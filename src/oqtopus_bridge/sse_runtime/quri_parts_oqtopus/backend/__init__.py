"""``quri_parts_oqtopus.backend`` as the local SSE runtime offers it: oqtopus-bridge's classes.

The one change: inner jobs with ``device_id=""`` (what the real service's SSE examples pass) go
to ``"sse"``, the id the local server maps to the SSE job's own device.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

try:
    import oqtopus_bridge as _bridge
except ImportError as exc:  # an sse_python interpreter with neither package
    raise ImportError(
        "the local server's quri_parts_oqtopus stand-in needs oqtopus-bridge in the interpreter "
        "that runs SSE programs: install oqtopus-bridge from a clone (pip install '.'), or "
        "quri-parts-oqtopus, there"
    ) from exc

from oqtopus_bridge import (
    OqtopusConfig,
    OqtopusDevice,
    OqtopusDeviceBackend,
    OqtopusEstimationJob,
    OqtopusEstimationResult,
    OqtopusJobBackendBase,
    OqtopusSamplingJob,
    OqtopusSamplingResult,
    OqtopusSseBackend,
    OqtopusSseJob,
)

_F = TypeVar("_F", bound=Callable[..., Any])


def _sse_device(method: _F) -> _F:
    signature = inspect.signature(method)

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        if bound.arguments.get("device_id") == "":
            bound.arguments["device_id"] = "sse"
        return method(*bound.args, **bound.kwargs)

    return wrapper  # type: ignore[return-value]


class OqtopusSamplingBackend(_bridge.OqtopusSamplingBackend):
    """oqtopus-bridge's sampling backend; ``device_id=""`` means the SSE job's device."""

    sample = _sse_device(_bridge.OqtopusSamplingBackend.sample)
    sample_qasm = _sse_device(_bridge.OqtopusSamplingBackend.sample_qasm)


class OqtopusEstimationBackend(_bridge.OqtopusEstimationBackend):
    """oqtopus-bridge's estimation backend; ``device_id=""`` means the SSE job's device."""

    estimate = _sse_device(_bridge.OqtopusEstimationBackend.estimate)
    estimate_qasm = _sse_device(_bridge.OqtopusEstimationBackend.estimate_qasm)


__all__ = [
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
]
