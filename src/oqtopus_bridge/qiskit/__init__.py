"""Qiskit adapter: an OQTOPUS provider, ``BackendV2`` backends and native V2 primitives.

>>> from oqtopus_bridge.qiskit import OqtopusProvider, OqtopusSamplerV2   # doctest: +SKIP
>>> backend = OqtopusProvider().get_backend("qulacs")                     # doctest: +SKIP
>>> backend.run(circuit, shots=1000).result().get_counts()                # doctest: +SKIP

Requires the ``qiskit`` extra (``pip install "oqtopus-bridge[qiskit]"``).
"""

from __future__ import annotations

from oqtopus_bridge.qiskit.backend import OqtopusBackend
from oqtopus_bridge.qiskit.estimator import OqtopusEstimatorV2
from oqtopus_bridge.qiskit.exceptions import (
    OqtopusBackendNotFoundError,
    OqtopusCircuitError,
    OqtopusInputError,
    OqtopusJobError,
    OqtopusJobNotFoundError,
    OqtopusJobTimeoutError,
)
from oqtopus_bridge.qiskit.job import OqtopusJob, OqtopusPrimitiveJob
from oqtopus_bridge.qiskit.provider import OqtopusProvider
from oqtopus_bridge.qiskit.sampler import OqtopusSamplerV2

__all__ = [
    "OqtopusBackend",
    "OqtopusBackendNotFoundError",
    "OqtopusCircuitError",
    "OqtopusEstimatorV2",
    "OqtopusInputError",
    "OqtopusJob",
    "OqtopusJobError",
    "OqtopusJobNotFoundError",
    "OqtopusJobTimeoutError",
    "OqtopusPrimitiveJob",
    "OqtopusProvider",
    "OqtopusSamplerV2",
]
