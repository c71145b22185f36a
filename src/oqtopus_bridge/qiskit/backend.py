"""``OqtopusBackend``: one OQTOPUS device as a Qiskit ``BackendV2``.

``run`` converts every circuit to a self-describing OpenQASM 3 program, submits one OQTOPUS
sampling job per circuit concurrently (or one ``multi_manual`` job when ``multiprogramming`` is on)
and returns a single `OqtopusJob` at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from qiskit import QuantumCircuit
from qiskit.circuit import ControlFlowOp, Gate
from qiskit.providers import BackendV2, Options
from qiskit.transpiler import Target

from oqtopus_bridge.concurrency import run_concurrently
from oqtopus_bridge.qiskit._batch import JobBatch
from oqtopus_bridge.qiskit._clients import ServiceClients
from oqtopus_bridge.qiskit._convert import (
    CircuitLayout,
    circuit_to_program,
    is_physical,
    strip_idle_qubits,
)
from oqtopus_bridge.qiskit._options import (
    MAX_SHOTS,
    TOLERATED,
    check_foreign_options,
    is_shot_count,
    job_seeds,
    resolve_seed,
    seeded_simulator_info,
    validate_options,
)
from oqtopus_bridge.qiskit.exceptions import OqtopusCircuitError, OqtopusInputError
from oqtopus_bridge.qiskit.job import Experiment, OqtopusJob, warn_dropped_metadata
from oqtopus_bridge.qiskit.target import build_target

__all__ = [
    "MAX_SHOTS",
    "NO_TRANSPILER",
    "OqtopusBackend",
    "is_shot_count",
    "pack_by_qubits",
]

NO_TRANSPILER: dict[str, Any] = {"transpiler_lib": None}
"""``transpiler_info`` that tells OQTOPUS to run a program as is (it is already native)."""


class OqtopusBackend(BackendV2):
    """An OQTOPUS device as a Qiskit backend.

    Obtain one from `OqtopusProvider.get_backend`. Its `target` comes from the device's
    calibration (gate errors and durations, readout errors, T1/T2, directed couplings), so
    ``qiskit.transpile(circuit, backend)`` optimizes for the device. A circuit transpiled for this
    backend (it has a ``layout``) and using only the device's native gates runs as is; any other
    circuit is transpiled by OQTOPUS.

    Options, set with ``backend.set_options(...)`` or ``backend.run(..., option=value)``:

    - ``shots`` (int): Shots per circuit, 1..10,000,000. Default 1024.
    - ``memory`` (bool): Also return per-shot memory, synthesized from counts (grouped by outcome).
    - ``transpiler_info`` (dict | None): OQTOPUS transpiler settings; ``None`` lets the service
      decide (``{"transpiler_lib": None}`` for native transpiled circuits).
    - ``mitigation_info`` (dict | None): e.g. ``{"ro_error_mitigation": "pseudo_inverse"}``.
    - ``simulator_info`` (dict | None): Passed through to simulator devices.
    - ``seed_simulator`` (int | None): Seed of the device's simulator, sent as
      ``simulator_info["seed_simulation"]``; a call that sends several jobs seeds each with its
      own seed derived from this one (`job_seeds`). Simulators honour it; a real QPU ignores it.
    - ``job_name`` (str | None): Job name on the service (default: the circuit's name).
    - ``job_description`` (str | None): Job description on the service.
    - ``multiprogramming`` (bool): Pack a list of circuits into ``multi_manual`` jobs, side by
      side on disjoint qubits of one device run (crosstalk possible). Each circuit counts only
      the qubits it acts on (a circuit transpiled for the device loses its idle qubits, and the
      service lays out the combined program); circuits that do not fit together go to a further
      job. Default ``False``: one job per circuit, submitted concurrently.
    - ``max_concurrency`` (int | None): Most submissions in flight at once (``None``: core
      default).

    Args:
        provider: The provider that created this backend.
        device: The core ``OqtopusDevice`` this backend runs on.
    """

    def __init__(self, provider: ServiceClients, device: Any) -> None:
        super().__init__(
            provider=provider,
            name=device.device_id,
            description=device.description,
            backend_version=str(getattr(device, "calibrated_at", None) or "1"),
        )
        self._device = device
        self._target = _device_target(device)
        self.options.set_validator("shots", (1, MAX_SHOTS))

    @classmethod
    def _default_options(cls) -> Options:
        return Options(
            shots=1024,
            memory=False,
            transpiler_info=None,
            mitigation_info=None,
            simulator_info=None,
            seed_simulator=None,
            job_name=None,
            job_description=None,
            multiprogramming=False,
            max_concurrency=None,
        )

    @property
    def target(self) -> Target:
        """The device's Target (calibrated when the device publishes calibration)."""
        return self._target

    @property
    def max_circuits(self) -> None:
        """No limit: a list becomes concurrent OQTOPUS jobs behind one Qiskit job."""
        return None

    @property
    def device(self) -> Any:
        """The core ``OqtopusDevice`` (status, ``n_pending_jobs``, raw ``device_info``...)."""
        return self._device

    @property
    def provider(self) -> ServiceClients:
        """The provider that created this backend."""
        return self._provider  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__}({self.name!r}, {self._device_type()}, "
            f"num_qubits={self.num_qubits}, status={getattr(self._device, 'status', None)!r})>"
        )

    def _device_type(self) -> str:
        return str(getattr(self._device, "device_type", None) or "QPU")

    def set_options(self, **fields: Any) -> None:
        """Set default options for `run`; unknown names or bad values raise.

        Raises:
            AttributeError: For an option this backend does not have.
            OqtopusInputError: For a value of the wrong type or out of range.
        """
        for name in fields:
            if not hasattr(self._options, name):
                raise AttributeError(f"Options field {name} is not valid for this backend")
        validate_options(fields)
        if "shots" in fields:
            fields["shots"] = int(fields["shots"])
        super().set_options(**fields)

    def device_status(self) -> str:
        """The device's status on the service (``"available"``, ``"unavailable"``...), refreshed."""
        self._device.refresh()
        return str(self._device.status)

    def retrieve_job(self, job_id: str) -> Any:
        """Retrieve a job of this backend by its (composite) id; see ``OqtopusProvider``."""
        return self.provider.retrieve_job(job_id)

    def run(
        self, run_input: QuantumCircuit | Sequence[QuantumCircuit], **options: Any
    ) -> OqtopusJob:
        """Run circuits on the device and return one job for all of them, without waiting.

        A circuit without classical bits is not submitted (OQTOPUS refuses programs that measure
        nothing); its result has no counts, as Aer's.

        Args:
            run_input: A circuit or a list of circuits, parameters bound, measured into classical
                registers. Qubit ``i`` of a circuit transpiled for this backend is physical qubit
                ``i``.
            **options: Overrides of `options` for this call (see the class docstring).

        Returns:
            An `OqtopusJob`; ``job.result()`` waits and returns a Qiskit ``Result``.

        Raises:
            OqtopusCircuitError: A circuit has unbound parameters, control flow, classical
                variables, more qubits than the device, or an instruction (``reset``,
                ``delay``) the device does not list.
            OqtopusInputError: An unknown option or a bad option value.
            BackendError: The service refused a submission.
        """
        circuits = _circuit_list(run_input)
        opts = self.run_options(options)
        for circuit in circuits:
            self.check_operations(circuit)
        layouts = [CircuitLayout.from_circuit(c) for c in circuits]
        measured = [i for i, c in enumerate(circuits) if c.num_clbits]
        experiments = [
            Experiment(None, None, layout, c.metadata, opts["shots"])
            for c, layout in zip(circuits, layouts, strict=True)
        ]
        if opts["multiprogramming"] and len(measured) > 1:
            children = self._run_packed(circuits, layouts, measured, opts, experiments)
        else:
            programs = [
                circuit_to_program(circuits[i], self.num_qubits, layout=layouts[i])
                for i in measured
            ]
            infos = [self.transpiler_info_for(circuits[i], opts) for i in measured]
            names = [circuits[i].name for i in measured]
            children = self.submit_programs([[p] for p in programs], opts, infos, names=names)
            for child, i in enumerate(measured):
                experiments[i] = Experiment(child, None, layouts[i], circuits[i].metadata)
        warn_dropped_metadata(experiments, "a retrieved job lacks them")
        return OqtopusJob(self, JobBatch(children), experiments, memory=opts["memory"])

    def _run_packed(
        self,
        circuits: Sequence[QuantumCircuit],
        layouts: Sequence[CircuitLayout],
        measured: Sequence[int],
        opts: Mapping[str, Any],
        experiments: list[Experiment],
    ) -> list[Any]:
        """Submit the measured circuits as multi_manual jobs packed by the qubits they use."""
        chosen = opts["transpiler_info"]
        # "Run as is" keeps each circuit whole (its qubits are physical qubits).
        as_is = (
            chosen is not None and "transpiler_lib" in chosen and chosen["transpiler_lib"] is None
        )
        sent = {i: circuits[i] if as_is else strip_idle_qubits(circuits[i]) for i in measured}
        groups = pack_by_qubits([(i, sent[i].num_qubits) for i in measured], self.num_qubits)
        programs = [
            [circuit_to_program(sent[i], self.num_qubits, layout=layouts[i]) for i in group]
            for group in groups
        ]
        # Stripped circuits are no longer on the device's couplings: the service lays them out,
        # unless the user chose a transpiler_info.
        info = dict(chosen) if chosen is not None else None
        children = self.submit_programs(
            programs, opts, [info] * len(groups), job_type="multi_manual"
        )
        for child, group in enumerate(groups):
            for position, i in enumerate(group):
                experiments[i] = Experiment(child, position, layouts[i], circuits[i].metadata)
        return children

    def check_operations(self, circuit: QuantumCircuit) -> None:
        """Raise unless every non-gate operation of ``circuit`` is one the device runs.

        Gates are translated by the service; ``reset`` (also inside ``initialize``), ``measure``
        and ``delay`` cannot be, so a device must list them (issue 14).

        Raises:
            OqtopusCircuitError: Naming the operation and what the device offers instead.
        """
        offered = set(self.target.operation_names)
        missing = sorted(_non_gate_operations(circuit) - offered)
        if missing:
            runs = sorted(offered & _NON_GATE_NAMES)
            raise OqtopusCircuitError(
                f"circuit {circuit.name!r} uses {', '.join(missing)}, which device {self.name} "
                f"does not run (its non-gate instructions: {', '.join(runs) or 'none'}); remove "
                "it, or use a device whose supported_instructions list it"
            )

    def submit_programs(
        self,
        programs: Sequence[Sequence[str]],
        opts: Mapping[str, Any],
        transpiler_infos: Sequence[dict[str, Any] | None],
        *,
        shots: Sequence[int] | None = None,
        names: Sequence[str | None] | None = None,
        job_type: str | None = None,
    ) -> list[Any]:
        """Submit one sampling job per entry of ``programs``, concurrently; return the core jobs.

        This is the adapter's one submission path (``run`` and ``OqtopusSamplerV2`` use it).

        Args:
            programs: Per job, its programs (exactly one unless ``job_type`` is multi_manual).
            opts: Resolved run options (see `run_options`).
            transpiler_infos: Per job, its ``transpiler_info``.
            shots: Per job, its shots (default ``opts["shots"]``).
            names: Per job, its name when ``opts["job_name"]`` is not set.
            job_type: ``"multi_manual"`` to pack each entry's programs into one job.
        """
        sampler = self.provider.sampling_backend
        seeds = job_seeds(
            resolve_seed(opts.get("seed_simulator"), opts["simulator_info"]), len(programs)
        )

        def submit(index: int) -> Any:
            name = opts["job_name"] or (names[index] if names is not None else None)
            program = list(programs[index])
            return sampler.sample_qasm(
                program if job_type == "multi_manual" else program[0],
                device_id=self.name,
                shots=shots[index] if shots is not None else opts["shots"],
                name=name,
                description=opts["job_description"],
                transpiler_info=transpiler_infos[index],
                simulator_info=seeded_simulator_info(opts["simulator_info"], seeds[index]),
                mitigation_info=opts["mitigation_info"],
                job_type=job_type,
            )

        calls = [lambda i=i: submit(i) for i in range(len(programs))]
        return run_concurrently(calls, max_workers=opts.get("max_concurrency"))

    def run_options(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """Return `options` overridden by ``overrides``, validated.

        ``meas_level=2`` (what Qiskit's generic primitives and other providers pass) is accepted;
        ``seed_simulator`` is an option like the others.

        Raises:
            OqtopusInputError: For an unknown option or a bad value; for options OQTOPUS cannot
                honour (``meas_level`` 0/1, ``meas_return``, ``init_qubits``, ``rep_delay``,
                ``noise_model``, ``parameter_binds``), naming what to do instead.
        """
        known = dict(self.options.items())
        check_foreign_options(overrides)
        unknown = sorted(set(overrides) - set(known) - TOLERATED)
        if unknown:
            raise OqtopusInputError(
                f"unknown run option(s) {unknown} for backend {self.name}; "
                f"valid options are {sorted(known)}"
            )
        chosen = {k: v for k, v in overrides.items() if k in known}
        validate_options(chosen)
        if "shots" in chosen:
            chosen["shots"] = int(chosen["shots"])  # numpy integers travel as plain ints
        return {**known, **chosen}

    def transpiler_info_for(
        self, circuit: QuantumCircuit, opts: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """The user's setting, else "run as is" for native transpiled circuits, else the default."""
        if opts["transpiler_info"] is not None:
            return dict(opts["transpiler_info"])
        return dict(NO_TRANSPILER) if self.is_native(circuit) else None

    def is_native(self, circuit: QuantumCircuit) -> bool:
        """Whether ``circuit`` was transpiled for this device and uses only native operations."""
        if not is_physical(circuit):
            return False
        native = set(self._device.basis_gates) | set(self._device.supported_instructions)
        native |= {"barrier", "measure"}
        return set(circuit.count_ops()) <= native


def _circuit_list(run_input: Any) -> list[QuantumCircuit]:
    circuits = [run_input] if isinstance(run_input, QuantumCircuit) else list(run_input)
    for circuit in circuits:
        if not isinstance(circuit, QuantumCircuit):
            raise OqtopusInputError(
                f"run() takes QuantumCircuit objects, got {type(circuit).__name__}; "
                "convert other programs with qiskit.qasm3.loads first"
            )
    if not circuits:
        raise OqtopusInputError("run() was given no circuits")
    return circuits


def pack_by_qubits(sizes: Sequence[tuple[int, int]], capacity: int) -> list[list[int]]:
    """Group ``(index, qubits)`` items in order, each group using at most ``capacity`` qubits.

    Example:
        ``pack_by_qubits([(0, 10), (1, 5), (2, 3)], 16)`` returns ``[[0, 1], [2]]``.
    """
    groups: list[list[int]] = []
    used = capacity + 1
    for index, qubits in sizes:
        if used + qubits > capacity:
            groups.append([])
            used = 0
        groups[-1].append(index)
        used += qubits
    return groups


_NON_GATE_NAMES = frozenset({"measure", "reset", "delay"})


def _non_gate_operations(circuit: QuantumCircuit) -> set[str]:
    """Names of measure/reset/delay used by ``circuit``, looking inside non-gate definitions."""
    found: set[str] = set()
    for inst in circuit.data:
        if inst.is_standard_gate():  # a Gate: skipped without building its Python object
            continue
        operation = inst.operation
        if operation.name in _NON_GATE_NAMES:
            found.add(operation.name)
        elif not isinstance(operation, (Gate, ControlFlowOp)) and operation.name != "barrier":
            definition = getattr(operation, "definition", None)
            if definition is not None:
                found |= _non_gate_operations(definition)
    return found


def _device_target(device: Any) -> Target:
    return build_target(
        num_qubits=getattr(device, "n_qubits", None),
        basis_gates=list(getattr(device, "basis_gates", None) or []),
        supported_instructions=list(getattr(device, "supported_instructions", None) or []),
        device_type=str(getattr(device, "device_type", "QPU") or "QPU"),
        device_info=getattr(device, "device_info", None),
        description=getattr(device, "description", None),
    )
