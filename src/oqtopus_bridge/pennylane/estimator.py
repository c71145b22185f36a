"""The ``oqtopus.estimator`` device: expectation values of Pauli sums from estimation jobs."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import pennylane as qml
from pennylane.devices import ExecutionConfig
from pennylane.devices.modifiers import single_tape_support
from pennylane.devices.preprocess import decompose
from pennylane.measurements import ExpectationMP, MeasurementProcess, VarianceMP
from pennylane.tape import QuantumScript
from pennylane.transforms import broadcast_expand
from pennylane.transforms.core import CompilePipeline

from oqtopus_bridge import OqtopusEstimationBackend, OqtopusSamplingBackend
from oqtopus_bridge.pennylane import _convert
from oqtopus_bridge.pennylane.device import OqtopusDeviceBase
from oqtopus_bridge.pennylane.preprocess import validate_sampler_measurements
from oqtopus_bridge.pennylane.sampler import (
    SamplingBatch,
    _programs,
    add_counts_transforms,
    counts_by_tape,
)

__all__ = ["OqtopusEstimatorDevice"]

_GROUPINGS = frozenset({"observable", "qwc"})


def _gate_or_postselection(op: qml.operation.Operator) -> bool:
    """Decomposition stops at gates and at the projectors of deferred postselection.

    The projectors are removed again, as shot filters, before sampling (see
    `oqtopus_bridge.pennylane.midcircuit`).
    """
    return _convert.is_supported_gate(op) or isinstance(op, qml.Projector)


@dataclass(frozen=True)
class _Request:
    """One estimation: a measurement of one shot copy of one tape."""

    qasm: str
    shots: int
    terms: list[tuple[str, float]]
    variance: bool

    @property
    def identity_only(self) -> bool:
        """True if the observable is a multiple of the identity (no job needed)."""
        return all(label == "I" for label, _ in self.terms)


def estimable(mp: MeasurementProcess) -> bool:
    """Whether an estimation job computes ``mp`` (otherwise it goes to a sampling job).

    That is expval of a Pauli sum with real coefficients, or var of a single Pauli word plus
    identity (``Var(cP + d) = c**2 (1 - <P>**2)``).
    """
    if not isinstance(mp, (ExpectationMP, VarianceMP)) or mp.obs is None or mp.mv is not None:
        return False
    sentence = mp.obs.pauli_rep
    if sentence is None:
        return False
    coeffs = [complex(qml.math.unwrap(c)) for c in sentence.values()]
    if any(abs(c.imag) > 1e-12 for c in coeffs):
        return False
    return isinstance(mp, ExpectationMP) or sum(1 for word in sentence if len(word) > 0) <= 1


def _requests(
    tape: QuantumScript, indices: Sequence[int], wire_map: dict[Hashable, int]
) -> list[list[_Request]]:
    """Estimation requests for measurements ``indices`` of a tape, as ``[shot_copy][i]``."""
    if not indices:
        return [[] for _ in tape.shots]
    qasm = _convert.tape_to_qasm(tape, wire_map)
    mps = [tape.measurements[i] for i in indices]
    terms = [_convert.pauli_terms(mp.obs, wire_map) for mp in mps]
    kinds = [isinstance(mp, VarianceMP) for mp in mps]
    return [
        [_Request(qasm, int(shots), t, v) for t, v in zip(terms, kinds, strict=True)]
        for shots in tape.shots
    ]


@dataclass
class _Plan:
    """How one tape runs: which measurements are estimated and the sampling tapes of the rest."""

    estimated: list[int]
    sampled: list[int]
    requests: list[list[_Request]]
    sampling_tapes: list[QuantumScript]
    sampling_post: Callable[[Sequence[Any]], Any] | None


def _distinct_requests(plans: Sequence[_Plan]) -> tuple[list[_Request], dict[int, int]]:
    """The estimation jobs to submit, and which of them answers each request (by ``id``).

    Requests of the same tape and shot copy with the same observable share one job (``expval``
    and ``var`` of one Pauli word included); identity observables need none. Other tapes and
    other shot copies keep their own jobs, so their results stay independent.
    """
    flat: list[_Request] = []
    first: dict[tuple[Any, ...], int] = {}
    job_of: dict[int, int] = {}
    for tape_index, plan in enumerate(plans):
        for copy, row in enumerate(plan.requests):
            for request in row:
                if request.identity_only:
                    continue
                key = (tape_index, copy, tuple(request.terms))
                if key not in first:
                    first[key] = len(flat)
                    flat.append(request)
                job_of[id(request)] = first[key]
    return flat, job_of


def _value_and_std(request: _Request, exp_value: float, stds: float) -> tuple[float, float]:
    """Turn a job's ``exp_value``/``stds`` into the measured value and its standard error."""
    if not request.variance:
        return exp_value, stds
    variance = _convert.single_word_variance(request.terms, exp_value)
    words = [coeff for label, coeff in request.terms if label != "I"]
    if not words or not words[0]:
        return variance, 0.0
    offset = sum(c for label, c in request.terms if label == "I")
    # Var = c^2 (1 - p^2) with p = (<O> - d) / c; propagate the error of <O> to first order.
    return variance, abs(2.0 * (exp_value - offset)) * stds


def _sampled_rows(tape: QuantumScript, result: Any, count: int) -> list[list[Any]]:
    """A sampling sub-tape's result as ``[shot_copy][measurement]``."""
    copies = list(result) if tape.shots.has_partitioned_shots else [result]
    return [list(copy) if count > 1 else [copy] for copy in copies]


def _shape(tape: QuantumScript, values: list[list[Any]]) -> Any:
    """Arrange ``values[copy][measurement]`` the way PennyLane returns results."""
    per_copy = [row[0] if len(row) == 1 else tuple(row) for row in values]
    return tuple(per_copy) if tape.shots.has_partitioned_shots else per_copy[0]


@single_tape_support
class OqtopusEstimatorDevice(OqtopusDeviceBase):
    """PennyLane device that computes expectation values of Pauli sums with OQTOPUS estimation jobs.

    Each ``expval`` of a Pauli sum (and ``var`` of a single Pauli word) becomes one estimation job;
    the service groups commuting terms and returns the value with its standard error. Every other
    measurement (``probs``, ``sample``, ``counts``, ``var`` of a sum, ``qml.Hermitian``,
    ``qml.Projector``, ...) is computed from sampling jobs, as on ``oqtopus.sampler``, in the same
    execution: all jobs of one ``execute`` call are in flight together.

    After each execution, `last_stds` holds the standard errors in the shape of the results
    (``None`` for sampled measurements), and the tracker records them as ``stds`` together with the
    ``job_ids``.

    Args:
        wires: See `OqtopusDeviceBase`.
        grouping: How expectation values share jobs. ``"observable"`` (default): one estimation
            job per distinct observable of a circuit (the same observable measured twice, or its
            ``expval`` and ``var``, is one job), with the service's standard errors.
            ``"qwc"``: no estimation jobs; one sampling job per group of qubit-wise commuting
            measurements of a circuit, values computed locally, as on ``oqtopus.sampler``
            (fewer jobs; ``last_stds`` is None for them).
        **kwargs: ``device_id`` (required), ``config``, ``url``, ``api_token``, ``proxy``,
            ``transpiler_info``, ``mitigation_info``, ``simulator_info``, ``seed``, ``timeout``,
            ``max_workers``; see `OqtopusDeviceBase`.

    Examples:
        ```python
        dev = qml.device("oqtopus.estimator", wires=["a", "b"], device_id="qulacs")
        @qml.set_shots(2000)
        @qml.qnode(dev)
        def energy(theta):
            qml.RY(theta, "a")
            qml.CNOT(["a", "b"])
            return qml.expval(0.5 * qml.Z("a") @ qml.Z("b") - 0.2 * qml.X("b"))
        ```
    """

    name = "oqtopus.estimator"

    def __init__(
        self,
        wires: int | Sequence[Hashable] | None = None,
        *,
        grouping: str = "observable",
        **kwargs: Any,
    ) -> None:
        if grouping not in _GROUPINGS:
            raise ValueError(
                f"grouping must be one of {sorted(_GROUPINGS)}; got {grouping!r}. 'observable': "
                "one estimation job per distinct observable of a circuit (with the service's "
                "standard errors); 'qwc': one sampling job per group of qubit-wise commuting "
                "measurements, expectation values computed locally (fewer jobs, no stds)."
            )
        super().__init__(wires, **kwargs)
        self.grouping = grouping
        self._backend: OqtopusEstimationBackend | None = None
        self._sampling_backend: OqtopusSamplingBackend | None = None
        self._counts_pipeline = CompilePipeline()
        add_counts_transforms(self._counts_pipeline, self.name, self._shuffle_rng)
        self.last_stds: tuple[Any, ...] = ()

    def preprocess_transforms(
        self, execution_config: ExecutionConfig | None = None
    ) -> CompilePipeline:
        """Validate measurements, expand broadcasting, decompose to stdgates.inc.

        No ``split_non_commuting``: the service groups the terms of each operator itself. The
        measurements that go to sampling jobs are turned into counts in `execute`.
        """
        pipeline = self._validation_transforms(validate_sampler_measurements, execution_config)
        pipeline.add_transform(broadcast_expand)
        pipeline.add_transform(
            decompose,
            stopping_condition=_gate_or_postselection,
            skip_initial_state_prep=False,
            name=self.name,
        )
        return pipeline

    @property
    def backend(self) -> OqtopusEstimationBackend:
        """The core estimation backend this device submits through."""
        if self._backend is None:
            self._backend = OqtopusEstimationBackend(self.config)
        return self._backend

    @property
    def sampling_backend(self) -> OqtopusSamplingBackend:
        """The core sampling backend for the measurements estimation jobs cannot compute."""
        if self._sampling_backend is None:
            self._sampling_backend = OqtopusSamplingBackend(self.config)
        return self._sampling_backend

    def _plan(self, tape: QuantumScript) -> _Plan:
        # A postselecting tape keeps only some shots: an estimation job cannot, so it is sampled.
        postselecting = any(isinstance(op, qml.Projector) for op in tape.operations)
        estimating = self.grouping == "observable" and not postselecting
        estimated = [i for i, mp in enumerate(tape.measurements) if estimating and estimable(mp)]
        sampled = [i for i in range(len(tape.measurements)) if i not in estimated]
        requests = _requests(tape, estimated, self._wire_map(tape))
        if not sampled:
            return _Plan(estimated, sampled, requests, [], None)
        sub = tape.copy(measurements=[tape.measurements[i] for i in sampled])
        tapes, post = self._counts_pipeline((sub,))
        return _Plan(estimated, sampled, requests, list(tapes), post)

    def execute(
        self, circuits: Sequence[QuantumScript], execution_config: ExecutionConfig | None = None
    ) -> tuple[Any, ...]:
        """Run preprocessed tapes: estimation and sampling jobs, all submitted before any wait."""
        plans = [self._plan(tape) for tape in circuits]
        flat, job_of = _distinct_requests(plans)
        sampling_tapes = [t for plan in plans for t in plan.sampling_tapes]
        batch = self._sampling_batch(sampling_tapes)
        seeds = self._start_execution(len(flat) + len(batch.bins))
        estimation_calls = [
            self._submission(r, seeds.simulator_info(self.job_options["simulator_info"], i))
            for i, r in enumerate(flat)
        ]
        jobs = self._submit_all(estimation_calls + batch.calls(seeds, first=len(flat)))
        estimation_jobs, sampling_jobs = jobs[: len(flat)], jobs[len(flat) :]
        answers = {key: estimation_jobs[index] for key, index in job_of.items()}
        outcomes = batch.outcomes(sampling_jobs)
        counts, sampling_info = counts_by_tape(sampling_tapes, batch.programs, outcomes)
        results: list[Any] = []
        stds: list[Any] = []
        per_tape: list[dict[str, Any]] = []
        offset = 0
        for tape, plan in zip(circuits, plans, strict=True):
            n = len(plan.sampling_tapes)
            mine, info = counts[offset : offset + n], sampling_info[offset : offset + n]
            offset += n
            values, errors = self._assemble(tape, plan, answers, mine)
            results.append(_shape(tape, values))
            stds.append(_shape(tape, errors))
            ids = [answers[id(r)].job_id for row in plan.requests for r in row if id(r) in answers]
            ids = list(dict.fromkeys(ids))  # an observable measured twice is one job
            ids += [job_id for entry in info for job_id in entry["job_ids"]]
            per_tape.append(
                {"executions": len(ids), "shots": tape.shots.total_shots, "job_ids": ids}
            )
        self.last_stds = tuple(stds)
        for entry, std in zip(per_tape, stds, strict=True):
            entry["stds"] = std
        self._track(per_tape, results)
        return tuple(results)

    def _assemble(
        self, tape: QuantumScript, plan: _Plan, answers: dict[int, Any], counts: Sequence[Any]
    ) -> tuple[list[list[Any]], list[list[Any]]]:
        """Values and standard errors of one tape as ``[shot_copy][measurement]``."""
        copies = len(plan.requests)
        values: list[list[Any]] = [[None] * len(tape.measurements) for _ in range(copies)]
        errors: list[list[Any]] = [[None] * len(tape.measurements) for _ in range(copies)]
        for copy, row in enumerate(plan.requests):
            for index, request in zip(plan.estimated, row, strict=True):
                values[copy][index], errors[copy][index] = self._answer(
                    request, answers.get(id(request))
                )
        if plan.sampling_post is not None:
            (sub_result,) = plan.sampling_post(list(counts))
            rows = _sampled_rows(tape, sub_result, len(plan.sampled))
            for copy, row in enumerate(rows):
                for index, value in zip(plan.sampled, row, strict=True):
                    values[copy][index] = value
        return values, errors

    def _sampling_batch(self, tapes: Sequence[QuantumScript]) -> SamplingBatch:
        programs = [
            program
            for index, tape in enumerate(tapes)
            for program in _programs(index, tape, self._wire_map(tape))
        ]
        bins = [[index] for index in range(len(programs))]
        options = {"device_id": self.device_id, **self.job_options}
        backend = self.sampling_backend if programs else None
        return SamplingBatch(programs, bins, backend, options)

    @staticmethod
    def _answer(request: _Request, job: Any) -> tuple[float, float]:
        """Value and standard error of one request (computed locally for identity observables)."""
        if job is None:
            return (0.0 if request.variance else sum(c for _, c in request.terms)), 0.0
        result = job.result()
        return _value_and_std(request, float(result.exp_value), float(result.stds))

    def _submission(
        self, request: _Request, simulator_info: dict[str, Any] | None
    ) -> Callable[[], Any]:
        """A zero-argument call that submits the estimation job of ``request``."""
        backend = self.backend  # created here, not lazily inside the worker threads
        options = {**self.job_options, "simulator_info": simulator_info, "check_folding": False}
        return lambda: backend.estimate_qasm(
            request.qasm, request.terms, device_id=self.device_id, shots=request.shots, **options
        )
