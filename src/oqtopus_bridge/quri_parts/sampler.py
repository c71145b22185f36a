"""QURI Parts ``Sampler`` and ``ConcurrentSampler`` factories running on one OQTOPUS device."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from quri_parts.circuit import ImmutableQuantumCircuit
from quri_parts.core.sampling import ConcurrentSampler, MeasurementCounts, Sampler

from oqtopus_bridge.config import OqtopusConfig
from oqtopus_bridge.jobs import wait_all
from oqtopus_bridge.quri_parts.backend import OqtopusQuriBackend, oqtopus_jobs

__all__ = ["create_oqtopus_concurrent_sampler", "create_oqtopus_sampler"]


def create_oqtopus_sampler(
    device_id: str,
    config: OqtopusConfig | None = None,
    *,
    timeout: float | None = None,
    wait: float = 10.0,
    **job_options: Any,
) -> Sampler:
    """Return a QURI Parts ``Sampler``: ``sampler(circuit, shots)`` runs one job and returns counts.

    Args:
        device_id: The device to run on.
        config: Connection settings; resolved now (not at import) from the environment or
            ``~/.oqtopus`` when None.
        timeout: Seconds to wait for each job; None waits forever.
        wait: Largest time in seconds between status queries.
        **job_options: ``name``, ``description``, ``transpiler_info``, ``simulator_info``,
            ``mitigation_info``, and the backend options of `OqtopusQuriBackend`
            (``circuit_transpiler``, ``qubit_mapping``, ``enable_shots_roundup``, ``min_shots``,
            ``max_shots``).

    Returns:
        The sampler; counts are ``Counter[int, int]`` with key bit ``i`` = classical bit ``i``.
    """
    backend = OqtopusQuriBackend(device_id, config, **job_options)

    def sampler(circuit: ImmutableQuantumCircuit, shots: int) -> MeasurementCounts:
        return backend.sample(circuit, shots).result(timeout, wait).counts

    return sampler


def create_oqtopus_concurrent_sampler(
    device_id: str,
    config: OqtopusConfig | None = None,
    *,
    max_workers: int | None = None,
    timeout: float | None = None,
    wait: float = 10.0,
    **job_options: Any,
) -> ConcurrentSampler:
    """Return a QURI Parts ``ConcurrentSampler`` that submits every job before waiting for any.

    Args:
        device_id: The device to run on.
        config: Connection settings (resolved now when None).
        max_workers: Threads used to submit (see ``oqtopus_bridge.concurrency.run_concurrently``).
        timeout: Seconds to wait for the whole batch; None waits forever.
        wait: Largest time in seconds between status queries.
        **job_options: Options sent with every job, and the backend options of
            `OqtopusQuriBackend`.

    Returns:
        A callable mapping ``[(circuit, shots), ...]`` to a list of counts in the same order.
    """
    backend = OqtopusQuriBackend(device_id, config, **job_options)

    def sampler(pairs: Iterable[tuple[ImmutableQuantumCircuit, int]]) -> list[MeasurementCounts]:
        submitted = backend.sample_all(list(pairs), max_workers)
        jobs = oqtopus_jobs(submitted)
        poll = jobs[0].poll_policy.with_cap(wait) if jobs else None
        for job in jobs:
            job.poll_policy = poll or job.poll_policy
        wait_all(jobs, timeout)
        return [job.result(timeout, wait).counts for job in submitted]

    return sampler
