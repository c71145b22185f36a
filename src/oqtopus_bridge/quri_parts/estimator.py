"""QURI Parts ``QuantumEstimator`` factories built on OQTOPUS estimation jobs.

Complex coefficients are allowed here (QURI Parts operators may be non-Hermitian): because every
Pauli expectation is real, ``<Σ c_k P_k> = Σ Re(c_k) <P_k> + i Σ Im(c_k) <P_k>``, so the real and
imaginary parts run as two jobs and combine; errors add in quadrature.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from quri_parts.circuit import ImmutableQuantumCircuit
from quri_parts.core.estimator import ConcurrentQuantumEstimator, Estimatable, QuantumEstimator
from quri_parts.core.operator import Operator, PauliLabel
from quri_parts.core.state import CircuitQuantumState

from oqtopus_bridge.backends import OqtopusEstimationBackend
from oqtopus_bridge.backends.base import check_shots
from oqtopus_bridge.concurrency import run_concurrently
from oqtopus_bridge.config import OqtopusConfig
from oqtopus_bridge.jobs import OqtopusEstimationJob, wait_all
from oqtopus_bridge.quri_parts.backend import check_job_options

__all__ = ["OqtopusEstimate", "create_oqtopus_concurrent_estimator", "create_oqtopus_estimator"]


@dataclasses.dataclass(frozen=True)
class OqtopusEstimate:
    """An ``Estimate``: the expectation value and its standard error from OQTOPUS."""

    value: complex
    error: float


_Parts = tuple[OqtopusEstimationJob | None, OqtopusEstimationJob | None]


def _split(operator: Estimatable) -> tuple[Operator, Operator]:
    """Return the operators of the real and imaginary parts of the coefficients."""
    op = Operator({operator: 1.0}) if isinstance(operator, PauliLabel) else operator
    real = Operator({label: coeff.real for label, coeff in op.items() if complex(coeff).real})
    imag = Operator({label: coeff.imag for label, coeff in op.items() if complex(coeff).imag})
    return real, imag


def circuit_of(state: Any) -> ImmutableQuantumCircuit:
    """The circuit that prepares ``state`` from |0...0>, the only kind of state OQTOPUS can run.

    A state vector (``QuantumStateVector``, or any state carrying a ``vector`` other than
    |0...0>) cannot be sent: its circuit acts on that vector, and estimating the circuit alone
    would silently answer for |0...0> instead (issue 22, item 3).

    Raises:
        ValueError: For a state without a circuit or with a non-trivial initial vector.
    """
    kind = type(state).__name__
    circuit = getattr(state, "circuit", None)
    if circuit is None or not hasattr(circuit, "gates"):
        raise ValueError(
            f"a {kind} has no circuit to send to OQTOPUS; give a circuit state, e.g. "
            "quri_parts.core.state.quantum_state(n_qubits, circuit=circuit)"
        )
    vector = getattr(state, "vector", None)
    if vector is not None and not _is_zero_state(vector):
        raise ValueError(
            f"a {kind} starts from a state vector, which OQTOPUS cannot receive (it runs "
            "circuits from |0...0>); give a circuit state that prepares the vector, e.g. "
            "quri_parts.core.state.quantum_state(n_qubits, circuit=preparation_circuit)"
        )
    return circuit  # type: ignore[no-any-return]


def _is_zero_state(vector: Any) -> bool:
    values = np.asarray(vector, dtype=complex).ravel()
    return values.size > 0 and bool(np.isclose(values[0], 1.0)) and not np.any(values[1:])


class _Runner:
    """Submits the real and imaginary part jobs of a pair and combines their results."""

    def __init__(
        self, backend: OqtopusEstimationBackend, device_id: str, shots: int, options: dict[str, Any]
    ) -> None:
        self.backend, self.device_id, self.shots, self.options = backend, device_id, shots, options

    def submit(self, operator: Estimatable, state: CircuitQuantumState) -> _Parts:
        real, imag = _split(operator)
        return (self._job(real, state), self._job(imag, state))

    def _job(self, op: Operator, state: CircuitQuantumState) -> OqtopusEstimationJob | None:
        if not op:
            return None
        circuit = circuit_of(state)
        return self.backend.estimate(circuit, op, self.device_id, self.shots, **self.options)

    @staticmethod
    def combine(parts: _Parts, timeout: float | None, wait: float) -> OqtopusEstimate:
        values, errors = [], []
        for job in parts:
            result = job.result(timeout, wait) if job is not None else None
            values.append(result.exp_value or 0.0 if result else 0.0)
            errors.append(result.stds or 0.0 if result else 0.0)
        return OqtopusEstimate(complex(values[0], values[1]), math.hypot(errors[0], errors[1]))


def _runner(
    device_id: str, shots: int, config: OqtopusConfig | None, job_options: dict[str, Any]
) -> _Runner:
    shots = check_shots(shots)
    options = check_job_options(job_options)
    return _Runner(OqtopusEstimationBackend(config), device_id, shots, options)


def create_oqtopus_estimator(
    device_id: str,
    shots: int,
    config: OqtopusConfig | None = None,
    *,
    timeout: float | None = None,
    wait: float = 10.0,
    **job_options: Any,
) -> QuantumEstimator[CircuitQuantumState]:
    """Return a QURI Parts ``QuantumEstimator`` running estimation jobs on one device.

    Args:
        device_id: The device to run on.
        shots: Shots per estimation job.
        config: Connection settings (resolved now from the environment or ``~/.oqtopus`` if None).
        timeout: Seconds to wait for each job; None waits forever.
        wait: Largest time in seconds between status queries.
        **job_options: ``name``, ``description``, ``transpiler_info``, ``simulator_info``,
            ``mitigation_info``.

    Returns:
        ``estimator(operator, state) -> OqtopusEstimate`` (``value``, ``error``).
    """
    runner = _runner(device_id, shots, config, job_options)

    def estimator(operator: Estimatable, state: CircuitQuantumState) -> OqtopusEstimate:
        return runner.combine(runner.submit(operator, state), timeout, wait)

    return estimator


def create_oqtopus_concurrent_estimator(
    device_id: str,
    shots: int,
    config: OqtopusConfig | None = None,
    *,
    max_workers: int | None = None,
    timeout: float | None = None,
    wait: float = 10.0,
    **job_options: Any,
) -> ConcurrentQuantumEstimator[CircuitQuantumState]:
    """Return a ``ConcurrentQuantumEstimator``: submits every job, then waits for all.

    Operators and states broadcast as in QURI Parts: equal lengths, or one side of length 1.

    Args:
        device_id: The device to run on.
        shots: Shots per estimation job.
        config: Connection settings (resolved now when None).
        max_workers: Threads used to submit.
        timeout: Seconds to wait for the batch; None waits forever.
        wait: Largest time in seconds between status queries.
        **job_options: Options sent with every job.

    Returns:
        ``estimator(operators, states) -> list[OqtopusEstimate]``.
    """
    runner = _runner(device_id, shots, config, job_options)

    def estimator(
        operators: Sequence[Estimatable], states: Sequence[CircuitQuantumState]
    ) -> list[OqtopusEstimate]:
        pairs = _broadcast(operators, states)
        calls: list[Callable[[], _Parts]] = [
            functools.partial(runner.submit, op, st) for op, st in pairs
        ]
        submitted = run_concurrently(calls, max_workers)
        wait_all([job for parts in submitted for job in parts if job is not None], timeout)
        return [runner.combine(parts, timeout, wait) for parts in submitted]

    return estimator


def _broadcast(
    operators: Sequence[Estimatable], states: Sequence[CircuitQuantumState]
) -> list[tuple[Estimatable, CircuitQuantumState]]:
    n_ops, n_states = len(operators), len(states)
    if n_ops == 0 or n_states == 0:
        raise ValueError("No operator or state specified.")
    if n_ops != n_states and 1 not in (n_ops, n_states):
        raise ValueError(
            f"Number of operators ({n_ops}) does not match number of states ({n_states})."
        )
    count = max(n_ops, n_states)
    return [
        (operators[0 if n_ops == 1 else i], states[0 if n_states == 1 else i]) for i in range(count)
    ]
