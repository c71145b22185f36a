"""Composite instructions become the standard gates they are made of, before export (issue 22).

Qiskit's OpenQASM 3 exporter cannot write a non-unitary ``Instruction`` (a sub-circuit added with
``append(QuantumCircuit)``, a library block such as ``real_amplitudes``, ``initialize``), and it
writes other composite gates (``UnitaryGate``, ``PauliEvolutionGate``, custom and controlled
gates) as ``gate`` definitions of its own. Every such operation is unrolled here into the gates of
``stdgates.inc`` (plus OpenQASM 3's built-in ``U``) and the non-gate instructions OQTOPUS runs
(``measure``, ``reset``, ``barrier``, ``delay``). The unrolling is exact (it preserves the unitary,
and assumes nothing about the qubits' state) and touches nothing else: the circuit's own standard
gates, measurements, classical bits and their order stay as written, and nothing is optimised.
"""

from __future__ import annotations

import functools

from qiskit import QuantumCircuit, qasm3
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.transpiler import PassManager, TranspilerError
from qiskit.transpiler.passes import HighLevelSynthesis

from oqtopus_bridge.qiskit.exceptions import OqtopusCircuitError

__all__ = ["EXPORT_BASIS", "flatten_composites"]

_NON_GATES = frozenset({"measure", "reset", "barrier", "delay"})
EXPORT_BASIS = frozenset(gate.name for gate in qasm3.STDGATES_INC_GATES) | {"u"} | _NON_GATES
"""What a composite instruction is unrolled into: ``stdgates.inc``, ``U``, and the non-gates."""

_STANDARD = frozenset(get_standard_gate_name_mapping()) | _NON_GATES


def flatten_composites(circuit: QuantumCircuit) -> QuantumCircuit:
    """Return ``circuit`` with every non-standard operation unrolled into `EXPORT_BASIS`.

    A circuit of standard operations only is returned as is (the same object). Operations are
    recognised by name, as Qiskit's exporter and ``count_ops`` do.

    Example:
        A circuit holding ``real_amplitudes(2, reps=1)`` (bound) comes back with the block's
        ``ry`` and ``cx`` gates in its place; its measurements are unchanged.

    Raises:
        OqtopusCircuitError: If an operation has no definition to unroll (an opaque gate).
    """
    names = set(circuit.count_ops())
    composite = names - _STANDARD
    if not composite:
        return circuit
    # The circuit's own standard gates (rzz, ecr, ...) are kept as written; only the insides of
    # composite operations are brought down to stdgates.inc.
    basis = tuple(sorted(EXPORT_BASIS | (names & _STANDARD)))
    try:
        flat = PassManager([_unroller(basis)]).run(circuit)
    except TranspilerError as exc:
        raise OqtopusCircuitError(
            f"circuit {circuit.name!r} holds {', '.join(sorted(composite))}, which cannot be "
            f"unrolled into standard gates ({exc}); give each such gate a definition "
            "(gate.definition = a QuantumCircuit of standard gates) or replace it"
        ) from exc
    flat.name = circuit.name
    return flat


@functools.lru_cache(maxsize=32)
def _unroller(basis: tuple[str, ...]) -> HighLevelSynthesis:
    """The unrolling pass for ``basis``, built once (issue 23).

    Building a ``HighLevelSynthesis`` loads every synthesis plugin (0.6 ms), which was paid for
    each bound circuit of a PUB. The pass keeps only its configuration between runs, so one
    instance serves every circuit, from any thread.
    """
    return HighLevelSynthesis(basis_gates=list(basis), qubits_initially_zero=False)
