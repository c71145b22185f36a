"""multi_manual: combine programs side by side and divide the counts, as the real combiner does."""

from __future__ import annotations

from qiskit import QuantumCircuit

from ..errors import JobFailure


def combine(circuits: list[QuantumCircuit], max_qubits: int) -> tuple[QuantumCircuit, list[int]]:
    """Place circuit k on the qubits and clbits after those of circuits 0..k-1.

    Program 0 therefore owns the lowest clbits, i.e. the rightmost characters of the combined key.

    Returns:
        The combined circuit and the clbit width of each program.

    Raises:
        JobFailure: ``failed to combine programs: invalid qubit size`` when the programs do not
            fit on the device.
    """
    total_qubits = sum(c.num_qubits for c in circuits)
    if total_qubits > max_qubits or not circuits:
        raise JobFailure("failed to combine programs: invalid qubit size")
    widths = [c.num_clbits for c in circuits]
    combined = QuantumCircuit(total_qubits, sum(widths))
    q_offset = c_offset = 0
    for circuit in circuits:
        combined.compose(
            circuit,
            qubits=list(range(q_offset, q_offset + circuit.num_qubits)),
            clbits=list(range(c_offset, c_offset + circuit.num_clbits)),
            inplace=True,
        )
        q_offset += circuit.num_qubits
        c_offset += circuit.num_clbits
    return combined, widths


def divide(counts: dict[str, int], widths: list[int]) -> dict[str, dict[str, int]]:
    """Split combined counts per program: ``{"0": {...}, "1": {...}}``, program 0 rightmost."""
    divided: dict[str, dict[str, int]] = {str(i): {} for i in range(len(widths))}
    for key, value in counts.items():
        end = len(key)
        for index, width in enumerate(widths):
            part = key[end - width : end]
            end -= width
            bucket = divided[str(index)]
            bucket[part] = bucket.get(part, 0) + value
    return divided
