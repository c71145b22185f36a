"""Qiskit adapter: an OQTOPUS provider, ``BackendV2`` backends and native V2 primitives.

```python
from qiskit import QuantumCircuit

from oqtopus_bridge.qiskit import OqtopusProvider

circuit = QuantumCircuit(2)
circuit.h(0)
circuit.cx(0, 1)
circuit.measure_all()
backend = OqtopusProvider().get_backend("qulacs")
backend.run(circuit, shots=1000).result().get_counts()
```

Requires the ``qiskit`` extra (from a clone of the repository: ``pip install ".[qiskit]"``).
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
    OqtopusOptionError,
)
from oqtopus_bridge.qiskit.job import OqtopusJob, OqtopusPrimitiveJob
from oqtopus_bridge.qiskit.options import OqtopusEstimatorOptions, OqtopusSamplerOptions
from oqtopus_bridge.qiskit.provider import OqtopusProvider
from oqtopus_bridge.qiskit.sampler import OqtopusSamplerV2

__all__ = [
    "OqtopusBackend",
    "OqtopusBackendNotFoundError",
    "OqtopusCircuitError",
    "OqtopusEstimatorOptions",
    "OqtopusEstimatorV2",
    "OqtopusInputError",
    "OqtopusJob",
    "OqtopusJobError",
    "OqtopusJobNotFoundError",
    "OqtopusJobTimeoutError",
    "OqtopusOptionError",
    "OqtopusPrimitiveJob",
    "OqtopusProvider",
    "OqtopusSamplerOptions",
    "OqtopusSamplerV2",
]
