from __future__ import annotations

import sys
import time
from pathlib import Path

import requests
from local_testkit import BELL, Api

from oqtopus_bridge.local import LocalServer

# A user program that talks to the server the way an SSE program does: url and token come from
# the environment. It submits two jobs; the last one's result must become the SSE job's result.
INNER = """
import io, json, os, time, zipfile
import requests

url, token = os.environ["OQTOPUS_URL"], os.environ["OQTOPUS_API_TOKEN"]
assert set(os.environ) <= {"PATH", "HOME", "OQTOPUS_URL", "OQTOPUS_API_TOKEN", "PYTHONPATH",
                           "LC_CTYPE"}, sorted(os.environ)
headers = {"q-api-token": token}

def run(program):
    reg = requests.post(url + "/jobs", headers=headers).json()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("input.json", json.dumps({"program": [program]}))
    form = reg["presigned_url"]
    requests.post(form["url"], data=form["fields"], files={"file": ("input.zip", buf.getvalue())})
    # "sse" is the device id SSE programs use: the server maps it to the SSE job's device.
    body = {"device_id": "sse", "job_type": "sampling", "shots": 10}
    requests.post(url + "/jobs/" + reg["job_id"] + "/submit", headers=headers, json=body)
    while requests.get(url + "/jobs/" + reg["job_id"] + "/status",
                       headers=headers).json()["status"] != "succeeded":
        time.sleep(0.05)

head = 'OPENQASM 3; include "stdgates.inc"; qubit[2] q; bit[2] c; '
run(head + "c = measure q;")
run(head + "x q[1]; c = measure q;")
print("inner jobs done")
"""


def test_sse_last_inner_job_becomes_the_result(server: LocalServer, api: Api) -> None:
    job, result = api.run({"sse_program": INNER}, job_type="sse", shots=1)
    assert job["status"] == "succeeded", job
    assert result["sampling"]["counts"] == {"10": 10}
    assert "inner jobs done" in api.item(job, "sse_log")
    inner = [j for j in api.get("/jobs").json() if j.get("shots") == 10]
    assert len(inner) >= 2
    assert {j["device_id"] for j in inner} == {"qulacs"}
    assert job["execution_time"] > 0
    # The inner jobs belong to the same user, and the job-scoped token is revoked afterwards.
    assert len(api.get("/jobs", params={"q": ""}).json()) >= 3


def test_sse_token_is_revoked_after_the_job(api: Api) -> None:
    program = "import os\nprint('TOKEN=' + os.environ['OQTOPUS_API_TOKEN'])\n"
    job, _ = api.run({"sse_program": program}, job_type="sse", shots=1)
    log = api.item(job, "sse_log")
    token = log.split("TOKEN=")[1].split()[0]
    response = requests.get(api.url + "/jobs", headers={"q-api-token": token}, timeout=10)
    assert response.status_code == 401


def test_sse_without_inner_jobs_succeeds_with_empty_result(api: Api) -> None:
    job, result = api.run({"sse_program": "print('hi')\n"}, job_type="sse", shots=1)
    assert job["status"] == "succeeded"
    assert result == {"sampling": None, "estimation": None}
    assert api.item(job, "sse_log") == "hi\n"


def test_sse_nonzero_exit_fails_as_upstream_and_output_stays_readable(api: Api) -> None:
    program = "import sys\nprint('out')\nprint('boom happened', file=sys.stderr)\nsys.exit(3)\n"
    job = api.wait(api.create({"sse_program": program}, job_type="sse", shots=1))
    assert job["status"] == "failed"
    message = job["job_info"]["message"]
    assert message.startswith("user program execution error")
    assert "boom happened" in message
    # Upstream: execution_time is set and job_info has no sse_log for a failed program.
    assert job["execution_time"] > 0
    assert "sse_log" not in job["job_info"]
    # The documented local way to read the whole output.
    output = api.get(f"/local/jobs/{job['job_id']}/program_output")
    assert output.status_code == 200
    assert "out" in output.text and "boom happened" in output.text
    # With no inner job, the SSE job reports the engine's default transpiler (upstream).
    assert job["transpiler_info"]["transpiler_lib"] == "qiskit"


def test_program_output_of_other_jobs(api: Api) -> None:
    job, _ = api.run({"program": [BELL]})
    assert api.get(f"/local/jobs/{job['job_id']}/program_output").status_code == 400
    assert api.get("/local/jobs/nope/program_output").status_code == 404


def test_sse_exception_fails(api: Api) -> None:
    job = api.wait(
        api.create({"sse_program": "raise ValueError('bad input')"}, job_type="sse", shots=1)
    )
    assert job["status"] == "failed"
    assert "ValueError: bad input" in job["job_info"]["message"]


def test_sse_time_and_memory_limits() -> None:
    with LocalServer(sse_timeout_s=1.5, sse_memory_bytes=512 * 1024 * 1024) as srv:
        api = Api(srv.url, srv.token)
        # The program sleeps 60 s: without the limit it would succeed, so "failed" proves it.
        job = api.wait(
            api.create({"sse_program": "import time\ntime.sleep(60)"}, job_type="sse", shots=1)
        )
        assert job["status"] == "failed"
        assert "time limit" in job["job_info"]["message"]
        hog = "x = bytearray(2 * 1024 * 1024 * 1024)\n"
        job = api.wait(api.create({"sse_program": hog}, job_type="sse", shots=1))
        assert job["status"] == "failed"
        assert "MemoryError" in job["job_info"]["message"]


def test_cancel_running_sse_job_stops_it(api: Api) -> None:
    job_id = api.create({"sse_program": "import time\ntime.sleep(60)"}, job_type="sse", shots=1)
    deadline = time.monotonic() + 120  # a hang guard only
    while api.get(f"/jobs/{job_id}/status").json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert api.post(f"/jobs/{job_id}/cancel").status_code == 200
    job = api.wait(job_id)
    assert job["status"] == "cancelled"


def _inner_program(device_id: str, transpiler_info: str, qasm: str) -> str:
    """A program that submits one inner sampling job over plain HTTP and waits for it."""
    return f"""
import io, json, os, time, zipfile
import requests

url, headers = os.environ["OQTOPUS_URL"], {{"q-api-token": os.environ["OQTOPUS_API_TOKEN"]}}
reg = requests.post(url + "/jobs", headers=headers).json()
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("input.json", json.dumps({{"program": [{qasm!r}]}}))
form = reg["presigned_url"]
requests.post(form["url"], data=form["fields"], files={{"file": ("input.zip", buf.getvalue())}})
body = {{"device_id": {device_id!r}, "job_type": "sampling", "shots": 10,
        "transpiler_info": {transpiler_info}}}
answer = requests.post(url + "/jobs/" + reg["job_id"] + "/submit", headers=headers, json=body)
assert answer.status_code == 200, answer.text
while requests.get(url + "/jobs/" + reg["job_id"] + "/status", headers=headers).json()[
        "status"] not in ("succeeded", "failed"):
    time.sleep(0.05)
"""


X_ON_1 = 'OPENQASM 3; include "stdgates.inc"; qubit[2] q; bit[2] c; x q[1]; c = measure q;'


def test_sse_reports_inner_transpiler_and_transpile_result(api: Api) -> None:
    program = _inner_program(
        "", '{"transpiler_lib": "qiskit", "transpiler_options": {"optimization_level": 2}}', X_ON_1
    )
    job, result = api.run({"sse_program": program}, job_type="sse", shots=1)
    assert job["status"] == "succeeded", job
    assert result["sampling"]["counts"] == {"10": 10}
    assert job["device_id"] == "qulacs"
    assert job["transpiler_info"] == {
        "transpiler_lib": "qiskit",
        "transpiler_options": {"optimization_level": 2},
    }
    transpiled = api.item(job, "transpile_result")
    assert transpiled["transpiled_program"].startswith("OPENQASM 3")
    assert transpiled["virtual_physical_mapping"]["qubit_mapping"].keys() == {"0", "1"}


def test_sse_without_transpiler_reports_null_and_no_transpile_result(api: Api) -> None:
    native = 'OPENQASM 3; include "stdgates.inc"; qubit[2] q; bit[2] c; x q[0]; c = measure q;'
    program = _inner_program("sse", '{"transpiler_lib": None}', native)
    job, result = api.run({"sse_program": program}, job_type="sse", shots=1)
    assert job["status"] == "succeeded", job
    assert result["sampling"]["counts"] == {"01": 10}
    assert job["transpiler_info"] == {"transpiler_lib": None}
    assert "transpile_result" not in job["job_info"]


def test_sse_whose_inner_job_failed_fails(api: Api) -> None:
    # h is not native to qulacs' basis and transpilation is off: the inner job fails (upstream
    # scenario sse-without-transpiler-failed), though the program itself exits 0.
    bad = 'OPENQASM 3; include "stdgates.inc"; qubit[2] q; bit[2] c; h q[0]; c = measure q;'
    program = _inner_program("", '{"transpiler_lib": None}', bad)
    job = api.wait(api.create({"sse_program": program}, job_type="sse", shots=1))
    assert job["status"] == "failed"
    assert "inner job" in job["job_info"]["message"]
    assert "not native" in job["job_info"]["message"]
    assert "sse_log" not in job["job_info"] and "result" not in job["job_info"]
    assert job["transpiler_info"] == {"transpiler_lib": None}
    assert job["execution_time"] > 0


def test_empty_device_id_outside_sse_is_refused(api: Api) -> None:
    registered = api.register()
    response = api.post(
        f"/jobs/{registered['job_id']}/submit",
        json={"device_id": "", "job_type": "sampling", "shots": 1},
    )
    assert response.status_code == 400


# Written for the real service (upstream test-suite style): the 1.0.x module path, device_id "".
REAL_SERVICE_PROGRAM = """
from quri_parts.circuit import QuantumCircuit
from quri_parts_oqtopus.backend.sampling import OqtopusConfig, OqtopusSamplingBackend
from quri_parts_oqtopus.backend import OqtopusEstimationBackend

circuit = QuantumCircuit(2)
circuit.add_X_gate(1)
job = OqtopusSamplingBackend().sample(circuit, shots=20, name="inner", device_id="")
print("counts", job.result(timeout=60, wait=0.05).counts)
"""


def test_program_for_the_real_service_runs_unchanged(api: Api) -> None:
    job, result = api.run({"sse_program": REAL_SERVICE_PROGRAM}, job_type="sse", shots=1)
    assert job["status"] == "succeeded", job["job_info"].get("message")
    assert result["sampling"]["counts"] == {"10": 20}
    assert "counts Counter({2: 20})" in api.item(job, "sse_log")


def test_sse_python_setting_picks_the_interpreter(tmp_path: Path) -> None:
    wrapper = tmp_path / "python-wrapper"
    wrapper.write_text(
        f'#!/bin/sh\necho "via the chosen interpreter"\nexec {sys.executable} "$@"\n'
    )
    wrapper.chmod(0o755)
    with LocalServer(sse_python=str(wrapper)) as srv:
        api = Api(srv.url, srv.token)
        job, _ = api.run(
            {"sse_program": "import sys\nprint(sys.version_info[0])"}, job_type="sse", shots=1
        )
        assert job["status"] == "succeeded"
        assert api.item(job, "sse_log") == "via the chosen interpreter\n3\n"
