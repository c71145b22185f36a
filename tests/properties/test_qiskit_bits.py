"""Hypothesis: random register layouts and measurement maps decode exactly as Qiskit's simulators.

Circuits are classical (X and CX only), so every shot gives the same outcome and Aer's counts and
StatevectorSampler's BitArrays are exact oracles. Each example submits to the LocalServer through
``backend.run`` and ``OqtopusSamplerV2`` (both before waiting), so examples are few on the ci
profile (a third of the profile's count) and many on ``OQTOPUS_HYPOTHESIS=thorough``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.primitives import StatevectorEstimator, StatevectorSampler
from qiskit.quantum_info import SparsePauliOp, Statevector
from qiskit_aer import AerSimulator

from oqtopus_bridge.qiskit import OqtopusEstimatorV2, OqtopusProvider, OqtopusSamplerV2

SHOTS = 4
EXAMPLES = max(4, settings().max_examples // 3)


@pytest.fixture(scope="module")
def qulacs(local_server: Any) -> Any:
    return OqtopusProvider(local_server.config).get_backend("qulacs")


@st.composite
def classical_circuits(draw: st.DrawFn) -> QuantumCircuit:
    """X/CX circuits with random registers (sizes, order) and a random partial measurement map."""
    num_qubits = draw(st.integers(1, 5))
    sizes = draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    if sum(sizes) == 0:
        sizes[0] = 1
    cregs = [ClassicalRegister(size, f"r{i}") for i, size in enumerate(sizes)]
    circuit = QuantumCircuit(QuantumRegister(num_qubits, "q"), *cregs)
    for _ in range(draw(st.integers(0, 6))):
        if num_qubits > 1 and draw(st.booleans()):
            control, target = draw(st.permutations(range(num_qubits)))[:2]
            circuit.cx(control, target)
        else:
            circuit.x(draw(st.integers(0, num_qubits - 1)))
    clbits = draw(st.permutations(range(circuit.num_clbits)))
    # At least one measurement: with none, Aer reports no counts at all (nothing to compare).
    measured = clbits[: draw(st.integers(1, len(clbits)))]  # the rest stay unmeasured (0)
    for clbit in measured:
        circuit.measure(draw(st.integers(0, num_qubits - 1)), clbit)
    return circuit


@settings(max_examples=EXAMPLES)
@given(circuits=st.lists(classical_circuits(), min_size=1, max_size=3))
def test_run_and_sampler_decode_random_layouts_exactly(qulacs: Any, circuits: list) -> None:
    job = qulacs.run(circuits, shots=SHOTS)
    sampler_job = OqtopusSamplerV2(qulacs).run(circuits, shots=SHOTS)  # submitted before waiting
    counts = job.result().get_counts()
    counts = counts if isinstance(counts, list) else [counts]
    sampled = sampler_job.result()
    reference = StatevectorSampler().run(circuits, shots=SHOTS).result()
    for index, circuit in enumerate(circuits):
        assert counts[index] == AerSimulator().run(circuit, shots=SHOTS).result().get_counts()
        for creg in circuit.cregs:
            mine = getattr(sampled[index].data, creg.name)
            theirs = getattr(reference[index].data, creg.name)
            assert (mine.num_bits, mine.num_shots) == (theirs.num_bits, theirs.num_shots)
            if creg.size:  # Qiskit's get_counts() cannot handle a zero-width register
                assert mine.get_counts() == theirs.get_counts()


@st.composite
def pauli_sums(draw: st.DrawFn, num_qubits: int) -> SparsePauliOp:
    labels = draw(
        st.lists(
            st.text("IXYZ", min_size=num_qubits, max_size=num_qubits),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    magnitudes = st.floats(0.05, 2, allow_nan=False)
    coeffs = draw(st.lists(magnitudes, min_size=len(labels), max_size=len(labels)))
    coeffs = [c if draw(st.booleans()) else -c for c in coeffs]
    return SparsePauliOp(labels, coeffs)


@settings(max_examples=max(2, EXAMPLES // 2))
@given(
    observable=pauli_sums(3),
    angles=st.lists(st.floats(-3.2, 3.2, allow_nan=False), min_size=3, max_size=3),
)
def test_estimator_random_pauli_sums_on_random_states(
    qulacs: Any, observable: SparsePauliOp, angles: list
) -> None:
    state = QuantumCircuit(3)
    for qubit, angle in enumerate(angles):
        state.ry(angle, qubit)
        state.rz(angle / 2, qubit)
    state.cx(0, 1)
    state.cx(1, 2)
    result = OqtopusEstimatorV2(qulacs, options={"default_precision": 0.05}).run(
        [(state, observable)]
    )
    got = result.result()[0].data
    want = StatevectorEstimator().run([(state, observable)]).result()[0].data
    # 5 standard errors plus rounding: fails by chance with p < 1e-6. Near an eigenstate every shot
    # can agree, making the service's sample stds 0; the exact standard error is then the floor.
    shots = result.result()[0].metadata["shots"]
    exact = Statevector(state)
    sigma = sum(
        abs(c) * np.sqrt(max(0.0, 1 - exact.expectation_value(p).real ** 2) / shots)
        for p, c in zip(observable.paulis, observable.coeffs, strict=True)
    )
    assert np.abs(got.evs - want.evs) <= 5 * max(got.stds, sigma) + 1e-6
