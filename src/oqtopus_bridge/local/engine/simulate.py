"""Run circuits on qiskit-aer, ideal or with a noise model derived from the device calibration.

Counts keys are bitstrings over all classical bits with classical bit 0 rightmost (Aer's order,
which is the wire order), register separators removed, zero counts absent. Aer's qubit truncation
(``enable_truncation``, on by default) simulates only the qubits the circuit uses; measured qubits
that no gate touches and ideal circuits with terminal measurements take the shortcuts of
`sampling` (issue 22).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit_aer import AerSimulator
from qiskit_aer.noise import (
    NoiseModel,
    QuantumError,
    ReadoutError,
    depolarizing_error,
    thermal_relaxation_error,
)

from ..devices import Device
from ..errors import JobFailure
from . import sampling

#: Limits of this process's simulations, set by an engine worker at start (`configure`).
_limits: dict[str, int] = {}
_BYTES_PER_AMPLITUDE = 16  # complex128 statevector
_MAX_NOISE_MODELS = 32
#: Aer's ``statevector_parallel_threshold``: fewer touched qubits simulate on one thread.
PARALLEL_QUBITS = 14
_noise_models: dict[tuple[str, frozenset[int] | None], tuple[Device, NoiseModel]] = {}
_noise_lock = threading.Lock()


def _thermal(qubit: dict[str, Any], duration_ns: float) -> QuantumError | None:
    lifetime = qubit.get("qubit_lifetime") or {}
    if duration_ns <= 0 or "t1" not in lifetime or "t2" not in lifetime:
        return None
    t1 = float(lifetime["t1"]) * 1000.0  # calibration is in microseconds; durations in ns
    t2 = min(float(lifetime["t2"]) * 1000.0, 2 * t1)  # physical bound T2 <= 2 T1
    return thermal_relaxation_error(t1, t2, duration_ns)


def _one_qubit_error(qubit: dict[str, Any], gate: str) -> QuantumError | None:
    duration = float((qubit.get("gate_duration") or {}).get(gate, 0) or 0)
    fidelity = qubit.get("fidelity")
    error: QuantumError | None = None
    if gate != "rz" and fidelity is not None and float(fidelity) < 1.0:
        # Depolarizing parameter whose average gate infidelity is 1 - fidelity (d = 2).
        error = depolarizing_error(min(1.0, 2.0 * (1.0 - float(fidelity))), 1)
    thermal = _thermal(qubit, duration)
    if thermal is not None:
        error = thermal if error is None else error.compose(thermal)
    return error


def _two_qubit_error(
    coupling: dict[str, Any], control: dict[str, Any], target: dict[str, Any]
) -> QuantumError | None:
    durations = coupling.get("gate_duration") or {}
    duration = float(durations.get("cx", durations.get("rzx90", 0)) or 0)
    fidelity = coupling.get("fidelity")
    error: QuantumError | None = None
    if fidelity is not None and float(fidelity) < 1.0:
        error = depolarizing_error(min(16 / 15, 4.0 / 3.0 * (1.0 - float(fidelity))), 2)
    thermal_c, thermal_t = _thermal(control, duration), _thermal(target, duration)
    if thermal_c is not None and thermal_t is not None:
        pair = thermal_t.tensor(thermal_c)  # qargs (control, target): control is qubit 0
        error = pair if error is None else error.compose(pair)
    return error


class _SerializedOnce(NoiseModel):  # type: ignore[misc]  # qiskit-aer is untyped
    """A noise model that serializes itself once: Aer calls ``to_dict`` on every run.

    ``to_dict(serializable=True)`` turns every error into JSON and back: 0.7-1.5 s for the
    16-qubit ``anemone``, paid by each noisy job before its simulation (of a few milliseconds).
    Any change to the model drops the cached form.
    """

    def to_dict(self, serializable: bool = False) -> dict[str, Any]:
        """Return ``NoiseModel.to_dict``, computed once per form until the model changes."""
        cache: dict[bool, dict[str, Any]] = self.__dict__.setdefault("_serialized", {})
        if serializable not in cache:
            cache[serializable] = super().to_dict(serializable)
        return cache[serializable]

    def _changed(self) -> None:
        self.__dict__.pop("_serialized", None)

    def reset(self) -> None:  # noqa: D102  (the mutators of NoiseModel, unchanged)
        self._changed()
        super().reset()

    def add_basis_gates(self, *args: Any, **kwargs: Any) -> None:  # noqa: D102
        self._changed()
        super().add_basis_gates(*args, **kwargs)

    def add_all_qubit_quantum_error(self, *args: Any, **kwargs: Any) -> None:  # noqa: D102
        self._changed()
        super().add_all_qubit_quantum_error(*args, **kwargs)

    def add_quantum_error(self, *args: Any, **kwargs: Any) -> None:  # noqa: D102
        self._changed()
        super().add_quantum_error(*args, **kwargs)

    def add_all_qubit_readout_error(self, *args: Any, **kwargs: Any) -> None:  # noqa: D102
        self._changed()
        super().add_all_qubit_readout_error(*args, **kwargs)

    def add_readout_error(self, *args: Any, **kwargs: Any) -> None:  # noqa: D102
        self._changed()
        super().add_readout_error(*args, **kwargs)


def noise_model(device: Device, only: frozenset[int] | None = None) -> NoiseModel:
    """Return the Aer noise model of a device: depolarizing + thermal relaxation + readout.

    Args:
        device: The device, with its calibration.
        only: Build only the errors of these physical qubits (and of couplings between them):
            a circuit that touches no other qubit samples exactly the same counts with it.
    """
    qubits = device.device_info.get("qubits", [])
    model = _SerializedOnce(basis_gates=list(device.basis_gates))
    for index, qubit in enumerate(qubits):
        if only is not None and index not in only:
            continue
        for gate in device.basis_gates:
            if gate == "cx":
                continue
            error = _one_qubit_error(qubit, gate)
            if error is not None:
                model.add_quantum_error(error, gate, [index])
        meas = qubit.get("meas_error") or {}
        p10 = float(meas.get("prob_meas1_prep0", 0.0))
        p01 = float(meas.get("prob_meas0_prep1", 0.0))
        if p10 or p01:
            model.add_readout_error(ReadoutError([[1 - p10, p10], [p01, 1 - p01]]), [index])
    if "cx" in device.basis_gates:
        for coupling in device.device_info.get("couplings", []):
            control, target = int(coupling["control"]), int(coupling["target"])
            if only is not None and not {control, target} <= only:
                continue
            error = _two_qubit_error(coupling, qubits[control], qubits[target])
            if error is not None:
                model.add_quantum_error(error, "cx", [control, target])
    return model


def simulator(
    device: Device,
    seed: int | None,
    circuits: list[QuantumCircuit] | None = None,
    touched: list[frozenset[int]] | None = None,
) -> AerSimulator:
    """Return an AerSimulator for ``device`` (noisy when the catalog says so).

    Given the ``circuits`` it will run, its noise model holds only the errors of the qubits they
    touch: Aer converts the whole model on every run (0.6-0.8 s for the 16-qubit ``anemone``
    against 0.1-0.2 s for the four qubits of a batch circuit), and the counts are the same.
    ``touched`` gives each circuit's touched qubits when the caller knows them (`sampling.Plan`).
    """
    options = _options(device, circuits, touched)
    if seed is not None:
        options["seed_simulator"] = seed
    return AerSimulator(**options)


def _options(
    device: Device,
    circuits: list[QuantumCircuit] | None,
    touched: list[frozenset[int]] | None,
) -> dict[str, Any]:
    if circuits is not None and touched is None:
        touched = [_touched([circuit]) for circuit in circuits]
    options: dict[str, Any] = {}
    if "threads" in _limits:
        options["max_parallel_threads"] = _threads_for(circuits, _limits["threads"], touched)
    if "memory_bytes" in _limits:
        options["max_memory_mb"] = max(1, _limits["memory_bytes"] // 2**20)
    if device.noisy:
        only = None if touched is None else frozenset().union(*touched)
        options["noise_model"] = cached_noise_model(device, only)
    return options


_simulators: dict[tuple[Any, ...], tuple[Device, AerSimulator]] = {}


def _kept_simulator(
    device: Device, circuits: list[QuantumCircuit], touched: list[frozenset[int]]
) -> AerSimulator:
    """`simulator` without a seed, kept per device and options: building one cost 0.1 ms a job.

    A run's seed is given to ``run`` instead (a run option overrides the simulator's own for
    that run only), so every job gets what a simulator built with its seed gives.
    """
    options = _options(device, circuits, touched)
    only = frozenset().union(*touched) if device.noisy else None  # what the noise model holds
    key = (
        device.device_id,
        options.get("max_parallel_threads"),
        options.get("max_memory_mb"),
        only,
    )
    with _noise_lock:
        hit = _simulators.get(key)
        if hit is not None and hit[0] is device:
            return hit[1]
    made = AerSimulator(**options)
    with _noise_lock:
        if len(_simulators) >= _MAX_NOISE_MODELS:
            _simulators.clear()
        _simulators[key] = (device, made)
    return made


def _threads_for(
    circuits: list[QuantumCircuit] | None,
    threads: int,
    touched: list[frozenset[int]] | None = None,
) -> int:
    """The Aer threads worth using: the job's own only for circuits wide enough to parallelise.

    Aer parallelises a statevector's updates from `PARALLEL_QUBITS` touched qubits on; below
    that, more threads only cost (a Bell job: 0.9 ms of CPU per run on one thread, 9.1 ms on
    two; an 8-qubit one 1.4 and 9.8 ms; a noisy 1000-shot Bell job 16 and 32 ms).
    """
    if circuits is None or threads <= 1:
        return max(1, threads)
    if touched is None:
        touched = [_touched([circuit]) for circuit in circuits]
    wide = any(
        circuit.num_qubits >= PARALLEL_QUBITS and len(used) >= PARALLEL_QUBITS
        for circuit, used in zip(circuits, touched, strict=True)
    )
    return threads if wide else 1


def _touched(circuits: list[QuantumCircuit]) -> frozenset[int]:
    """The qubit indices (physical, once transpiled) that some instruction acts on."""
    touched: set[int] = set()
    for circuit in circuits:
        index = {qubit: i for i, qubit in enumerate(circuit.qubits)}
        for instruction in circuit.data:
            touched.update(index[qubit] for qubit in instruction.qubits)
    return frozenset(touched)


def cached_noise_model(device: Device, only: frozenset[int] | None = None) -> NoiseModel:
    """`noise_model`, built once per device calibration (and qubit set) in this process.

    Building it takes 0.7-1 s for the 16-qubit ``anemone`` (one Qiskit error object per gate,
    qubit and coupling), which every noisy job paid before it simulated. A worker receives a
    fresh copy of the device with each job, so the entry is matched by value: a recalibrated
    device compares unequal and gets a new model. Aer only reads the model.
    """
    key = (device.device_id, only)
    with _noise_lock:
        hit = _noise_models.get(key)
        if hit is not None and (hit[0] is device or hit[0] == device):
            return hit[1]
    model = noise_model(device, only)
    with _noise_lock:
        if len(_noise_models) >= _MAX_NOISE_MODELS:
            _noise_models.clear()
        _noise_models[key] = (device, model)
    return model


def configure(threads: int, memory_bytes: int) -> None:
    """Bound this process's simulations: Aer threads, and memory per simulation (issue 16).

    An engine worker calls it once, so that workers together use each core once and a job too
    large for a worker's memory fails with a message instead of taking the machine down.
    """
    _limits.update(threads=max(1, threads), memory_bytes=max(1, memory_bytes))


def check_memory(
    circuits: list[QuantumCircuit], touched: list[frozenset[int]] | None = None
) -> None:
    """Fail a job whose statevector would not fit in this worker's memory, before simulating.

    Aer simulates only the qubits a circuit touches (truncation), so those are what counts
    (``touched``: each circuit's, when the caller knows them).
    """
    budget = _limits.get("memory_bytes")
    if budget is None:
        return
    for used in touched if touched is not None else [_touched([c]) for c in circuits]:
        needed = _BYTES_PER_AMPLITUDE * 2 ** len(used)
        if needed > budget:
            raise JobFailure(
                f"the job needs about {_size(needed)} of memory to simulate {len(used)} qubits, "
                f"more than an engine worker may use ({_size(budget)}); use fewer qubits, or "
                "start the server with fewer workers or a larger worker_memory_bytes"
            )


def _size(count: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count / 2**10:.1f} KiB"


def seed_of(simulator_info: dict[str, Any] | None) -> int | None:
    """Return ``simulator_info.seed_simulation`` if it is an integer."""
    value = (simulator_info or {}).get("seed_simulation")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def run_counts(
    circuits: list[QuantumCircuit], device: Device, shots: int, seed: int | None
) -> list[dict[str, int]]:
    """Sample each circuit ``shots`` times; return wire-format counts per circuit.

    Idle qubits (measured, never acted on) are not simulated but drawn from their readout error,
    and on an ideal device a circuit whose measurements are all terminal is sampled from its
    final probabilities (`sampling`): the same distributions as Aer's per-shot runs, faster.
    """
    for circuit in circuits:
        if circuit.num_clbits == 0:
            raise JobFailure("the program measures nothing: add measurements to sample it")
    return run_plans([sampling.plan(circuit, device) for circuit in circuits], device, shots, seed)


def run_plans(
    plans: list[sampling.Plan], device: Device, shots: int, seed: int | None
) -> list[dict[str, int]]:
    """`run_counts` of circuits already planned (`sampling.plan`, kept by a prepared program)."""
    reduced = [p.circuit for p in plans]
    check_memory(reduced, [p.touched for p in plans])
    # numpy takes seeds in 0..2**128; Aer takes any integer (a negative one killed the worker)
    rng = np.random.default_rng(None if seed is None else seed % 2**64)
    counts: list[dict[str, int] | None] = [None] * len(reduced)
    if not device.noisy:
        counts = _probability_counts(plans, device, shots, rng)
    pending = [i for i, found in enumerate(counts) if found is None]
    if pending:
        sampled = _aer_counts([plans[i] for i in pending], device, shots, seed)
        for index, found in zip(pending, sampled, strict=True):
            counts[index] = found
    return [
        sampling.add_idle_bits(found or {}, p.idle, rng)
        for found, p in zip(counts, plans, strict=True)
    ]


def _probability_counts(
    plans: list[sampling.Plan], device: Device, shots: int, rng: np.random.Generator
) -> list[dict[str, int] | None]:
    """Counts drawn from final probabilities where the shortcut applies (None elsewhere)."""
    with_body = [p for p in plans if p.body is not None and p.qubits]
    if with_body:
        bodies = [p.body for p in with_body if p.body is not None]
        aer = _kept_simulator(device, bodies, [p.touched for p in with_body])
        result = _run(aer, bodies, 1, None)
    counts: list[dict[str, int] | None] = []
    done = 0
    for p in plans:
        if p.body is None:
            counts.append(None)
            continue
        probabilities: Any = [1.0]
        if p.qubits:
            probabilities = result.data(done)["probabilities"]
            done += 1
        counts.append(
            sampling.draw_counts(probabilities, p.circuit, p.qubits, shots, rng, p.measured)
        )
    return counts


def _run(aer: AerSimulator, circuits: list[QuantumCircuit], shots: int, seed: int | None) -> Any:
    options = {} if seed is None else {"seed_simulator": seed}
    try:
        result = aer.run(circuits, shots=shots, **options).result()
    except Exception as exc:  # Aer reports invalid circuits with several exception types
        raise JobFailure(f"simulation failed: {exc}") from exc
    if not result.success:
        raise JobFailure(f"simulation failed: {_aer_reason(result)}")
    return result


def _aer_counts(
    plans: list[sampling.Plan], device: Device, shots: int, seed: int | None
) -> list[dict[str, int]]:
    """Aer's per-shot counts of each planned circuit (wire format)."""
    circuits = [p.circuit for p in plans]
    aer = _kept_simulator(device, circuits, [p.touched for p in plans])
    result = _run(aer, circuits, shots, seed)
    counts = []
    for index, (circuit, p) in enumerate(zip(circuits, plans, strict=True)):
        if not p.measures:
            # Declared but never measured: the device gateway reports unmeasured clbits as 0.
            counts.append({"0" * circuit.num_clbits: shots})
            continue
        raw = result.get_counts(index)
        merged: dict[str, int] = {}
        for key, value in raw.items():
            bits = key.replace(" ", "")
            if value:
                merged[bits] = merged.get(bits, 0) + int(value)
        counts.append(merged)
    return counts


def _aer_reason(result: Any) -> str:
    """Aer's own explanation of a failed run (e.g. "Insufficient memory ..."), made actionable."""
    status = str(getattr(result, "status", "") or "")
    for experiment in getattr(result, "results", []) or []:
        if not experiment.success:
            status = str(experiment.status)
            break
    if "memory" in status.lower():
        return f"{status} (the engine worker's memory limit; use fewer qubits)"
    return status or "unknown Aer error"
