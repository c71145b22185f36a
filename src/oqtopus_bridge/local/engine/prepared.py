"""A worker's cache of prepared programs: parsed, combined and transpiled once per text (issue 23).

A batch or a repeated experiment sends the same OpenQASM 3 text to the same device many times;
parsing and transpiling it was 40% of a worker's CPU for a small job. The cache is keyed by the
job type, the program texts, the device and the transpiler settings, and holds what
`~oqtopus_bridge.local.engine.pipeline.run_circuit_job` computes from them before simulating. A
device matches by identity: a worker keeps each device object it was sent (see `.worker`), and an
edited device arrives as a new object. Each job gets its own copy of the transpiled circuit (14 us
against 2.4 ms to prepare a Bell pair), so a simulation step that changed it cannot reach the next
job.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple

from qiskit import QuantumCircuit

from ..devices import Device

#: Prepared programs kept per worker (the oldest is dropped first).
MAX_PREPARED = 64


class Prepared(NamedTuple):
    """What a circuit job's programs become before simulation.

    Attributes:
        circuit: The program to run (multi_manual: the combined one), before transpiling.
        transpiled: The circuit Aer runs.
        transpile_doc: The ``transpile_result`` document, or None (no transpiler).
        widths: Classical bits per program (multi_manual), else empty.
        objects: Job objects that depend only on the programs (``combined_program``).
    """

    circuit: QuantumCircuit
    transpiled: QuantumCircuit
    transpile_doc: dict[str, Any] | None
    widths: list[int]
    objects: dict[str, Any]


_cache: OrderedDict[tuple[Any, ...], tuple[Device, Prepared]] = OrderedDict()
_lock = threading.Lock()


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
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] is device:
            _cache.move_to_end(key)
            return hit[1]._replace(transpiled=hit[1].transpiled.copy())
    result = prepare()
    with _lock:
        _cache[key] = (device, result)
        while len(_cache) > MAX_PREPARED:
            _cache.popitem(last=False)
    return result._replace(transpiled=result.transpiled.copy())
