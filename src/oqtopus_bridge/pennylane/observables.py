"""Rewrite nested Pauli observables as flat sums of Pauli words before they are split and rotated.

``split_non_commuting`` splits a measured sum into its top-level terms only. A term that is itself
a sum of non-commuting words (``qml.Hamiltonian([2, -0.5], [h1, h2])`` with ``h1 = Z(0) + X(0)``,
or a scaled sum inside a ``LinearCombination``) stays one term, and PennyLane's diagonalization
then fails with ``This function only supports pauli words.`` or ``The list of Pauli words are not
qubit-wise commuting`` (PennyLane 0.45; issue 22, item 7). Every such observable has a Pauli
representation (``obs.pauli_rep``), a flat linear combination of Pauli words, which both transforms
handle: `flatten_pauli_sums` measures that instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import pennylane as qml
from pennylane.measurements import ExpectationMP, MeasurementProcess
from pennylane.operation import Operator
from pennylane.ops import LinearCombination, Prod, SProd, Sum
from pennylane.tape import QuantumScript, QuantumScriptBatch
from pennylane.transforms import split_non_commuting, transform
from pennylane.typing import PostprocessingFn

__all__ = ["flat_pauli_sum", "flatten_pauli_sums", "split_non_commuting_measurements"]

_COMPOSITE = (Sum, SProd, Prod, LinearCombination)


def flat_pauli_sum(obs: Operator) -> Operator | None:
    """Return ``obs`` as a ``LinearCombination`` of Pauli words, or None to keep it as it is.

    Kept as they are: observables that are not composite (a single Pauli, ``qml.Hermitian``),
    observables without a Pauli representation, and those with complex coefficients (a product
    such as ``X(0) @ Y(0)``, whose expectation value is imaginary; PennyLane measures those
    already).

    Args:
        obs: A measured observable.

    Returns:
        ``sum_k c_k P_k`` with real ``c_k`` and distinct Pauli words ``P_k`` (the identity included
        as ``qml.Identity``), or None.
    """
    if not isinstance(obs, _COMPOSITE):
        return None
    sentence = obs.pauli_rep
    if sentence is None:
        return None
    sentence = qml.pauli.PauliSentence(sentence)  # a copy: simplify() works in place
    sentence.simplify()
    coeffs = [complex(qml.math.unwrap(c)) for c in sentence.values()]
    if any(abs(c.imag) > 1e-12 for c in coeffs):
        return None
    if not sentence:
        return LinearCombination([0.0], [qml.Identity(obs.wires)])
    words = [
        word.operation(wire_order=obs.wires) if len(word) else qml.Identity(obs.wires)
        for word in sentence
    ]
    return LinearCombination([c.real for c in coeffs], words)


def _flattened(mp: MeasurementProcess) -> MeasurementProcess:
    if not isinstance(mp, ExpectationMP) or mp.obs is None or mp.mv is not None:
        return mp
    flat = flat_pauli_sum(mp.obs)
    return mp if flat is None else ExpectationMP(obs=flat)


def _first(results: Sequence[object]) -> object:
    return results[0]


@transform
def flatten_pauli_sums(tape: QuantumScript) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    """Measure the expectation value of every composite Pauli observable as a flat Pauli sum.

    Only ``expval`` is rewritten: it is linear, so the flat sum has the same value, and the
    ``var``/``sample``/``counts``/``probs`` of sums are rotated as whole observables by
    `oqtopus_bridge.pennylane.diagonalize` instead.
    """
    measurements = [_flattened(mp) for mp in tape.measurements]
    if all(new is old for new, old in zip(measurements, tape.measurements, strict=True)):
        return (tape,), _first
    return (tape.copy(measurements=measurements),), _first


@transform
def split_non_commuting_measurements(
    tape: QuantumScript,
) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    """``split_non_commuting``, except for a tape with one measurement of wires or a Pauli word.

    For one ``counts``/``sample``/``probs`` of wires, or one measurement of a Pauli word without
    a coefficient (``expval(Z(0) @ Z(1))``, each factor on its own wire; no mid-circuit value),
    and no shot vector, ``split_non_commuting`` returns a copy of the tape (every operator copied)
    and a postprocessing that hands its one result back unchanged; the tape itself does the same
    (issue 23: a parameter-shift gradient measures one such word on every shifted tape).
    """
    mps = tape.measurements
    if (
        len(mps) == 1
        and (mps[0].obs is None or _pauli_word(mps[0].obs))
        and mps[0].mv is None
        and not tape.shots.has_partitioned_shots
    ):
        return (tape,), _first
    return split_non_commuting(tape)


_PAULIS = (qml.X, qml.Y, qml.Z)


def _pauli_word(obs: Operator) -> bool:
    """``X``, ``Y``, ``Z``, or a product of them on distinct wires (no coefficient)."""
    if isinstance(obs, _PAULIS):
        return True
    factors = obs.operands if isinstance(obs, Prod) else ()
    return bool(factors) and (
        all(isinstance(f, _PAULIS) for f in factors) and len(obs.wires) == len(factors)
    )
