"""Qiskit to OQTOPUS: circuits become self-describing OpenQASM 3 programs, observables Pauli terms.

Every circuit is rebuilt on one ``qubit[n] q`` and one ``bit[m] c`` before ``qasm3.dumps``
(``shared/reference/adapters.md`` §0.2, §2.3): the service's handling of several ``bit``
declarations is unspecified, the exporter renames registers that clash with keywords, and a
transpiled circuit would otherwise be written on ``$n`` physical qubits. The user's register layout
travels in a comment line (`LAYOUT_TAG`), so results can be rebuilt from the stored program
alone (issue 5).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, qasm3
from qiskit.circuit import ControlFlowOp
from qiskit.quantum_info import SparseObservable

from oqtopus_bridge import bits
from oqtopus_bridge.qiskit._export import export_standard
from oqtopus_bridge.qiskit._flatten import flatten_composites
from oqtopus_bridge.qiskit.exceptions import OqtopusCircuitError, OqtopusInputError

__all__ = [
    "LAYOUT_TAG",
    "MAX_EXPANDED_TERMS",
    "CircuitLayout",
    "check_circuit",
    "canonicalize",
    "circuit_to_program",
    "is_physical",
    "layout_from_program",
    "observable_to_operator",
    "representable_metadata",
    "strip_idle_qubits",
]

LAYOUT_TAG = "// oqtopus-bridge: "
"""Prefix of the comment line that records the user's register layout in a program."""

MAX_EXPANDED_TERMS = 4096
"""Largest number of Pauli terms a projector observable may expand to before it is rejected."""


@dataclass(frozen=True)
class CircuitLayout:
    """The facts about a circuit that results need: its name, widths and classical registers.

    Attributes:
        name: The circuit's name.
        num_qubits: Number of qubits of the circuit.
        num_clbits: Number of classical bits (the width of every counts key).
        cregs: ``(register name, circuit clbit indices)`` in the circuit's register order.
        metadata: The circuit's metadata as JSON can hold it (numpy scalars and arrays become
            numbers and lists), without the keys in ``dropped``.
        dropped: Metadata keys whose values JSON cannot hold (they do not travel to the service).
    """

    name: str
    num_qubits: int
    num_clbits: int
    cregs: tuple[tuple[str, tuple[int, ...]], ...]
    metadata: dict[str, Any] = field(default_factory=dict, compare=False)
    dropped: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_circuit(cls, circuit: QuantumCircuit) -> CircuitLayout:
        """Read the layout of ``circuit``."""
        cregs = tuple(
            (reg.name, tuple(circuit.find_bit(bit).index for bit in reg)) for reg in circuit.cregs
        )
        metadata, dropped = representable_metadata(circuit.metadata)
        return cls(
            circuit.name, circuit.num_qubits, circuit.num_clbits, cregs, metadata, tuple(dropped)
        )

    @property
    def creg_sizes(self) -> list[list[Any]]:
        """``[[name, size], ...]`` as Qiskit's result header spells it."""
        return [[name, len(indices)] for name, indices in self.cregs]

    def to_comment(self) -> str:
        """Return the one-line comment that records this layout in a program."""
        return LAYOUT_TAG + json.dumps(self.to_payload(), separators=(",", ":"), ensure_ascii=True)

    def to_payload(self) -> dict[str, Any]:
        """The layout as JSON data (the inverse of `from_comment`)."""
        payload = {
            "v": 1,
            "name": self.name,
            "qubits": self.num_qubits,
            "clbits": self.num_clbits,
            "cregs": [[name, list(indices)] for name, indices in self.cregs],
            "metadata": self.metadata,
        }
        if self.dropped:
            payload["dropped"] = list(self.dropped)
        return payload

    @classmethod
    def from_comment(cls, payload: Mapping[str, Any]) -> CircuitLayout:
        """Rebuild a layout from the decoded JSON of `to_comment`."""
        cregs = tuple((str(name), tuple(int(i) for i in idx)) for name, idx in payload["cregs"])
        return cls(
            str(payload.get("name", "")),
            int(payload["qubits"]),
            int(payload["clbits"]),
            cregs,
            dict(payload.get("metadata") or {}),
            tuple(str(key) for key in payload.get("dropped") or ()),
        )


def representable_metadata(metadata: Mapping[Any, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """Split circuit metadata into what JSON can hold and the keys it cannot (issue 14).

    Numpy scalars become Python numbers, numpy arrays and tuples become lists; a key whose value
    holds anything else (an object, a complex number, a non-finite float, a non-string key) is left
    out and named in the second return value.

    Example:
        ``representable_metadata({"n": np.int64(3), "f": object()})`` returns
        ``({"n": 3}, ["f"])``.
    """
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in (metadata or {}).items():
        try:
            if not isinstance(key, str):
                raise TypeError(key)
            kept[key] = _to_json(value)
        except (TypeError, ValueError):
            dropped.append(str(key))
    return kept, dropped


def _to_json(value: Any) -> Any:
    """``value`` as plain JSON data, or ``TypeError``/``ValueError`` if it cannot be one."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(value)
        return value
    if isinstance(value, (list, tuple)):
        return [_to_json(item) for item in value]
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("non-string key")
        return {k: _to_json(v) for k, v in value.items()}
    raise TypeError(type(value).__name__)


def check_circuit(circuit: QuantumCircuit, max_qubits: int | None = None) -> None:
    """Raise if ``circuit`` cannot run on OQTOPUS as a single static program.

    Args:
        circuit: The circuit to check.
        max_qubits: The device's number of qubits, if known.

    Raises:
        OqtopusCircuitError: For unbound parameters, control flow, classical variables or stretches,
            or a circuit wider than the device. The message says what to do instead.
    """
    label = f"circuit {circuit.name!r}"
    if circuit.num_parameters:
        names = ", ".join(sorted(p.name for p in circuit.parameters)[:5])
        raise OqtopusCircuitError(
            f"{label} has unbound parameters ({names}); bind them with "
            "circuit.assign_parameters(...) or use OqtopusSamplerV2 with parameter values"
        )
    # A standard gate is no control flow: skipped without building its Python object (issue 23).
    control = sorted(
        {
            inst.operation.name
            for inst in circuit.data
            if not inst.is_standard_gate() and isinstance(inst.operation, ControlFlowOp)
        }
    )
    if control:
        raise OqtopusCircuitError(
            f"{label} uses control flow ({', '.join(control)}), which OQTOPUS does not run; "
            "unroll loops and replace mid-circuit conditions with static gates"
        )
    if circuit.num_vars or getattr(circuit, "num_stretches", 0):
        raise OqtopusCircuitError(
            f"{label} declares classical variables or stretches, which OQTOPUS does not support; "
            "remove them and measure into classical registers instead"
        )
    if max_qubits is not None and circuit.num_qubits > max_qubits:
        raise OqtopusCircuitError(
            f"{label} has {circuit.num_qubits} qubits but the device has {max_qubits}; "
            "use a smaller circuit or a larger device"
        )


def is_physical(circuit: QuantumCircuit) -> bool:
    """Whether ``circuit`` was transpiled for a device (its qubits are physical qubits)."""
    return circuit.layout is not None


def canonicalize(circuit: QuantumCircuit) -> QuantumCircuit:
    """Rebuild ``circuit`` on one register ``q`` and one register ``c``, keeping bit indices.

    Qubit ``i`` of ``circuit`` becomes ``q[i]`` (physical qubit ``i`` for a transpiled circuit) and
    classical bit ``j`` becomes ``c[j]``, so counts keys are indexed like ``circuit.clbits``.
    """
    qreg = QuantumRegister(circuit.num_qubits, "q")
    regs: list[Any] = [qreg]
    if circuit.num_clbits:
        regs.append(ClassicalRegister(circuit.num_clbits, "c"))
    new = QuantumCircuit(*regs, name=circuit.name)  # compose() carries the global phase over
    new.compose(
        circuit,
        qubits=range(circuit.num_qubits),
        clbits=range(circuit.num_clbits),
        inplace=True,
        copy=False,
    )
    return new


def circuit_to_program(
    circuit: QuantumCircuit,
    max_qubits: int | None = None,
    *,
    layout: CircuitLayout | None = None,
) -> str:
    """Return the OpenQASM 3 program OQTOPUS runs for ``circuit``, with its layout comment.

    Composite instructions (sub-circuits, library blocks, ``initialize``, ``UnitaryGate``, ...)
    are unrolled into standard gates first (`flatten_composites`); everything else is written as
    it is.

    Args:
        circuit: The circuit to write.
        max_qubits: The device's number of qubits, if known.
        layout: The layout to record (default: the circuit's own); multiprogramming records the
            user's circuit while it sends the circuit without its idle qubits.

    Raises:
        OqtopusCircuitError: If `check_circuit` rejects the circuit, an operation cannot be
            unrolled, or the exporter fails.
    """
    check_circuit(circuit, max_qubits)
    flat = flatten_composites(circuit)
    text = export_standard(flat)  # the same text as below, written directly (issue 23)
    try:
        text = text or qasm3.dumps(canonicalize(flat))
    except Exception as exc:  # the exporter raises several unrelated types
        raise OqtopusCircuitError(
            f"circuit {circuit.name!r} cannot be written as OpenQASM 3 ({exc}); "
            "transpile it to standard gates first"
        ) from exc
    head, _, rest = text.partition("\n")
    layout = layout or CircuitLayout.from_circuit(circuit)
    return f"{head}\n{layout.to_comment()}\n{rest}"


def strip_idle_qubits(circuit: QuantumCircuit) -> QuantumCircuit:
    """Return ``circuit`` on only the qubits it acts on, in their order; clbits unchanged.

    A circuit transpiled for a device spans all its qubits; multiprogramming packs circuits by the
    qubits they use (issue 14). Barriers shrink to the used qubits; delays on idle qubits go.
    """
    busy = sorted(
        {
            circuit.find_bit(qubit).index
            for inst in circuit.data
            if inst.operation.name not in _IDLE_OPERATIONS
            for qubit in inst.qubits
        }
    )
    if len(busy) == circuit.num_qubits:
        return circuit
    busy = busy or [0]  # a circuit acting on nothing still needs one qubit to be a program
    new_index = {old: new for new, old in enumerate(busy)}
    qreg = QuantumRegister(len(busy), "q")
    regs: list[Any] = [qreg]
    if circuit.num_clbits:
        regs.append(ClassicalRegister(circuit.num_clbits, "c"))
    new = QuantumCircuit(*regs, name=circuit.name, global_phase=circuit.global_phase)
    for inst in circuit.data:
        indices = [circuit.find_bit(q).index for q in inst.qubits]
        kept = [new_index[i] for i in indices if i in new_index]
        if len(kept) < len(indices):
            if inst.operation.name != "barrier" or not kept:
                continue  # a delay or barrier on idle qubits only
            new.barrier(*(qreg[i] for i in kept))
            continue
        clbits = [new.clbits[circuit.find_bit(c).index] for c in inst.clbits]
        new.append(inst.operation, [qreg[i] for i in kept], clbits, copy=False)
    return new


_IDLE_OPERATIONS = frozenset({"barrier", "delay"})


def layout_from_program(program: str) -> CircuitLayout | None:
    """Read the layout comment of a program written by `circuit_to_program`, if any."""
    for line in program.splitlines():
        if line.startswith(LAYOUT_TAG):
            try:
                return CircuitLayout.from_comment(json.loads(line[len(LAYOUT_TAG) :]))
            except (ValueError, KeyError, TypeError):
                return None
    return None


def observable_to_operator(
    observable: Mapping[str, complex] | Iterable[tuple[str, complex]],
) -> list[tuple[str, float]]:
    """Convert one Qiskit observable (label -> coefficient) into service Pauli terms.

    Labels follow Qiskit (rightmost character is qubit 0) and may use ``SparseObservable``'s
    projector letters (``0 1 + - r l``), which are expanded into Pauli terms. Equal terms are
    merged and zero terms dropped; the all-identity term is written ``"I"``.

    Example:
        ``observable_to_operator({"XIZ": 0.5})`` returns ``[("Z0 X2", 0.5)]``.

    Raises:
        OqtopusInputError: If a coefficient is complex or the expansion exceeds
            `MAX_EXPANDED_TERMS` terms.
    """
    items = list(observable.items()) if isinstance(observable, Mapping) else list(observable)
    if not items:
        return [("I", 0.0)]
    sparse = SparseObservable.from_list([(label, complex(coeff)) for label, coeff in items])
    _check_expansion(sparse)
    terms: list[tuple[str, float]] = []
    for letters, indices, coeff in sparse.as_paulis().simplify().to_sparse_list():
        if abs(coeff.imag) > 1e-10:
            raise OqtopusInputError(
                f"observable term {letters or 'I'} on qubits {list(indices)} has the complex "
                f"coefficient {coeff}; OQTOPUS estimates Hermitian (real) observables only"
            )
        factors = dict(zip(indices, letters, strict=True))
        terms.append((bits.pauli_to_service(factors), float(coeff.real)))
    return terms or [("I", 0.0)]


def _check_expansion(sparse: SparseObservable) -> None:
    """Reject projector observables whose Pauli expansion would be unreasonably large."""
    pauli_letters = set("XYZ")
    size = 0
    for letters, _, _ in sparse.to_sparse_list():
        size += 2 ** sum(letter not in pauli_letters for letter in letters)
    if size > MAX_EXPANDED_TERMS:
        raise OqtopusInputError(
            f"the observable expands to {size} Pauli terms (limit {MAX_EXPANDED_TERMS}); "
            "write it as a SparsePauliOp with fewer projector factors"
        )
