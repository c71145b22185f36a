"""The engine's OpenQASM 3 export of transpiled and combined programs, checked by meaning.

Standard-gate circuits go through Qiskit's native exporter, everything else through the Python
one; either way the program parses back to the same circuit, with each angle exact.
"""

from __future__ import annotations

import math

import pytest
from qiskit import QuantumCircuit, qasm3
from qiskit.circuit import Gate
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.quantum_info import Operator

from oqtopus_bridge.local.engine.circuits import _depth, _native_exportable, dumps

STDGATES = sorted(
    name
    for name, gate in get_standard_gate_name_mapping().items()
    if name in {g.name for g in qasm3.STDGATES_INC_GATES} and isinstance(gate, Gate)
)


def _one_gate(name: str) -> QuantumCircuit:
    gate = get_standard_gate_name_mapping()[name]
    params = [0.3 + 0.1 * i for i in range(len(gate.params))]
    circuit = QuantumCircuit(gate.num_qubits)
    circuit.append(gate.base_class(*params) if params else gate, range(gate.num_qubits))
    return circuit


@pytest.mark.parametrize("name", STDGATES)
def test_every_stdgates_gate_exports_natively_and_parses_back_to_itself(name: str) -> None:
    circuit = _one_gate(name)
    assert _native_exportable(circuit)
    assert Operator(qasm3.loads(dumps(circuit))).equiv(Operator(circuit))


@pytest.mark.parametrize("name", ["r", "cu3", "rzz", "ecr"])
def test_gates_outside_stdgates_take_the_python_exporter(name: str) -> None:
    circuit = _one_gate(name)
    assert not _native_exportable(circuit)
    assert Operator(qasm3.loads(dumps(circuit))).equiv(Operator(circuit))


def test_angles_are_exact_on_both_paths() -> None:
    near_pi = math.pi * (1 + 2**-50)
    native = QuantumCircuit(1)
    native.rz(near_pi, 0)
    with_delay = native.copy()
    with_delay.delay(10, 0, unit="ns")  # no native export for delays
    assert _native_exportable(native) and not _native_exportable(with_delay)
    for circuit in (native, with_delay):
        (first, *_) = qasm3.loads(dumps(circuit)).data
        assert float(first.operation.params[0]) == near_pi


def test_control_flow_takes_the_python_exporter() -> None:
    circuit = QuantumCircuit(1, 1)
    circuit.h(0)
    circuit.measure(0, 0)
    with circuit.if_test((circuit.clbits[0], 1)):
        circuit.x(0)
    assert not _native_exportable(circuit)
    names = [inst.operation.name for inst in qasm3.loads(dumps(circuit)).data]
    assert names == ["h", "measure", "if_else"]


def test_the_depth_is_the_circuit_s_with_or_without_barriers() -> None:
    circuit = QuantumCircuit(2, 2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.reset(1)
    circuit.measure([0, 1], [0, 1])
    fenced = QuantumCircuit(2, 2)
    fenced.h(0)
    fenced.barrier()
    fenced.cx(0, 1)
    fenced.measure([0, 1], [0, 1])
    for case in (circuit, fenced):
        assert _depth(case) == case.depth()


def test_a_user_gate_named_like_a_standard_one_keeps_its_definition() -> None:
    """Combined programs hold users' gates: they take the Python exporter, which writes it."""
    program = (
        "OPENQASM 3.0;\nqubit[1] q;\nbit[1] c;\n"
        "gate h a { U(pi, 0, pi) a; }\nh q[0];\nc[0] = measure q[0];\n"
    )
    circuit = qasm3.loads(program)
    back = qasm3.loads(dumps(circuit, native=False))
    assert Operator(back.remove_final_measurements(inplace=False)).equiv(
        Operator(circuit.remove_final_measurements(inplace=False))
    )
