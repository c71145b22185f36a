"""Parametric estimators and parameter sweeps in fewer jobs, in QURI Parts' terms.

``create_oqtopus_parametric_estimator`` and ``create_oqtopus_concurrent_parametric_estimator``
have the shapes of quri-parts-qulacs' ``create_qulacs_vector_parametric_estimator`` and
``create_qulacs_vector_concurrent_parametric_estimator``: ``(operator, state, params)`` and
``(operator, state, [params, ...])``. An estimation job carries one program, so a sweep runs one
job per parameter set, all submitted before any is awaited.

A sampling sweep can be packed: `create_oqtopus_multi_manual_sampler` puts as many bound
circuits side by side in one ``multi_manual`` job as fit on the device, so a sweep of 100
3-qubit circuits on a 16-qubit device is 20 jobs instead of 100.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from quri_parts.circuit import ImmutableQuantumCircuit
from quri_parts.core.estimator import (
    ConcurrentParametricQuantumEstimator,
    Estimatable,
    Estimate,
    ParametricQuantumEstimator,
)
from quri_parts.core.sampling import ConcurrentSampler, MeasurementCounts
from quri_parts.core.state import ParametricCircuitQuantumState

from oqtopus_bridge.backends import OqtopusDeviceBackend, OqtopusSamplingBackend
from oqtopus_bridge.backends.base import check_shots
from oqtopus_bridge.config import OqtopusConfig
from oqtopus_bridge.jobs import OqtopusSamplingJob, wait_all
from oqtopus_bridge.quri_parts.backend import check_job_options
from oqtopus_bridge.quri_parts.estimator import (
    create_oqtopus_concurrent_estimator,
    create_oqtopus_estimator,
)

__all__ = [
    "create_oqtopus_concurrent_parametric_estimator",
    "create_oqtopus_multi_manual_sampler",
    "create_oqtopus_parametric_estimator",
]


def create_oqtopus_parametric_estimator(
    device_id: str, shots: int, config: OqtopusConfig | None = None, **options: Any
) -> ParametricQuantumEstimator[ParametricCircuitQuantumState]:
    """Return ``estimator(operator, parametric_state, params) -> OqtopusEstimate``.

    Args:
        device_id: The device to run on.
        shots: Shots per estimation job.
        config: Connection settings (resolved now when None).
        **options: ``timeout``, ``wait`` and the job options of `create_oqtopus_estimator`.
    """
    estimator = create_oqtopus_estimator(device_id, shots, config, **options)

    def parametric(
        operator: Estimatable, state: ParametricCircuitQuantumState, params: Sequence[float]
    ) -> Estimate[complex]:
        return estimator(operator, _bind(state, params))

    return parametric


def create_oqtopus_concurrent_parametric_estimator(
    device_id: str, shots: int, config: OqtopusConfig | None = None, **options: Any
) -> ConcurrentParametricQuantumEstimator[ParametricCircuitQuantumState]:
    """Return ``estimator(operator, parametric_state, [params, ...]) -> [OqtopusEstimate, ...]``.

    Every parameter set is bound and its job submitted before any result is awaited.

    Args:
        device_id: The device to run on.
        shots: Shots per estimation job.
        config: Connection settings (resolved now when None).
        **options: ``max_workers``, ``timeout``, ``wait`` and the job options of
            `create_oqtopus_concurrent_estimator`.
    """
    estimator = create_oqtopus_concurrent_estimator(device_id, shots, config, **options)

    def parametric(
        operator: Estimatable,
        state: ParametricCircuitQuantumState,
        params: Sequence[Sequence[float]],
    ) -> list[Estimate[complex]]:
        if not params:
            return []
        return list(estimator([operator], [_bind(state, p) for p in params]))

    return parametric


def _bind(state: ParametricCircuitQuantumState, params: Sequence[float]) -> Any:
    """The state with ``params`` bound, checked first so that no job is sent for a bad call."""
    if not hasattr(state, "bind_parameters"):
        raise ValueError(
            f"a {type(state).__name__} has no parameters to bind; give a parametric circuit "
            "state, e.g. quri_parts.core.state.quantum_state(n, circuit=parametric_circuit)"
        )
    values = [float(p) for p in params]
    expected = getattr(getattr(state, "parametric_circuit", None), "parameter_count", None)
    if expected is not None and len(values) != expected:
        raise ValueError(
            f"the state's circuit has {expected} parameters, got {len(values)} values; pass one "
            "value per parameter"
        )
    return state.bind_parameters(values)


def create_oqtopus_multi_manual_sampler(
    device_id: str,
    config: OqtopusConfig | None = None,
    *,
    max_qubits: int | None = None,
    timeout: float | None = None,
    wait: float = 10.0,
    **job_options: Any,
) -> ConcurrentSampler:
    """Return a ``ConcurrentSampler`` that packs circuits into few ``multi_manual`` jobs.

    Circuits with the same shot count are placed side by side, in order, while their qubits fit
    on the device (``max_qubits``, by default the device's qubit count, read once from the
    service). Each circuit's counts come from its program's ``divided_counts``; on a noisy device
    each program runs on its own physical qubits, so noise differs between them.

    Args:
        device_id: The device to run on.
        config: Connection settings (resolved now when None).
        max_qubits: Qubits one job may use in total.
        timeout: Seconds to wait for the batch; None waits forever.
        wait: Largest time in seconds between status queries.
        **job_options: Options sent with every job.

    Returns:
        A callable mapping ``[(circuit, shots), ...]`` to a list of counts in the same order.
    """
    options = check_job_options(job_options)
    backend = OqtopusSamplingBackend(config)
    if max_qubits is None:
        info = OqtopusDeviceBackend(backend.config).get_device(device_id)
        max_qubits = int(info.n_qubits or len((info.device_info or {}).get("qubits", [])))

    def sampler(pairs: Iterable[tuple[ImmutableQuantumCircuit, int]]) -> list[MeasurementCounts]:
        items = [(circuit, check_shots(shots)) for circuit, shots in pairs]
        groups = _pack(items, int(max_qubits or 0))
        jobs: list[OqtopusSamplingJob] = [
            backend.sample([items[i][0] for i in group], device_id, items[group[0]][1], **options)
            for group in groups
        ]
        wait_all(jobs, timeout)
        counts: list[MeasurementCounts] = [None] * len(items)  # type: ignore[list-item]
        for job, group in zip(jobs, groups, strict=True):
            divided = job.result(timeout, wait).divided_counts or {}
            for position, index in enumerate(group):
                counts[index] = divided[position]
        return counts

    return sampler


def _pack(items: list[tuple[ImmutableQuantumCircuit, int]], max_qubits: int) -> list[list[int]]:
    """Group item indices: same shots, consecutive in input order, qubits summing to at most max."""
    groups: list[list[int]] = []
    used = 0
    for index, (circuit, shots) in enumerate(items):
        width = circuit.qubit_count
        if width > max_qubits:
            raise ValueError(f"circuit {index} uses {width} qubits; the device has {max_qubits}")
        last = groups[-1] if groups else None
        if last is not None and items[last[0]][1] == shots and used + width <= max_qubits:
            last.append(index)
            used += width
        else:
            groups.append([index])
            used = width
    return groups
