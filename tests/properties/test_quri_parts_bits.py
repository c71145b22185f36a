"""Bit order, end to end: random classical circuits through LocalServer decode exactly."""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from quri_parts.circuit import QuantumCircuit

from oqtopus_bridge import OqtopusSamplingBackend
from oqtopus_bridge.quri_parts import OqtopusQuriBackend

MAX_QUBITS = 5


@st.composite
def classical_circuits(draw: Any, max_qubits: int = MAX_QUBITS) -> tuple[QuantumCircuit, list[int]]:
    """A random X/CNOT circuit and its classical final bit values (oracle: bit arithmetic)."""
    n = draw(st.integers(1, max_qubits))
    circuit = QuantumCircuit(n)
    bits = [0] * n
    for _ in range(draw(st.integers(0, 8))):
        if n > 1 and draw(st.booleans()):
            control, target = draw(
                st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True)
            )
            circuit.add_CNOT_gate(control, target)
            bits[target] ^= bits[control]
        else:
            qubit = draw(st.integers(0, n - 1))
            circuit.add_X_gate(qubit)
            bits[qubit] ^= 1
    return circuit, bits


def _as_int(bits: list[int]) -> int:
    return sum(bit << index for index, bit in enumerate(bits))


@given(classical_circuits())
def test_counts_key_bit_i_is_qubit_i(oqtopus_config: Any, case: Any) -> None:
    circuit, bits = case
    result = OqtopusQuriBackend("qulacs", oqtopus_config).sample(circuit, 3).result()
    assert result.counts == Counter({_as_int(bits): 3})
    assert result.bit_width == circuit.qubit_count


@given(classical_circuits(), st.data())
def test_random_measurement_maps(oqtopus_config: Any, case: Any, data: Any) -> None:
    circuit, bits = case
    n = circuit.qubit_count
    qubits = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    n_cbits = data.draw(st.integers(len(qubits), len(qubits) + 2))
    cbits = data.draw(st.permutations(range(n_cbits)))[: len(qubits)]
    measured = QuantumCircuit(n, cbit_count=n_cbits)
    measured.extend(circuit.gates)
    measured.measure(qubits, cbits)
    expected = [0] * n_cbits
    for qubit, cbit in zip(qubits, cbits, strict=True):
        expected[cbit] = bits[qubit]
    result = OqtopusQuriBackend("qulacs", oqtopus_config).sample(measured, 2).result()
    assert result.counts == Counter({_as_int(expected): 2})
    assert result.bit_width == n_cbits


@given(st.lists(classical_circuits(max_qubits=3), min_size=1, max_size=3))
def test_multi_manual_divided_counts_equal_each_program_alone(
    oqtopus_config: Any, cases: Any
) -> None:
    backend = OqtopusSamplingBackend(oqtopus_config)
    circuits = [circuit for circuit, _ in cases]
    combined = backend.sample(circuits, "qulacs", 4)
    alone = [backend.sample(circuit, "qulacs", 4) for circuit in circuits]
    divided = combined.result().divided_counts
    assert divided == {index: job.result().counts for index, job in enumerate(alone)}
    assert divided == {index: Counter({_as_int(bits): 4}) for index, (_, bits) in enumerate(cases)}
    offset, key = 0, 0
    for circuit, bits in cases:  # program 0 occupies the lowest bits of the combined key
        key |= _as_int(bits) << offset
        offset += circuit.qubit_count
    assert combined.result().counts == Counter({key: 4})
