"""Pure conversions of the Qiskit adapter, checked by meaning against Aer and Qiskit's references.

The "service" here is the stored program read back with ``qiskit.qasm3.loads`` and run on Aer, which
returns wire counts (one register ``c``, classical bit 0 rightmost); the oracle is Aer on the user's
original circuit. No socket is opened.
"""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, qasm3, transpile
from qiskit.circuit import Parameter
from qiskit.primitives import StatevectorSampler
from qiskit.quantum_info import Operator, SparsePauliOp
from qiskit.result import Result
from qiskit_aer import AerSimulator
from qiskit_layouts import (
    keyword_register_partial,
    loose_clbits,
    measure_all_with_creg,
    three_registers_reversed_with_cx,
    two_registers_out_of_order,
)

from oqtopus_bridge import bits
from oqtopus_bridge.qiskit._convert import (
    CircuitLayout,
    canonicalize,
    check_circuit,
    circuit_to_program,
    layout_from_program,
    observable_to_operator,
)
from oqtopus_bridge.qiskit._results import experiment_result, full_width_counts, sampler_databin
from oqtopus_bridge.qiskit.exceptions import OqtopusCircuitError, OqtopusInputError

SHOTS = 64


def _service_counts(program: str) -> dict[str, int]:
    """What an OQTOPUS simulator returns for ``program``: wire keys over all clbits."""
    circuit = qasm3.loads(program)
    counts = AerSimulator().run(circuit, shots=SHOTS, seed_simulator=7).result().get_counts()
    return bits.normalize_counts(counts)


def _aer_counts(circuit: QuantumCircuit) -> dict[str, int]:
    return AerSimulator().run(circuit, shots=SHOTS, seed_simulator=7).result().get_counts()


def _result(circuit: QuantumCircuit, *, memory: bool = False) -> Result:
    program = circuit_to_program(circuit)
    layout = layout_from_program(program)
    assert layout is not None
    exp = experiment_result(_service_counts(program), layout, SHOTS, memory=memory)
    return Result(backend_name="test", backend_version="1", job_id="j", success=True, results=[exp])


LAYOUTS = [
    two_registers_out_of_order,
    keyword_register_partial,
    measure_all_with_creg,
    loose_clbits,
    three_registers_reversed_with_cx,
]


@pytest.mark.parametrize("build", LAYOUTS, ids=lambda f: f.__name__)
def test_result_counts_equal_aer_for_every_register_layout(build) -> None:
    circuit = build()
    assert _result(circuit).get_counts() == _aer_counts(circuit)


@pytest.mark.parametrize("build", LAYOUTS, ids=lambda f: f.__name__)
def test_synthesized_memory_has_every_shot_in_aer_format(build) -> None:
    circuit = build()
    memory = _result(circuit, memory=True).get_memory()
    aer = AerSimulator().run(circuit, shots=SHOTS, memory=True).result().get_memory()
    assert sorted(memory) == sorted(aer)


@pytest.mark.parametrize("build", LAYOUTS, ids=lambda f: f.__name__)
def test_sampler_databin_equals_statevector_sampler(build) -> None:
    circuit = build()
    program = circuit_to_program(circuit)
    layout = layout_from_program(program)
    data = sampler_databin([_service_counts(program)], layout, ())
    reference = StatevectorSampler(seed=3).run([circuit], shots=SHOTS).result()[0].data
    for creg in circuit.cregs:
        assert getattr(data, creg.name).get_counts() == getattr(reference, creg.name).get_counts()
        assert getattr(data, creg.name).num_bits == creg.size


def test_sampler_databin_of_a_sweep_keeps_shape_and_order() -> None:
    theta = Parameter("t")
    qc = QuantumCircuit(QuantumRegister(2), ClassicalRegister(1, "lo"), ClassicalRegister(1, "hi"))
    qc.rx(theta, 0)
    qc.x(1)
    qc.measure(0, 1)
    qc.measure(1, 0)
    values = np.array([[0.0, np.pi, 0.0], [np.pi, np.pi, 0.0]])
    bound = [qc.assign_parameters([v]) for v in values.ravel()]
    layout = CircuitLayout.from_circuit(qc)
    counts = [_service_counts(circuit_to_program(c)) for c in bound]
    data = sampler_databin(counts, layout, values.shape)
    reference = StatevectorSampler().run([(qc, values[..., None])], shots=SHOTS).result()[0].data
    assert data.shape == reference.shape == (2, 3)
    for index in np.ndindex(*values.shape):
        for name in ("lo", "hi"):
            assert (
                getattr(data, name)[index].get_counts()
                == getattr(reference, name)[index].get_counts()
            )


def test_program_round_trips_the_unitary_and_carries_the_layout() -> None:
    qc = QuantumCircuit(QuantumRegister(2, "input"), ClassicalRegister(2, "output"), name="bell")
    qc.h(0)
    qc.cx(0, 1)
    qc.sxdg(1)
    qc.rzz(0.3, 0, 1)
    qc.metadata = {"experiment": 3}
    program = circuit_to_program(qc)
    loaded = qasm3.loads(program)
    assert Operator(loaded).equiv(Operator(qc))
    layout = layout_from_program(program)
    assert layout == CircuitLayout("bell", 2, 2, (("output", (0, 1)),))
    assert layout.metadata == {"experiment": 3}


def test_program_of_a_transpiled_circuit_names_physical_qubits_as_q() -> None:
    qc = two_registers_out_of_order()
    backend = AerSimulator()
    isa = transpile(qc, backend, initial_layout=[4, 1, 2], seed_transpiler=1)
    assert isa.layout is not None
    program = circuit_to_program(isa)
    assert "$" not in program
    loaded = qasm3.loads(program)
    assert loaded.num_qubits == isa.num_qubits
    assert bits.normalize_counts(_aer_counts(loaded)) == bits.normalize_counts(_aer_counts(qc))


def test_canonical_circuit_keeps_global_phase_and_bit_indices() -> None:
    qc = three_registers_reversed_with_cx()
    qc.global_phase = 0.7
    new = canonicalize(qc)
    assert [r.name for r in new.qregs] == ["q"] and [r.name for r in new.cregs] == ["c"]
    assert new.global_phase == pytest.approx(0.7)
    for old, moved in zip(qc.data, new.data, strict=True):
        assert [qc.find_bit(b).index for b in old.clbits] == [
            new.find_bit(b).index for b in moved.clbits
        ]


def test_layout_comment_survives_awkward_names_and_is_ignored_without_tag() -> None:
    qc = QuantumCircuit(1, name='we"ird\nname // x')
    qc.add_register(ClassicalRegister(1, "c1"))
    program = circuit_to_program(qc)
    assert layout_from_program(program).name == 'we"ird\nname // x'
    assert layout_from_program("OPENQASM 3.0;\nqubit[1] q;\n") is None


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda qc: qc.rx(Parameter("theta"), 0), "unbound parameters (theta)"),
        (lambda qc: qc.for_loop(range(2), None, QuantumCircuit(2, 2), [0, 1], [0, 1]), "for_loop"),
    ],
)
def test_unsupported_circuits_are_rejected_with_advice(make, fragment) -> None:
    qc = QuantumCircuit(2, 2)
    make(qc)
    with pytest.raises(OqtopusCircuitError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        circuit_to_program(qc)


def test_circuit_wider_than_the_device_is_rejected() -> None:
    with pytest.raises(OqtopusCircuitError, match="has 5 qubits but the device has 4"):
        check_circuit(QuantumCircuit(5), max_qubits=4)


def test_classical_variables_are_rejected() -> None:
    from qiskit.circuit.classical import types

    qc = QuantumCircuit(1, 1)
    qc.add_input("flag", types.Bool())
    with pytest.raises(OqtopusCircuitError, match="classical variables"):
        circuit_to_program(qc)


def _operator_from_service(terms: list[tuple[str, float]], num_qubits: int) -> SparsePauliOp:
    """Oracle: rebuild a SparsePauliOp from explicit-index service terms (qubit k = index k)."""
    sparse = []
    for label, coeff in terms:
        factors = bits.parse_service_pauli(label)
        sparse.append(("".join(factors.values()), list(factors.keys()), coeff))
    return SparsePauliOp.from_sparse_list(sparse, num_qubits)


@pytest.mark.parametrize(
    "observable",
    [
        {"XIZ": 0.5},
        {"III": 2.0, "ZZI": -0.25, "YXI": 1.5},
        {"0+I": 1.0},
        {"r-Z": 0.5, "XXX": 0.1},
    ],
)
def test_observables_convert_with_qubit_zero_rightmost(observable) -> None:
    terms = observable_to_operator(observable)
    rebuilt = _operator_from_service(terms, 3)
    expected = sum(coeff * _label_matrix(label) for label, coeff in observable.items())
    assert np.allclose(rebuilt.to_matrix(), expected)


_LETTERS = {
    "I": np.eye(2),
    "X": np.array([[0, 1], [1, 0]]),
    "Y": np.array([[0, -1j], [1j, 0]]),
    "Z": np.diag([1, -1]),
    "0": np.diag([1, 0]),
    "1": np.diag([0, 1]),
    "+": np.full((2, 2), 0.5),
    "-": np.array([[0.5, -0.5], [-0.5, 0.5]]),
    "r": np.array([[0.5, -0.5j], [0.5j, 0.5]]),
    "l": np.array([[0.5, 0.5j], [-0.5j, 0.5]]),
}


def _label_matrix(label: str) -> np.ndarray:
    """Dense matrix of a Qiskit label: the leftmost letter acts on the highest qubit."""
    matrix = np.eye(1)
    for letter in label:
        matrix = np.kron(matrix, _LETTERS[letter])
    return matrix


def test_observable_label_example_and_identity() -> None:
    assert observable_to_operator({"XIZ": 0.5}) == [("Z0 X2", 0.5)]
    assert observable_to_operator({"II": 1.0, "ZZ": 0.0}) == [("I", 1.0)]
    assert observable_to_operator({}) == [("I", 0.0)]


def test_complex_coefficients_are_rejected() -> None:
    with pytest.raises(OqtopusInputError, match="Hermitian"):
        observable_to_operator({"XY": 1j})


def test_full_width_counts_pads_dropped_leading_zeros_and_rejects_wide_keys() -> None:
    assert full_width_counts({"1": 3, "0b010": 2, "0 01": 1}, 3) == {"001": 4, "010": 2}
    with pytest.raises(Exception, match="does not fit"):
        full_width_counts({"1000": 1}, 3)
