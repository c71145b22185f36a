"""The ``oqtopus.sampler`` device: tapes run as OQTOPUS sampling jobs, results from counts."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pennylane.devices import ExecutionConfig
from pennylane.devices.modifiers import single_tape_support
from pennylane.devices.preprocess import decompose
from pennylane.tape import QuantumScript
from pennylane.transforms import broadcast_expand
from pennylane.transforms.core import CompilePipeline

from oqtopus_bridge import OqtopusSamplingBackend, bits
from oqtopus_bridge.pennylane import _convert
from oqtopus_bridge.pennylane.device import OqtopusDeviceBase
from oqtopus_bridge.pennylane.diagonalize import (
    diagonalize_general_observables,
    needs_rotation_after_split,
    needs_rotation_before_split,
)
from oqtopus_bridge.pennylane.observables import (
    flatten_pauli_sums,
    split_non_commuting_measurements,
)
from oqtopus_bridge.pennylane.preprocess import (
    single_wire_sample_shape,
    validate_sampler_measurements,
)
from oqtopus_bridge.pennylane.samples import counts_to_results
from oqtopus_bridge.pennylane.seeds import ExecutionSeeds

__all__ = ["OqtopusSamplerDevice", "SamplingBatch", "add_counts_transforms", "counts_by_tape"]


@dataclass(frozen=True)
class _Program:
    """One OpenQASM program to sample: one shot copy of one tape."""

    tape_index: int
    shots: int
    qasm: str
    num_qubits: int
    num_clbits: int


@dataclass
class _Outcome:
    """Counts of one program in PennyLane's order, and the job that produced them."""

    job_id: str
    counts: dict[str, int]


def _programs(index: int, tape: QuantumScript, wire_map: dict[Hashable, int]) -> list[_Program]:
    """One program per shot copy of a preprocessed tape (a shot vector gives several)."""
    measured = list(_convert.measured_wires(tape))
    qasm = _convert.tape_to_qasm(tape, wire_map, measure=measured)
    return [_Program(index, int(shots), qasm, len(wire_map), len(measured)) for shots in tape.shots]


def pack_programs(programs: Sequence[_Program], capacity: int) -> list[list[int]]:
    """Group programs with equal shots into bins whose qubits fit the device (first fit, in order).

    Args:
        programs: Programs to pack.
        capacity: Number of qubits of the device.

    Returns:
        Bins of indices into ``programs``; each bin becomes one job (multi_manual if it holds more
        than one program).
    """
    bins: list[list[int]] = []
    for index, program in enumerate(programs):
        for candidate in bins:
            used = sum(programs[i].num_qubits for i in candidate)
            same_shots = programs[candidate[0]].shots == program.shots
            if same_shots and used + program.num_qubits <= capacity:
                candidate.append(index)
                break
        else:
            bins.append([index])
    return bins


def add_counts_transforms(
    pipeline: CompilePipeline, name: str, shuffle: Callable[[], np.random.Generator]
) -> None:
    """Append the transforms that turn measurements into one ``qml.counts`` on stdgates.inc.

    Observables PennyLane's ``measurements_from_counts`` would leave unrotated (Hermitian,
    Projector, and ``var``/``sample``/``counts`` of sums) are rotated first, before and after
    ``split_non_commuting`` (see `oqtopus_bridge.pennylane.diagonalize`). Before all that, nested
    Pauli sums are flattened (see `oqtopus_bridge.pennylane.observables`). ``shuffle`` orders the
    samples rebuilt from counts (see `oqtopus_bridge.pennylane.samples`).
    """
    pipeline.add_transform(flatten_pauli_sums)
    pipeline.add_transform(diagonalize_general_observables, predicate=needs_rotation_before_split)
    pipeline.add_transform(split_non_commuting_measurements)
    pipeline.add_transform(diagonalize_general_observables, predicate=needs_rotation_after_split)
    pipeline.add_transform(single_wire_sample_shape)
    pipeline.add_transform(counts_to_results, shuffle=shuffle, name=name)
    pipeline.add_transform(
        decompose,
        stopping_condition=_convert.is_supported_gate,
        skip_initial_state_prep=False,
        name=name,
    )


def counts_by_tape(
    circuits: Sequence[QuantumScript], programs: Sequence[_Program], outcomes: Sequence[_Outcome]
) -> tuple[list[Any], list[dict[str, Any]]]:
    """Each tape's counts (a tuple of them for a shot vector), and its tracker entry."""
    results: list[Any] = []
    per_tape: list[dict[str, Any]] = []
    for index, tape in enumerate(circuits):
        mine = [
            out for prog, out in zip(programs, outcomes, strict=True) if prog.tape_index == index
        ]
        counts = [outcome.counts for outcome in mine]
        results.append(tuple(counts) if tape.shots.has_partitioned_shots else counts[0])
        job_ids = list(dict.fromkeys(outcome.job_id for outcome in mine))
        per_tape.append(
            {"executions": len(mine), "shots": tape.shots.total_shots, "job_ids": job_ids}
        )
    return results, per_tape


class SamplingBatch:
    """The sampling jobs of one execution: built first, submitted with others, read after.

    Args:
        programs: The programs to sample.
        bins: Groups of indices into ``programs``, one job each (see `pack_programs`).
        backend: The core sampling backend.
        options: Keywords of every ``sample_qasm`` call except ``shots``.
    """

    def __init__(
        self,
        programs: Sequence[_Program],
        bins: Sequence[Sequence[int]],
        backend: OqtopusSamplingBackend,
        options: dict[str, Any],
    ) -> None:
        self.programs = list(programs)
        self.bins = [list(b) for b in bins]
        self._backend = backend
        self._options = options

    def calls(self, seeds: ExecutionSeeds, first: int = 0) -> list[Callable[[], Any]]:
        """Zero-argument calls that submit one job per bin.

        Args:
            seeds: The execution's seeds; bin ``i`` gets the seed of job ``first + i``.
            first: Index of this batch's first job among the execution's jobs.
        """
        return [
            self._submission(
                [self.programs[i] for i in group],
                seeds.simulator_info(self._options.get("simulator_info"), first + index),
            )
            for index, group in enumerate(self.bins)
        ]

    def _submission(
        self, group: Sequence[_Program], simulator_info: dict[str, Any] | None
    ) -> Callable[[], Any]:
        backend = self._backend
        options = {
            **self._options,
            "shots": group[0].shots,
            "simulator_info": simulator_info,
            "check_folding": False,  # checked before decomposition (pennylane.folded)
        }
        if len(group) == 1:
            return lambda: backend.sample_qasm(group[0].qasm, **options)
        qasms = [p.qasm for p in group]
        return lambda: backend.sample_qasm(qasms, job_type="multi_manual", **options)

    def outcomes(self, jobs: Sequence[Any]) -> list[_Outcome]:
        """Counts of every program, in order, from the finished jobs (one per bin)."""
        outcomes: dict[int, _Outcome] = {}
        for indices, job in zip(self.bins, jobs, strict=True):
            group = [self.programs[i] for i in indices]
            raw = job.result().raw_counts
            if len(group) == 1:
                divided = [raw]
            else:
                divided = bits.split_multi_manual(raw, [p.num_clbits for p in group])
            for index, program, counts in zip(indices, group, divided, strict=True):
                pl_counts = _convert.counts_to_pennylane(counts, program.num_clbits)
                outcomes[index] = _Outcome(job.job_id, pl_counts)
        return [outcomes[index] for index in range(len(self.programs))]


@single_tape_support
class OqtopusSamplerDevice(OqtopusDeviceBase):
    """PennyLane device that samples circuits on OQTOPUS and computes every result from counts.

    Supports ``expval``, ``var``, ``probs``, ``sample`` and ``counts`` of any observable PennyLane
    can diagonalize (Hamiltonians and sums included), custom wire labels, parameter broadcasting,
    shot vectors, parameter-shift gradients and deferred mid-circuit measurements (with
    postselection). Every job of one ``execute`` call is submitted before any is awaited.

    Args:
        wires: See `OqtopusDeviceBase`.
        multiprogramming: If True, pack the circuits of one execution into ``multi_manual`` jobs
            that run side by side on disjoint qubits of the device (fewer jobs, possible
            crosstalk on hardware). Circuits are packed only with circuits of the same shots.
        **kwargs: ``device_id`` (required), ``config``, ``url``, ``api_token``, ``proxy``,
            ``transpiler_info``, ``mitigation_info``, ``simulator_info``, ``seed``,
            ``timeout``, ``max_workers``; see `OqtopusDeviceBase`.

    Examples:
        ```python
        dev = qml.device("oqtopus.sampler", wires=2, device_id="qulacs")
        @qml.set_shots(1000)
        @qml.qnode(dev)
        def bell():
            qml.H(0)
            qml.CNOT([0, 1])
            return qml.counts()
        ```
    """

    name = "oqtopus.sampler"

    def __init__(
        self,
        wires: int | Sequence[Hashable] | None = None,
        *,
        multiprogramming: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(wires, **kwargs)
        self.multiprogramming = bool(multiprogramming)
        self._backend: OqtopusSamplingBackend | None = None

    def preprocess_transforms(
        self, execution_config: ExecutionConfig | None = None
    ) -> CompilePipeline:
        """Validate, then reduce every tape to gates of stdgates.inc and one ``qml.counts``.

        Order matters: ``broadcast_expand`` must precede ``measurements_from_counts``, and
        non-commuting measurements are split before they are diagonalized
        (shared/reference/adapters.md section 6.3).
        """
        pipeline = self._validation_transforms(validate_sampler_measurements, execution_config)
        pipeline.add_transform(broadcast_expand)
        add_counts_transforms(pipeline, self.name, self._shuffle_rng)
        return pipeline

    @property
    def backend(self) -> OqtopusSamplingBackend:
        """The core sampling backend this device submits through."""
        if self._backend is None:
            self._backend = OqtopusSamplingBackend(self.config)
        return self._backend

    def execute(
        self, circuits: Sequence[QuantumScript], execution_config: ExecutionConfig | None = None
    ) -> tuple[Any, ...]:
        """Run preprocessed tapes: one counts dict per tape (a tuple of them for a shot vector)."""
        batch = self.sampling_batch(circuits)
        seeds = self._start_execution(len(batch.bins))
        outcomes = batch.outcomes(self._submit_all(batch.calls(seeds)))
        results, per_tape = counts_by_tape(circuits, batch.programs, outcomes)
        self._track(per_tape, results)
        return tuple(results)

    def sampling_batch(self, circuits: Sequence[QuantumScript]) -> SamplingBatch:
        """The jobs for preprocessed (counts) tapes, packed if ``multiprogramming``."""
        programs = [
            program
            for index, tape in enumerate(circuits)
            for program in _programs(index, tape, self._wire_map(tape))
        ]
        if self.multiprogramming and programs:
            bins = pack_programs(programs, self.device_qubits)
        else:
            bins = [[index] for index in range(len(programs))]
        options = {"device_id": self.device_id, **self.job_options}
        return SamplingBatch(programs, bins, self.backend, options)
