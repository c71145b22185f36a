"""Rebuild a primitive's job from its OQTOPUS jobs and the record its first job carries.

``provider.retrieve_job`` calls `primitive_job` for a composite id whose first job holds a
primitive record (``_record``): the same ``PrimitiveResult`` comes back in any later session.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from qiskit.primitives import PrimitiveResult

from oqtopus_bridge.qiskit import estimator, sampler
from oqtopus_bridge.qiskit._batch import JobBatch
from oqtopus_bridge.qiskit._sampled import SampledPlan
from oqtopus_bridge.qiskit.job import OqtopusPrimitiveJob

__all__ = ["PRIMITIVE_KINDS", "primitive_job"]

_PLANS: dict[str, tuple[str, Callable[[Mapping[str, Any]], Any]]] = {
    "sampler": ("sampler", sampler._Plan.from_record),
    "estimator": ("estimator", estimator._Plan.from_record),
    "sampled-estimator": ("estimator", SampledPlan.from_record),
}
PRIMITIVE_KINDS = frozenset(_PLANS)
"""The ``kind`` values a primitive record may have."""


def primitive_job(children: Sequence[Any], record: Mapping[str, Any]) -> OqtopusPrimitiveJob:
    """The primitive job of ``children`` (all the run's OQTOPUS jobs, in order).

    Raises:
        KeyError, TypeError, ValueError: If the record is malformed.
    """
    kind, from_record = _PLANS[str(record["kind"])]
    translate: Callable[[list[Any]], PrimitiveResult] = from_record(record).translate
    return OqtopusPrimitiveJob(JobBatch(children), translate, kind=kind)
