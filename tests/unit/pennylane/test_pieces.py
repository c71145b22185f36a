"""Pure pieces of the PennyLane devices: packing, variance errors, preprocessing transforms."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane.exceptions import DeviceError

from oqtopus_bridge.pennylane import estimator, preprocess, sampler


def _program(index, shots, qubits):
    return sampler._Program(index, shots, "", qubits, qubits)


def test_pack_programs_fills_first_fit_and_never_mixes_shots():
    programs = [
        _program(0, 100, 6),
        _program(1, 100, 6),
        _program(2, 200, 2),
        _program(3, 100, 6),
        _program(4, 100, 4),
    ]
    assert sampler.pack_programs(programs, 16) == [[0, 1, 4], [2], [3]]
    assert sampler.pack_programs(programs, 5) == [[0], [1], [2], [3], [4]]


def test_variance_and_its_error_follow_from_the_expectation():
    request = estimator._Request("", 10, [("Z0", 2.0), ("I", 1.0)], variance=True)
    # <O> = 2 <Z> + 1 with <Z> = 0.5: Var = 4 (1 - 0.25) = 3; dVar/d<O> = -2 (<O> - 1) = -2.
    value, std = estimator._value_and_std(request, 2.0, 0.1)
    assert value == pytest.approx(3.0)
    assert std == pytest.approx(0.2)
    plain = estimator._Request("", 10, [("Z0", 2.0)], variance=False)
    assert estimator._value_and_std(plain, 0.3, 0.1) == (0.3, 0.1)


def test_single_wire_samples_are_reshaped_for_every_shot_copy():
    tape = qml.tape.QuantumScript(
        [], [qml.sample(wires=[0]), qml.sample(wires=[0, 1]), qml.expval(qml.Z(0))], shots=[3, 3]
    )
    (out,), post = preprocess.single_wire_sample_shape(tape)
    assert out is tape
    copy = (np.zeros(3), np.zeros((3, 2)), 0.0)
    result = post([(copy, copy)])
    assert [r[0].shape for r in result] == [(3, 1), (3, 1)]
    assert [r[1].shape for r in result] == [(3, 2), (3, 2)]


def test_wireless_measurements_get_the_tape_wires():
    tape = qml.tape.QuantumScript(
        [qml.X("a"), qml.X(3)], [qml.sample(), qml.counts(all_outcomes=True)], shots=5
    )
    (out,), _ = preprocess.fill_measurement_wires(tape)
    assert [list(mp.wires) for mp in out.measurements] == [["a", 3], ["a", 3]]
    assert out.measurements[1].all_outcomes


def test_qubit_count_is_only_asked_for_when_needed():
    calls = []

    def qubits():
        calls.append(1)
        return 4

    tape = qml.tape.QuantumScript([qml.X(0)], [qml.expval(qml.Z(0))], shots=5)
    preprocess.validate_qubit_count(tape, 4, qubits, "dev", "oqtopus.sampler")
    with pytest.raises(DeviceError, match="has 4 qubits"):
        preprocess.validate_qubit_count(tape, 5, qubits, "dev", "oqtopus.sampler")
    assert len(calls) == 2


def test_repr_shows_device_id_and_capabilities_declare_the_native_gates():
    dev = qml.device(
        "oqtopus.estimator", wires=3, device_id="anemone", url="http://x", api_token="t"
    )
    assert "device_id='anemone'" in repr(dev) and "wires=3" in repr(dev)
    caps = dev.capabilities
    for gate in ("CNOT", "Toffoli", "Adjoint(S)", "Adjoint(T)", "Rot", "CRot", "U3", "Barrier"):
        assert caps.supports_operation(gate), gate
    assert not caps.supports_operation("IsingXX")  # decomposed
    assert {"Hermitian", "Projector", "Hadamard"} <= set(caps.observables)


def test_custom_measurement_is_named_in_messages():
    class Mine(qml.measurements.StateMeasurement):
        def process_state(self, state, wire_order):
            return 1

        def process_density_matrix(self, density_matrix, wire_order):
            return 1

    tape = qml.tape.QuantumScript([], [Mine(wires=[0, 1])], shots=10)
    with pytest.raises(DeviceError, match=r"Measurement Mine\(wires=\[0, 1\]\) not accepted with"):
        preprocess.validate_sampler_measurements(tape, name="oqtopus.sampler")


@pytest.mark.parametrize(
    "measurement",
    [
        qml.counts(wires=[0, 1]),
        qml.sample(wires=[1]),
        qml.probs(wires=[0, 1]),
        qml.counts(),
        qml.expval(qml.Z(0) @ qml.Z(1)),  # what a parameter-shift gradient measures
        qml.expval(qml.X(0) @ qml.Y(1)),
        qml.expval(qml.Z(1)),
        qml.var(qml.Z(0) @ qml.Z(1)),
        qml.sample(qml.Z(0)),
        qml.counts(qml.X(1)),
        qml.probs(op=qml.Z(0)),
    ],
)
def test_one_measurement_of_wires_or_a_pauli_word_is_not_split_as_pennylane_would(measurement):
    from pennylane.transforms import split_non_commuting

    from oqtopus_bridge.pennylane.observables import split_non_commuting_measurements

    tape = qml.tape.QuantumScript([qml.RY(0.3, 0), qml.CNOT([0, 1])], [measurement], shots=10)
    ours, ours_fn = split_non_commuting_measurements(tape)
    theirs, theirs_fn = split_non_commuting(tape)
    assert len(ours) == len(theirs) == 1
    assert ours[0] is tape  # no copy of every operator (issue 23)
    qml.assert_equal(ours[0], theirs[0])
    result = {"00": 4, "11": 6}
    assert ours_fn([result]) is theirs_fn([result]) is result


def test_several_measurements_observables_and_shot_vectors_are_still_split():
    from oqtopus_bridge.pennylane.observables import split_non_commuting_measurements

    ops = [qml.RY(0.3, 0)]
    for measurements, shots in [
        ([qml.expval(qml.X(0)), qml.expval(qml.Z(0))], 10),
        ([qml.expval(qml.X(0) + qml.Z(0))], 10),
        ([qml.counts(wires=[0])], (5, 5)),
        ([qml.expval(2 * qml.Z(0))], 10),  # a coefficient: split measures Z(0), then scales
        ([qml.expval(qml.X(0) @ qml.Y(0))], 10),  # one wire twice: not a Pauli word as written
        ([qml.expval(qml.Identity(0))], 10),
        ([qml.expval(qml.Z(0))], (5, 5)),
    ]:
        tape = qml.tape.QuantumScript(ops, measurements, shots=shots)
        tapes, _ = split_non_commuting_measurements(tape)
        assert all(t is not tape for t in tapes)
