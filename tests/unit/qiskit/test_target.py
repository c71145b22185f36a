"""Target construction from OQTOPUS device_info calibration, basis gates, or an ideal simulator."""

from __future__ import annotations

import json

import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.transpiler import Target

from oqtopus_bridge.qiskit.target import build_target, parse_calibration

CALIBRATION = {
    "name": "anemone",
    "device_id": "anemone",
    "qubits": [
        {
            "id": 0,
            "physical_id": 0,
            "fidelity": 0.9994,
            "meas_error": {"prob_meas1_prep0": 0.02, "prob_meas0_prep1": 0.04},
            "qubit_lifetime": {"t1": 26.46, "t2": 35.89},
            "gate_duration": {"rz": 0, "sx": 16, "x": 24},
        },
        {"id": 1, "physical_id": 1, "fidelity": 0.999},  # partial data: the rest stays unknown
        {"id": 2, "physical_id": 2},
    ],
    "couplings": [
        {"control": 0, "target": 1, "fidelity": 0.96, "gate_duration": {"rzx90": 272}},
        {"control": 1, "target": 2, "fidelity": 0.97, "gate_duration": {"cx": 200}},
    ],
}


def _qpu(device_info=CALIBRATION, **kwargs) -> Target:
    return build_target(
        num_qubits=kwargs.pop("num_qubits", 3),
        basis_gates=["x", "sx", "rz", "cx"],
        supported_instructions=["measure", "barrier", "delay"],
        device_info=device_info,
        **kwargs,
    )


def test_calibrated_target_maps_fidelities_durations_and_lifetimes() -> None:
    target = _qpu()
    assert target["x"][(0,)].error == pytest.approx(1 - 0.9994)
    assert target["sx"][(0,)].duration == pytest.approx(16e-9)
    assert target["rz"][(0,)].duration == 0.0
    assert target["measure"][(0,)].error == pytest.approx(0.03)
    assert target.qubit_properties[0].t1 == pytest.approx(26.46e-6)
    assert target.qubit_properties[0].t2 == pytest.approx(35.89e-6)
    assert target["x"][(1,)].error == pytest.approx(0.001)
    assert target["x"][(2,)].error is None and target.qubit_properties[2].t1 is None


def test_couplings_are_directed_cx_with_rzx90_or_cx_durations() -> None:
    target = _qpu()
    assert set(target["cx"]) == {(0, 1), (1, 2)}
    assert target["cx"][(0, 1)].duration == pytest.approx(272e-9)
    assert target["cx"][(1, 2)].duration == pytest.approx(200e-9)
    assert target["cx"][(0, 1)].error == pytest.approx(0.04)
    assert "delay" in target.operation_names


def test_transpile_against_a_calibrated_target_respects_direction() -> None:
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(2, 1)
    isa = transpile(qc, target=_qpu(), seed_transpiler=5)
    assert set(isa.count_ops()) <= {"x", "sx", "rz", "cx"}
    for inst in isa.data:
        if inst.operation.name == "cx":
            assert tuple(isa.find_bit(q).index for q in inst.qubits) in {(0, 1), (1, 2)}


def test_calibration_as_json_string_and_missing_calibration() -> None:
    assert parse_calibration(json.dumps(CALIBRATION))["device_id"] == "anemone"
    assert parse_calibration(None) is None
    assert parse_calibration("not json") is None
    assert parse_calibration({"n_nodes": 4}) is None


def test_uncalibrated_qpu_falls_back_to_basis_gates_on_all_qubits() -> None:
    target = _qpu(device_info=None, num_qubits=5)
    assert target.num_qubits == 5
    assert {"x", "sx", "rz", "cx", "measure"} <= set(target.operation_names)
    assert "h" not in target.operation_names
    assert target.build_coupling_map() is None  # all-to-all


def test_simulator_gets_an_ideal_all_to_all_target_with_a_broad_basis() -> None:
    target = build_target(
        num_qubits=None, basis_gates=["x", "sx", "rz", "cx"], device_type="simulator",
        device_info=CALIBRATION,
    )  # fmt: skip
    assert target.num_qubits == 3
    assert {"h", "ccx", "cz", "rzz", "measure"} <= set(target.operation_names)
    assert target.build_coupling_map() is None
    qc = QuantumCircuit(3)
    qc.ccx(0, 1, 2)
    assert transpile(qc, target=target).count_ops() == {"ccx": 1}
