"""QURI Parts circuits to OpenQASM 3 text, the program format OQTOPUS accepts.

``quri_parts.openqasm.circuit.convert_to_qasm_str`` does the writing; gates it cannot emit are first
decomposed (Pauli, PauliRotation, SqrtXdag, SqrtY, SqrtYdag, 1- and 2-qubit UnitaryMatrix) and
singly-controlled gates are written with their ``stdgates.inc`` names. ``Measurement`` gates become
``c[j] = measure q[i];`` over ``bit[cbit_count] c`` (counts are then keyed by classical bit); a
circuit without them is measured entirely (``c = measure q;``), as the documented API does.
"""

from __future__ import annotations

from typing import Any

from quri_parts.circuit import (
    ImmutableQuantumCircuit,
    NonParametricQuantumCircuit,
    QuantumCircuit,
    QuantumGate,
    gate_names,
)
from quri_parts.circuit.transpile import (
    PauliDecomposeTranspiler,
    PauliRotationDecomposeTranspiler,
    SequentialTranspiler,
    SingleQubitUnitaryMatrix2RYRZTranspiler,
    SqrtXdag2RZSqrtXTranspiler,
    SqrtY2RZSqrtXTranspiler,
    SqrtYdag2RZSqrtXTranspiler,
    TwoQubitUnitaryMatrixKAKTranspiler,
)
from quri_parts.openqasm.circuit import convert_to_qasm_str

from oqtopus_bridge.errors import ConversionError

__all__ = ["circuit_to_qasm", "circuits_to_qasm"]

_DECOMPOSED = frozenset(
    {
        gate_names.Pauli,
        gate_names.PauliRotation,
        gate_names.SqrtXdag,
        gate_names.SqrtY,
        gate_names.SqrtYdag,
        gate_names.UnitaryMatrix,
    }
)
# Singly-controlled gates and their stdgates.inc names; ccx for MCX with two controls.
_CONTROLLED = {
    (gate_names.MCX, 1): "cx",
    (gate_names.MCX, 2): "ccx",
    (gate_names.MCY, 1): "cy",
    (gate_names.MCZ, 1): "cz",
    (gate_names.MCH, 1): "ch",
    (gate_names.MCRX, 1): "crx",
    (gate_names.MCRY, 1): "cry",
    (gate_names.MCRZ, 1): "crz",
    (gate_names.MCU1, 1): "cp",
}
_DECLARATIONS = ("OPENQASM", "include", "qubit[", "bit[")


def _prepare() -> SequentialTranspiler:
    return SequentialTranspiler(
        [
            PauliDecomposeTranspiler(),
            PauliRotationDecomposeTranspiler(),
            SqrtXdag2RZSqrtXTranspiler(),
            SqrtY2RZSqrtXTranspiler(),
            SqrtYdag2RZSqrtXTranspiler(),
            SingleQubitUnitaryMatrix2RYRZTranspiler(),
            TwoQubitUnitaryMatrixKAKTranspiler(),
        ]
    )


def _check_circuit(circuit: Any) -> ImmutableQuantumCircuit:
    if getattr(circuit, "parameter_count", 0):
        raise ConversionError(
            "Parametric gates are not supported: bind the parameters first, e.g. "
            "circuit.bind_parameters([...])"
        )
    if not isinstance(circuit, (ImmutableQuantumCircuit, NonParametricQuantumCircuit)):
        raise ConversionError(
            f"expected a QURI Parts NonParametricQuantumCircuit, got {type(circuit).__name__}; "
            "use sample_qasm for OpenQASM text"
        )
    for gate in circuit.gates:
        if gate.name == gate_names.UnitaryMatrix and len(gate.target_indices) > 2:
            raise ConversionError(
                f"UnitaryMatrix on {len(gate.target_indices)} qubits cannot be converted to "
                "OpenQASM 3; decompose it into 1- and 2-qubit gates first"
            )
    return circuit


def _gate_lines(qubit_count: int, gates: list[QuantumGate]) -> list[str]:
    """OpenQASM statements of measurement-free gates (declarations and final measure dropped)."""
    lines: list[str] = []
    plain = QuantumCircuit(qubit_count)
    for gate in gates:
        symbol = _CONTROLLED.get((gate.name, len(gate.control_indices)))
        if gate.name in gate_names.MC_GATE_NAMES:
            if symbol is None:
                raise ConversionError(
                    f"{gate.name} with {len(gate.control_indices)} controls has no OpenQASM 3 "
                    "standard gate; decompose it first"
                )
            lines.extend(_statements(plain))
            plain = QuantumCircuit(qubit_count)
            lines.append(_controlled_statement(symbol, gate))
        else:
            plain.add_gate(gate)
    lines.extend(_statements(plain))
    return lines


def _statements(circuit: ImmutableQuantumCircuit) -> list[str]:
    if not circuit.gates:
        return []
    if any(gate.name in _DECOMPOSED for gate in circuit.gates):
        circuit = _prepare()(circuit)
    try:
        text = convert_to_qasm_str(circuit)
    except (ValueError, NotImplementedError, AssertionError) as exc:
        raise ConversionError(f"cannot convert the circuit to OpenQASM 3: {exc}") from exc
    return [
        line
        for line in text.splitlines()
        if line.strip() and not line.startswith(_DECLARATIONS) and "measure" not in line
    ]


def _controlled_statement(symbol: str, gate: QuantumGate) -> str:
    params = f"({', '.join(str(p) for p in gate.params)})" if gate.params else ""
    operands = ", ".join(f"q[{i}]" for i in (*gate.control_indices, *gate.target_indices))
    return f"{symbol}{params} {operands};"


def circuit_to_qasm(circuit: NonParametricQuantumCircuit, *, measure: bool = True) -> str:
    """Convert a QURI Parts circuit to OpenQASM 3.

    Args:
        circuit: A non-parametric QURI Parts circuit (any gate; see the module docstring).
        measure: Without ``Measurement`` gates, end with ``c = measure q;`` (all qubits). With them,
            their ``c[j] = measure q[i];`` statements are kept either way.

    Returns:
        The program text.

    Raises:
        ConversionError: A parametric circuit, an unsupported gate, or not a QURI Parts circuit (a
            ``ValueError``).
    """
    circuit = _check_circuit(circuit)
    n = circuit.qubit_count
    measured = any(gate.name == gate_names.Measurement for gate in circuit.gates)
    width = max(int(getattr(circuit, "cbit_count", 0)), 1) if measured else n
    body: list[str] = []
    pending: list[QuantumGate] = []
    for gate in circuit.gates:
        if gate.name == gate_names.Measurement:
            body.extend(_gate_lines(n, pending))
            pending = []
            body.extend(
                f"c[{c}] = measure q[{q}];"
                for q, c in zip(gate.target_indices, gate.classical_indices, strict=True)
            )
        else:
            pending.append(gate)
    body.extend(_gate_lines(n, pending))
    header = ["OPENQASM 3;", 'include "stdgates.inc";', f"qubit[{n}] q;"]
    if measured or measure:
        header.append(f"bit[{width}] c;")
        if not measured:
            body.append("c = measure q;")
    return "\n".join([*header, "", *body])


def circuits_to_qasm(
    program: NonParametricQuantumCircuit | list[NonParametricQuantumCircuit],
    *,
    measure: bool = True,
) -> list[str]:
    """Convert one circuit or a list of circuits, always returning a list of programs."""
    circuits = program if isinstance(program, (list, tuple)) else [program]
    return [circuit_to_qasm(circuit, measure=measure) for circuit in circuits]
