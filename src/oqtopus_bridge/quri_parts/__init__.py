"""QURI Parts native use of OQTOPUS: samplers, estimators and a ``SamplingBackend`` for one device.

Nothing here reads a configuration at import time; each factory resolves its config when called.

Examples:
    ```python
    from oqtopus_bridge.quri_parts import create_oqtopus_sampler
    sampler = create_oqtopus_sampler("qulacs")
    sampler(circuit, 1000)
    # Counter({0: 503, 3: 497})
    ```
"""

from __future__ import annotations

from oqtopus_bridge import KEEP_GATES, RUN_AS_WRITTEN, FoldingWarning
from oqtopus_bridge.quri_parts.backend import OqtopusQuriBackend
from oqtopus_bridge.quri_parts.composite import OqtopusCompositeSamplingJob
from oqtopus_bridge.quri_parts.estimator import (
    OqtopusEstimate,
    create_oqtopus_concurrent_estimator,
    create_oqtopus_estimator,
)
from oqtopus_bridge.quri_parts.parametric import (
    create_oqtopus_concurrent_parametric_estimator,
    create_oqtopus_multi_manual_sampler,
    create_oqtopus_parametric_estimator,
)
from oqtopus_bridge.quri_parts.sampler import (
    create_oqtopus_concurrent_sampler,
    create_oqtopus_sampler,
)

__all__ = [
    "KEEP_GATES",
    "RUN_AS_WRITTEN",
    "FoldingWarning",
    "OqtopusCompositeSamplingJob",
    "OqtopusEstimate",
    "OqtopusQuriBackend",
    "create_oqtopus_concurrent_estimator",
    "create_oqtopus_concurrent_parametric_estimator",
    "create_oqtopus_concurrent_sampler",
    "create_oqtopus_estimator",
    "create_oqtopus_multi_manual_sampler",
    "create_oqtopus_parametric_estimator",
    "create_oqtopus_sampler",
]
