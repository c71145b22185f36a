"""The engine's sampling shortcuts give the distributions Aer's per-shot runs give (issue 22, 4-5).

An ideal device samples circuits with terminal measurements from their final probabilities; idle
qubits (measured, never acted on) are drawn from their readout error. Oracles: Qiskit's
``Statevector`` for ideal distributions, Aer with the full noise model for noisy ones, the
device's calibration for idle qubits. Every check is statistical with a fixed seed and a stated
bound.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from qiskit import QuantumCircuit, qasm3
from qiskit.quantum_info import Statevector
from scipy.stats import chi2_contingency, chisquare

from oqtopus_bridge import OqtopusDeviceBackend

SHOTS = 20_000
NO_TRANSPILE = {"transpiler_lib": None}


def _program(width: int) -> QuantumCircuit:
    """A 4-qubit entangled state measured out of order into 5 bits (bit 3 is never measured)."""
    circuit = QuantumCircuit(width, 5)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.ry(0.7, 2)
    circuit.cx(2, 3)
    circuit.rx(1.1, 3)
    circuit.measure([0, 1, 2, 3], [4, 0, 2, 1])
    return circuit


def _exact(circuit: QuantumCircuit) -> dict[str, float]:
    """Exact wire-format probabilities (classical bit 0 rightmost) from Qiskit's Statevector."""
    mapping = {
        circuit.find_bit(i.clbits[0]).index: circuit.find_bit(i.qubits[0]).index
        for i in circuit.data
        if i.operation.name == "measure"
    }
    state = Statevector(circuit.remove_final_measurements(inplace=False))
    exact: dict[str, float] = {}
    for index, p in enumerate(state.probabilities()):
        if p < 1e-12:
            continue
        bits = ["0"] * circuit.num_clbits
        for clbit, qubit in mapping.items():
            bits[circuit.num_clbits - 1 - clbit] = str((index >> qubit) & 1)
        key = "".join(bits)
        exact[key] = exact.get(key, 0.0) + p
    return exact


def _counts(backend: Any, circuit: QuantumCircuit, device: str, seed: int, **kw: Any) -> dict:
    job = backend.sample_qasm(
        qasm3.dumps(circuit), device, SHOTS, simulator_info={"seed_simulation": seed}, **kw
    )
    return dict(job.result(timeout=120).raw_counts)


def _chi_square_p(counts: dict[str, int], exact: dict[str, float]) -> float:
    assert set(counts) <= set(exact), f"impossible outcomes {set(counts) - set(exact)}"
    keys = sorted(exact)
    observed = [counts.get(k, 0) for k in keys]
    return float(chisquare(observed, [exact[k] * sum(observed) for k in keys]).pvalue)


@pytest.mark.parametrize("width", [4, 16])
def test_ideal_sampling_matches_the_exact_distribution(sampling_backend: Any, width: int) -> None:
    """Bound: chi-square p-value above 1e-4 (a correct sampler fails it 1 time in 10,000)."""
    circuit = _program(width)  # width 16: 12 measured-free qubits of the 16-qubit device
    counts = _counts(sampling_backend, circuit, "qulacs", seed=11)
    assert sum(counts.values()) == SHOTS
    assert all(len(key) == 5 for key in counts)
    assert _chi_square_p(counts, _exact(circuit)) > 1e-4


def test_seeded_ideal_jobs_are_reproducible(sampling_backend: Any) -> None:
    circuit = _program(4)
    first = _counts(sampling_backend, circuit, "qulacs", seed=5)
    assert _counts(sampling_backend, circuit, "qulacs", seed=5) == first
    assert _counts(sampling_backend, circuit, "qulacs", seed=6) != first


def test_mid_circuit_measurement_is_sampled_shot_by_shot(sampling_backend: Any) -> None:
    """h, measure, h, measure: both bits uniform and independent (the final state alone says 00)."""
    circuit = QuantumCircuit(1, 2)
    circuit.h(0)
    circuit.measure(0, 0)
    circuit.h(0)
    circuit.measure(0, 1)
    counts = _counts(sampling_backend, circuit, "qulacs", seed=3)
    uniform = {key: 0.25 for key in ("00", "01", "10", "11")}
    assert _chi_square_p(counts, uniform) > 1e-4


def test_reset_is_sampled_shot_by_shot(sampling_backend: Any) -> None:
    """x, measure, reset, h, measure: bit 0 always 1, bit 1 uniform."""
    circuit = QuantumCircuit(1, 2)
    circuit.x(0)
    circuit.measure(0, 0)
    circuit.reset(0)
    circuit.h(0)
    circuit.measure(0, 1)
    counts = _counts(sampling_backend, circuit, "qulacs", seed=4)
    assert _chi_square_p(counts, {"01": 0.5, "11": 0.5}) > 1e-4


def _device(oqtopus_config: Any, device_id: str) -> Any:
    """The server's device as the engine's ``Device`` (for building the oracle's noise model)."""
    from oqtopus_bridge.local.devices import Device

    device = OqtopusDeviceBackend(oqtopus_config).get_device(device_id)
    return Device(
        device_id=device_id,
        device_type=device.device_type,
        status=device.status,
        description="",
        basis_gates=list(device.basis_gates),
        supported_instructions=list(device.supported_instructions),
        noisy=True,
        device_info=device.device_info,
    )


def test_idle_qubits_show_their_readout_error(sampling_backend: Any, oqtopus_config: Any) -> None:
    """A 2-qubit program measuring all 16 qubits of anemone, run as written.

    Each idle qubit reads 1 with its ``prob_meas1_prep0``: bound 5 binomial standard deviations.
    The two active bits follow Aer's noisy simulation of the 2-qubit circuit alone with the
    device's noise model: two-sample chi-square p-value above 1e-4.
    """
    from qiskit_aer import AerSimulator

    from oqtopus_bridge.local.engine.simulate import noise_model

    device = _device(oqtopus_config, "anemone")
    circuit = QuantumCircuit(16, 16)
    circuit.sx(0)
    circuit.cx(0, 1)
    circuit.measure(range(16), range(16))
    counts = _counts(sampling_backend, circuit, "anemone", seed=7, transpiler_info=NO_TRANSPILE)
    assert sum(counts.values()) == SHOTS
    assert all(len(key) == 16 for key in counts)
    for qubit in range(2, 16):
        p1 = device.device_info["qubits"][qubit]["meas_error"]["prob_meas1_prep0"]
        ones = sum(v for k, v in counts.items() if k[15 - qubit] == "1")
        assert abs(ones - p1 * SHOTS) <= 5 * math.sqrt(SHOTS * p1 * (1 - p1)) + 1, qubit
    active = QuantumCircuit(2, 2)
    active.sx(0)
    active.cx(0, 1)
    active.measure([0, 1], [0, 1])
    oracle = AerSimulator(noise_model=noise_model(device), seed_simulator=8)
    expected = oracle.run(active, shots=SHOTS).result().get_counts()
    ours = {k: sum(v for key, v in counts.items() if key[-2:] == k) for k in expected}
    table = np.array([[ours[k] for k in sorted(expected)], [expected[k] for k in sorted(expected)]])
    assert chi2_contingency(table).pvalue > 1e-4


def test_idle_qubits_of_an_ideal_device_read_zero(sampling_backend: Any) -> None:
    """On the ideal device the idle bits of a 16-qubit measure-all are always 0."""
    circuit = QuantumCircuit(16, 16)
    circuit.sx(3)
    circuit.measure(range(16), range(16))
    counts = _counts(sampling_backend, circuit, "qulacs", seed=9, transpiler_info=NO_TRANSPILE)
    assert set(counts) == {"0" * 16, "0" * 12 + "1000"}
