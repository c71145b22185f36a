"""The steps of one circuit job (sampling, multi_manual, estimation): input.zip to result.json."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from qiskit import QuantumCircuit

from ..archive import ArchiveError, read_json_entry
from ..devices import Device
from ..errors import JobFailure
from ..repository import JobRecord
from ..storage import ObjectStore, make_zip
from . import sampling, structure
from .circuits import (
    dumps,
    final_mapping,
    parse_program,
    transpile_for_device,
    transpile_result,
)
from .combine import combine, divide
from .estimate import estimate, parse_operator
from .mitigation import mitigate
from .outcome import Outcome, Zipped
from .prepared import Prepared, prepared
from .simulate import run_plans, seed_of

MarkRunning = Callable[[], None]


def load_input(store: ObjectStore, job_id: str) -> dict[str, Any]:
    """Read and validate ``{job_id}/input.zip``: one entry, UTF-8 JSON object.

    Inflates at most the store's ``max_entry_bytes``; every way the zip or its JSON can be broken
    fails the job with a message naming the problem (issue 21), never the worker.
    """
    key = f"{job_id}/input.zip"
    if not store.exists(key):
        raise JobFailure(f"job information input for {job_id} job not found")
    try:
        payload = read_json_entry(store.get(key), "input.zip", store.max_entry_bytes)
    except ArchiveError as exc:
        raise JobFailure(f"invalid input.zip: {exc}") from None
    if not isinstance(payload, dict):
        raise JobFailure("invalid input.zip: input.json must hold a JSON object")
    return payload


def _programs(payload: dict[str, Any], job_type: str) -> list[str]:
    programs = payload.get("program")
    if not isinstance(programs, list) or not programs:
        raise JobFailure(f"a {job_type} job needs a non-empty 'program' list in input.json")
    if job_type != "multi_manual" and len(programs) != 1:
        raise JobFailure(f"a {job_type} job takes exactly one program, got {len(programs)}")
    if not all(isinstance(p, str) for p in programs):
        raise JobFailure("every program must be an OpenQASM 3 string")
    return programs


def _mitigation_method(record: JobRecord) -> tuple[str | None, str | None]:
    """Return the readout mitigation to apply and a note when the requested one is ignored.

    The real engine acts on ``pseudo_inverse`` only and ignores any other value: the job
    succeeds unmitigated (``oqtopus-engine:core/.../ro_error_mitigation_step.py``). The note
    says so in ``job_info.message``.
    """
    method = (record.mitigation_info or {}).get("ro_error_mitigation")
    if method in (None, "pseudo_inverse"):
        return method, None
    note = (
        f"ro_error_mitigation {method!r} is not supported and was ignored, so the result is "
        "unmitigated; use 'pseudo_inverse' (or omit it)"
    )
    return None, note


def _mitigated(
    method: str | None, counts: dict[str, int], circuit: QuantumCircuit, device: Device
) -> dict[str, int]:
    if method is None:
        return counts
    return mitigate(counts, circuit, device)


def _prepare(
    job_type: str, programs: list[str], device: Device, transpiler_info: dict[str, Any]
) -> Prepared:
    """Parse, combine (multi_manual) and transpile the programs of a job.

    A sampling or estimation program whose angles lift out (`.structure`) is bound into its
    skeleton's template instead: no parse, no transpile of its own.
    """
    if job_type in ("sampling", "estimation"):
        bound = _from_template(job_type, programs[0], device, transpiler_info)
        if bound is not None:
            return bound
    circuits = [parse_program(text, i) for i, text in enumerate(programs)]
    widths: list[int] = []
    circuit = circuits[0]
    objects: dict[str, Any] = {}
    if job_type == "multi_manual":
        circuit, widths = combine(circuits, device.n_qubits)
        objects["combined_program"] = dumps(circuit, native=False).encode()  # users' gates
    if job_type != "estimation" and circuit.num_clbits == 0:
        raise JobFailure("the program measures nothing: add measurements to sample it")
    if job_type == "estimation":
        circuit = circuit.remove_final_measurements(inplace=False) or circuit
    transpiled, transpiled_doc = transpile_for_device(circuit, device, transpiler_info)
    return _finish(job_type, circuit, transpiled, device, widths, objects, transpiled_doc)


def _from_template(
    job_type: str, program: str, device: Device, transpiler_info: dict[str, Any]
) -> Prepared | None:
    """The program bound into its skeleton's template, or None when it has none."""
    lifted = structure.lift(program)
    if lifted is None:
        return None
    found = structure.template(job_type, lifted, device, transpiler_info)
    if found is None:
        return None
    if job_type != "estimation" and found.circuit.num_clbits == 0:
        raise JobFailure("the program measures nothing: add measurements to sample it")
    transpiled = found.bind(lifted.values)
    document = transpile_result(found.circuit, transpiled, found.before)
    return _finish(job_type, found.circuit, transpiled, device, [], {}, document)


def _finish(
    job_type: str,
    circuit: QuantumCircuit,
    transpiled: QuantumCircuit,
    device: Device,
    widths: list[int],
    objects: dict[str, Any],
    transpiled_doc: dict[str, Any] | None = None,
) -> Prepared:
    """The `Prepared` of a transpiled program: its zipped transpile result and sampling plan."""
    if transpiled_doc is not None:  # the same object for every job of this program
        document = json.dumps(transpiled_doc).encode()
        objects["transpile_result"] = Zipped(make_zip("transpile_result.json", document))
    plan = None if job_type == "estimation" else sampling.plan(transpiled, device)
    return Prepared(circuit, transpiled, transpiled_doc, widths, objects, plan)


def run_circuit_job(
    record: JobRecord, device: Device, store: ObjectStore, mark_running: MarkRunning
) -> Outcome:
    """Execute a sampling, multi_manual or estimation job.

    Reads ``input.zip`` from ``store`` and writes nothing: the ``combined_program`` and
    ``transpile_result`` objects come back in the `Outcome`. Calls ``mark_running`` right
    before simulation.
    """
    job_type = record.job_type or ""
    payload = load_input(store, record.job_id)
    programs = _programs(payload, job_type)
    info = record.transpiler_info or {}
    circuit, transpiled, _, widths, objects, plan = prepared(
        job_type, programs, device, info, lambda: _prepare(job_type, programs, device, info)
    )
    terms = None
    method, note = _mitigation_method(record)
    if job_type == "estimation":
        terms = parse_operator(payload.get("operator"), circuit.num_qubits)
    mark_running()
    start = time.perf_counter()
    seed, shots = seed_of(record.simulator_info), int(record.shots or 0)
    if terms is not None or plan is None:
        layout = final_mapping(transpiled, circuit.num_qubits)
        estimation = estimate(transpiled, layout, terms or [], device, shots, seed)
        result: dict[str, Any] = {"sampling": None, "estimation": estimation}
    else:
        counts = _mitigated(method, run_plans([plan], device, shots, seed)[0], transpiled, device)
        divided = divide(counts, widths) if job_type == "multi_manual" else None
        result = {"sampling": {"counts": counts, "divided_counts": divided}, "estimation": None}
    return Outcome(result, max(time.perf_counter() - start, 1e-6), dict(objects), note)
