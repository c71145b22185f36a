"""Estimation from shared sampling jobs (``job_type="sampling"``), as Qiskit's BackendEstimatorV2.

For each bound circuit of a PUB, the Pauli terms of all the observables it is paired with are
grouped into qubit-wise commuting measurement bases; each basis is one OQTOPUS sampling job (the
circuit, a rotation into the basis, a measurement of the qubits the basis touches). A term's
expectation value is the mean parity of its qubits' outcomes, with variance ``1 - <P>**2``; an
observable's value is ``sum c <P>`` and its standard error ``sum |c| sqrt(Var P) / sqrt(shots)``
(BackendEstimatorV2's formula, which is also the service's). 3 observables on 4 parameter sets
that share one basis are 4 jobs instead of 12 (issue 24).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit
from qiskit.primitives import DataBin, PrimitiveResult, PubResult
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.quantum_info import Operator
from qiskit.synthesis import OneQubitEulerDecomposer

from oqtopus_bridge import bits
from oqtopus_bridge.qiskit._convert import circuit_to_program, observable_to_operator
from oqtopus_bridge.qiskit._record import pub_records, pubs_from_record
from oqtopus_bridge.qiskit._results import full_width_counts

__all__ = ["SampledPlan", "measurement_bases"]

Pauli = tuple[tuple[int, str], ...]
"""A Pauli word as sorted ``(qubit, letter)`` pairs without identities; ``()`` is the identity."""

BASIS_REGISTER = "basis"


def measurement_bases(paulis: Sequence[Pauli], grouping: bool) -> list[dict[int, str]]:
    """Measurement bases that cover every non-identity word of ``paulis``.

    With ``grouping``, words are placed greedily (heaviest first) into the first basis they
    agree with on every shared qubit (qubit-wise commuting); without it, each word is its own
    basis. The result is deterministic for a given list.

    Example:
        ``measurement_bases([((0, "Z"),), ((1, "Z"),), ((0, "X"),)], True)`` returns
        ``[{0: "Z", 1: "Z"}, {0: "X"}]``.
    """
    words = sorted({p for p in paulis if p}, key=lambda p: (-len(p), p))
    bases: list[dict[int, str]] = []
    for word in words:
        target = None
        if grouping:
            target = next((b for b in bases if all(b.get(q, s) == s for q, s in word)), None)
        if target is None:
            bases.append(dict(word))
        else:
            target.update(word)
    return bases


def _covering(bases: Sequence[dict[int, str]], word: Pauli) -> int:
    return next(i for i, b in enumerate(bases) if all(b.get(q) == s for q, s in word))


def _rotation(letter: str, native: bool) -> QuantumCircuit:
    """The one-qubit circuit that maps ``letter``'s eigenbasis onto Z (``x sx rz`` if native)."""
    rotation = QuantumCircuit(1)
    if letter == "Y":
        rotation.sdg(0)
    if letter in "XY":
        rotation.h(0)
    if native and rotation.data:
        return OneQubitEulerDecomposer("ZSX")(Operator(rotation))
    return rotation


def measured_circuit(circuit: QuantumCircuit, basis: Mapping[int, str], native: bool) -> Any:
    """``circuit`` rotated into ``basis`` and measured into a new register, one bit per qubit."""
    qubits = sorted(basis)
    measured = circuit.copy()  # keeps the layout: an ISA circuit stays physical
    register = ClassicalRegister(len(qubits), BASIS_REGISTER)
    measured.add_register(register)
    for qubit in qubits:
        rotation = _rotation(basis[qubit], native)
        if rotation.data:
            measured.compose(rotation, qubits=[qubit], inplace=True)
    for bit, qubit in enumerate(qubits):
        measured.measure(qubit, register[bit])
    return measured, [measured.find_bit(b).index for b in register]


class SampledPlan:
    """The sampling jobs of a run, and how each PUB element's value is read from them.

    `record` stores the plan with the first job, so a retrieved job translates the same way.

    Args:
        backend: The ``OqtopusBackend`` (for programs and transpiler settings).
        run_options: Resolved backend options of the run.
        grouping: Group qubit-wise commuting terms into one basis (``abelian_grouping``).
    """

    KIND = "sampled-estimator"

    def __init__(self, backend: Any, run_options: Mapping[str, Any], grouping: bool) -> None:
        self._backend = backend
        self._options = run_options
        self._grouping = grouping
        self.unique: list[tuple[str, int, Any]] = []
        self.names: list[str] = []
        self._reads: list[tuple[int, list[int], list[int]]] = []  # width, clbits, qubits per job
        self._index: dict[tuple[str, int, str], int] = {}
        # Per PUB: shape, target precision, shots, circuit metadata, per element its terms
        # (coefficient, word, job that measures it: None for the identity).
        self._pubs: list[tuple[Any, ...]] = []

    def add(self, pub: EstimatorPub, shots: int) -> None:
        """Plan the jobs of one PUB: one per (bound circuit, measurement basis)."""
        circuit = pub.circuit.remove_final_measurements(inplace=False)
        values = pub.parameter_values
        shape = pub.shape
        locs = np.broadcast_to(np.arange(max(values.size, 1)).reshape(values.shape), shape)
        terms = np.empty(pub.observables.shape, dtype=object)
        for loc in np.ndindex(*pub.observables.shape):
            terms[loc] = [
                (coeff, tuple(sorted(bits.parse_service_pauli(label).items())))
                for label, coeff in observable_to_operator(pub.observables[loc])
            ]
        terms = np.broadcast_to(terms, shape)
        words: dict[int, list[Pauli]] = {}
        for element in np.ndindex(*shape):
            words.setdefault(int(locs[element]), []).extend(p for _, p in terms[element])
        jobs = {loc: self._jobs(circuit, values, loc, ws, shots) for loc, ws in words.items()}
        elements = []
        for element in np.ndindex(*shape):
            bases, children = jobs[int(locs[element])]
            elements.append(
                [(c, p, children[_covering(bases, p)] if p else None) for c, p in terms[element]]
            )
        precision = pub.precision if pub.precision is not None else 1 / math.sqrt(shots)
        self._pubs.append((pub.shape, precision, shots, pub.circuit.metadata, elements))

    def _jobs(
        self, circuit: QuantumCircuit, values: Any, loc: int, words: list[Pauli], shots: int
    ) -> tuple[list[dict[int, str]], list[int]]:
        bound = values.bind(circuit, np.unravel_index(loc, values.shape))
        bound.name = circuit.name  # binding renames copies; keep equal programs equal
        native = self._backend.is_native(bound)
        bases = measurement_bases(words, self._grouping)
        children = []
        for basis in bases:
            measured, clbits = measured_circuit(bound, basis, native)
            program = circuit_to_program(measured, self._backend.num_qubits)
            info = self._backend.transpiler_info_for(measured, self._options)
            key = (program, shots, repr(info))
            if key not in self._index:
                self._index[key] = len(self.unique)
                self.unique.append((program, shots, info))
                self.names.append(circuit.name)
                self._reads.append((measured.num_clbits, clbits, sorted(basis)))
            children.append(self._index[key])
        return bases, children

    def translate(self, results: list[Any]) -> PrimitiveResult[PubResult]:
        """Compute every PUB's ``evs`` and ``stds`` from the sampling jobs' counts."""
        marginals = [
            bits.marginal_counts(full_width_counts(result.raw_counts, width), clbits)
            for result, (width, clbits, _) in zip(results, self._reads, strict=True)
        ]
        pub_results = []
        for shape, precision, shots, circuit_metadata, elements in self._pubs:
            evs, stds = np.zeros(len(elements)), np.zeros(len(elements))
            for index, element in enumerate(elements):
                for coeff, word, child in element:
                    if child is None:  # the identity: exactly 1, no variance
                        evs[index] += coeff
                        continue
                    mean, total = self._term_mean(marginals[child], child, word)
                    evs[index] += coeff * mean
                    stds[index] += abs(coeff) * math.sqrt(max(1.0 - mean**2, 0.0) / total)
            data = DataBin(evs=evs.reshape(shape), stds=stds.reshape(shape), shape=shape)
            metadata = {
                "target_precision": precision,
                "shots": shots,
                "circuit_metadata": circuit_metadata,
            }
            pub_results.append(PubResult(data, metadata))
        return PrimitiveResult(pub_results, metadata={"version": 2})

    def record(self) -> dict[str, Any]:
        """The plan as JSON data, for ``retrieve_job`` (see ``_record``)."""
        pubs = [
            (
                shape,
                precision,
                shots,
                metadata,
                [[[c, list(map(list, w)), j] for c, w, j in e] for e in elements],
            )
            for shape, precision, shots, metadata, elements in self._pubs
        ]
        return {
            "kind": self.KIND,
            "jobs": len(self.unique),
            "bases": [[w, c, q] for w, c, q in self._reads],
            "pubs": pub_records(pubs),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> SampledPlan:
        """Rebuild a plan from `record` (no backend: it can only translate)."""
        plan = cls(None, {}, True)
        plan._reads = [(int(w), list(c), list(q)) for w, c, q in record["bases"]]
        for *head, elements in pubs_from_record(record):
            terms = [
                [(float(c), tuple((int(q), str(s)) for q, s in w), j) for c, w, j in element]
                for element in elements
            ]
            plan._pubs.append((*head, terms))
        return plan

    def _term_mean(self, counts: Mapping[str, int], child: int, word: Pauli) -> tuple[float, int]:
        """The mean parity of ``word``'s qubits in one job's basis counts, and the shot total."""
        qubits = self._reads[child][2]
        mask = sum(1 << qubits.index(qubit) for qubit, _ in word)
        total = sum(counts.values())
        odd = sum(n for key, n in counts.items() if (bits.key_to_int(key) & mask).bit_count() % 2)
        return (total - 2 * odd) / max(total, 1), max(total, 1)
