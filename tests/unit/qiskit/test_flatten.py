"""Composite instructions are unrolled exactly before export (issue 22), checked by meaning.

The unrolled circuit must have the same unitary (global phase included) or, for ``initialize``,
the same final state; the program it becomes must read back with only ``stdgates.inc`` gates.
Qiskit's ``Operator``/``DensityMatrix`` and Aer are the oracles.
"""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit, qasm3, transpile
from qiskit.circuit import Gate
from qiskit.quantum_info import DensityMatrix, Operator
from qiskit_aer import AerSimulator
from qiskit_composites import COMPOSITES, parametric_real_amplitudes, subcircuit_with_measurements

from oqtopus_bridge.qiskit import OqtopusCircuitError
from oqtopus_bridge.qiskit._convert import circuit_to_program
from oqtopus_bridge.qiskit._flatten import EXPORT_BASIS, flatten_composites

# Qiskit's own PauliEvolutionGate.to_matrix (the oracle) warns from scipy's expm.
pytestmark = pytest.mark.filterwarnings("ignore::scipy.sparse.SparseEfficiencyWarning")

UNITARY_KINDS = sorted(set(COMPOSITES) - {"initialized"})


@pytest.mark.parametrize("kind", UNITARY_KINDS)
def test_unrolling_keeps_the_unitary_with_its_phase(kind: str) -> None:
    circuit = COMPOSITES[kind]()
    flat = flatten_composites(circuit)
    assert flat is not circuit
    assert np.allclose(Operator(flat).data, Operator(circuit).data, atol=1e-9)


def test_unrolling_initialize_keeps_the_state() -> None:
    circuit = COMPOSITES["initialized"]()
    flat = flatten_composites(circuit)
    assert "reset" in flat.count_ops()  # initialize starts with resets; they are not dropped
    assert DensityMatrix(flat) == DensityMatrix(circuit)


@pytest.mark.parametrize("kind", sorted(COMPOSITES))
def test_program_reads_back_with_standard_gates_only(kind: str) -> None:
    circuit = COMPOSITES[kind]()
    circuit.measure_all()
    parsed = qasm3.loads(circuit_to_program(circuit))
    ops = set(parsed.count_ops())
    assert ops <= EXPORT_BASIS | {"rzz"}, ops - EXPORT_BASIS
    assert DensityMatrix(parsed.remove_final_measurements(inplace=False)) == DensityMatrix(
        circuit.remove_final_measurements(inplace=False)
    )


def test_own_standard_gates_and_circuits_without_composites_are_left_as_written() -> None:
    plain = QuantumCircuit(2, 2)
    plain.rzz(0.2, 0, 1)
    plain.ecr(1, 0)
    plain.measure([0, 1], [1, 0])
    assert flatten_composites(plain) is plain
    flat = flatten_composites(COMPOSITES["custom_gate"]())
    assert flat.count_ops()["rzz"] == 1  # outside stdgates.inc, but the user's own gate


def test_measurements_inside_a_subcircuit_keep_their_classical_bits() -> None:
    circuit = subcircuit_with_measurements()
    flat = flatten_composites(circuit)
    assert flat.clbits == circuit.clbits
    aer = AerSimulator()
    expected = aer.run(transpile(circuit, aer), shots=2000, seed_simulator=5).result()
    got = aer.run(transpile(flat, aer), shots=2000, seed_simulator=5).result()
    assert got.get_counts() == expected.get_counts()


def test_parameters_survive_unrolling_and_bind_afterwards() -> None:
    circuit = parametric_real_amplitudes()
    values = [0.1, 0.5, 0.9, 1.3, 1.7, 2.1]
    flat = flatten_composites(circuit)
    assert set(flat.parameters) == set(circuit.parameters)
    expected = Operator(circuit.assign_parameters(values))
    assert np.allclose(Operator(flat.assign_parameters(values)).data, expected.data)


def test_an_opaque_gate_is_refused_with_advice() -> None:
    circuit = QuantumCircuit(1, 1, name="opaque-circuit")
    circuit.append(Gate("mystery", 1, []), [0])
    circuit.measure(0, 0)
    with pytest.raises(OqtopusCircuitError, match=r"'opaque-circuit' holds mystery.*definition"):
        circuit_to_program(circuit)


@pytest.mark.parametrize("kind", sorted(COMPOSITES))
def test_the_shared_unrolling_pass_writes_what_a_fresh_one_writes(kind: str) -> None:
    from qiskit.transpiler import PassManager
    from qiskit.transpiler.passes import HighLevelSynthesis

    from oqtopus_bridge.qiskit import _flatten

    circuit = COMPOSITES[kind]()
    basis = sorted(EXPORT_BASIS | (set(circuit.count_ops()) & _flatten._STANDARD))
    fresh = HighLevelSynthesis(basis_gates=basis, qubits_initially_zero=False)
    expected = qasm3.dumps(PassManager([fresh]).run(circuit))
    _flatten._unroller.cache_clear()
    for _ in range(2):  # built for the first circuit, reused for the second (issue 23)
        assert qasm3.dumps(flatten_composites(circuit)) == expected
    assert _flatten._unroller.cache_info().hits >= 1
