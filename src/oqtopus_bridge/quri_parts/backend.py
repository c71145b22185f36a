"""``OqtopusQuriBackend``: one OQTOPUS device as a ``quri_parts.backend.SamplingBackend``."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from quri_parts.backend import SamplingBackend
from quri_parts.circuit import ImmutableQuantumCircuit
from quri_parts.circuit.transpile import CircuitTranspiler

from oqtopus_bridge.backends import OqtopusSamplingBackend
from oqtopus_bridge.backends.base import MAX_SHOTS
from oqtopus_bridge.concurrency import run_concurrently
from oqtopus_bridge.config import OqtopusConfig
from oqtopus_bridge.errors import BackendError
from oqtopus_bridge.jobs import OqtopusSamplingJob
from oqtopus_bridge.quri_parts.composite import (
    OqtopusCompositeSamplingJob,
    QubitMapping,
    check_shot_limits,
    distribute_shots,
    has_measurements,
)

__all__ = ["JOB_OPTIONS", "OqtopusQuriBackend", "check_job_options", "oqtopus_jobs"]

logger = logging.getLogger(__name__)

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
    ``job.result().counts`` is a ``Counter[int, int]`` whose key bit ``i`` is classical bit ``i``
    (circuit qubit ``i`` for a circuit without ``Measurement`` gates).

    As QURI Parts' own backends do, more shots than ``max_shots`` run as several jobs whose counts
    are summed (an `OqtopusCompositeSamplingJob`), ``circuit_transpiler`` runs on the circuit
    before export, and ``qubit_mapping`` places circuit qubits on chosen device qubits.

    Args:
        device_id: The device to run on, e.g. ``"qulacs"``.
        config: Connection settings; resolved from the environment or ``~/.oqtopus`` when None.
        backend: An existing sampling backend to share (session and config); overrides ``config``.
        circuit_transpiler: A QURI Parts ``CircuitTranspiler`` applied to every circuit before it
            is converted (e.g. ``RZSetTranspiler()``).
        qubit_mapping: ``{circuit qubit: device qubit}``, e.g. ``{0: 4, 1: 2}``; counts come back
            keyed by circuit qubit. With transpilation on (the default) OQTOPUS may still move
            qubits; send with ``transpiler_info=RUN_AS_WRITTEN`` to keep them where mapped.
        enable_shots_roundup: Round a shot count (or the last job's share) below ``min_shots`` up
            to it. When False, a total below it raises and a remainder below it is dropped, as in
            QURI Parts.
        min_shots: Fewest shots one job may take (1).
        max_shots: Most shots one job may take (the service's 10,000,000).
        **job_options: ``name``, ``description``, ``transpiler_info``, ``simulator_info`` or
            ``mitigation_info``, sent with every job.

    Raises:
        ValueError: For an unknown job option, bad shot limits or mapping, or no configuration.
    """

    def __init__(  # noqa: PLR0913  (QURI Parts' backends take these keywords)
        self,
        device_id: str,
        config: OqtopusConfig | None = None,
        *,
        backend: OqtopusSamplingBackend | None = None,
        circuit_transpiler: CircuitTranspiler | None = None,
        qubit_mapping: Mapping[int, int] | None = None,
        enable_shots_roundup: bool = True,
        min_shots: int = 1,
        max_shots: int = MAX_SHOTS,
        **job_options: Any,
    ) -> None:
        if not isinstance(device_id, str) or not device_id:
            raise ValueError(f"device_id must be a non-empty string, got {device_id!r}")
        if circuit_transpiler is not None and not callable(circuit_transpiler):
            raise ValueError(
                "circuit_transpiler must be a QURI Parts CircuitTranspiler (a callable on a "
                f"circuit), got {type(circuit_transpiler).__name__}"
            )
        self.device_id = device_id
        self.job_options = check_job_options(job_options)
        self.circuit_transpiler = circuit_transpiler
        self.qubit_mapping = QubitMapping(qubit_mapping) if qubit_mapping is not None else None
        self.enable_shots_roundup = bool(enable_shots_roundup)
        self.min_shots, self.max_shots = check_shot_limits(min_shots, max_shots)
        self.backend = backend if backend is not None else OqtopusSamplingBackend(config)

    def sample(
        self, circuit: ImmutableQuantumCircuit, shots: int
    ) -> OqtopusSamplingJob | OqtopusCompositeSamplingJob:
        """Submit ``circuit`` and return its job without waiting.

        Returns:
            An ``OqtopusSamplingJob`` for one job without mapping; an
            `OqtopusCompositeSamplingJob` when the shots are split or qubits mapped.

        Raises:
            ValueError: For bad shots, or a circuit that cannot be converted or mapped.
        """
        sizes = distribute_shots(shots, self.min_shots, self.max_shots, self.enable_shots_roundup)
        measured = has_measurements(circuit)
        if self.circuit_transpiler is not None:
            circuit = self.circuit_transpiler(circuit)
        if self.qubit_mapping is not None:
            circuit = self.qubit_mapping.circuit(circuit)
        from oqtopus_bridge.qasm import circuit_to_qasm

        program = circuit_to_qasm(circuit)
        jobs: list[OqtopusSamplingJob] = []
        try:
            for size in sizes:
                jobs.append(
                    self.backend.sample_qasm(program, self.device_id, size, **self.job_options)
                )
        except BaseException:
            _cancel_quietly(jobs)
            raise
        if len(jobs) == 1 and self.qubit_mapping is None:
            return jobs[0]
        return OqtopusCompositeSamplingJob(jobs, self.qubit_mapping, measured)

    def sample_all(
        self, pairs: Iterable[tuple[ImmutableQuantumCircuit, int]], max_workers: int | None = None
    ) -> list[OqtopusSamplingJob | OqtopusCompositeSamplingJob]:
        """Submit one job per ``(circuit, shots)`` pair concurrently, in input order."""
        calls = [functools.partial(self.sample, circuit, shots) for circuit, shots in pairs]
        return run_concurrently(calls, max_workers)

    def __repr__(self) -> str:
        return f"OqtopusQuriBackend(device_id={self.device_id!r}, url={self.backend.config.url!r})"


def oqtopus_jobs(
    jobs: Iterable[OqtopusSamplingJob | OqtopusCompositeSamplingJob],
) -> list[OqtopusSamplingJob]:
    """The OQTOPUS jobs behind ``jobs`` (a composite job stands for several)."""
    found: list[OqtopusSamplingJob] = []
    for job in jobs:
        found.extend(job.jobs if isinstance(job, OqtopusCompositeSamplingJob) else [job])
    return found


def _cancel_quietly(jobs: list[OqtopusSamplingJob]) -> None:
    """Cancel the jobs already submitted for a ``sample`` call that failed part-way."""
    for job in jobs:
        try:
            job.cancel()
        except BackendError:  # already ended: nothing to clean up
            logger.debug("could not cancel job %s", job.job_id)
