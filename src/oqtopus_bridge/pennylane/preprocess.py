"""Preprocessing transforms that reject what OQTOPUS cannot run before any job is submitted."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from pennylane.exceptions import DeviceError
from pennylane.measurements import (
    CountsMP,
    MeasurementProcess,
    MidMeasureMP,
    SampleMeasurement,
    SampleMP,
)
from pennylane.ops import Conditional
from pennylane.tape import QuantumScript, QuantumScriptBatch
from pennylane.transforms import transform
from pennylane.typing import PostprocessingFn
from pennylane.wires import Wires

from oqtopus_bridge.pennylane.diagonalize import describe

__all__ = [
    "fill_measurement_wires",
    "reject_mid_circuit_measurements",
    "require_shots",
    "single_wire_sample_shape",
    "validate_qubit_count",
    "validate_sampler_measurements",
]


def _unchanged(results: Sequence[object]) -> object:
    return results[0]


@transform
def require_shots(tape: QuantumScript, name: str) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    """Raise a DeviceError for an analytic (``shots=None``) execution, saying how to set shots.

    A tape without measurements has nothing to sample and passes (PennyLane's device suite checks
    whether a device supports an operation by preprocessing such a tape).
    """
    if not tape.shots and tape.measurements:
        raise DeviceError(
            f"{name} runs circuits on OQTOPUS and needs a number of shots, but the circuit "
            "has none. "
            "Set shots on the QNode: decorate it with @qml.set_shots(1000), or pass "
            "qml.QNode(func, dev, shots=1000)."
        )
    return (tape,), _unchanged


@transform
def reject_mid_circuit_measurements(
    tape: QuantumScript, name: str
) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    """Raise a DeviceError if the tape measures or conditions in the middle of the circuit."""
    for op in tape.operations:
        if isinstance(op, (MidMeasureMP, Conditional)):
            raise DeviceError(
                f"{name} does not support mid-circuit measurements or classically controlled "
                f"operations (found {op.name}); OQTOPUS programs measure at the end only. "
                "Move measurements to the end, e.g. with qml.defer_measurements on spare wires."
            )
    return (tape,), _unchanged


@transform
def fill_measurement_wires(tape: QuantumScript) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    """Give wire-less measurements such as ``qml.sample()`` the tape's wires (wire-less devices).

    ``validate_device_wires`` does this for devices with fixed wires; ``measurements_from_counts``
    needs explicit wires either way.
    """
    if not any(not mp.obs and not mp.wires for mp in tape.measurements):
        return (tape,), _unchanged
    measurements = [
        _with_wires(mp, tape.wires) if not mp.obs and not mp.wires else mp
        for mp in tape.measurements
    ]
    return (tape.copy(measurements=measurements),), _unchanged


def _with_wires(mp: MeasurementProcess, wires: Wires) -> MeasurementProcess:
    if isinstance(mp, CountsMP):
        return CountsMP(wires=wires, all_outcomes=mp.all_outcomes)
    return type(mp)(wires=wires)


@transform
def validate_qubit_count(
    tape: QuantumScript,
    device_wires: int | None,
    device_qubits: Callable[[], int],
    device_id: str,
    name: str,
) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    """Raise a DeviceError if the program would need more qubits than the OQTOPUS device has.

    Args:
        tape: The tape.
        device_wires: Number of wires of the PennyLane device (the program's register size), or None
            for a device without fixed wires (then the tape's wires count).
        device_qubits: Returns the number of qubits of the OQTOPUS device (called only here, so
            circuits rejected by earlier checks cause no request).
        device_id: OQTOPUS device id, for the message.
        name: PennyLane device name, for the message.
    """
    needed = device_wires if device_wires is not None else len(tape.wires)
    available = device_qubits()
    if needed > available:
        raise DeviceError(
            f"{name} was asked for {needed} wires, but OQTOPUS device {device_id!r} has "
            f"{available} qubits. Use at most {available} wires or a larger device."
        )
    return (tape,), _unchanged


def _is_single_wire_sample(mp: MeasurementProcess) -> bool:
    # A sample of a rotated observable (eigvals set) has shape (shots,), like any observable's.
    return (
        isinstance(mp, SampleMP)
        and mp.obs is None
        and mp.mv is None
        and getattr(mp, "_eigvals", None) is None
        and len(mp.wires) == 1
    )


@transform
def single_wire_sample_shape(tape: QuantumScript) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    """Return ``qml.sample(wires=[w])`` with shape ``(shots, 1)``, as ``default.qubit`` does.

    ``SampleMP.process_counts`` flattens single-wire samples to ``(shots,)`` although
    ``SampleMP.shape`` says ``(shots, 1)`` (PennyLane 0.45). Place this before
    ``measurements_from_counts`` so it reshapes that transform's output.
    """
    targets = {i for i, mp in enumerate(tape.measurements) if _is_single_wire_sample(mp)}
    if not targets:
        return (tape,), _unchanged
    single = len(tape.measurements) == 1

    def reshape_copy(result: Any) -> Any:
        if single:
            return np.reshape(result, (-1, 1))
        return tuple(np.reshape(r, (-1, 1)) if i in targets else r for i, r in enumerate(result))

    def postprocess(results: Sequence[Any]) -> Any:
        if tape.shots.has_partitioned_shots:
            return tuple(reshape_copy(copy) for copy in results[0])
        return reshape_copy(results[0])

    return (tape,), postprocess


@transform
def validate_sampler_measurements(
    tape: QuantumScript, name: str
) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    """Accept the measurements computable from counts: any ``SampleMeasurement``.

    That is expval, var, probs, sample and counts of wires or observables, and custom
    ``SampleMeasurement`` subclasses (through their ``process_counts``). State measurements
    (``state``, ``density_matrix``, entropies, ...) raise PennyLane's "not accepted with finite
    shots" error. Measurements of mid-circuit measurement values reach this check deferred (their
    wires are the deferred measurements' wires) and are accepted.
    """
    for mp in tape.measurements:
        if not isinstance(mp, SampleMeasurement):
            raise DeviceError(
                f"Measurement {describe(mp)} not accepted with finite shots on {name}: OQTOPUS "
                "sampling returns counts, from which the device computes expval, var, probs, "
                "sample and counts of wires, observables and deferred mid-circuit measurement "
                "values (not state, density_matrix or entropies)."
            )
    return (tape,), _unchanged
