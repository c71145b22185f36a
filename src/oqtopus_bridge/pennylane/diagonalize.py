"""Diagonalize the observables PennyLane's ``measurements_from_counts`` leaves as they are.

``measurements_from_counts`` rotates each measured observable to the computational basis with
``diagonalize_measurements``, which only rotates ``X``, ``Y``, ``Z``, ``Hadamard`` and ``Identity``
(and sums and products of them). Any other observable, ``qml.Hermitian`` or ``qml.Projector`` on
their own or inside a product or sum, passes through **without its diagonalizing gates**, and the
counts of the unrotated circuit are then paired with the observable's eigenvalues as if they were
counts in its eigenbasis: a silently wrong result (PennyLane 0.45; issue 13). Separately,
``split_non_commuting`` refuses ``var``, ``sample`` and ``counts`` of a sum.

`diagonalize_general_observables` rotates such observables itself: it appends the
diagonalizing gates, replaces the observable by the eigenvalues that those gates put on each
computational basis state (read off the rotated matrix, so eigenvalue order cannot drift from the
rotation), and moves a measurement to a circuit of its own where its rotation would disturb another
measurement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pennylane as qml
from pennylane.exceptions import DeviceError
from pennylane.measurements import (
    CountsMP,
    ExpectationMP,
    MeasurementProcess,
    ProbabilityMP,
)
from pennylane.operation import Operator
from pennylane.ops import Prod, SProd, Sum
from pennylane.tape import QuantumScript, QuantumScriptBatch
from pennylane.transforms import transform
from pennylane.typing import PostprocessingFn

__all__ = [
    "diagonal_form",
    "diagonalize_general_observables",
    "needs_rotation_after_split",
    "needs_rotation_before_split",
]

# Up to this many wires, the eigenvalues are read off the rotated matrix (and the rotation is
# checked); beyond it, PennyLane's own ``eigvals()`` are used, as ``default.qubit`` does.
_MAX_CHECKED_WIRES = 8


def describe(mp: MeasurementProcess) -> str:
    """Name a measurement for a message: ``repr`` prints custom ones as ``None(wires=[0])``."""
    text = repr(mp)
    if text.startswith("None("):
        text = type(mp).__name__ + text[len("None") :]
    return text


def _is_sum(obs: Operator) -> bool:
    """True if ``obs`` is a sum of several terms (what ``split_non_commuting`` cannot split)."""
    if isinstance(obs, Sum):
        return True
    if isinstance(obs, (SProd, Prod)):
        return isinstance(obs.simplify(), Sum)
    return False


def needs_rotation_before_split(mp: MeasurementProcess) -> bool:
    """Whether to diagonalize ``mp`` before ``split_non_commuting``.

    These are the measurements ``split_non_commuting`` cannot handle (``var``, ``sample``,
    ``counts`` and ``probs`` of a sum) and the non-Pauli observables it would not split up anyway.
    ``expval`` of a sum or product is left to it: it splits the sum into terms, which
    `needs_rotation_after_split` then picks up.
    """
    obs = mp.obs
    if obs is None or mp.mv is not None:
        return False
    if isinstance(mp, ExpectationMP):
        return not isinstance(obs, (Sum, Prod, SProd)) and obs.pauli_rep is None
    return obs.pauli_rep is None or _is_sum(obs)


def needs_rotation_after_split(mp: MeasurementProcess) -> bool:
    """Whether ``mp`` has an observable ``diagonalize_measurements`` would leave unrotated."""
    return mp.obs is not None and mp.mv is None and mp.obs.pauli_rep is None


def _rotation(obs: Operator) -> list[Operator]:
    """Gates that take ``obs``'s eigenbasis to the computational basis of ``obs.wires``."""
    sentence = obs.pauli_rep
    if sentence is not None:
        words = [word.operation(wire_order=obs.wires) for word in sentence if len(word) > 0]
        if len(words) <= 1 or qml.pauli.are_pauli_words_qwc(words):
            gates, _ = qml.pauli.diagonalize_qwc_pauli_words(words) if words else ([], [])
            return list(gates)
    if obs.has_diagonalizing_gates:
        return list(obs.diagonalizing_gates())
    _, vectors = np.linalg.eigh(qml.matrix(obs, wire_order=obs.wires))
    return [qml.QubitUnitary(vectors.conj().T, wires=obs.wires)]


def diagonal_form(obs: Operator) -> tuple[list[Operator], np.ndarray]:
    """Return the rotation of ``obs`` to the computational basis and the eigenvalues it leaves.

    After the returned gates, computational basis state ``k`` of ``obs.wires`` (the first wire is
    the most significant bit, PennyLane's convention) has eigenvalue ``eigvals[k]``.

    Up to a few wires the eigenvalues are the diagonal of ``U O U^dagger``, with ``U`` the gates'
    matrix, so they match the rotation by construction; that the rotated matrix is diagonal is
    checked.

    Raises:
        DeviceError: If the gates do not diagonalize the observable.
    """
    gates = _rotation(obs)
    wires = obs.wires
    if len(wires) > _MAX_CHECKED_WIRES:
        return gates, np.real(np.asarray(obs.eigvals()))
    matrix = np.asarray(qml.matrix(obs, wire_order=wires), dtype=complex)
    unitary = (
        np.asarray(qml.matrix(QuantumScript(gates), wire_order=wires), dtype=complex)
        if gates
        else np.eye(2 ** len(wires), dtype=complex)
    )
    rotated = unitary @ matrix @ unitary.conj().T
    off_diagonal = rotated - np.diag(np.diag(rotated))
    scale = max(1.0, float(np.max(np.abs(matrix))))
    if np.max(np.abs(off_diagonal), initial=0.0) > 1e-8 * scale:
        raise DeviceError(
            f"cannot measure {obs}: its diagonalizing gates do not diagonalize it "
            "(is the observable Hermitian?)"
        )
    return gates, _snap(np.real(np.diag(rotated)), obs, scale)


def _snap(diagonal: np.ndarray, obs: Operator, scale: float) -> np.ndarray:
    """Replace each rotated diagonal entry by the equal eigenvalue of ``obs.eigvals()``.

    Degenerate eigenvalues then have one float value, so ``counts`` has one key per eigenvalue,
    exactly as on ``default.qubit`` (which uses ``obs.eigvals()``).
    """
    reference = np.real(np.asarray(obs.eigvals(), dtype=complex))
    nearest = reference[np.argmin(np.abs(diagonal[:, None] - reference[None, :]), axis=1)]
    if np.max(np.abs(nearest - diagonal), initial=0.0) > 1e-8 * scale:
        raise DeviceError(f"cannot measure {obs}: its eigenvalues do not match its matrix")
    return nearest


def _diagonal_measurement(mp: MeasurementProcess, eigvals: np.ndarray) -> MeasurementProcess:
    """``mp`` of the rotated observable: a computational-basis measurement with ``eigvals``."""
    wires = mp.obs.wires
    if isinstance(mp, ProbabilityMP):
        return ProbabilityMP(wires=wires)
    if isinstance(mp, CountsMP):
        return CountsMP(eigvals=eigvals, wires=wires, all_outcomes=mp.all_outcomes)
    return type(mp)(eigvals=eigvals, wires=wires)


class _Circuit:
    """One output circuit: the measurements it holds and the wires they pin down."""

    def __init__(self) -> None:
        self.slots: list[tuple[int, MeasurementProcess]] = []
        self.gates: list[Operator] = []
        self.fixed_wires: set[Any] = set()  # measured in the computational basis or rotated
        self.rotated: list[Operator] = []  # observables already rotated here

    def takes(self, obs: Operator) -> bool:
        """Whether ``obs`` can be rotated here: same observable as before, or fresh wires."""
        if any(qml.equal(obs, done) for done in self.rotated):
            return True
        return not (set(obs.wires) & self.fixed_wires)

    def add_rotated(self, index: int, mp: MeasurementProcess) -> None:
        obs = mp.obs
        gates, eigvals = diagonal_form(obs)
        if not any(qml.equal(obs, done) for done in self.rotated):
            self.gates.extend(gates)
            self.rotated.append(obs)
            self.fixed_wires.update(obs.wires)
        self.slots.append((index, _diagonal_measurement(mp, eigvals)))


def _copies(result: Any, count: int, partitioned: bool) -> list[list[Any]]:
    """A tape's result as ``[shot_copy][measurement]``."""
    per_copy = list(result) if partitioned else [result]
    return [list(copy) if count > 1 else [copy] for copy in per_copy]


@transform
def diagonalize_general_observables(
    tape: QuantumScript, predicate: Callable[[MeasurementProcess], bool]
) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    """Rotate the observables selected by ``predicate`` into the computational basis.

    Each selected measurement is replaced by a computational-basis measurement with the
    observable's eigenvalues (see `diagonal_form`) after the observable's diagonalizing gates.
    A selected measurement whose wires another measurement of the circuit also uses (other than the
    same observable) goes to a further copy of the circuit; the results are put back in order.

    Args:
        tape: The tape.
        predicate: Which measurements to rotate.
    """
    selected = [i for i, mp in enumerate(tape.measurements) if predicate(mp)]
    if not selected:
        return (tape,), lambda results: results[0]
    circuits = [_Circuit()]
    for index, mp in enumerate(tape.measurements):
        if index not in selected:
            circuits[0].slots.append((index, mp))
            circuits[0].fixed_wires.update(mp.wires)
    for index in selected:
        mp = tape.measurements[index]
        target = next((c for c in circuits if c.takes(mp.obs)), None)
        if target is None:
            target = _Circuit()
            circuits.append(target)
        target.add_rotated(index, mp)
    circuits = [c for c in circuits if c.slots]
    tapes = [
        tape.copy(
            operations=list(tape.operations) + c.gates,
            measurements=[mp for _, mp in c.slots],
        )
        for c in circuits
    ]
    partitioned = tape.shots.has_partitioned_shots
    single = len(tape.measurements) == 1

    def postprocess(results: Sequence[Any]) -> Any:
        copies = tape.shots.num_copies if partitioned else 1
        merged: list[list[Any]] = [[None] * len(tape.measurements) for _ in range(copies)]
        for circuit, result in zip(circuits, results, strict=True):
            rows = _copies(result, len(circuit.slots), partitioned)
            for copy, row in zip(merged, rows, strict=True):
                for (index, _), value in zip(circuit.slots, row, strict=True):
                    copy[index] = value
        shaped = [row[0] if single else tuple(row) for row in merged]
        return tuple(shaped) if partitioned else shaped[0]

    return tapes, postprocess
