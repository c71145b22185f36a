"""What an engine worker is sent and what it writes (issue 23).

The worker stores a job's result objects itself, so its ``Outcome`` carries only what the API
process needs; each device object is pickled to a worker once; a program sent again to the same
device reuses its parse and transpile, with the same seeded counts. Driven through the real
`WorkerProcess`, a worker process of its own.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oqtopus_bridge.local.devices import Device, _parse_catalog, default_catalog
from oqtopus_bridge.local.engine import prepared as prepared_module
from oqtopus_bridge.local.engine.pipeline import _prepare
from oqtopus_bridge.local.engine.worker import WorkerConfig
from oqtopus_bridge.local.engine.workers import WorkerProcess
from oqtopus_bridge.local.repository import JobRecord
from oqtopus_bridge.local.storage import ObjectStore, make_zip, read_single_entry

BELL = (
    'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\n'
    "h q[0];\ncx q[0], q[1];\nc = measure q;\n"
)
MIB = 1024 * 1024


def _devices() -> dict[str, Device]:
    return _parse_catalog(json.dumps(default_catalog()))


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return ObjectStore(tmp_path / "objects", b"k" * 32, "http://127.0.0.1:1", 60)


@pytest.fixture
def worker(store: ObjectStore) -> Iterator[tuple[WorkerProcess, list[Any]]]:
    config = WorkerConfig(store=store, threads=1, memory_bytes=512 * MIB)
    process = WorkerProcess(config)
    sent: list[Any] = []
    send = process._outbox.send

    def spy(message: Any) -> None:
        sent.append(message)
        send(message)

    process._outbox.send = spy  # type: ignore[method-assign]
    process.wait_ready()
    yield process, sent
    process.close()


def _job(store: ObjectStore, job_id: str, device: Device) -> JobRecord:
    store.put(
        f"{job_id}/input.zip", make_zip("input.json", json.dumps({"program": [BELL]}).encode())
    )
    return JobRecord(
        job_id=job_id,
        owner="u",
        status="ready",
        created_at="2026-01-01T00:00:00Z",
        device_id=device.device_id,
        job_type="sampling",
        shots=100,
        transpiler_info={"transpiler_lib": "qiskit", "transpiler_options": {}},
        simulator_info={"seed_simulation": 7},
    )


def _result(store: ObjectStore, job_id: str) -> Any:
    return json.loads(read_single_entry(store.get(f"{job_id}/result.zip"))[1])


def test_the_worker_stores_the_result_objects_itself(
    worker: tuple[WorkerProcess, list[Any]], store: ObjectStore
) -> None:
    process, _ = worker
    device = _devices()["qulacs"]
    outcome = process.run(_job(store, "job-a", device), device, lambda: None)
    assert outcome.written == ("transpile_result", "result")
    assert outcome.result == {} and outcome.objects == {}  # nothing more crosses the pipe
    counts = _result(store, "job-a")["sampling"]["counts"]
    assert sum(counts.values()) == 100 and set(counts) <= {"00", "11"}
    assert store.exists("job-a/transpile_result.zip")


def test_each_device_is_sent_to_a_worker_once(
    worker: tuple[WorkerProcess, list[Any]], store: ObjectStore
) -> None:
    process, sent = worker
    devices = _devices()
    qulacs = devices["qulacs"]
    for name in ("job-1", "job-2"):
        process.run(_job(store, name, qulacs), qulacs, lambda: None)
    reloaded = _parse_catalog(json.dumps(default_catalog()))["qulacs"]  # a catalog reload
    process.run(_job(store, "job-3", reloaded), reloaded, lambda: None)
    jobs = [message for message in sent if isinstance(message, tuple)]
    assert [message[2] is not None for message in jobs] == [True, False, True]
    assert _result(store, "job-1") == _result(store, "job-2") == _result(store, "job-3")


def test_a_program_sent_again_reuses_its_preparation() -> None:
    device = _devices()["qulacs"]
    info = {"transpiler_lib": "qiskit"}
    calls: list[int] = []

    def prepare() -> Any:
        calls.append(1)
        return _prepare("sampling", [BELL], device, info)

    first = prepared_module.prepared("sampling", [BELL], device, info, prepare)
    again = prepared_module.prepared("sampling", [BELL], device, info, prepare)
    assert len(calls) == 1 and again.circuit is first.circuit
    assert again.transpiled is first.transpiled and again.plan is first.plan  # no per-job copy
    edited = dataclasses.replace(device, description="edited")  # a new object: prepared anew
    prepared_module.prepared("sampling", [BELL], edited, info, prepare)
    other = {"transpiler_lib": "qiskit", "transpiler_options": {"optimization_level": 0}}
    prepared_module.prepared("sampling", [BELL], device, other, prepare)
    assert len(calls) == 3


def test_a_job_sent_while_the_worker_warms_up_runs_and_its_device_is_not_sent(
    store: ObjectStore,
) -> None:
    devices = _devices()
    config = WorkerConfig(
        store=store, threads=1, memory_bytes=512 * MIB, devices=tuple(devices.values())
    )
    process = WorkerProcess(config)
    sent: list[Any] = []
    send = process._outbox.send
    process._outbox.send = lambda message: (sent.append(message), send(message))[1]  # type: ignore[method-assign]
    try:
        process.wait_ready()  # it now warms every device, one at a time, between jobs
        kawasaki = devices["kawasaki"]
        outcome = process.run(_job(store, "job-w", kawasaki), kawasaki, lambda: None)
    finally:
        process.close()
    assert outcome.written[-1] == "result"
    assert sum(_result(store, "job-w")["sampling"]["counts"].values()) == 100
    jobs = [message for message in sent if isinstance(message, tuple)]
    assert jobs[0][2] is None  # the worker got the catalog's devices at start


def test_the_prepared_cache_is_bounded_by_its_estimated_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    device = _devices()["qulacs"]
    info = {"transpiler_lib": "qiskit"}
    programs = [BELL.replace("h q[0];", "h q[0];\n" + "x q[1];\n" * (2 * n)) for n in range(6)]
    sizes = [prepared_module.weight([p], _prepare("sampling", [p], device, info)) for p in programs]
    cache = prepared_module.DeviceCache[prepared_module.Prepared](256, sizes[4] + sizes[5])
    monkeypatch.setattr(prepared_module, "cache", cache)
    for program in programs:
        prepared_module.prepared(
            "sampling",
            [program],
            device,
            info,
            lambda p=program: _prepare("sampling", [p], device, info),
        )
    kept = [key[1][0] for key in cache.entries]  # type: ignore[index]
    assert kept == programs[4:]  # the least recently used went first
    assert cache.size == sizes[4] + sizes[5]


def test_a_job_does_not_change_the_cached_circuits(store: ObjectStore) -> None:
    from oqtopus_bridge.local.engine.pipeline import run_circuit_job

    device = _devices()["anemone"]
    record = _job(store, "job-m", device)
    first = run_circuit_job(record, device, store, lambda: None)
    info = record.transpiler_info or {}
    cached = prepared_module.prepared("sampling", [BELL], device, info, lambda: 1 / 0)  # type: ignore[arg-type,return-value]
    assert cached.plan is not None
    before = (cached.transpiled.copy(), cached.plan.circuit.copy())
    again = run_circuit_job(record, device, store, lambda: None)
    assert (cached.transpiled, cached.plan.circuit) == before
    assert again.result == first.result  # seeded
