"""The ``oqtopus.estimator`` device: expectation values of Pauli sums from estimation jobs."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from pennylane.devices import ExecutionConfig
from pennylane.devices.modifiers import single_tape_support
from pennylane.devices.preprocess import decompose
from pennylane.measurements import VarianceMP
from pennylane.tape import QuantumScript
from pennylane.transforms import broadcast_expand
from pennylane.transforms.core import CompilePipeline

from oqtopus_bridge import OqtopusEstimationBackend
from oqtopus_bridge.pennylane import _convert
from oqtopus_bridge.pennylane.device import OqtopusDeviceBase
from oqtopus_bridge.pennylane.preprocess import validate_estimator_measurements

__all__ = ["OqtopusEstimatorDevice"]


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


def _requests(tape: QuantumScript, wire_map: dict[Hashable, int]) -> list[list[list[_Request]]]:
    """Requests of one tape, indexed ``[shot_copy][measurement]``."""
    qasm = _convert.tape_to_qasm(tape, wire_map)
    terms = [_convert.pauli_terms(mp.obs, wire_map) for mp in tape.measurements]
    kinds = [isinstance(mp, VarianceMP) for mp in tape.measurements]
    return [
        [_Request(qasm, int(shots), t, v) for t, v in zip(terms, kinds, strict=True)]
        for shots in tape.shots
    ]


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


def _shape(tape: QuantumScript, values: list[list[Any]]) -> Any:
    """Arrange ``values[copy][measurement]`` the way PennyLane returns results."""
    per_copy = [row[0] if len(row) == 1 else tuple(row) for row in values]
    return tuple(per_copy) if tape.shots.has_partitioned_shots else per_copy[0]


@single_tape_support
class OqtopusEstimatorDevice(OqtopusDeviceBase):
    """PennyLane device that computes expectation values of Pauli sums with OQTOPUS estimation jobs.

    Each ``expval`` (and ``var`` of a single Pauli word) becomes one estimation job; the service
    groups commuting terms and returns the value with its standard error. After each execution,
    `last_stds` holds the standard errors in the shape of the results, and the tracker records
    them as ``stds`` together with the ``job_ids``.

    Args:
        wires: See `OqtopusDeviceBase`.
        **kwargs: ``device_id`` (required), ``config``, ``url``, ``api_token``, ``proxy``,
            ``transpiler_info``, ``mitigation_info``, ``simulator_info``, ``timeout``,
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

    def __init__(self, wires: int | Sequence[Hashable] | None = None, **kwargs: Any) -> None:
        super().__init__(wires, **kwargs)
        self._backend: OqtopusEstimationBackend | None = None
        self.last_stds: tuple[Any, ...] = ()

    def preprocess_transforms(
        self, execution_config: ExecutionConfig | None = None
    ) -> CompilePipeline:
        """Validate measurements and observables, expand broadcasting, decompose to stdgates.inc.

        No ``split_non_commuting``: the service groups the terms of each operator itself.
        """
        pipeline = self._validation_transforms(validate_estimator_measurements)
        pipeline.add_transform(broadcast_expand)
        pipeline.add_transform(
            decompose,
            stopping_condition=_convert.is_supported_gate,
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

    def execute(
        self, circuits: Sequence[QuantumScript], execution_config: ExecutionConfig | None = None
    ) -> tuple[Any, ...]:
        """Run preprocessed tapes: one estimation job per measurement and shot copy, all at once."""
        requests = [_requests(tape, self._wire_map(tape)) for tape in circuits]
        flat = [r for per_tape in requests for row in per_tape for r in row if not r.identity_only]
        jobs = self._submit_all([self._submission(request) for request in flat])
        # Keyed by identity: two equal requests (same circuit and observable) are two jobs.
        answers = {id(request): job for request, job in zip(flat, jobs, strict=True)}
        results: list[Any] = []
        stds: list[Any] = []
        per_tape: list[dict[str, Any]] = []
        for tape, rows in zip(circuits, requests, strict=True):
            pairs = [[self._answer(r, answers.get(id(r))) for r in row] for row in rows]
            results.append(_shape(tape, [[value for value, _ in row] for row in pairs]))
            stds.append(_shape(tape, [[std for _, std in row] for row in pairs]))
            ids = [answers[id(r)].job_id for row in rows for r in row if id(r) in answers]
            per_tape.append(
                {"executions": len(ids), "shots": tape.shots.total_shots, "job_ids": ids}
            )
        self.last_stds = tuple(stds)
        for info, std in zip(per_tape, stds, strict=True):
            info["stds"] = std
        self._track(per_tape, results)
        return tuple(results)

    @staticmethod
    def _answer(request: _Request, job: Any) -> tuple[float, float]:
        """Value and standard error of one request (computed locally for identity observables)."""
        if job is None:
            return (0.0 if request.variance else sum(c for _, c in request.terms)), 0.0
        result = job.result()
        return _value_and_std(request, float(result.exp_value), float(result.stds))

    def _submission(self, request: _Request) -> Callable[[], Any]:
        """A zero-argument call that submits the estimation job of ``request``."""
        backend = self.backend  # created here, not lazily inside the worker threads
        return lambda: backend.estimate_qasm(
            request.qasm,
            request.terms,
            device_id=self.device_id,
            shots=request.shots,
            **self.job_options,
        )
