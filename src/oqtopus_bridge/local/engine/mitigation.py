"""Readout-error mitigation (``ro_error_mitigation: pseudo_inverse``) from calibrated meas_error."""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from ..devices import Device
from ..errors import JobFailure


def measured_qubits(circuit: QuantumCircuit) -> dict[int, int]:
    """Return ``{clbit index: physical qubit}`` of the measurements of a device-level circuit."""
    mapping: dict[int, int] = {}
    for inst in circuit.data:
        if inst.operation.name == "measure":
            clbit = circuit.find_bit(inst.clbits[0]).index
            mapping[clbit] = circuit.find_bit(inst.qubits[0]).index
    return mapping


def _inverse_assignment(qubit: dict[str, Any]) -> Any:
    meas = qubit.get("meas_error") or {}
    p10 = float(meas.get("prob_meas1_prep0", 0.0))
    p01 = float(meas.get("prob_meas0_prep1", 0.0))
    # Column j = prepared state j; row i = measured i.
    assignment = np.array([[1 - p10, p01], [p10, 1 - p01]])
    return np.linalg.pinv(assignment)


def mitigate(counts: dict[str, int], circuit: QuantumCircuit, device: Device) -> dict[str, int]:
    """Apply the tensored pseudo-inverse of the per-qubit assignment matrices to ``counts``.

    Returns integer counts (rounded, negatives clipped) with the same key format.
    """
    width = circuit.num_clbits
    if width > 20:
        raise JobFailure("readout mitigation supports at most 20 classical bits")
    shots = sum(counts.values())
    probs = np.zeros(2**width)
    for key, value in counts.items():
        probs[int(key, 2)] = value / shots
    tensor = probs.reshape([2] * width) if width else probs
    qubits = device.device_info.get("qubits", [])
    for clbit, physical in measured_qubits(circuit).items():
        axis = width - 1 - clbit  # the key's leftmost character is the highest clbit
        inverse = _inverse_assignment(qubits[physical])
        tensor = np.moveaxis(np.tensordot(inverse, tensor, axes=([1], [axis])), 0, axis)
    flat = np.clip(tensor.reshape(-1), 0.0, None)
    total = flat.sum()
    if total > 0:
        flat = flat / total
    result = {}
    for index in np.nonzero(flat)[0]:
        value = int(round(flat[index] * shots))
        if value:
            result[format(int(index), f"0{width}b")] = value
    return result
