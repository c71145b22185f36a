"""``OqtopusSamplerV2``: Qiskit's V2 sampler, one OQTOPUS sampling job per bound circuit.

Every PUB element is bound, converted and submitted (concurrently, identical programs once) before
anything is awaited; results come back as one ``BitArray`` per classical register, named as in the
user's circuit. Unlike ``BackendSamplerV2`` it needs no per-shot memory from the service.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from qiskit.primitives import BaseSamplerV2, BitArray, DataBin, PrimitiveResult, SamplerPubResult
from qiskit.primitives.containers.sampler_pub import SamplerPub, SamplerPubLike

from oqtopus_bridge.qiskit._batch import JobBatch
from oqtopus_bridge.qiskit._convert import CircuitLayout, circuit_to_program
from oqtopus_bridge.qiskit._results import sampler_databin
from oqtopus_bridge.qiskit.backend import MAX_SHOTS, OqtopusBackend, is_shot_count
from oqtopus_bridge.qiskit.exceptions import OqtopusInputError
from oqtopus_bridge.qiskit.job import OqtopusPrimitiveJob

__all__ = ["OqtopusSamplerV2"]


class OqtopusSamplerV2(BaseSamplerV2):
    """Sample PUBs on an OQTOPUS device.

    Example:
        >>> sampler = OqtopusSamplerV2(provider.get_backend("qulacs"))   # doctest: +SKIP
        >>> result = sampler.run([(circuit, values)], shots=1000).result()  # doctest: +SKIP
        >>> result[0].data.meas.get_counts()                                 # doctest: +SKIP

    Args:
        backend: The backend whose device runs the circuits.
        options: ``default_shots`` (int, default 1024) and ``run_options`` (a dict of backend
            options for every job, e.g. ``{"transpiler_info": ..., "job_name": ...}``).

    Raises:
        OqtopusInputError: For unknown options or bad values.
    """

    def __init__(self, backend: OqtopusBackend, *, options: Mapping[str, Any] | None = None):
        options = dict(options or {})
        unknown = sorted(set(options) - {"default_shots", "run_options"})
        if unknown:
            raise OqtopusInputError(
                f"unknown OqtopusSamplerV2 option(s) {unknown}; use default_shots and run_options"
            )
        self._backend = backend
        default_shots = options.get("default_shots", 1024)
        if not is_shot_count(default_shots):
            raise OqtopusInputError(
                f"default_shots must be an integer in 1..{MAX_SHOTS:,}, got {default_shots!r}"
            )
        self._default_shots = int(default_shots)
        self._run_options = backend.run_options(
            {**dict(options.get("run_options") or {}), "shots": self._default_shots}
        )

    @property
    def backend(self) -> OqtopusBackend:
        """The backend the sampler runs on."""
        return self._backend

    @property
    def default_shots(self) -> int:
        """Shots for PUBs that set none when ``run`` is called without ``shots``."""
        return self._default_shots

    def run(
        self, pubs: Iterable[SamplerPubLike], *, shots: int | None = None
    ) -> OqtopusPrimitiveJob:
        """Submit every PUB element as an OQTOPUS job and return one job handle at once.

        Args:
            pubs: PUBs: a circuit, ``(circuit, parameter_values)`` or
                ``(circuit, parameter_values, shots)``. Parameter values broadcast as in Qiskit.
            shots: Shots for PUBs without their own (default: :attr:`default_shots`).

        Returns:
            A job whose ``result()`` is a ``PrimitiveResult`` of ``SamplerPubResult``.

        Raises:
            OqtopusCircuitError: A circuit has control flow, classical variables or is too wide,
                or uses an instruction the device does not run.
            OqtopusInputError: Shots out of range.

        A PUB whose circuit has no classical bits is not submitted: its result holds the
        circuit's (empty) registers, as ``StatevectorSampler`` returns it (issue 14).
        """
        shots = self._default_shots if shots is None else shots
        coerced = [SamplerPub.coerce(pub, shots) for pub in pubs]
        _warn_unmeasured(coerced)
        plan = _Plan()
        for pub in coerced:
            self._backend.run_options({"shots": pub.shots})  # validates the PUB's shots
            self._backend.check_operations(pub.circuit)
            if not pub.circuit.num_clbits:
                plan.add(pub, [])
                continue
            bound = np.asarray(pub.parameter_values.bind_all(pub.circuit), dtype=object)
            plan.add(pub, [self._entry(c, pub) for c in bound.ravel()])
        children = self._backend.submit_programs(
            [[program] for program, _, _ in plan.unique],
            self._run_options,
            [info for _, _, info in plan.unique],
            shots=[s for _, s, _ in plan.unique],
            names=[plan.names[i] for i in range(len(plan.unique))],
        )
        return OqtopusPrimitiveJob(JobBatch(children), plan.translate, kind="sampler")

    def _entry(self, circuit: Any, pub: SamplerPub) -> tuple[str, int, Any]:
        circuit.name = pub.circuit.name  # binding renames copies; equal programs must stay equal
        program = circuit_to_program(circuit, self._backend.num_qubits)
        info = self._backend.transpiler_info_for(circuit, self._run_options)
        return program, int(pub.shots), info


class _Plan:
    """Unique jobs to submit, and which of them each PUB element reads."""

    def __init__(self) -> None:
        self.unique: list[tuple[str, int, Any]] = []
        self.names: dict[int, str] = {}
        self._index: dict[tuple[str, int, str], int] = {}
        self._pubs: list[tuple[SamplerPub, list[int]]] = []

    def add(self, pub: SamplerPub, entries: list[tuple[str, int, Any]]) -> None:
        children = []
        for program, shots, info in entries:
            key = (program, shots, repr(info))
            if key not in self._index:
                self._index[key] = len(self.unique)
                self.names[len(self.unique)] = pub.circuit.name
                self.unique.append((program, shots, info))
            children.append(self._index[key])
        self._pubs.append((pub, children))

    def translate(self, results: list[Any]) -> PrimitiveResult[SamplerPubResult]:
        pub_results = []
        for pub, children in self._pubs:
            layout = CircuitLayout.from_circuit(pub.circuit)
            if children:
                counts = [results[child].raw_counts for child in children]
                data = sampler_databin(counts, layout, pub.shape)
            else:
                data = _unmeasured_databin(layout, pub.shape, int(pub.shots))
            metadata = {"shots": pub.shots, "circuit_metadata": pub.circuit.metadata}
            pub_results.append(SamplerPubResult(data, metadata=metadata))
        return PrimitiveResult(pub_results, metadata={"version": 2})


def _unmeasured_databin(layout: CircuitLayout, shape: tuple[int, ...], shots: int) -> DataBin:
    """The data of a PUB without classical bits: its registers, each of zero bits."""
    empty = {
        name: BitArray(np.zeros((*shape, shots, 0), dtype=np.uint8), 0) for name, _ in layout.cregs
    }
    return DataBin(**empty, shape=shape)


def _warn_unmeasured(pubs: list[SamplerPub]) -> None:
    """Warn, as ``StatevectorSampler`` does, when a circuit has no classical register to read."""
    if any(not pub.circuit.cregs for pub in pubs):
        warnings.warn(
            "A PUB circuit has no classical registers, so its result holds no data; "
            "add measurements (e.g. circuit.measure_all()).",
            UserWarning,
            stacklevel=3,
        )
