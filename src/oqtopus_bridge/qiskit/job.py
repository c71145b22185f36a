"""Qiskit job handles over OQTOPUS jobs: ``OqtopusJob`` (``backend.run``) and the primitives' job.

A handle is returned as soon as every OQTOPUS job is submitted; waiting happens in ``result()``.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qiskit.primitives import BasePrimitiveJob, PrimitiveResult
from qiskit.providers import BackendV2, JobStatus, JobV1
from qiskit.result import Result

from oqtopus_bridge import bits
from oqtopus_bridge.qiskit._batch import JobBatch
from oqtopus_bridge.qiskit._convert import CircuitLayout, layout_from_program
from oqtopus_bridge.qiskit._results import (
    OqtopusResult,
    experiment_result,
    unmeasured_experiment,
)
from oqtopus_bridge.qiskit.exceptions import OqtopusJobError

__all__ = [
    "Experiment",
    "OqtopusJob",
    "OqtopusPrimitiveJob",
    "experiments_from_programs",
    "ran_program",
    "warn_dropped_metadata",
]


@dataclass(frozen=True)
class Experiment:
    """Where one circuit's counts live: a child job, and its program index in a multi_manual job.

    Attributes:
        child: Index of the OQTOPUS job in the batch; ``None`` for a circuit without classical
            bits, which is not submitted (there is nothing to read; issue 14).
        program: Index in ``divided_counts`` for a multi_manual job, else ``None``.
        layout: The circuit's register layout (``None`` for programs not written by this adapter).
        metadata: The circuit's own metadata, for the job just run (as Aer keeps it); a retrieved
            job has only what the program recorded (``layout.metadata``).
        shots: Shots of an unsubmitted circuit.
    """

    child: int | None
    program: int | None
    layout: CircuitLayout | None
    metadata: Mapping[str, Any] | None = field(default=None, compare=False)
    shots: int = 0


def experiments_from_programs(child: int, programs: Sequence[str], multi: bool) -> list[Experiment]:
    """The experiments of one OQTOPUS job, read from its stored programs' layout comments."""
    return [
        Experiment(child, index if multi else None, layout_from_program(program))
        for index, program in enumerate(programs)
    ]


def warn_dropped_metadata(experiments: Sequence[Experiment], when: str) -> None:
    """Warn once for circuits whose metadata the service could not store (issue 14).

    Args:
        experiments: The job's experiments.
        when: How the loss shows, e.g. "a retrieved job lacks them".
    """
    lost = [
        f"{exp.layout.name!r}: {', '.join(exp.layout.dropped)}"
        for exp in experiments
        if exp.layout is not None and exp.layout.dropped
    ]
    if lost:
        warnings.warn(
            "circuit metadata that JSON cannot hold is not stored with the job ("
            + "; ".join(lost)
            + f"); {when}. Use numbers, strings, lists and dicts in circuit.metadata.",
            UserWarning,
            stacklevel=3,
        )


class OqtopusJob(JobV1):
    """The job of ``OqtopusBackend.run``: one or more OQTOPUS sampling jobs, one ``Result``.

    The job id is the OQTOPUS job ids joined by ``;``; ``provider.retrieve_job`` accepts it in any
    later session and rebuilds the same ``Result`` from the programs stored on the service.

    Args:
        backend: The backend that ran the circuits.
        batch: The submitted OQTOPUS jobs.
        experiments: One entry per circuit, in input order.
        memory: Fill per-shot ``memory``, synthesized from counts (grouped by outcome, not in the
            order the device measured).
    """

    _async = True

    def __init__(
        self,
        backend: BackendV2,
        batch: JobBatch,
        experiments: Sequence[Experiment],
        *,
        memory: bool = False,
    ) -> None:
        super().__init__(backend, batch.job_id)
        self._batch = batch
        self._experiments = list(experiments)
        self._memory = memory
        self._result: Result | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        # Locks do not pickle. The OQTOPUS jobs keep their ids and last-seen records; they
        # reconnect to the service through their configuration when next asked (issue 24).
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def submit(self) -> None:
        """Not needed: ``backend.run`` has already submitted the job.

        Raises:
            OqtopusJobError: Always.
        """
        raise OqtopusJobError(
            "the job was submitted by backend.run(); call result()", self.job_id()
        )

    def status(self) -> JobStatus:
        """Return the aggregate status of the OQTOPUS jobs (queried now)."""
        return self._batch.status()

    def job_ids(self) -> list[str]:
        """Return the ids of the OQTOPUS jobs, in submission order."""
        return [child.job_id for child in self._batch.children]

    def cancel(self) -> bool:
        """Cancel every unfinished OQTOPUS job.

        Returns:
            True if the service accepted every request; False if every job had already ended
            (also when one ends while the request is on its way), like ``AerJob.cancel``.

        Raises:
            BackendError: The service refused to cancel a job that is still unfinished.
        """
        return self._batch.cancel()

    def __repr__(self) -> str:
        backend = self.backend()
        name = getattr(backend, "name", None)
        return (
            f"<{type(self).__name__}({self.job_id()!r}, backend={name!r}, "
            f"circuits={len(self._experiments)}, jobs={len(self._batch.children)})>"
        )

    def transpiled_programs(self) -> list[str | None]:
        """Return the program each OQTOPUS job ran, in submission order.

        That is the service's transpiled program when the service transpiled it, and the program
        sent when it ran as is (``transpiler_info={"transpiler_lib": None}``, e.g. a circuit
        transpiled for the backend). ``None`` while the service has not said yet (a job that
        has not been transpiled), or when it reports no transpiled program.
        """
        return [ran_program(child) for child in self._batch.children]

    def result(self, timeout: float | None = None) -> Result:
        """Wait for the OQTOPUS jobs and return their counts as a Qiskit ``Result``.

        Args:
            timeout: Seconds to wait at most; ``None`` waits as long as it takes.

        Returns:
            One ``ExperimentResult`` per circuit in input order; ``get_counts()`` follows the
            circuits' classical registers exactly as Aer's results do.

        Raises:
            OqtopusJobTimeoutError: The jobs are still running after ``timeout`` seconds (they keep
                running; call ``result()`` again later).
            OqtopusJobError: Some OQTOPUS job failed or was cancelled; the message has each one's
                id and the service's explanation.
        """
        with self._lock:
            if self._result is None:
                results = self._batch.results(timeout)
                self._result = self._build(results)
            return self._result

    def _build(self, results: Sequence[Any]) -> Result:
        divided = _divided_counts(self._experiments, results)
        experiments = []
        for index, exp in enumerate(self._experiments):
            if exp.child is None:
                layout = exp.layout or _fallback_layout(None, index)
                experiments.append(unmeasured_experiment(layout, exp.shots, exp.metadata))
                continue
            child = self._batch.children[exp.child]
            layout = exp.layout or _fallback_layout(results[exp.child], index)
            counts = divided[index] if exp.program is not None else results[exp.child].raw_counts
            experiments.append(
                experiment_result(
                    counts, layout, child.shots, memory=self._memory, metadata=exp.metadata
                )
            )
        backend = self.backend()
        return OqtopusResult(
            backend_name=backend.name if backend is not None else None,
            backend_version=backend.backend_version if backend is not None else None,
            job_id=self.job_id(),
            success=True,
            results=experiments,
        )


def ran_program(child: Any) -> str | None:
    """The program an OQTOPUS job ran: the service's transpiled one, or the one sent as is."""
    transpiled = (child.job_info.get("transpile_result") or {}).get("transpiled_program")
    if transpiled:
        return str(transpiled)
    info = child.transpiler_info or {}
    if "transpiler_lib" in info and info["transpiler_lib"] is None:
        programs = child.job_info.get("program") or []
        return "\n\n".join(programs) if programs else None
    return None


def _divided_counts(experiments: Sequence[Experiment], results: Sequence[Any]) -> list[Any]:
    """Each multi_manual experiment's own counts (the service's split, or ours from the key)."""
    divided: list[Any] = [None] * len(experiments)
    for child, result in enumerate(results):
        members = [
            i for i, e in enumerate(experiments) if e.child == child and e.program is not None
        ]
        if not members:
            continue
        per_program = result.raw_divided_counts
        if not per_program:
            widths = [_width(experiments[i], result) for i in members]
            per_program = dict(enumerate(bits.split_multi_manual(result.raw_counts, widths)))
        for i in members:
            divided[i] = per_program.get(experiments[i].program, {})
    return divided


def _width(experiment: Experiment, result: Any) -> int:
    if experiment.layout is None:
        raise OqtopusJobError(
            "a multi_manual job without register layouts cannot be split; "
            "retrieve it with the core OqtopusSamplingBackend instead"
        )
    return experiment.layout.num_clbits


def _fallback_layout(result: Any, index: int) -> CircuitLayout:
    """For programs not written by this adapter: one register ``c`` over the key's width."""
    width = (result.bit_width if result is not None else 0) or 0
    return CircuitLayout(f"circuit-{index}", 0, width, (("c", tuple(range(width))),))


class OqtopusPrimitiveJob(BasePrimitiveJob[PrimitiveResult, JobStatus]):
    """The job of ``OqtopusSamplerV2.run`` and ``OqtopusEstimatorV2.run``.

    Args:
        batch: The submitted OQTOPUS jobs.
        translate: Turns the core results (in submission order) into the ``PrimitiveResult``.
        kind: ``"sampler"`` or ``"estimator"`` (shown in the repr).
    """

    def __init__(
        self,
        batch: JobBatch,
        translate: Callable[[list[Any]], PrimitiveResult],
        *,
        kind: str = "sampler",
        **metadata: Any,
    ) -> None:
        super().__init__(batch.job_id, **metadata)
        self._kind = kind
        self._batch = batch
        self._translate = translate
        self._result: PrimitiveResult | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]  # see OqtopusJob.__getstate__
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def result(self, timeout: float | None = None) -> PrimitiveResult:
        """Wait for every OQTOPUS job and return the primitive result.

        Raises:
            OqtopusJobTimeoutError: The jobs are still running after ``timeout`` seconds.
            OqtopusJobError: Some OQTOPUS job failed or was cancelled (each one's message included).
        """
        with self._lock:
            if self._result is None:
                self._result = self._translate(self._batch.results(timeout))
            return self._result

    def status(self) -> JobStatus:
        """Return the aggregate status of the OQTOPUS jobs (queried now)."""
        return self._batch.status()

    def job_ids(self) -> list[str]:
        """Return the ids of the OQTOPUS jobs, in submission order."""
        return [child.job_id for child in self._batch.children]

    def done(self) -> bool:
        """Whether every OQTOPUS job succeeded."""
        return self.status() == JobStatus.DONE

    def running(self) -> bool:
        """Whether some OQTOPUS job is running."""
        return self.status() == JobStatus.RUNNING

    def cancelled(self) -> bool:
        """Whether the job ended cancelled."""
        return self.status() == JobStatus.CANCELLED

    def in_final_state(self) -> bool:
        """Whether every OQTOPUS job has ended."""
        return self.status() in (JobStatus.DONE, JobStatus.ERROR, JobStatus.CANCELLED)

    def cancel(self) -> bool:
        """Cancel every unfinished OQTOPUS job (see ``OqtopusJob.cancel``)."""
        return self._batch.cancel()

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__}({self.job_id()!r}, kind={self._kind!r}, "
            f"jobs={len(self._batch.children)})>"
        )
