"""Hypothesis: the adapter's direct OpenQASM 3 writer writes exactly what Qiskit's exporter writes.

``export_standard`` (issue 23) replaces ``qasm3.dumps(canonicalize(circuit))`` for circuits of
``stdgates.inc`` gates, measurements, barriers and resets. It is a fast path of the library's own
output, so here (and only here) the text itself is the oracle: on generated circuits (every such
gate, angles that are fractions of pi, near them, tiny, huge, negative, several registers, loose
bits, global phases) it must be equal character for character, or decline (None) so the library
writes it. Circuits it must decline (custom gates, other control states, parameters) are checked
too.
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, qasm3
from qiskit.circuit import Clbit, Gate, Parameter, Qubit
from qiskit.circuit.library import CXGate, RYGate, get_standard_gate_name_mapping

from oqtopus_bridge.qiskit._convert import canonicalize, circuit_to_program
from oqtopus_bridge.qiskit._export import angle_texts, export_standard

#: Every gate the writer handles: stdgates.inc's and U, by Qiskit name -> (qubits, parameters).
_STANDARD = get_standard_gate_name_mapping()
GATES = {
    name: (_STANDARD[name].num_qubits, len(_STANDARD[name].params))
    for name in {gate.name for gate in qasm3.STDGATES_INC_GATES} | {"u"}
    if name in _STANDARD
}

FRACTIONS = st.builds(
    lambda n, d, sign, pi: sign * n * (math.pi if pi else 1 / math.pi) / d,
    st.integers(0, 120),
    st.integers(1, 120),
    st.sampled_from([1, -1]),
    st.booleans(),
)
ANGLES = st.one_of(
    st.floats(-7.0, 7.0, allow_nan=False),
    FRACTIONS,
    FRACTIONS.flatmap(lambda a: st.sampled_from([a + 1e-9, a - 2e-9, a + 1e-8, a * (1 + 1e-12)])),
    st.floats(-1e-7, 1e-7),
    st.floats(-1e9, 1e9, allow_nan=False),
    st.sampled_from([0.0, -0.0, math.pi**2, math.pi**3 + 1e-10, 1e6, 1e300, math.tau]),
)


@st.composite
def circuits(draw: st.DrawFn) -> QuantumCircuit:
    """A random circuit over one or two registers of each kind, maybe with loose bits."""
    qregs = [
        QuantumRegister(n, f"r{i}")
        for i, n in enumerate(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
    ]
    cregs = [
        ClassicalRegister(n, f"m{i}")
        for i, n in enumerate(draw(st.lists(st.integers(1, 3), max_size=2)))
    ]
    loose: list[Qubit | Clbit] = [Qubit()] if draw(st.booleans()) else []
    loose += [Clbit()] if draw(st.booleans()) else []
    circuit = QuantumCircuit(*qregs, *cregs, global_phase=draw(ANGLES))
    if loose:
        circuit.add_bits(loose)
    qubits = circuit.num_qubits
    usable = [name for name, (arity, _) in GATES.items() if arity <= qubits]
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["gate"] * 6 + ["measure", "barrier", "reset"]))
        order = draw(st.permutations(range(qubits)))
        if kind == "measure" and circuit.num_clbits:
            circuit.measure(order[0], draw(st.integers(0, circuit.num_clbits - 1)))
        elif kind == "barrier":
            circuit.barrier(*order[: draw(st.integers(1, qubits))])
        elif kind == "reset":
            circuit.reset(order[0])
        else:
            name = draw(st.sampled_from(usable))
            arity, count = GATES[name]
            gate = _STANDARD[name].base_class(*[draw(ANGLES) for _ in range(count)])
            circuit.append(gate, order[:arity])
    return circuit


@settings(deadline=None)
@given(circuit=circuits())
def test_the_writer_writes_what_qiskit_writes(circuit: QuantumCircuit) -> None:
    text = export_standard(circuit)
    assert text is not None, "the writer declined a circuit of standard gates"
    assert text == qasm3.dumps(canonicalize(circuit))


@settings(deadline=None)
@given(angles=st.lists(ANGLES, max_size=20))
def test_angles_are_written_as_pi_check_writes_them(angles: list[float]) -> None:
    from qiskit.circuit.tools import pi_check

    assert angle_texts(angles) == [pi_check(a, output="qasm") for a in angles]


def _declined(circuit: QuantumCircuit) -> None:
    assert export_standard(circuit) is None
    # ... and the program is still written, by the library
    assert "OPENQASM 3.0;" in circuit_to_program(circuit)


def test_custom_gates_other_control_states_and_parameters_go_to_the_library() -> None:
    borrowed = Gate("ry", 1, [0.5])  # a gate that only borrows a standard name
    borrowed.definition = QuantumCircuit(1)
    borrowed.definition.rx(0.5, 0)
    custom = QuantumCircuit(2, 2)
    custom.append(borrowed, [0])
    custom.measure(0, 0)
    _declined(custom)
    open_control = QuantumCircuit(2, 2)
    open_control.append(CXGate(ctrl_state=0), [0, 1])
    _declined(open_control)
    rzz = QuantumCircuit(2, 2)  # standard in Qiskit, not in stdgates.inc
    rzz.rzz(0.3, 0, 1)
    _declined(rzz)
    theta = Parameter("t")
    bound = QuantumCircuit(1, 1)
    bound.append(RYGate(theta), [0])
    bound = bound.assign_parameters({theta: 0.25})
    assert export_standard(bound) in (None, qasm3.dumps(canonicalize(bound)))
    delay = QuantumCircuit(1, 1)
    delay.delay(100, 0)
    _declined(delay)
