"""Aer threads are sized per job at dispatch (issue 16): a lone job may use every core.

Jobs are held running by the server's test hooks, never by timing; the threads a job was given
are read from the engine (``Engine.cores``), and what Aer makes of them from its own metadata.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from local_testkit import Api
from qiskit import QuantumCircuit

from oqtopus_bridge.local import LocalServer
from oqtopus_bridge.local.devices import _parse_catalog, default_catalog
from oqtopus_bridge.local.engine import simulate
from oqtopus_bridge.local.engine.pool import CoreBudget, Engine
from oqtopus_bridge.local.engine.worker import HOLD_HOOK, HOOKS_DIR, WorkerConfig
from oqtopus_bridge.local.engine.workers import _environment
from oqtopus_bridge.local.settings import ServerSettings, usable_cores
from oqtopus_bridge.local.storage import ObjectStore

BELL = (
    'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\n'
    "h q[0];\ncx q[0], q[1];\nc = measure q;\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with LocalServer(tmp_path_factory.mktemp("threads"), workers=2, test_hooks=True) as server:
        yield server


def _engine(server: LocalServer) -> Engine:
    engine: Engine = server._context.engine  # type: ignore[union-attr]
    return engine


def _wait_running(api: Api, job_id: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while api.get(f"/jobs/{job_id}/status").json()["status"] != "running":
        assert time.monotonic() < deadline, f"job {job_id} never ran"
        time.sleep(0.02)


def _release(server: LocalServer, job_id: str) -> None:
    hooks = server.data_dir / HOOKS_DIR
    hooks.mkdir(exist_ok=True)
    (hooks / job_id).touch()


def test_a_lone_job_gets_every_core_and_a_second_job_what_is_left(server: LocalServer) -> None:
    api = Api(server.url, server.token)
    cores = usable_cores()
    first = api.create({"program": [BELL]}, name=HOLD_HOOK)
    _wait_running(api, first)
    assert _engine(server).cores.held() == {first: cores}
    second = api.create({"program": [BELL]}, name=HOLD_HOOK)
    _wait_running(api, second)
    assert _engine(server).cores.held() == {first: cores, second: 1}
    for job_id in (first, second):
        _release(server, job_id)
        assert api.wait(job_id)["status"] == "succeeded"
    assert _engine(server).cores.held() == {}


def test_queued_jobs_for_idle_workers_are_left_a_core_each() -> None:
    budget = CoreBudget(cores=4, workers=3)
    assert budget.take("a", queued=5) == 2  # two idle workers will take two queued jobs
    assert budget.take("b", queued=4) == 1  # a's two, one left for the last idle worker
    assert budget.take("c", queued=3) == 1  # never less than one
    budget.release("a")
    assert budget.take("d", queued=0) == 2
    assert budget.held() == {"b": 1, "c": 1, "d": 2}


@pytest.mark.skipif(usable_cores() < 2, reason="needs two cores to see two threads")
def test_a_worker_s_aer_uses_the_threads_of_its_job_beyond_an_equal_share(tmp_path: Path) -> None:
    """Two workers on two cores: the static share was one Aer thread, whatever the job got."""
    settings = ServerSettings(tmp_path, workers=2)
    config = WorkerConfig(  # as Engine.start makes it
        store=ObjectStore(tmp_path, b"secret", "http://127.0.0.1:1", 60),
        threads=settings.aer_threads,
        memory_bytes=settings.worker_memory,
        library_threads=settings.library_threads,
    )
    code = (
        "from qiskit import QuantumCircuit\n"
        "from oqtopus_bridge.local.devices import _parse_catalog, default_catalog\n"
        "from oqtopus_bridge.local.engine import simulate\n"
        "import json\n"
        "device = _parse_catalog(json.dumps(default_catalog()))['qulacs']\n"
        "simulate.configure(threads=2, memory_bytes=2**30)\n"
        "circuit = QuantumCircuit(16)\n"
        "circuit.h(range(16))\n"
        "circuit.measure_all()\n"
        "result = simulate.simulator(device, 1, [circuit]).run(circuit, shots=10).result()\n"
        "print(result.results[0].metadata['parallel_state_update'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=_environment(config),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert done.stdout.split() == ["2"], done.stdout + done.stderr


def test_only_circuits_wide_enough_to_parallelise_get_more_than_one_thread() -> None:
    """Below Aer's parallel threshold a second thread only costs (9x the CPU of a Bell run)."""
    device = _parse_catalog(json.dumps(default_catalog()))["qulacs"]
    bell = QuantumCircuit(16, 2)  # as transpiled for the 16-qubit device: 2 qubits touched
    bell.h(0)
    bell.cx(0, 1)
    bell.measure([0, 1], [0, 1])
    wide = QuantumCircuit(16)
    wide.h(range(16))
    wide.measure_all()
    simulate.configure(threads=2, memory_bytes=2**30)
    try:
        assert simulate.simulator(device, None, [bell]).options.max_parallel_threads == 1
        assert simulate.simulator(device, None, [bell, wide]).options.max_parallel_threads == 2
    finally:
        simulate._limits.clear()
