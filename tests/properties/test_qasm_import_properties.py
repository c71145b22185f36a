"""Hypothesis: the server's fast OpenQASM 3 importer and the reference one build equal circuits.

The local engine parses with ``qiskit.qasm3.loads_experimental`` (native) and falls back to
``qiskit.qasm3.loads`` (issue 16). On generated programs (every ``stdgates.inc`` gate, float
parameters, several registers, partial measurement maps, both header spellings) the circuit
``parse_program`` returns, and the native importer's own whenever it accepts the program (it must,
except for the builtin ``U``), must equal the reference importer's by meaning: the same unitary (up
to global phase) and the same measurement map, never by comparing text.
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit, qasm3
from qiskit.quantum_info import Operator

from oqtopus_bridge.local.engine import circuits

#: stdgates.inc gates: name -> (qubits, parameters).
GATES = {
    "id": (1, 0), "x": (1, 0), "y": (1, 0), "z": (1, 0), "h": (1, 0), "s": (1, 0),
    "sdg": (1, 0), "t": (1, 0), "tdg": (1, 0), "sx": (1, 0), "rx": (1, 1), "ry": (1, 1),
    "rz": (1, 1), "p": (1, 1), "u1": (1, 1), "u2": (1, 2), "u3": (1, 3), "U": (1, 3),
    "cx": (2, 0), "cy": (2, 0), "cz": (2, 0), "ch": (2, 0), "swap": (2, 0), "cp": (2, 1),
    "crx": (2, 1), "cry": (2, 1), "crz": (2, 1), "cu": (2, 4), "ccx": (3, 0), "cswap": (3, 0),
}  # fmt: skip
ANGLES = st.floats(-2 * math.pi, 2 * math.pi, allow_nan=False).map(lambda a: round(a, 6))


@st.composite
def programs(draw: st.DrawFn) -> str:
    """A random OpenQASM 3 program over one or two quantum and classical registers."""
    qregs = draw(st.lists(st.integers(1, 3), min_size=1, max_size=2))
    cregs = draw(st.lists(st.integers(1, 3), min_size=1, max_size=2))
    qubits = [f"q{r}[{i}]" for r, size in enumerate(qregs) for i in range(size)]
    clbits = [f"c{r}[{i}]" for r, size in enumerate(cregs) for i in range(size)]
    header = draw(st.sampled_from(["OPENQASM 3;", "OPENQASM 3.0;"]))
    lines = [header, 'include "stdgates.inc";']
    lines += [f"qubit[{size}] q{r};" for r, size in enumerate(qregs)]
    lines += [f"bit[{size}] c{r};" for r, size in enumerate(cregs)]
    usable = [name for name, (arity, _) in GATES.items() if arity <= len(qubits)]
    for _ in range(draw(st.integers(0, 8))):
        name = draw(st.sampled_from(usable))
        arity, count = GATES[name]
        operands = draw(st.permutations(qubits))[:arity]
        params = [draw(ANGLES) for _ in range(count)]
        args = f"({', '.join(repr(p) for p in params)})" if params else ""
        lines.append(f"{name}{args} {', '.join(operands)};")
    for clbit in draw(st.permutations(clbits))[: draw(st.integers(1, len(clbits)))]:
        lines.append(f"{clbit} = measure {draw(st.sampled_from(qubits))};")
    return "\n".join(lines) + "\n"


def _measurements(circuit: QuantumCircuit) -> list[tuple[int, int]]:
    return [
        (circuit.find_bit(inst.qubits[0]).index, circuit.find_bit(inst.clbits[0]).index)
        for inst in circuit.data
        if inst.operation.name == "measure"
    ]


def _assert_same(ours: QuantumCircuit, reference: QuantumCircuit) -> None:
    assert (ours.num_qubits, ours.num_clbits) == (reference.num_qubits, reference.num_clbits)
    assert _measurements(ours) == _measurements(reference)
    unitary = Operator(ours.remove_final_measurements(inplace=False))
    assert unitary.equiv(Operator(reference.remove_final_measurements(inplace=False)))


@settings(deadline=None)
@given(program=programs())
def test_fast_importer_builds_the_reference_circuit(program: str) -> None:
    reference = qasm3.loads(program)
    native, errors = circuits._parse_native(program)  # the fast path itself, no fallback
    if "U(" not in program:  # the builtin U is not in the native importer yet: fallback
        assert native is not None, f"the native importer refused a valid program: {errors}"
    if native is not None:
        _assert_same(native, reference)
    _assert_same(circuits.parse_program(program), reference)  # what the engine runs


def test_fallback_covers_what_the_native_importer_refuses() -> None:
    program = (
        'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\n'
        "rx(pi/2) q[0];\nc[0] = measure q[0];\nif (c[0]) x q[1];\nc[1] = measure q[1];\n"
    )
    assert circuits._parse_native(program)[0] is None
    parsed = circuits.parse_program(program)
    assert parsed.num_qubits == 2 and parsed.num_clbits == 2
