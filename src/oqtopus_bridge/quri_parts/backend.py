"""``OqtopusQuriBackend``: one OQTOPUS device as a ``quri_parts.backend.SamplingBackend``."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from quri_parts.backend import SamplingBackend
from quri_parts.circuit import ImmutableQuantumCircuit

from oqtopus_bridge.backends import OqtopusSamplingBackend
from oqtopus_bridge.concurrency import run_concurrently
from oqtopus_bridge.config import OqtopusConfig
from oqtopus_bridge.jobs import OqtopusSamplingJob

__all__ = ["JOB_OPTIONS", "OqtopusQuriBackend", "check_job_options"]

#: Keyword arguments forwarded to every job.
JOB_OPTIONS = frozenset(
    {"name", "description", "transpiler_info", "simulator_info", "mitigation_info"}
)


def check_job_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``options`` if every key is a job option, else raise ``ValueError``."""
    unknown = set(options) - JOB_OPTIONS
    if unknown:
        raise ValueError(f"unknown job option(s) {sorted(unknown)}; allowed: {sorted(JOB_OPTIONS)}")
    return dict(options)


class OqtopusQuriBackend(SamplingBackend):
    """One OQTOPUS device as a QURI Parts ``SamplingBackend``.

    The job is submitted at once; ``job.result()`` waits (QURI Parts' ``SamplingJob`` contract), and
    ``job.result().counts`` is a ``Counter[int, int]`` whose key bit ``i`` is classical bit ``i``.

    Args:
        device_id: The device to run on, e.g. ``"qulacs"``.
        config: Connection settings; resolved from the environment or ``~/.oqtopus`` when None.
        backend: An existing sampling backend to share (session and config); overrides ``config``.
        **job_options: ``name``, ``description``, ``transpiler_info``, ``simulator_info`` or
            ``mitigation_info``, sent with every job.

    Raises:
        ValueError: For an unknown job option or no configuration.
    """

    def __init__(
        self,
        device_id: str,
        config: OqtopusConfig | None = None,
        *,
        backend: OqtopusSamplingBackend | None = None,
        **job_options: Any,
    ) -> None:
        if not isinstance(device_id, str) or not device_id:
            raise ValueError(f"device_id must be a non-empty string, got {device_id!r}")
        self.device_id = device_id
        self.job_options = check_job_options(job_options)
        self.backend = backend if backend is not None else OqtopusSamplingBackend(config)

    def sample(self, circuit: ImmutableQuantumCircuit, shots: int) -> OqtopusSamplingJob:
        """Submit a sampling job of ``circuit`` and return it without waiting."""
        return self.backend.sample(circuit, self.device_id, shots, **self.job_options)

    def sample_all(
        self, pairs: Iterable[tuple[ImmutableQuantumCircuit, int]], max_workers: int | None = None
    ) -> list[OqtopusSamplingJob]:
        """Submit one job per ``(circuit, shots)`` pair concurrently, in input order."""
        calls = [functools.partial(self.sample, circuit, shots) for circuit, shots in pairs]
        return run_concurrently(calls, max_workers)

    def __repr__(self) -> str:
        return f"OqtopusQuriBackend(device_id={self.device_id!r}, url={self.backend.config.url!r})"
