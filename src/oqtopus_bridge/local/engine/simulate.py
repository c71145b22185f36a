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

from ..devices import Device
from ..errors import JobFailure
from . import sampling
from .noise import cached_noise_model, noise_model

__all__ = ["cached_noise_model", "noise_model", "run_counts", "run_plans", "simulator"]

#: Limits of this process's simulations, set by an engine worker at start (`configure`).
_limits: dict[str, int] = {}
_BYTES_PER_AMPLITUDE = 16  # complex128 statevector
_MAX_SIMULATORS = 32
#: Aer's ``statevector_parallel_threshold``: fewer touched qubits simulate on one thread.
PARALLEL_QUBITS = 14
_simulators_lock = threading.Lock()


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
    with _simulators_lock:
        hit = _simulators.get(key)
        if hit is not None and hit[0] is device:
            return hit[1]
    made = AerSimulator(**options)
    with _simulators_lock:
        if len(_simulators) >= _MAX_SIMULATORS:
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
