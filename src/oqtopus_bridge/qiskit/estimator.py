"""``OqtopusEstimatorV2``: Qiskit's V2 estimator on OQTOPUS estimation jobs.

The service estimates one observable on one program per job and returns ``exp_value`` and ``stds``
(computed like ``BackendEstimatorV2``: ``sum |c| sqrt(Var) / sqrt(shots)``). So each PUB's
broadcast of observables and parameter values becomes one job per unique (bound circuit,
observable) element, all submitted concurrently before anything is awaited (adapters.md §3.11).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from qiskit.primitives import BaseEstimatorV2, DataBin, PrimitiveResult, PubResult
from qiskit.primitives.containers.estimator_pub import EstimatorPub, EstimatorPubLike

from oqtopus_bridge.concurrency import run_concurrently
from oqtopus_bridge.qiskit._batch import JobBatch
from oqtopus_bridge.qiskit._convert import circuit_to_program, observable_to_operator
from oqtopus_bridge.qiskit._options import job_seeds, resolve_seed, seeded_simulator_info
from oqtopus_bridge.qiskit._record import pub_records, pubs_from_record, tag_program
from oqtopus_bridge.qiskit._sampled import SampledPlan
from oqtopus_bridge.qiskit.backend import MAX_SHOTS, OqtopusBackend
from oqtopus_bridge.qiskit.exceptions import OqtopusInputError
from oqtopus_bridge.qiskit.job import OqtopusPrimitiveJob
from oqtopus_bridge.qiskit.options import OqtopusEstimatorOptions, choose_backend, coerce_options

__all__ = ["OqtopusEstimatorV2", "precision_to_shots"]


def precision_to_shots(precision: float) -> int:
    """Shots that reach ``precision`` for a unit-variance observable: ``ceil(1 / precision**2)``.

    Raises:
        OqtopusInputError: If ``precision`` is not positive or needs more than 10,000,000 shots.
    """
    if not precision > 0:
        raise OqtopusInputError(f"precision must be positive, got {precision!r}")
    shots = math.ceil(1.0 / precision**2)
    if shots > MAX_SHOTS:
        smallest = 1 / math.sqrt(MAX_SHOTS)
        raise OqtopusInputError(
            f"precision {precision} needs {shots:,} shots, more than OQTOPUS allows "
            f"({MAX_SHOTS:,}); use precision >= {smallest:.3g} and average several runs"
        )
    return shots


class OqtopusEstimatorV2(BaseEstimatorV2):
    """Estimate expectation values on an OQTOPUS device.

    Observables use Qiskit's labels (rightmost character is qubit 0). For a circuit transpiled for
    the backend (it has a ``layout``), observables must act on the physical qubits, as with every
    V2 estimator: ``observable.apply_layout(isa_circuit.layout)``. Projector terms of a
    ``SparseObservable`` (``0 1 + - r l``) are expanded into Pauli terms.

    Examples:
        ```python
        estimator = OqtopusEstimatorV2(mode=provider.get_backend("qulacs"))
        estimator.options.default_precision = 0.01
        estimator.options.seed_simulator = 5
        estimator.run([(circuit, observables, values)]).result()[0].data.evs
        ```

    Args:
        mode: The backend whose device runs the circuits (``backend`` is the same).
        backend: The backend, as a keyword.
        options: A dict or `OqtopusEstimatorOptions`: ``default_precision`` (default
            0.015625, i.e. 4096 shots), ``default_shots``, ``seed_simulator``, ``job_type``,
            ``abelian_grouping`` and ``run_options`` (backend options for every job, e.g.
            ``{"mitigation_info": ...}``).

    Raises:
        OqtopusInputError: For a missing backend, unknown options or bad values.
    """

    def __init__(
        self,
        mode: OqtopusBackend | None = None,
        *,
        backend: OqtopusBackend | None = None,
        options: OqtopusEstimatorOptions | Mapping[str, Any] | None = None,
    ):
        self._backend = choose_backend("OqtopusEstimatorV2", mode, backend)
        self._options = coerce_options(OqtopusEstimatorOptions, options)
        self._backend.run_options(dict(self._options.run_options or {}))  # checks them now

    @property
    def backend(self) -> OqtopusBackend:
        """The backend the estimator runs on."""
        return self._backend

    @property
    def options(self) -> OqtopusEstimatorOptions:
        """The options, changed by attribute (``estimator.options.default_precision = 0.01``)."""
        return self._options  # type: ignore[no-any-return]

    @property
    def default_precision(self) -> float:
        """Precision for PUBs that set none when ``run`` is called without ``precision``."""
        return float(self._options.default_precision)

    def run(
        self, pubs: Iterable[EstimatorPubLike], *, precision: float | None = None
    ) -> OqtopusPrimitiveJob:
        """Submit the PUBs' jobs and return one job handle at once.

        With ``job_type="estimation"`` (the default) each unique (bound circuit, observable)
        element is one OQTOPUS estimation job; with ``"sampling"`` each bound circuit is one
        sampling job per measurement basis, shared by the PUB's observables.

        Args:
            pubs: ``(circuit, observables[, parameter_values[, precision]])`` tuples; observables
                and parameter values broadcast as in Qiskit.
            precision: Target standard error for PUBs without their own; the job's shots are
                ``ceil(1 / precision**2)``.

        Returns:
            A job whose ``result()`` is a ``PrimitiveResult`` of ``PubResult`` with ``evs`` and
            ``stds`` of each PUB's broadcast shape.

        Raises:
            OqtopusCircuitError: A circuit has control flow, classical variables or is too wide.
            OqtopusInputError: Precision beyond the shot limit, or a complex observable.
        """
        opts = self._options
        if precision is None and opts.default_shots is None:
            precision = opts.default_precision
        coerced = [EstimatorPub.coerce(pub, precision) for pub in pubs]
        run_options = self._backend.run_options(dict(opts.run_options or {}))
        if opts.seed_simulator is not None:
            run_options["seed_simulator"] = opts.seed_simulator
        shots = [
            int(opts.default_shots) if pub.precision is None else precision_to_shots(pub.precision)
            for pub in coerced
        ]
        for pub in coerced:
            self._backend.check_operations(pub.circuit)
        if opts.job_type == "sampling":
            return self._run_sampled(coerced, shots, run_options)
        plan = _Plan()
        for pub, pub_shots in zip(coerced, shots, strict=True):
            plan.add(pub, pub_shots, list(self._elements(pub, pub_shots, run_options)))
        jobs = list(plan.unique)
        if jobs:
            jobs[0] = (tag_program(jobs[0][0], plan.record()), *jobs[0][1:])
        children = self._submit(jobs, run_options)
        return OqtopusPrimitiveJob(JobBatch(children), plan.translate, kind="estimator")

    def _run_sampled(
        self, pubs: list[EstimatorPub], shots: list[int], run_options: dict[str, Any]
    ) -> OqtopusPrimitiveJob:
        """``job_type="sampling"``: sampling jobs per measurement basis, values computed here."""
        plan = SampledPlan(self._backend, run_options, bool(self._options.abelian_grouping))
        for pub, pub_shots in zip(pubs, shots, strict=True):
            plan.add(pub, pub_shots)
        programs = [program for program, _, _ in plan.unique]
        if programs:
            programs[0] = tag_program(programs[0], plan.record())
        children = self._backend.submit_programs(
            [[program] for program in programs],
            run_options,
            [info for _, _, info in plan.unique],
            shots=[s for _, s, _ in plan.unique],
            names=plan.names,
        )
        return OqtopusPrimitiveJob(JobBatch(children), plan.translate, kind="estimator")

    def _submit(self, jobs: list[tuple[Any, ...]], opts: Mapping[str, Any]) -> list[Any]:
        """Submit one estimation job per entry, concurrently, each with its own seed."""
        estimation = self._backend.provider.estimation_backend
        seeds = job_seeds(resolve_seed(opts["seed_simulator"], opts["simulator_info"]), len(jobs))

        def submit(index: int) -> Any:
            program, terms, shots, info = jobs[index]
            return estimation.estimate_qasm(
                program,
                list(terms),
                device_id=self._backend.name,
                shots=shots,
                name=opts["job_name"],
                description=opts["job_description"],
                transpiler_info=info,
                simulator_info=seeded_simulator_info(opts["simulator_info"], seeds[index]),
                mitigation_info=opts["mitigation_info"],
            )

        calls = [lambda i=i: submit(i) for i in range(len(jobs))]
        return run_concurrently(calls, max_workers=opts["max_concurrency"])

    def _elements(
        self, pub: EstimatorPub, shots: int, run_options: Mapping[str, Any]
    ) -> Iterable[tuple[Any, ...]]:
        """``(program, terms, shots, transpiler_info)`` per element of the PUB, in C order."""
        circuit = pub.circuit.remove_final_measurements(inplace=False)
        values = pub.parameter_values
        index = np.empty(values.shape, dtype=object)
        for loc in np.ndindex(*values.shape):
            index[loc] = loc
        observables = np.empty(pub.observables.shape, dtype=object)
        for loc in np.ndindex(*pub.observables.shape):
            observables[loc] = pub.observables[loc]
        locs, obs = np.broadcast_arrays(index, observables)
        programs: dict[Any, tuple[str, Any]] = {}
        for element in np.ndindex(*pub.shape):
            loc = locs[element]
            if loc not in programs:
                bound = values.bind(circuit, loc)
                bound.name = pub.circuit.name  # binding renames copies; keep equal programs equal
                info = self._backend.transpiler_info_for(bound, run_options)
                programs[loc] = (circuit_to_program(bound, self._backend.num_qubits), info)
            program, info = programs[loc]
            terms = tuple(observable_to_operator(obs[element]))
            yield program, terms, shots, info


class _Plan:
    """Unique estimation jobs, and which of them each PUB element reads.

    Each PUB is kept as plain data (shape, target precision, shots, metadata, jobs read), which
    is also what `record` stores with the first job, so a retrieved job translates the same way.
    """

    KIND = "estimator"

    def __init__(self) -> None:
        self.unique: list[tuple[Any, ...]] = []
        self._index: dict[tuple[Any, ...], int] = {}
        self._pubs: list[tuple[tuple[int, ...], float, int, Any, list[int]]] = []

    def add(self, pub: EstimatorPub, shots: int, elements: list[tuple[Any, ...]]) -> None:
        children = []
        for program, terms, job_shots, info in elements:
            key = (program, terms, job_shots, repr(info))
            if key not in self._index:
                self._index[key] = len(self.unique)
                self.unique.append((program, terms, job_shots, info))
            children.append(self._index[key])
        precision = pub.precision if pub.precision is not None else 1 / math.sqrt(shots)
        self._pubs.append((pub.shape, precision, shots, pub.circuit.metadata, children))

    def record(self) -> dict[str, Any]:
        """The plan as JSON data, for ``retrieve_job`` (see ``_record``)."""
        return {"kind": self.KIND, "jobs": len(self.unique), "pubs": pub_records(self._pubs)}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> _Plan:
        """Rebuild a plan from `record`."""
        plan = cls()
        plan._pubs = [(*head, [int(j) for j in jobs]) for *head, jobs in pubs_from_record(record)]
        return plan

    def translate(self, results: list[Any]) -> PrimitiveResult[PubResult]:
        pub_results = []
        for shape, precision, shots, circuit_metadata, children in self._pubs:
            evs = np.array([_number(results[c].exp_value) for c in children]).reshape(shape)
            stds = np.array([_number(results[c].stds) for c in children]).reshape(shape)
            metadata = {
                "target_precision": precision,
                "shots": shots,
                "circuit_metadata": circuit_metadata,
            }
            pub_results.append(PubResult(DataBin(evs=evs, stds=stds, shape=shape), metadata))
        return PrimitiveResult(pub_results, metadata={"version": 2})


def _number(value: Any) -> float:
    return float("nan") if value is None else float(value)
