"""Run circuits on qiskit-aer, ideal or with a noise model derived from the device calibration.

Counts keys are bitstrings over all classical bits with classical bit 0 rightmost (Aer's order,
which is the wire order), register separators removed, zero counts absent. Aer's qubit truncation
(``enable_truncation``, on by default) simulates only the qubits the circuit uses.
"""

from __future__ import annotations

from typing import Any

from qiskit import QuantumCircuit
from qiskit_aer import AerSimulator
from qiskit_aer.noise import (
    NoiseModel,
    QuantumError,
    ReadoutError,
    depolarizing_error,
    thermal_relaxation_error,
)

from ..devices import Device
from ..errors import JobFailure


def _thermal(qubit: dict[str, Any], duration_ns: float) -> QuantumError | None:
    lifetime = qubit.get("qubit_lifetime") or {}
    if duration_ns <= 0 or "t1" not in lifetime or "t2" not in lifetime:
        return None
    t1 = float(lifetime["t1"]) * 1000.0  # calibration is in microseconds; durations in ns
    t2 = min(float(lifetime["t2"]) * 1000.0, 2 * t1)  # physical bound T2 <= 2 T1
    return thermal_relaxation_error(t1, t2, duration_ns)


def _one_qubit_error(qubit: dict[str, Any], gate: str) -> QuantumError | None:
    duration = float((qubit.get("gate_duration") or {}).get(gate, 0) or 0)
    fidelity = qubit.get("fidelity")
    error: QuantumError | None = None
    if gate != "rz" and fidelity is not None and float(fidelity) < 1.0:
        # Depolarizing parameter whose average gate infidelity is 1 - fidelity (d = 2).
        error = depolarizing_error(min(1.0, 2.0 * (1.0 - float(fidelity))), 1)
    thermal = _thermal(qubit, duration)
    if thermal is not None:
        error = thermal if error is None else error.compose(thermal)
    return error


def _two_qubit_error(
    coupling: dict[str, Any], control: dict[str, Any], target: dict[str, Any]
) -> QuantumError | None:
    durations = coupling.get("gate_duration") or {}
    duration = float(durations.get("cx", durations.get("rzx90", 0)) or 0)
    fidelity = coupling.get("fidelity")
    error: QuantumError | None = None
    if fidelity is not None and float(fidelity) < 1.0:
        error = depolarizing_error(min(16 / 15, 4.0 / 3.0 * (1.0 - float(fidelity))), 2)
    thermal_c, thermal_t = _thermal(control, duration), _thermal(target, duration)
    if thermal_c is not None and thermal_t is not None:
        pair = thermal_t.tensor(thermal_c)  # qargs (control, target): control is qubit 0
        error = pair if error is None else error.compose(pair)
    return error


def noise_model(device: Device) -> NoiseModel:
    """Return the Aer noise model of a device: depolarizing + thermal relaxation + readout."""
    qubits = device.device_info.get("qubits", [])
    model = NoiseModel(basis_gates=list(device.basis_gates))
    for index, qubit in enumerate(qubits):
        for gate in device.basis_gates:
            if gate == "cx":
                continue
            error = _one_qubit_error(qubit, gate)
            if error is not None:
                model.add_quantum_error(error, gate, [index])
        meas = qubit.get("meas_error") or {}
        p10 = float(meas.get("prob_meas1_prep0", 0.0))
        p01 = float(meas.get("prob_meas0_prep1", 0.0))
        if p10 or p01:
            model.add_readout_error(ReadoutError([[1 - p10, p10], [p01, 1 - p01]]), [index])
    if "cx" in device.basis_gates:
        for coupling in device.device_info.get("couplings", []):
            control, target = int(coupling["control"]), int(coupling["target"])
            error = _two_qubit_error(coupling, qubits[control], qubits[target])
            if error is not None:
                model.add_quantum_error(error, "cx", [control, target])
    return model


def simulator(device: Device, seed: int | None) -> AerSimulator:
    """Return an AerSimulator for ``device`` (noisy when the catalog says so)."""
    options: dict[str, Any] = {}
    if seed is not None:
        options["seed_simulator"] = seed
    if device.noisy:
        options["noise_model"] = noise_model(device)
    return AerSimulator(**options)


def seed_of(simulator_info: dict[str, Any] | None) -> int | None:
    """Return ``simulator_info.seed_simulation`` if it is an integer."""
    value = (simulator_info or {}).get("seed_simulation")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def run_counts(
    circuits: list[QuantumCircuit], device: Device, shots: int, seed: int | None
) -> list[dict[str, int]]:
    """Sample each circuit ``shots`` times; return wire-format counts per circuit."""
    for circuit in circuits:
        if circuit.num_clbits == 0:
            raise JobFailure("the program measures nothing: add measurements to sample it")
    try:
        result = simulator(device, seed).run(circuits, shots=shots).result()
    except Exception as exc:  # Aer reports invalid circuits with several exception types
        raise JobFailure(f"simulation failed: {exc}") from exc
    counts = []
    for index, circuit in enumerate(circuits):
        if not _measures(circuit):
            # Declared but never measured: the device gateway reports unmeasured clbits as 0.
            counts.append({"0" * circuit.num_clbits: shots})
            continue
        raw = result.get_counts(index)
        merged: dict[str, int] = {}
        for key, value in raw.items():
            bits = key.replace(" ", "")
            if value:
                merged[bits] = merged.get(bits, 0) + int(value)
        counts.append(merged)
    return counts


def _measures(circuit: QuantumCircuit) -> bool:
    """Whether the circuit has at least one measurement (Aer reports no counts otherwise)."""
    return any(instruction.operation.name == "measure" for instruction in circuit.data)
