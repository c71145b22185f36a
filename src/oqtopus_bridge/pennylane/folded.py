"""Warn, before decomposition, about folded circuits that OQTOPUS's transpilation would unfold.

The core checks each OpenQASM program for adjacent inverse gate pairs (`oqtopus_bridge.folding`).
On PennyLane circuits that check runs too late: after decomposition, templates such as
``UCCSD``, ``kUpCCGSD``, ``GateFabric`` or ``QuantumPhaseEstimation`` hold many adjacent inverse
pairs (2 to 34 in PennyLane's device suite) that nobody folded, and warning about them tells a user
their circuit "runs unfolded". Folding (``qml.noise.fold_global``, ``mitigate_with_zne``) acts on
the operators the user wrote, so the devices count the pairs there, before decomposition, and send
their programs with the core's check off.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pennylane as qml
from pennylane.operation import Operator
from pennylane.tape import QuantumScript, QuantumScriptBatch
from pennylane.transforms import transform
from pennylane.typing import PostprocessingFn

from oqtopus_bridge import FoldingWarning
from oqtopus_bridge.folding import optimizes

__all__ = ["folded_pairs", "warn_if_folded_tape"]

# As the core: fewer cancelling pairs than this are taken for chance, not folding.
_MIN_PAIRS = 2
_MAX_WIRES = 3  # operators compared by their matrices (folding acts on gates, not on templates)


def _matrix(op: Operator) -> np.ndarray | None:
    # Broadcast operators (one matrix per batch entry) are not compared.
    if len(op.wires) > _MAX_WIRES or not op.has_matrix or op.batch_size is not None:
        return None
    try:
        matrix = np.asarray(qml.matrix(op, wire_order=op.wires), dtype=complex)
    except Exception:  # noqa: BLE001 - an operator without a usable matrix cannot cancel
        return None
    return matrix if matrix.ndim == 2 else None


def _is_identity(matrix: np.ndarray) -> bool:
    """Whether ``matrix`` is the identity up to a global phase."""
    phase = matrix[0, 0]
    return bool(abs(abs(phase) - 1) < 1e-9 and np.allclose(matrix, phase * np.eye(len(matrix))))


def _may_undo(first: Operator, second: Operator) -> bool:
    """A cheap first test: folding pairs an operator with itself or its ``Adjoint(...)``."""
    return first.name == second.name or first.name in second.name or second.name in first.name


def _cancel(first: Operator, second: Operator, same_wires: bool) -> bool:
    """Whether ``second`` undoes ``first`` (same wires, product the identity, neither trivial).

    Matrices are computed only for the pairs folding can make (`_may_undo`): on every pair they
    cost about 4.6 ms of CPU per 55-operation tape, paid by every tape of a gradient.
    """
    if not same_wires or not _may_undo(first, second):
        return False
    a, b = _matrix(first), _matrix(second)
    if a is None or b is None or _is_identity(a):
        return False
    return _is_identity(b @ a)


def folded_pairs(operations: Sequence[Operator]) -> int:
    """Count the adjacent operator pairs that cancel, cascading (``U U^dagger`` vanishes whole).

    Examples:
        ```python
        folded_pairs([qml.H(0), qml.CNOT([0, 1]), qml.adjoint(qml.CNOT([0, 1])), qml.X(1)])  # 1
        ```
    """
    pairs = 0
    ops = list(operations)
    # Read once: a controlled operator (CNOT, ...) builds its Wires anew on every access.
    wires = [op.wires for op in ops]
    tops: dict[Any, list[int]] = {}  # wire -> stack of indices of the operators left on it
    for index, op in enumerate(ops):
        below = {tops[w][-1] if tops.get(w) else None for w in wires[index]}
        top = below.pop() if len(below) == 1 else None
        if top is not None and _cancel(ops[top], op, wires[top] == wires[index]):
            pairs += 1
            for wire in wires[index]:
                tops[wire].pop()
            continue
        for wire in wires[index]:
            tops.setdefault(wire, []).append(index)
    return pairs


def _first(results: Sequence[object]) -> object:
    return results[0]


@transform
def warn_if_folded_tape(
    tape: QuantumScript, transpiler_info: Mapping[str, Any] | None, name: str
) -> tuple[QuantumScriptBatch, PostprocessingFn]:
    """Warn (`FoldingWarning`) if the tape looks folded and its jobs would be optimized."""
    if optimizes(transpiler_info):
        pairs = folded_pairs(tape.operations)
        if pairs >= _MIN_PAIRS:
            warnings.warn(
                f"the circuit holds {pairs} adjacent inverse operator pairs (as folding for "
                "zero-noise extrapolation makes), and OQTOPUS transpiles it with optimization, "
                f"which cancels them: it runs unfolded. To run it as written create {name} with "
                "transpiler_info=KEEP_GATES (translate to native gates, optimize nothing) or "
                "RUN_AS_WRITTEN (no transpilation; native gates only), both from "
                "oqtopus_bridge.pennylane",
                FoldingWarning,
                stacklevel=2,
            )
    return (tape,), _first
