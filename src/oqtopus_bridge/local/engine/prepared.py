"""A worker's cache of prepared programs: parsed, combined, transpiled and planned once (issue 23).

A batch or a repeated experiment sends the same OpenQASM 3 text to the same device many times;
parsing and transpiling it was 40% of a worker's CPU for a small job. The cache is keyed by the
job type, the program texts, the device and the transpiler settings, and holds what
`~oqtopus_bridge.local.engine.pipeline.run_circuit_job` computes from them before simulating:
the circuits, the sampling plan (`.sampling.plan`: idle qubits, the probability circuit), and
the ``transpile_result`` object already zipped. A device matches by identity: a worker keeps
each device object it was sent (see `.worker`), and an edited device arrives as a new object.

Nothing downstream changes a cached circuit (Aer, the mitigation and the estimator read it; the
estimator's measurement circuits are copies), so a job gets the cached objects themselves: the
per-job copy of the transpiled circuit is gone. The cache is bounded by an estimate of its
memory (`MAX_PREPARED_BYTES`, from the programs' text and the circuits' instructions) as well
as by count, so a few very large programs cannot hold the worker's memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple

from qiskit import QuantumCircuit

from ..devices import Device
from .bounded import DeviceCache
from .sampling import Plan

#: Prepared programs kept per worker (the least recently used is dropped first).
MAX_PREPARED = 256
#: The estimated memory of the kept preparations, at most (the least recently used go first).
MAX_PREPARED_BYTES = 64 * 2**20
#: Estimated bytes per circuit instruction kept (a CircuitInstruction, its operation, params).
BYTES_PER_INSTRUCTION = 400


class Prepared(NamedTuple):
    """What a circuit job's programs become before simulation.

    Attributes:
        circuit: The program to run (multi_manual: the combined one), before transpiling.
        transpiled: The circuit Aer runs.
        transpile_doc: The ``transpile_result`` document, or None (no transpiler).
        widths: Classical bits per program (multi_manual), else empty.
        objects: Job objects that depend only on the programs (``combined_program``, and the
            ``transpile_result`` zipped, see `.outcome.Zipped`).
        plan: How ``transpiled`` is sampled (`.sampling.plan`); None for an estimation job.
    """

    circuit: QuantumCircuit
    transpiled: QuantumCircuit
    transpile_doc: dict[str, Any] | None
    widths: list[int]
    objects: dict[str, Any]
    plan: Plan | None = None


#: This worker's preparations (`.bounded.DeviceCache`).
cache: DeviceCache[Prepared] = DeviceCache(MAX_PREPARED, MAX_PREPARED_BYTES)


def weight(programs: list[str], result: Prepared) -> int:
    """Estimated bytes a cached preparation holds: its texts, circuits and objects."""
    circuits = [result.circuit, result.transpiled]
    if result.plan is not None:
        circuits += [result.plan.circuit] + ([result.plan.body] if result.plan.body else [])
    size = sum(len(text) for text in programs)
    size += BYTES_PER_INSTRUCTION * sum(len(circuit.data) for circuit in circuits)
    return size + sum(len(value) for value in result.objects.values() if isinstance(value, bytes))


def prepared(
    job_type: str,
    programs: list[str],
    device: Device,
    transpiler_info: dict[str, Any],
    prepare: Callable[[], Prepared],
) -> Prepared:
    """Return the cached preparation of these programs, or ``prepare()`` them and keep it.

    A failure (``prepare`` raising) is not cached: the job fails with its message each time.
    """
    try:
        settings = json.dumps(transpiler_info, sort_keys=True)
    except (TypeError, ValueError):
        return prepare()
    key = (job_type, tuple(programs), device.device_id, settings)
    found, kept = cache.lookup(key, device)
    if found and kept is not None:
        return kept
    result = prepare()
    cache.store(key, device, result, weight(programs, result))
    return result
