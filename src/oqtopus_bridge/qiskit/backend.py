"""``OqtopusBackend``: one OQTOPUS device as a Qiskit ``BackendV2``.

``run`` converts every circuit to a self-describing OpenQASM 3 program, submits one OQTOPUS
sampling job per circuit concurrently (or one ``multi_manual`` job when ``multiprogramming`` is on)
and returns a single `OqtopusJob` at once.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qiskit import QuantumCircuit
from qiskit.providers import BackendV2, Options
from qiskit.transpiler import Target

from oqtopus_bridge.concurrency import run_concurrently
from oqtopus_bridge.qiskit._batch import JobBatch
from oqtopus_bridge.qiskit._convert import circuit_to_program, is_physical, layout_from_program
from oqtopus_bridge.qiskit.exceptions import OqtopusInputError
from oqtopus_bridge.qiskit.job import Experiment, OqtopusJob, experiments_from_programs
from oqtopus_bridge.qiskit.target import build_target

if TYPE_CHECKING:
    from oqtopus_bridge.qiskit.provider import OqtopusProvider

__all__ = ["MAX_SHOTS", "NO_TRANSPILER", "OqtopusBackend"]

MAX_SHOTS = 10_000_000
"""The service's shot limit per job (``shots`` in 1..10,000,000)."""

NO_TRANSPILER: dict[str, Any] = {"transpiler_lib": None}
"""``transpiler_info`` that tells OQTOPUS to run a program as is (it is already native)."""

# Options Qiskit's generic primitives pass to every backend (BackendSamplerV2/BackendEstimatorV2).
_TOLERATED = frozenset({"seed_simulator"})
_DICT_OPTIONS = ("transpiler_info", "mitigation_info", "simulator_info")
_TEXT_OPTIONS = ("job_name", "job_description")
_BOOL_OPTIONS = ("memory", "multiprogramming")


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
    - ``job_name`` (str | None): Job name on the service (default: the circuit's name).
    - ``job_description`` (str | None): Job description on the service.
    - ``multiprogramming`` (bool): Pack a list of circuits into one ``multi_manual`` job, side by
      side on disjoint qubits of one device run (crosstalk possible). Default ``False``: one job
      per circuit, submitted concurrently.
    - ``max_concurrency`` (int | None): Most submissions in flight at once (``None``: core
      default).

    Args:
        provider: The provider that created this backend.
        device: The core ``OqtopusDevice`` this backend runs on.
    """

    def __init__(self, provider: OqtopusProvider, device: Any) -> None:
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
    def provider(self) -> OqtopusProvider:
        """The provider that created this backend."""
        return self._provider  # type: ignore[no-any-return]

    def set_options(self, **fields: Any) -> None:
        """Set default options for `run`; unknown names or bad values raise.

        Raises:
            AttributeError: For an option this backend does not have.
            OqtopusInputError: For a value of the wrong type or out of range.
        """
        for name in fields:
            if not hasattr(self._options, name):
                raise AttributeError(f"Options field {name} is not valid for this backend")
        _validate(fields)
        super().set_options(**fields)

    def device_status(self) -> str:
        """The device's status on the service (``"available"``, ``"unavailable"``...), refreshed."""
        self._device.refresh()
        return str(self._device.status)

    def retrieve_job(self, job_id: str) -> OqtopusJob:
        """Retrieve a job of this backend by its (composite) id; see ``OqtopusProvider``."""
        return self.provider.retrieve_job(job_id)

    def run(
        self, run_input: QuantumCircuit | Sequence[QuantumCircuit], **options: Any
    ) -> OqtopusJob:
        """Run circuits on the device and return one job for all of them, without waiting.

        Args:
            run_input: A circuit or a list of circuits, parameters bound, measured into classical
                registers. Qubit ``i`` of a circuit transpiled for this backend is physical qubit
                ``i``.
            **options: Overrides of `options` for this call (see the class docstring).

        Returns:
            An `OqtopusJob`; ``job.result()`` waits and returns a Qiskit ``Result``.

        Raises:
            OqtopusCircuitError: A circuit has unbound parameters, control flow, classical
                variables, or more qubits than the device.
            OqtopusInputError: An unknown option or a bad option value.
            BackendError: The service refused a submission.
        """
        circuits = _circuit_list(run_input)
        opts = self.run_options(options)
        programs = [circuit_to_program(c, self.num_qubits) for c in circuits]
        infos = [self.transpiler_info_for(c, opts) for c in circuits]
        if opts["multiprogramming"] and len(circuits) > 1:
            child = self.submit_programs([programs], opts, [infos[0]], job_type="multi_manual")
            experiments = experiments_from_programs(0, programs, multi=True)
        else:
            names = [c.name for c in circuits]
            child = self.submit_programs([[p] for p in programs], opts, infos, names=names)
            experiments = [
                Experiment(i, None, layout_from_program(p)) for i, p in enumerate(programs)
            ]
        return OqtopusJob(self, JobBatch(child), experiments, memory=opts["memory"])

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
                simulator_info=opts["simulator_info"],
                mitigation_info=opts["mitigation_info"],
                job_type=job_type,
            )

        calls = [lambda i=i: submit(i) for i in range(len(programs))]
        return run_concurrently(calls, max_workers=opts.get("max_concurrency"))

    def run_options(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """Return `options` overridden by ``overrides``, validated.

        Raises:
            OqtopusInputError: For an unknown option or a bad value.
        """
        known = dict(self.options.items())
        unknown = sorted(set(overrides) - set(known) - _TOLERATED)
        if unknown:
            raise OqtopusInputError(
                f"unknown run option(s) {unknown} for backend {self.name}; "
                f"valid options are {sorted(known)}"
            )
        if overrides.get("seed_simulator") is not None:
            warnings.warn(
                "seed_simulator is ignored: OQTOPUS devices are not seeded",
                UserWarning,
                stacklevel=3,
            )
        chosen = {k: v for k, v in overrides.items() if k in known}
        _validate(chosen)
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


def _validate(options: Mapping[str, Any]) -> None:
    """Check option types and ranges, with messages that say what is expected."""
    for name, value in options.items():
        if name == "shots" and (
            isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SHOTS
        ):
            raise OqtopusInputError(f"shots must be an integer in 1..{MAX_SHOTS:,}, got {value!r}")
        if name in _DICT_OPTIONS and value is not None and not isinstance(value, Mapping):
            raise OqtopusInputError(f"{name} must be a dict or None, got {type(value).__name__}")
        if name in _TEXT_OPTIONS and value is not None and not isinstance(value, str):
            raise OqtopusInputError(f"{name} must be a string or None, got {type(value).__name__}")
        if name in _BOOL_OPTIONS and not isinstance(value, bool):
            raise OqtopusInputError(f"{name} must be True or False, got {value!r}")
        if (
            name == "max_concurrency"
            and value is not None
            and (not isinstance(value, int) or value < 1)
        ):
            raise OqtopusInputError(
                f"max_concurrency must be a positive integer or None: {value!r}"
            )


def _device_target(device: Any) -> Target:
    return build_target(
        num_qubits=getattr(device, "n_qubits", None),
        basis_gates=list(getattr(device, "basis_gates", None) or []),
        supported_instructions=list(getattr(device, "supported_instructions", None) or []),
        device_type=str(getattr(device, "device_type", "QPU") or "QPU"),
        device_info=getattr(device, "device_info", None),
        description=getattr(device, "description", None),
    )
