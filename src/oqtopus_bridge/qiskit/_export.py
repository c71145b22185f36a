"""A direct OpenQASM 3 writer for circuits of ``stdgates.inc`` gates, equal to Qiskit's exporter.

``qasm3.dumps`` builds an AST and matches every angle against fractions of pi (``pi_check``): 1.8 ms
of client CPU for a 4-qubit, 44-operation circuit, paid for every circuit of a batch (issue 23).
`export_standard` writes the same text directly for the circuits the adapter sends most (standard
gates with float angles, ``measure``, ``barrier``, ``reset``), and returns None for anything else,
which then goes to ``qasm3.dumps``. The text is character for character what
``qasm3.dumps(canonicalize(circuit))`` writes: ``tests/properties/test_qiskit_export.py`` proves it
on generated circuits. Angles that could be written as a fraction of pi (or zero) are formatted by
Qiskit's own ``pi_check``; the others, provably not within its tolerance of any such fraction, are
written as ``pi_check`` writes them then (Python's float repr, with a decimal point).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from qiskit import QuantumCircuit, qasm3
from qiskit.circuit import Barrier, Gate, Measure, Reset
from qiskit.circuit.tools import pi_check

__all__ = ["export_standard"]

#: Gates ``qasm3.dumps`` writes as calls by name: those of ``stdgates.inc``, and the builtin ``U``.
_CALL_NAMES = {gate.name: gate.name for gate in qasm3.STDGATES_INC_GATES} | {"u": "U"}
_DIRECTIVES = {"measure": Measure, "barrier": Barrier, "reset": Reset}

# pi_check (qiskit/circuit/tools/pi_check.py) writes an angle as a multiple or divisor of pi when
# |angle| / pi or |angle| * pi is within _EPS of n/d (d, n <= _MAX_FRACTION), "0" below _EPS, and
# the float otherwise. An angle at least _MARGIN from every such fraction cannot match; the float
# arithmetic that measures the distance errs by less than |angle| * 2**-52, under 1e-9 for angles
# up to _LARGEST. Every other angle (near a fraction, tiny, huge, not finite) goes to pi_check.
_EPS = 1e-9
_MARGIN = 10 * _EPS
_LARGEST = 1e6
_MAX_FRACTION = 99
_DENOMINATORS = np.arange(1, _MAX_FRACTION + 1, dtype=float)


def export_standard(circuit: QuantumCircuit) -> str | None:
    """Return ``qasm3.dumps(canonicalize(circuit))`` if ``circuit`` is simple enough, else None.

    Simple means: at least one qubit, and only ``stdgates.inc`` gates (Qiskit's standard gate
    objects, default control states) with float parameters, ``measure``, ``barrier`` and
    ``reset``. Qubit ``i`` is written ``q[i]`` and classical bit ``j`` ``c[j]``, as
    ``canonicalize`` renames them; the global phase is not written (neither does Qiskit).

    Example:
        A Bell circuit measured into two bits gives ``OPENQASM 3.0;``, the include,
        ``bit[2] c;``, ``qubit[2] q;``, ``h q[0];``, ``cx q[0], q[1];`` and two
        ``c[i] = measure q[i];`` lines.
    """
    if not circuit.num_qubits:
        return None
    qubits = {bit: f"q[{i}]" for i, bit in enumerate(circuit.qubits)}
    clbits = {bit: f"c[{i}]" for i, bit in enumerate(circuit.clbits)}
    calls: list[tuple[str, list[float], str]] = []
    for inst in circuit.data:
        name = inst.name
        operands = ", ".join([qubits[bit] for bit in inst.qubits])
        if name in _DIRECTIVES:
            # isinstance, as the exporter tests them (measure and reset are singleton subclasses)
            operation = inst.operation
            if not isinstance(operation, _DIRECTIVES[name]) or isinstance(operation, Gate):
                return None
            if not inst.qubits:
                return None
            if name == "measure":
                calls.append((f"{clbits[inst.clbits[0]]} = measure ", [], operands))
            elif name == "barrier":
                calls.append(("barrier ", [], operands))
            else:
                calls.extend(("reset ", [], qubits[bit]) for bit in inst.qubits)
            continue
        # A standard gate's name is its Rust gate's, so the exporter's symbol table matches it
        # with stdgates.inc; anything else (custom gates, other control states) is defined anew.
        params = inst.params
        if name not in _CALL_NAMES or not inst.is_standard_gate():
            return None
        if not all(type(p) is float for p in params):
            return None
        calls.append((_CALL_NAMES[name], params, operands))
    lines = ["OPENQASM 3.0;", 'include "stdgates.inc";']
    if circuit.num_clbits:
        lines.append(f"bit[{circuit.num_clbits}] c;")
    lines.append(f"qubit[{circuit.num_qubits}] q;")
    texts = iter(angle_texts([p for _, params, _ in calls for p in params]))
    for head, params, operands in calls:
        if params:
            head = f"{head}({', '.join([next(texts) for _ in params])}) "
        elif not head.endswith(" "):
            head += " "
        lines.append(f"{head}{operands};")
    return "\n".join(lines) + "\n"


def angle_texts(angles: Sequence[float]) -> list[str]:
    """Write each angle as ``pi_check(angle, output="qasm")`` does (Qiskit's exporter's format)."""
    if not angles:
        return []
    values = np.abs(np.asarray(angles, dtype=float))
    count = len(values)
    with np.errstate(invalid="ignore", over="ignore"):
        ratios = np.concatenate((values / np.pi, values * np.pi))[:, None] * _DENOMINATORS
        near = (np.abs(ratios - np.rint(ratios)) < _MARGIN * _DENOMINATORS).any(axis=1)
    special = near[:count] | near[count:] | ~(values >= _MARGIN) | ~(values <= _LARGEST)
    return [
        pi_check(angle, output="qasm") if odd else f"{angle:#}"
        for angle, odd in zip(angles, special.tolist(), strict=True)
    ]
