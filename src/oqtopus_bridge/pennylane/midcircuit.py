"""Mid-circuit measurements on devices that measure at the end: deferral and postselection.

OQTOPUS programs measure at the end only, so the devices support ``mcm_method="deferred"`` (also
what PennyLane picks for them when none is given): ``qml.defer_measurements`` turns each
``qml.measure`` into a CNOT onto a further wire, ``qml.cond`` into controlled gates, and every
statistic of a measurement value (``expval``/``var``/``probs``/``sample``/``counts`` of
``qml.measure`` results) into a statistic of those wires (issue 22, item 10).

Postselection (``qml.measure(w, postselect=v)``) becomes a ``qml.Projector`` on ``w`` in the
deferred circuit. A projector is no gate: here it is moved to the end of the circuit, where it is
equivalent to keeping only the shots that measured ``v`` on ``w`` (allowed only where every later
operation on ``w`` commutes with a Z measurement of ``w``). Shots that do not match are
discarded, as on hardware (``postselect_mode="hw-like"``): ``sample`` and ``counts`` hold fewer
shots than requested, and expectation values and probabilities are computed from the kept shots.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pennylane as qml
from pennylane.devices import ExecutionConfig
from pennylane.exceptions import DeviceError
from pennylane.operation import Operator
from pennylane.tape import QuantumScript, QuantumScriptBatch
from pennylane.transforms import transform
from pennylane.typing import PostprocessingFn
from pennylane.wires import Wires

__all__ = [
    "Postselection",
    "check_mcm_config",
    "place_deferred_wires",
    "split_postselection",
]


def _first(results: Sequence[object]) -> object:
    return results[0]


def check_mcm_config(config: ExecutionConfig | None, name: str) -> bool:
    """Whether to defer mid-circuit measurements; raise for what OQTOPUS cannot do.

    Raises:
        DeviceError: For ``postselect_mode="fill-shots"`` (discarded shots cannot be refilled on a
            device that samples) or an ``mcm_method`` other than ``"deferred"``.
    """
    mcm = (config or ExecutionConfig()).mcm_config
    if mcm.mcm_method not in (None, "deferred"):
        raise DeviceError(
            f'{name} supports mcm_method="deferred" only (OQTOPUS programs measure at the end); '
            f"got {mcm.mcm_method!r}. Pass mcm_method='deferred' or leave it unset."
        )
    if mcm.postselect_mode == "fill-shots":
        raise DeviceError(
            f"{name} postselects by discarding the shots that do not match "
            "(postselect_mode='hw-like'); 'fill-shots' would need more shots than were taken. "
            "Leave postselect_mode unset or pass 'hw-like'."
        )
    return True


@transform
def place_deferred_wires(
    tape: QuantumScript, device_wires: Wires | None, name: str
) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    """Move the wires ``defer_measurements`` added onto free wires of a device with fixed wires.

    Args:
        tape: A deferred tape.
        device_wires: The device's wires (None: any wire is allowed, nothing to do).
        name: The device's name, for the message.

    Raises:
        DeviceError: If the device has too few free wires for the deferred measurements.
    """
    if device_wires is None:
        return (tape,), _first
    extra = [wire for wire in tape.wires if wire not in device_wires]
    if not extra:
        return (tape,), _first
    free = [wire for wire in device_wires if wire not in tape.wires]
    if len(free) < len(extra):
        raise DeviceError(
            f"{name}: deferring the mid-circuit measurements needs {len(extra)} more wire(s) "
            f"than the circuit uses, but only {len(free)} of the device's {len(device_wires)} "
            f"wires are free. Create the device with at least "
            f"{len(device_wires) - len(free) + len(extra)} wires."
        )
    (mapped,), _ = qml.map_wires(tape, dict(zip(extra, free, strict=False)))
    return (mapped,), _first


class Postselection:
    """The postselected wires of a tape and their values, read off its projectors.

    Args:
        wires: Postselected wires, in order.
        values: The outcome kept on each wire (0 or 1).
    """

    def __init__(self, wires: Sequence[Hashable], values: Sequence[int]) -> None:
        self.wires = Wires(wires)
        self.values = [int(v) for v in values]

    def keep(self, counts: dict[str, int], measured: Wires) -> dict[str, int]:
        """The counts of the shots that postselection keeps (keys over ``measured``)."""
        positions = [measured.index(wire) for wire in self.wires]
        return {
            key: value
            for key, value in counts.items()
            if all(int(key[p]) == v for p, v in zip(positions, self.values, strict=True))
        }


def _commutes_with_z(op: Operator, wire: Hashable) -> bool:
    """Whether ``op`` commutes with a Z measurement of ``wire`` (so a projector can pass it)."""
    if wire not in op.wires or wire in getattr(op, "control_wires", ()):
        return True
    if not op.has_matrix or len(op.wires) > 4:
        return False
    wires = op.wires
    matrix = qml.matrix(op, wire_order=wires)
    z = qml.matrix(qml.Z(wire), wire_order=wires)
    return bool(np.allclose(matrix @ z, z @ matrix, atol=1e-10))


def _projector_value(op: Operator) -> int | None:
    """The kept outcome of a single-wire basis-state projector, else None."""
    if not isinstance(op, qml.Projector) or len(op.wires) != 1:
        return None
    state = np.asarray(op.data[0]).ravel()
    if state.shape == (1,) and state[0] in (0, 1):
        return int(state[0])
    return None


def split_postselection(tape: QuantumScript, name: str) -> tuple[QuantumScript, Postselection]:
    """Remove the postselection projectors of a tape; return it and what they postselect.

    Raises:
        DeviceError: If a projector is not a single-wire basis projector, or an operation after it
            does not commute with a Z measurement of its wire (the projector cannot move to the
            end of the circuit).
    """
    operations: list[Operator] = []
    wires: list[Any] = []
    values: list[int] = []
    ops = list(tape.operations)
    for index, op in enumerate(ops):
        if not isinstance(op, qml.Projector):
            operations.append(op)
            continue
        value = _projector_value(op)
        wire = op.wires[0]
        later = ops[index + 1 :] + [m.obs for m in tape.measurements if m.obs is not None]
        movable = value is not None and all(_commutes_with_z(o, wire) for o in later)
        if not movable or wire in wires:
            raise DeviceError(
                f"{name} postselects by discarding shots at the end of the circuit, which is "
                f"not equivalent here: {op} is followed by operations that change wire "
                f"{wire!r} (or postselects it twice). Postselect on a wire that is not "
                "changed afterwards, e.g. qml.measure(w, postselect=v, reset=True)."
            )
        wires.append(wire)
        values.append(value)
    return tape.copy(operations=operations), Postselection(wires, values)
