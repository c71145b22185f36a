"""Estimation jobs: expectation values of Pauli operators by sampling qubit-wise commuting groups.

``exp_value = sum_k c_k <P_k>`` and ``stds = sum_k |c_k| sqrt(Var P_k) / sqrt(shots)``, the real
engine's formulas (``shared/reference/quri-parts-oqtopus.md`` section 5.3).
"""

from __future__ import annotations

import math
import re
from typing import Any

from qiskit import ClassicalRegister, QuantumCircuit

from ..devices import Device
from ..errors import JobFailure
from .simulate import run_counts

_TERM = re.compile(r"([IXYZ])(\d+)")
Term = tuple[dict[int, str], float]


def parse_pauli(label: str) -> dict[int, str]:
    """Parse ``"X0 Z2"``, ``"X 0 Z 2"``, ``"X0Z2"`` or ``"I"`` into ``{qubit: letter}``."""
    compact = re.sub(r"\s+", "", label)
    if compact in ("", "I"):
        return {}
    if _TERM.sub("", compact):
        raise JobFailure(f"invalid pauli string {label!r}: use e.g. 'X0 Z2' or 'I'")
    ops: dict[int, str] = {}
    for letter, index in _TERM.findall(compact):
        qubit = int(index)
        if qubit in ops:
            raise JobFailure(f"invalid pauli string {label!r}: qubit {qubit} appears twice")
        if letter != "I":
            ops[qubit] = letter
    return ops


def parse_operator(items: Any, num_qubits: int) -> list[Term]:
    """Validate ``[{"pauli": str, "coeff": float}]`` against the program's qubit count."""
    if not isinstance(items, list) or not items:
        raise JobFailure("an estimation job needs a non-empty 'operator' list")
    terms: list[Term] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("pauli"), str):
            raise JobFailure("each operator term must be {'pauli': str, 'coeff': number}")
        coeff = item.get("coeff", 1.0)
        if coeff is None:
            coeff = 1.0
        if not isinstance(coeff, (int, float)) or isinstance(coeff, bool):
            raise JobFailure(f"coefficient of {item['pauli']!r} must be a real number")
        ops = parse_pauli(item["pauli"])
        if any(q >= num_qubits for q in ops):
            raise JobFailure(
                f"pauli {item['pauli']!r} acts on a qubit the {num_qubits}-qubit program lacks"
            )
        terms.append((ops, float(coeff)))
    return terms


def group_terms(terms: list[Term]) -> list[dict[int, str]]:
    """Greedily group qubit-wise commuting terms; return each group's measurement basis."""
    bases: list[dict[int, str]] = []
    for ops, _ in terms:
        if not ops:
            continue
        for basis in bases:
            if all(basis.get(q, p) == p for q, p in ops.items()):
                basis.update(ops)
                break
        else:
            bases.append(dict(ops))
    return bases


def measurement_circuit(
    base: QuantumCircuit, basis: dict[int, str], layout: list[int]
) -> QuantumCircuit:
    """Append native-gate basis rotations and measurements on the physical qubits of ``basis``."""
    qubits = sorted(basis)
    circuit = base.copy()
    register = ClassicalRegister(len(qubits), "oqtopus_estimation")
    circuit.add_register(register)
    for slot, virtual in enumerate(qubits):
        physical = layout[virtual]
        if basis[virtual] == "Y":
            circuit.rz(-math.pi / 2, physical)  # S^dagger, then H: Y eigenbasis -> Z
        if basis[virtual] in ("X", "Y"):
            circuit.rz(math.pi / 2, physical)  # H = RZ(pi/2) SX RZ(pi/2) up to phase
            circuit.sx(physical)
            circuit.rz(math.pi / 2, physical)
        circuit.measure(physical, register[slot])
    return circuit


def _parity_mean(counts: dict[str, int], slots: list[int]) -> float:
    shots = sum(counts.values())
    total = 0
    for key, value in counts.items():
        bits = key[::-1]  # bits[i] = clbit i (the wire key has clbit 0 rightmost)
        odd = sum(bits[slot] == "1" for slot in slots) % 2
        total += -value if odd else value
    return total / shots


def estimate(
    base: QuantumCircuit,
    layout: list[int],
    terms: list[Term],
    device: Device,
    shots: int,
    seed: int | None,
) -> dict[str, float]:
    """Return ``{"exp_value", "stds"}`` of ``terms`` on the state ``base`` prepares."""
    bases = group_terms(terms)
    circuits = [measurement_circuit(base, basis, layout) for basis in bases]
    offset = base.num_clbits
    all_counts = run_counts(circuits, device, shots, seed) if circuits else []
    exp_value = stds = 0.0
    for ops, coeff in terms:
        if not ops:
            exp_value += coeff
            continue
        index = next(i for i, b in enumerate(bases) if all(b.get(q) == p for q, p in ops.items()))
        order = sorted(bases[index])
        mean = _parity_mean(all_counts[index], [offset + order.index(q) for q in ops])
        exp_value += coeff * mean
        stds += abs(coeff) * math.sqrt(max(0.0, 1.0 - mean * mean)) / math.sqrt(shots)
    return {"exp_value": exp_value, "stds": stds}
