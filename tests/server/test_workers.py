"""Engine worker processes (issue 16): a crash, a cancel, a too-large job each touch one job only.

Jobs are held or crashed by the server's test hooks (``test_hooks=True``, job names
``test-hook:*``), never by timing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from local_testkit import Api

from oqtopus_bridge.local import LocalServer
from oqtopus_bridge.local.engine.worker import CRASH_HOOK, HOLD_HOOK

BELL = (
    'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\n'
    "h q[0];\ncx q[0], q[1];\nc = measure q;\n"
)
MIB = 1024 * 1024


def _wide(n: int) -> str:
    gates = "".join(f"sx q[{i}];\n" for i in range(n))
    header = f'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[{n}] q;\nbit[{n}] c;\n'
    return f"{header}{gates}c = measure q;\n"


@pytest.fixture(scope="module")
def hooked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    data_dir = tmp_path_factory.mktemp("workers")
    with LocalServer(data_dir, workers=1, test_hooks=True, worker_memory_bytes=64 * MIB) as server:
        yield server


@pytest.fixture(scope="module")
def api(hooked: LocalServer) -> Api:
    return Api(hooked.url, hooked.token)


def _pids(server: LocalServer, timeout: float = 120) -> list[int]:
    """The live worker pids, once the pool has (re)started its worker."""
    engine = server._context.engine  # type: ignore[union-attr]
    deadline = time.monotonic() + timeout
    while not engine.worker_pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    return list(engine.worker_pids())


def _wait_status(api: Api, job_id: str, status: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while api.get(f"/jobs/{job_id}/status").json()["status"] != status:
        assert time.monotonic() < deadline, f"job {job_id} never reached {status}"
        time.sleep(0.02)


def _bell_succeeds(api: Api) -> None:
    job, result = api.run({"program": [BELL]})
    assert job["status"] == "succeeded", job
    assert set(result["sampling"]["counts"]) <= {"00", "11"}


def test_a_crashed_worker_fails_only_its_job_and_is_replaced(hooked: LocalServer, api: Api) -> None:
    before = _pids(hooked)
    job, _ = api.run({"program": [BELL]}, name=CRASH_HOOK)
    assert job["status"] == "failed"
    message = job["job_info"]["message"]
    assert "engine worker" in message and "stopped unexpectedly" in message, message
    assert "SIGKILL" in message, message
    _bell_succeeds(api)  # the only worker was replaced: the server still runs jobs
    assert _pids(hooked) != before


def test_cancelling_a_running_job_kills_its_worker(hooked: LocalServer, api: Api) -> None:
    job_id = api.create({"program": [BELL]}, name=HOLD_HOOK)
    _wait_status(api, job_id, "running")  # the hook holds it running, computing, until released
    (held,) = _pids(hooked)
    assert api.post(f"/jobs/{job_id}/cancel").status_code == 200
    assert api.get(f"/jobs/{job_id}/status").json()["status"] == "cancelled"
    # One worker only: this job can run only if the held simulation was stopped.
    _bell_succeeds(api)
    assert held not in _pids(hooked)
    with pytest.raises(ProcessLookupError):
        os.kill(held, 0)
    job = api.get(f"/jobs/{job_id}").json()
    assert job["status"] == "cancelled" and "result" not in job["job_info"]


def test_a_job_too_large_for_a_worker_fails_with_a_memory_message(
    hooked: LocalServer, api: Api
) -> None:
    catalog = hooked.data_dir / "devices.json"
    devices = json.loads(catalog.read_text())
    wide = json.loads(json.dumps(devices[0]))
    n = 24  # 2**24 amplitudes * 16 bytes = 256 MiB > the 64 MiB budget of this server's worker
    wide["device_id"] = "wide"
    wide["device_info"]["qubits"] = [
        dict(wide["device_info"]["qubits"][0], id=i, physical_id=i) for i in range(n)
    ]
    wide["device_info"]["couplings"] = []
    catalog.write_text(json.dumps([*devices, wide]))
    job, _ = api.run(
        {"program": [_wide(n)]}, device_id="wide", transpiler_info={"transpiler_lib": None}
    )
    assert job["status"] == "failed"
    message = job["job_info"]["message"]
    assert "memory" in message and f"{n} qubits" in message and "256.0 MiB" in message, message
    _bell_succeeds(api)


def test_an_unguarded_script_starts_a_server_once(tmp_path: Path) -> None:
    """The README pattern: LocalServer() at module level, no ``if __name__ == "__main__"``."""
    script = tmp_path / "experiment.py"
    script.write_text(
        "from oqtopus_bridge import OqtopusSamplingBackend\n"
        "from oqtopus_bridge.local import LocalServer\n"
        "print('module body ran', flush=True)\n"
        "with LocalServer(workers=2) as server:\n"
        "    job = OqtopusSamplingBackend(server.config).sample_qasm(\n"
        "        'OPENQASM 3; include \"stdgates.inc\"; qubit[1] q; bit[1] c; '\n"
        "        'x q[0]; c[0] = measure q[0];',\n"
        "        device_id='qulacs', shots=50)\n"
        "    print('shots', sum(job.result().counts.values()), flush=True)\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("module body ran") == 1, done.stdout
    assert "shots 50" in done.stdout, done.stdout


def test_the_worker_module_loads_no_web_framework() -> None:
    code = (
        "import sys, oqtopus_bridge.local.engine.worker, oqtopus_bridge.local.engine.pipeline\n"
        "loaded = [m for m in ('fastapi', 'starlette', 'uvicorn') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
