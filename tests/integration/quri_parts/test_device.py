"""An OQTOPUS device as QURI Parts' DeviceProperty, qubit graph and NoiseModel (issue 22)."""

from __future__ import annotations

from typing import Any

import pytest
from quri_parts.backend.units import TimeUnit
from quri_parts.circuit import CNOT, QuantumCircuit, SqrtX
from quri_parts.qulacs.sampler import (
    create_qulacs_density_matrix_sampler,
    create_qulacs_vector_sampler,
)

from oqtopus_bridge import OqtopusDeviceBackend
from oqtopus_bridge.folding import RUN_AS_WRITTEN
from oqtopus_bridge.quri_parts import OqtopusQuriBackend
from oqtopus_bridge.quri_parts.device import (
    create_oqtopus_device_property,
    create_oqtopus_noise_model,
    create_oqtopus_qubit_graph,
)

SHOTS = 20_000


@pytest.fixture(scope="module")
def anemone(local_server: Any) -> Any:
    return OqtopusDeviceBackend(local_server.config).get_device("anemone")


def test_device_property_holds_the_calibration(anemone: Any) -> None:
    prop = create_oqtopus_device_property(anemone)
    info = anemone.device_info
    assert prop.qubit_count == len(info["qubits"]) == 16
    assert prop.name == "anemone" and prop.provider == "OQTOPUS"
    assert set(prop.native_gates) == {"X", "SqrtX", "RZ", "CNOT"}
    pairs = {frozenset((c["control"], c["target"])) for c in info["couplings"]}
    assert {frozenset(edge) for edge in prop.qubit_graph.edges} == pairs
    assert prop.qubit_graph.number_of_edges() == 24  # the 4x4 grid
    qubit = info["qubits"][5]
    five = prop.qubit_properties[5]
    assert five.prob_meas1_on_state0 == qubit["meas_error"]["prob_meas1_prep0"]
    assert five.prob_meas0_on_state1 == qubit["meas_error"]["prob_meas0_prep1"]
    assert five.T1 is not None and five.T1.value == qubit["qubit_lifetime"]["t1"]
    assert five.T1.unit == TimeUnit.MICROSECOND
    coupling = info["couplings"][0]
    cx = prop.gate_property(CNOT(coupling["control"], coupling["target"]))
    assert cx.gate_error == pytest.approx(1 - coupling["fidelity"])
    assert cx.gate_time is not None and cx.gate_time.value == coupling["gate_duration"]["cx"]
    sx = prop.gate_property(SqrtX(5))
    assert sx.gate_error == pytest.approx(1 - qubit["fidelity"])
    assert prop.noise_model is not None


def test_qubit_graph_of_an_ideal_device(local_server: Any) -> None:
    qulacs = OqtopusDeviceBackend(local_server.config).get_device("qulacs")
    graph = create_oqtopus_qubit_graph(qulacs)
    assert graph.number_of_nodes() == 16 and graph.number_of_edges() == 16 * 15 // 2


def _tvd(first: Any, second: Any) -> float:
    n1, n2 = sum(first.values()), sum(second.values())
    keys = set(first) | set(second)
    return 0.5 * sum(abs(first.get(k, 0) / n1 - second.get(k, 0) / n2) for k in keys)


def test_noise_model_reproduces_the_device(anemone: Any, oqtopus_config: Any) -> None:
    """QURI Parts' qulacs density-matrix sampler with the model vs the device, run as written.

    Bound: total variation distance at most 0.04 (QURI Parts' measurement noise is one mean
    readout error for all qubits, about 0.01 of it; sampling about 0.01), and under half the
    distance between the ideal distribution and the device (0.11 here).
    """
    circuit = QuantumCircuit(2)
    for _ in range(3):
        circuit.add_SqrtX_gate(0)
        circuit.add_CNOT_gate(0, 1)
        circuit.add_X_gate(1)
        circuit.add_SqrtX_gate(1)
        circuit.add_CNOT_gate(1, 0)
    backend = OqtopusQuriBackend("anemone", oqtopus_config, transpiler_info=RUN_AS_WRITTEN)
    device = backend.sample(circuit, SHOTS).result().counts
    model = create_qulacs_density_matrix_sampler(create_oqtopus_noise_model(anemone))(
        circuit, 10 * SHOTS
    )
    ideal = create_qulacs_vector_sampler()(circuit, 10 * SHOTS)
    assert _tvd(model, device) <= 0.04
    assert _tvd(model, device) < _tvd(ideal, device) / 2


def test_a_device_without_calibration_is_refused() -> None:
    with pytest.raises(ValueError, match="no calibration"):
        create_oqtopus_noise_model({})
