"""Conversions between PennyLane tapes and OQTOPUS payloads: OpenQASM 3, counts and Pauli sums."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence

import numpy as np
import pennylane as qml
from pennylane.exceptions import DeviceError
from pennylane.measurements import CountsMP
from pennylane.tape import QuantumScript
from pennylane.wires import Wires

from oqtopus_bridge import bits

__all__ = [
    "GATE_MAP",
    "SKIPPED_OPS",
    "counts_to_pennylane",
    "is_supported_gate",
    "measured_wires",
    "pauli_terms",
    "single_word_variance",
    "tape_to_qasm",
    "wire_map_for",
]

# PennyLane operator name -> gate of OpenQASM 3's stdgates.inc. Wire order inside an op equals the
# QASM argument order (controls first); each pair was checked unitary-equal up to global phase
# (shared/reference/adapters.md section 4.3 and tests/unit/pennylane/test_convert.py).
GATE_MAP: dict[str, str] = {
    "Identity": "id",
    "PauliX": "x",
    "PauliY": "y",
    "PauliZ": "z",
    "Hadamard": "h",
    "S": "s",
    "Adjoint(S)": "sdg",
    "T": "t",
    "Adjoint(T)": "tdg",
    "SX": "sx",
    "RX": "rx",
    "RY": "ry",
    "RZ": "rz",
    "PhaseShift": "p",
    "U1": "u1",
    "U2": "u2",
    "U3": "u3",
    "CNOT": "cx",
    "CY": "cy",
    "CZ": "cz",
    "CH": "ch",
    "SWAP": "swap",
    "ControlledPhaseShift": "cp",
    "CRX": "crx",
    "CRY": "cry",
    "CRZ": "crz",
    "Toffoli": "ccx",
    "CSWAP": "cswap",
    "Rot": "u3",
    "CRot": "cu",
}

# Gates whose QASM parameters are not PennyLane's in the same order.
# Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi) = u3(theta, omega, phi) up to global phase;
# CRot needs that phase on the control: cu(theta, omega, phi, -(phi + omega) / 2).
_PARAMETER_ORDER: dict[str, Callable[[list[float]], list[float]]] = {
    "Rot": lambda p: [p[1], p[2], p[0]],
    "CRot": lambda p: [p[1], p[2], p[0], -(p[0] + p[2]) / 2],
}

# Operations that change nothing a measurement can see: a global phase is unobservable and a
# snapshot is a simulator debugging aid. A barrier only orders compilation: kept as QASM barrier.
SKIPPED_OPS = frozenset({"GlobalPhase", "Snapshot"})
_BARRIER = "Barrier"

_HEADER = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'


def is_supported_gate(op: qml.operation.Operator) -> bool:
    """Return True if ``op`` can be written to OpenQASM 3 directly (decomposition stops here)."""
    return op.name in GATE_MAP or op.name in SKIPPED_OPS or op.name == _BARRIER


def wire_map_for(device_wires: Wires | None, tape: QuantumScript) -> dict[Hashable, int]:
    """Return the map from PennyLane wire labels to QASM qubit indices ``q[i]``.

    Device wires keep their declared order; a device without wires uses the tape's wires in order.

    Args:
        device_wires: The device's wires, or None for a device with dynamic wires.
        tape: The tape being converted.

    Returns:
        ``{wire_label: qubit_index}``.
    """
    wires = device_wires if device_wires is not None else tape.wires
    return {wire: index for index, wire in enumerate(wires)}


def _real_param(value: object) -> float:
    """A gate parameter as a real number (written as an exact QASM float literal)."""
    if type(value) is float:  # what most tapes hold: no array round trip (issue 23)
        return value
    number = complex(np.asarray(qml.math.unwrap(value)).item())
    if abs(number.imag) > 1e-12:
        raise DeviceError(f"gate parameter {number} is complex; OpenQASM gate angles must be real")
    return float(number.real)


def _op_line(op: qml.operation.Operator, wire_map: Mapping[Hashable, int]) -> str | None:
    """Return the QASM statement for one supported operation, or None if it is unobservable."""
    qubits = ", ".join([f"q[{wire_map[wire]}]" for wire in op.wires])  # KeyError: not a device wire
    if op.name in SKIPPED_OPS:
        return None
    if op.name == _BARRIER:
        return f"barrier {qubits};" if qubits else None
    gate = GATE_MAP.get(op.name)
    if gate is None:
        raise DeviceError(
            f"operation {op.name} has no OpenQASM 3 equivalent; decompose it before conversion "
            "(the OQTOPUS devices do this in preprocessing)"
        )
    values = [_real_param(p) for p in op.parameters]
    reorder = _PARAMETER_ORDER.get(op.name)
    if reorder is not None:
        values = reorder(values)
    params = ", ".join(repr(float(v)) for v in values)
    return f"{gate}({params}) {qubits};" if params else f"{gate} {qubits};"


def measured_wires(tape: QuantumScript) -> Wires:
    """Return the wires of the tape's single counts measurement, in the order they are read back.

    Raises:
        DeviceError: If the tape does not end in exactly one ``qml.counts`` over explicit wires
            (the form ``measurements_from_counts`` produces in preprocessing).
    """
    mps = tape.measurements
    if len(mps) != 1 or not isinstance(mps[0], CountsMP) or mps[0].obs is not None:
        raise DeviceError(
            "a sampling tape must end in exactly one qml.counts(wires=...) measurement; "
            f"got {mps}. Run the device's preprocessing first."
        )
    return mps[0].wires


def tape_to_qasm(
    tape: QuantumScript,
    wire_map: Mapping[Hashable, int],
    measure: Sequence[Hashable] = (),
) -> str:
    """Write a decomposed tape as an OpenQASM 3 program on one ``q`` and one ``c`` register.

    Args:
        tape: A tape whose operations all satisfy `is_supported_gate` and whose parameters are
            numbers (no broadcasting).
        wire_map: PennyLane wire label -> qubit index; the program declares
            ``qubit[len(wire_map)] q``.
        measure: Wires to measure, in order: wire ``measure[i]`` is measured into ``c[i]``. Empty
            for an estimation program (no ``c`` register).

    Returns:
        The program text.

    Raises:
        DeviceError: If an operation is not supported, or a wire is not in ``wire_map``.
    """
    lines = [_HEADER + f"qubit[{len(wire_map)}] q;"]
    if measure:
        lines.append(f"bit[{len(measure)}] c;")
    # Wires are checked as they are written: ``tape.wires`` rebuilds every controlled operator's
    # wires (issue 23). A missing wire gets the same error as before, naming all of them.
    try:
        body = [_op_line(op, wire_map) for op in tape.operations]
        for wire in (wire for mp in tape.measurements for wire in mp.wires):
            wire_map[wire]  # noqa: B018 - a lookup that raises KeyError for a foreign wire
        reads = [f"c[{i}] = measure q[{wire_map[wire]}];" for i, wire in enumerate(measure)]
    except (KeyError, DeviceError):
        _check_wires(tape, wire_map, measure)
        raise
    lines.extend(line for line in body if line is not None)
    lines.extend(reads)
    return "\n".join(lines) + "\n"


def _check_wires(
    tape: QuantumScript, wire_map: Mapping[Hashable, int], measure: Sequence[Hashable]
) -> None:
    """Raise the error that names every wire of the tape (or ``measure``) the device lacks."""
    missing = [wire for wire in list(tape.wires) + list(measure) if wire not in wire_map]
    if missing:
        raise DeviceError(f"wires {missing} are not among the device wires {list(wire_map)}")


def counts_to_pennylane(counts: Mapping[str, int], width: int) -> dict[str, int]:
    """Convert wire counts (classical bit 0 rightmost) to PennyLane's order (first wire leftmost).

    Since ``c[i]`` holds the ``i``-th measured wire (see `tape_to_qasm`), the result is keyed
    exactly as ``qml.counts(wires=measured)`` keys its outcomes.

    Args:
        counts: Counts as the service returns them.
        width: Number of classical bits of the program; keys that lost leading zeros are padded.

    Returns:
        ``{pennylane_key: count}``.
    """
    padded: Counter[str] = Counter()
    for key, value in counts.items():
        padded[bits.int_to_key(bits.key_to_int(key), width)] += int(value)
    return bits.counts_first_bit_leftmost(padded)


def pauli_terms(
    observable: qml.operation.Operator, wire_map: Mapping[Hashable, int]
) -> list[tuple[str, float]]:
    """Return an observable's Pauli sum as ``(service_label, coeff)`` pairs for an estimation job.

    Args:
        observable: Any observable with a Pauli representation (``observable.pauli_rep``).
        wire_map: PennyLane wire label -> qubit index of the program.

    Returns:
        Pairs such as ``[("X0 Z2", 0.5), ("I", -1.0)]``.

    Raises:
        DeviceError: If the observable is not a Pauli sum or has complex coefficients.
    """
    sentence = observable.pauli_rep
    if sentence is None:
        raise DeviceError(
            f"observable {observable} is not a sum of Pauli words; OQTOPUS estimation jobs take "
            "Pauli sums only (use oqtopus.sampler for other observables)"
        )
    terms: list[tuple[str, float]] = []
    for word, coeff in sentence.items():
        value = complex(qml.math.unwrap(coeff))
        if abs(value.imag) > 1e-12:
            raise DeviceError(
                f"observable {observable} has a complex coefficient {value}; "
                "estimation jobs need a Hermitian operator with real coefficients"
            )
        label = bits.pauli_to_service({wire_map[wire]: letter for wire, letter in word.items()})
        terms.append((label, float(value.real)))
    return terms or [("I", 0.0)]


def single_word_variance(terms: Sequence[tuple[str, float]], exp_value: float) -> float:
    """Return Var(O) for ``O = c P + d I`` from its expectation value, using ``P**2 = I``.

    With ``<O> = c <P> + d``: ``Var(O) = c**2 (1 - <P>**2)``.

    Raises:
        DeviceError: If ``terms`` has more than one non-identity Pauli word (covariances unknown).
    """
    words = [(label, coeff) for label, coeff in terms if label != "I"]
    if not words:
        return 0.0
    if len(words) > 1:
        raise DeviceError(
            "var() on oqtopus.estimator supports a single Pauli word only; "
            "use oqtopus.sampler for the variance of a sum"
        )
    coeff = words[0][1]
    offset = sum(c for label, c in terms if label == "I")
    expectation_p = (exp_value - offset) / coeff if coeff else 0.0
    return coeff**2 * (1.0 - expectation_p**2)
