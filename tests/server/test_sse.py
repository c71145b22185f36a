from __future__ import annotations

import time

import requests
from local_testkit import Api

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


def test_sse_nonzero_exit_fails_with_stderr_tail(api: Api) -> None:
    program = "import sys\nprint('out')\nprint('boom happened', file=sys.stderr)\nsys.exit(3)\n"
    job = api.wait(api.create({"sse_program": program}, job_type="sse", shots=1))
    assert job["status"] == "failed"
    message = job["job_info"]["message"]
    assert message.startswith("user program execution error")
    assert "boom happened" in message
    log = api.item(job, "sse_log")
    assert "out" in log and "boom happened" in log


def test_sse_exception_fails(api: Api) -> None:
    job = api.wait(
        api.create({"sse_program": "raise ValueError('bad input')"}, job_type="sse", shots=1)
    )
    assert job["status"] == "failed"
    assert "ValueError: bad input" in job["job_info"]["message"]


def test_sse_time_and_memory_limits() -> None:
    with LocalServer(sse_timeout_s=1.5, sse_memory_bytes=512 * 1024 * 1024) as srv:
        api = Api(srv.url, srv.token)
        start = time.monotonic()
        job = api.wait(
            api.create({"sse_program": "import time\ntime.sleep(60)"}, job_type="sse", shots=1)
        )
        assert time.monotonic() - start < 30
        assert job["status"] == "failed"
        assert "time limit" in job["job_info"]["message"]
        hog = "x = bytearray(2 * 1024 * 1024 * 1024)\n"
        job = api.wait(api.create({"sse_program": hog}, job_type="sse", shots=1))
        assert job["status"] == "failed"
        assert "MemoryError" in job["job_info"]["message"]


def test_cancel_running_sse_job_stops_it(api: Api) -> None:
    job_id = api.create({"sse_program": "import time\ntime.sleep(60)"}, job_type="sse", shots=1)
    deadline = time.monotonic() + 20
    while api.get(f"/jobs/{job_id}/status").json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert api.post(f"/jobs/{job_id}/cancel").status_code == 200
    job = api.wait(job_id)
    assert job["status"] == "cancelled"
