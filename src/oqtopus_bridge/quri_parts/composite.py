"""What a QURI Parts backend does around the device: shots split over jobs, qubit mapping.

QURI Parts' own backends (``QiskitSamplingBackend``, ``BraketSamplingBackend``) split a shot count
above the device's maximum into several jobs whose counts are summed, round a count below its
minimum up when ``enable_shots_roundup`` is on, and run a circuit on chosen device qubits with
``qubit_mapping`` (``{circuit qubit: device qubit}``), mapping the counts back. The same here.
"""

from __future__ import annotations

import numbers
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from quri_parts.backend import SamplingCounts, SamplingResult
from quri_parts.backend.qubit_mapping import BackendQubitMapping
from quri_parts.circuit import ImmutableQuantumCircuit, QuantumCircuit, QuantumGate, gate_names

from oqtopus_bridge.backends.base import MAX_SHOTS
from oqtopus_bridge.jobs import OqtopusSamplingJob

__all__ = ["OqtopusCompositeSamplingJob", "QubitMapping", "distribute_shots"]


def distribute_shots(
    shots: Any, min_shots: int = 1, max_shots: int = MAX_SHOTS, roundup: bool = True
) -> list[int]:
    """Split ``shots`` into job sizes of at most ``max_shots`` and at least ``min_shots``.

    A remainder (or a total) below ``min_shots`` is rounded up to it when ``roundup`` is True
    (more shots than asked run); otherwise a remainder is dropped, or a total refused.

    Raises:
        ValueError: For shots that are not a positive integer, or below ``min_shots`` without
            ``roundup``.

    Examples:
        ```python
        distribute_shots(25, max_shots=10)  # [10, 10, 5]
        distribute_shots(3, min_shots=10)  # [10]
        ```
    """
    if isinstance(shots, bool) or not isinstance(shots, numbers.Integral) or shots < 1:
        raise ValueError(f"shots should be a positive integer.: {shots!r}; pass an int >= 1")
    total = int(shots)
    sizes = [max_shots] * (total // max_shots)
    rest = total % max_shots
    if rest >= min_shots:
        sizes.append(rest)
    elif rest and (roundup or not sizes):
        if not roundup:
            raise ValueError(
                f"shots ({total}) is below the device's minimum ({min_shots}); use more shots, "
                "or enable_shots_roundup=True to run the minimum"
            )
        sizes.append(min_shots)
    return sizes


def check_shot_limits(min_shots: Any, max_shots: Any) -> tuple[int, int]:
    """Return ``(min_shots, max_shots)`` if ``1 <= min_shots <= max_shots <= MAX_SHOTS``."""
    for name, value in (("min_shots", min_shots), ("max_shots", max_shots)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"{name} must be an int, got {value!r}")
    if not 1 <= min_shots <= max_shots <= MAX_SHOTS:
        raise ValueError(
            f"need 1 <= min_shots ({min_shots}) <= max_shots ({max_shots}) <= {MAX_SHOTS:,} "
            "(the service's limit per job)"
        )
    return int(min_shots), int(max_shots)


class QubitMapping:
    """``{circuit qubit: device qubit}``: remaps a circuit before export and its counts after.

    A circuit without ``Measurement`` gates is measured entirely, so its counts are keyed by
    device qubit and are mapped back (QURI Parts' ``BackendQubitMapping``); with ``Measurement``
    gates they are keyed by classical bit, which the mapping does not move.

    Raises:
        ValueError: For a mapping that is not one-to-one over non-negative integers.
    """

    def __init__(self, mapping: Mapping[int, int]) -> None:
        if not isinstance(mapping, Mapping) or not mapping:
            raise ValueError(
                f"qubit_mapping must be a non-empty dict {{circuit qubit: device qubit}}, "
                f"got {mapping!r}"
            )
        items = [(int(k), int(v)) for k, v in mapping.items()]
        if any(k < 0 or v < 0 for k, v in items) or len({v for _, v in items}) != len(items):
            raise ValueError(
                f"qubit_mapping must map distinct circuit qubits to distinct device qubits "
                f"(non-negative), got {dict(mapping)!r}"
            )
        self.mapping = dict(items)
        self._counts = BackendQubitMapping(self.mapping)

    def circuit(self, circuit: ImmutableQuantumCircuit) -> ImmutableQuantumCircuit:
        """The circuit on the device qubits (width: the largest device qubit + 1)."""
        used = {i for gate in circuit.gates for i in (*gate.target_indices, *gate.control_indices)}
        missing = sorted(used - set(self.mapping))
        if missing:
            raise ValueError(
                f"qubit_mapping has no device qubit for circuit qubit(s) {missing}; map every "
                "qubit the circuit uses"
            )
        mapped = QuantumCircuit(
            max(self.mapping.values()) + 1, cbit_count=int(getattr(circuit, "cbit_count", 0))
        )
        for gate in circuit.gates:
            mapped.add_gate(self._gate(gate))
        return mapped

    def _gate(self, gate: QuantumGate) -> QuantumGate:
        return QuantumGate(
            name=gate.name,
            target_indices=tuple(self.mapping[i] for i in gate.target_indices),
            control_indices=tuple(self.mapping[i] for i in gate.control_indices),
            classical_indices=gate.classical_indices,
            params=gate.params,
            pauli_ids=gate.pauli_ids,
            unitary_matrix=gate.unitary_matrix,
        )

    def counts(self, counts: SamplingCounts, measured: bool) -> SamplingCounts:
        """Counts keyed by circuit qubit again (unchanged when keyed by classical bit)."""
        if measured:
            return counts
        return Counter(dict(self._counts.unmap_sampling_counts(counts)))


def has_measurements(circuit: ImmutableQuantumCircuit) -> bool:
    """Whether the circuit holds ``Measurement`` gates (its counts are keyed by classical bit)."""
    return any(gate.name == gate_names.Measurement for gate in circuit.gates)


class OqtopusCompositeResult(SamplingResult):
    """The summed counts of the jobs of one ``sample`` call, in the circuit's own qubits."""

    def __init__(self, counts: SamplingCounts, results: Sequence[Any]) -> None:
        self._counts = counts
        self.results = list(results)

    @property
    def counts(self) -> SamplingCounts:
        """``Counter[int, int]``: key bit ``i`` is classical bit (or circuit qubit) ``i``."""
        return self._counts


class OqtopusCompositeSamplingJob:
    """A QURI Parts ``SamplingJob`` made of OQTOPUS jobs (shots split, or a qubit mapping).

    Attributes:
        jobs: The OQTOPUS sampling jobs, in submission order.
    """

    def __init__(
        self,
        jobs: Sequence[OqtopusSamplingJob],
        mapping: QubitMapping | None = None,
        measured: bool = False,
    ) -> None:
        self.jobs = list(jobs)
        self._mapping, self._measured = mapping, measured

    @property
    def job_ids(self) -> list[str]:
        """The ids of the OQTOPUS jobs."""
        return [job.job_id for job in self.jobs]

    def result(self, timeout: float | None = None, wait: float = 10.0) -> OqtopusCompositeResult:
        """Wait for every job; return their summed counts, mapped back to the circuit's qubits."""
        results = [job.result(timeout, wait) for job in self.jobs]
        total: Counter[int] = Counter()
        for result in results:
            total.update(result.counts)
        counts = total if self._mapping is None else self._mapping.counts(total, self._measured)
        return OqtopusCompositeResult(counts, results)

    def cancel(self) -> None:
        """Cancel every job that has not ended."""
        for job in self.jobs:
            job.cancel()

    def __repr__(self) -> str:
        return f"OqtopusCompositeSamplingJob(job_ids={self.job_ids!r})"
