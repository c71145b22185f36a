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
from oqtopus_bridge.qiskit._record import tag_program
from oqtopus_bridge.qiskit._results import sampler_databin
from oqtopus_bridge.qiskit.backend import OqtopusBackend
from oqtopus_bridge.qiskit.job import OqtopusPrimitiveJob
from oqtopus_bridge.qiskit.options import OqtopusSamplerOptions, choose_backend, coerce_options

__all__ = ["OqtopusSamplerV2"]


class OqtopusSamplerV2(BaseSamplerV2):
    """Sample PUBs on an OQTOPUS device.

    Examples:
        ```python
        sampler = OqtopusSamplerV2(mode=provider.get_backend("qulacs"))
        sampler.options.default_shots = 1000
        sampler.options.seed_simulator = 5      # reproducible on simulators
        result = sampler.run([(circuit, values)]).result()
        result[0].data.meas.get_counts()
        ```

    Args:
        mode: The backend whose device runs the circuits (qiskit-ibm-runtime's name; ``backend``
            is the same).
        backend: The backend, as a keyword (the name of earlier versions and of Qiskit's
            ``BackendSamplerV2``).
        options: A dict or `OqtopusSamplerOptions`: ``default_shots`` (default 1024),
            ``seed_simulator`` and ``run_options`` (backend options for every job, e.g.
            ``{"transpiler_info": ..., "job_name": ...}``). Later changes go through
            ``sampler.options``.

    Raises:
        OqtopusInputError: For a missing backend, unknown options or bad values.
    """

    def __init__(
        self,
        mode: OqtopusBackend | None = None,
        *,
        backend: OqtopusBackend | None = None,
        options: OqtopusSamplerOptions | Mapping[str, Any] | None = None,
    ):
        self._backend = choose_backend("OqtopusSamplerV2", mode, backend)
        self._options = coerce_options(OqtopusSamplerOptions, options)
        self._backend.run_options(dict(self._options.run_options or {}))  # checks them now

    @property
    def backend(self) -> OqtopusBackend:
        """The backend the sampler runs on."""
        return self._backend

    @property
    def options(self) -> OqtopusSamplerOptions:
        """The options, changed by attribute (``sampler.options.default_shots = 2000``)."""
        return self._options  # type: ignore[no-any-return]

    @property
    def default_shots(self) -> int:
        """Shots for PUBs that set none when ``run`` is called without ``shots``."""
        return int(self._options.default_shots)

    def run(
        self, pubs: Iterable[SamplerPubLike], *, shots: int | None = None
    ) -> OqtopusPrimitiveJob:
        """Submit every PUB element as an OQTOPUS job and return one job handle at once.

        Args:
            pubs: PUBs: a circuit, ``(circuit, parameter_values)`` or
                ``(circuit, parameter_values, shots)``. Parameter values broadcast as in Qiskit.
            shots: Shots for PUBs without their own (default: `default_shots`).

        Returns:
            A job whose ``result()`` is a ``PrimitiveResult`` of ``SamplerPubResult``.

        Raises:
            OqtopusCircuitError: A circuit has control flow, classical variables or is too wide,
                or uses an instruction the device does not run.
            OqtopusInputError: Shots out of range.

        A PUB whose circuit has no classical bits is not submitted: its result holds the
        circuit's (empty) registers, as ``StatevectorSampler`` returns it (issue 14).
        """
        opts = self._options
        shots = opts.default_shots if shots is None else shots
        run_options = self._backend.run_options(
            {**dict(opts.run_options or {}), "shots": opts.default_shots}
        )
        if opts.seed_simulator is not None:
            run_options["seed_simulator"] = opts.seed_simulator
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
            plan.add(pub, [self._entry(c, pub, run_options) for c in bound.ravel()])
        programs = [program for program, _, _ in plan.unique]
        if programs:
            programs[0] = tag_program(programs[0], plan.record())
        children = self._backend.submit_programs(
            [[program] for program in programs],
            run_options,
            [info for _, _, info in plan.unique],
            shots=[s for _, s, _ in plan.unique],
            names=[plan.names[i] for i in range(len(plan.unique))],
        )
        return OqtopusPrimitiveJob(JobBatch(children), plan.translate, kind="sampler")

    def _entry(
        self, circuit: Any, pub: SamplerPub, run_options: Mapping[str, Any]
    ) -> tuple[str, int, Any]:
        circuit.name = pub.circuit.name  # binding renames copies; equal programs must stay equal
        program = circuit_to_program(circuit, self._backend.num_qubits)
        info = self._backend.transpiler_info_for(circuit, run_options)
        return program, int(pub.shots), info


class _Plan:
    """Unique jobs to submit, and which of them each PUB element reads.

    Each PUB is kept as plain data (layout, shape, shots, metadata, jobs read), which is also
    what `record` stores with the first job, so a retrieved job translates the same way.
    """

    KIND = "sampler"

    def __init__(self) -> None:
        self.unique: list[tuple[str, int, Any]] = []
        self.names: dict[int, str] = {}
        self._index: dict[tuple[str, int, str], int] = {}
        self._pubs: list[tuple[CircuitLayout, tuple[int, ...], int, Any, list[int]]] = []

    def add(self, pub: SamplerPub, entries: list[tuple[str, int, Any]]) -> None:
        children = []
        for program, shots, info in entries:
            key = (program, shots, repr(info))
            if key not in self._index:
                self._index[key] = len(self.unique)
                self.names[len(self.unique)] = pub.circuit.name
                self.unique.append((program, shots, info))
            children.append(self._index[key])
        layout = CircuitLayout.from_circuit(pub.circuit)
        self._pubs.append((layout, pub.shape, int(pub.shots), pub.circuit.metadata, children))

    def record(self) -> dict[str, Any]:
        """The plan as JSON data, for ``retrieve_job`` (see ``_record``)."""
        pubs = [
            {"layout": layout.to_payload(), "shape": list(shape), "shots": shots, "jobs": jobs}
            for layout, shape, shots, _, jobs in self._pubs
        ]
        return {"kind": self.KIND, "jobs": len(self.unique), "pubs": pubs}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> _Plan:
        """Rebuild a plan from `record`; circuit metadata is what the layout stored."""
        plan = cls()
        for pub in record["pubs"]:
            layout = CircuitLayout.from_comment(pub["layout"])
            shape = tuple(int(n) for n in pub["shape"])
            jobs = [int(j) for j in pub["jobs"]]
            plan._pubs.append((layout, shape, int(pub["shots"]), layout.metadata, jobs))
        return plan

    def translate(self, results: list[Any]) -> PrimitiveResult[SamplerPubResult]:
        pub_results = []
        for layout, shape, shots, circuit_metadata, children in self._pubs:
            if children:
                counts = [results[child].raw_counts for child in children]
                data = sampler_databin(counts, layout, shape)
            else:
                data = _unmeasured_databin(layout, shape, shots)
            metadata = {"shots": shots, "circuit_metadata": circuit_metadata}
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
