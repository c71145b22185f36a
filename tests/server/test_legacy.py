from __future__ import annotations

import base64
import io
import json
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from local_testkit import BELL, Api

from oqtopus_bridge.local import LocalServer


@pytest.fixture(scope="module")
def legacy() -> Iterator[Api]:
    with LocalServer(protocol="legacy") as srv:
        yield Api(srv.url, srv.token)


def _submit(api: Api, **body: Any) -> str:
    payload = {"device_id": "qulacs", "job_type": "sampling", "shots": 20, **body}
    response = api.post("/jobs", json=payload)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"job_id"}
    return str(response.json()["job_id"])


def _wait(api: Api, job_id: str) -> dict[str, Any]:
    for _ in range(600):
        job = api.get(f"/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def test_inline_sampling(legacy: Api) -> None:
    program = 'OPENQASM 3; include "stdgates.inc"; qubit[2] q; bit[2] c; x q[1]; c = measure q;'
    job = _wait(legacy, _submit(legacy, job_info={"program": [program]}, name="inline"))
    assert job["status"] == "succeeded"
    info = job["job_info"]
    assert info["program"] == [program]
    assert info["result"] == {"sampling": {"counts": {"10": 20}, "divided_counts": None}}
    transpiled = info["transpile_result"]
    assert isinstance(transpiled["stats"], str)
    assert "before" in json.loads(transpiled["stats"])
    assert "qubit_mapping" in json.loads(transpiled["virtual_physical_mapping"])
    assert job["submitted_at"] <= job["ready_at"] <= job["running_at"] <= job["ended_at"]


def test_inline_estimation_and_multi_manual(legacy: Api) -> None:
    operator = [{"pauli": "Z0 Z1", "coeff": 1.0}, {"pauli": "X0 X1", "coeff": 0.5}]
    job = _wait(
        legacy,
        _submit(legacy, job_type="estimation", job_info={"program": [BELL], "operator": operator}),
    )
    assert job["job_info"]["result"]["estimation"]["exp_value"] == pytest.approx(1.5)
    assert job["job_info"]["operator"] == operator
    job = _wait(
        legacy, _submit(legacy, job_type="multi_manual", job_info={"program": [BELL, BELL]})
    )
    assert set(job["job_info"]["result"]["sampling"]["divided_counts"]) == {"0", "1"}
    assert job["job_info"]["combined_program"].startswith("OPENQASM 3")


def test_sse_and_sselog(legacy: Api) -> None:
    source = base64.b64encode(b"print('legacy sse')\n").decode()
    job_id = _submit(legacy, job_type="sse", shots=1, job_info={"program": [source]})
    job = _wait(legacy, job_id)
    assert job["status"] == "succeeded"
    log = legacy.get(f"/jobs/{job_id}/sselog").json()
    assert log["file_name"] == f"sselog_{job_id}.zip"
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(log["file"]))) as archive:
        assert archive.read("sse_runtime.log") == b"legacy sse\n"
    other = _wait(legacy, _submit(legacy, job_info={"program": [BELL]}))
    assert legacy.get(f"/jobs/{other['job_id']}/sselog").status_code == 400


def test_legacy_validation(legacy: Api) -> None:
    assert (
        legacy.post(
            "/jobs", json={"device_id": "qulacs", "job_type": "sampling", "shots": 10}
        ).status_code
        == 422
    )
    response = legacy.post(
        "/jobs",
        json={
            "device_id": "nope",
            "job_type": "sampling",
            "shots": 10,
            "job_info": {"program": [BELL]},
        },
    )
    assert response.status_code == 400
    assert response.json() == {"message": "device not found"}
    response = legacy.post(
        "/jobs",
        json={
            "device_id": "qulacs",
            "job_type": "sse",
            "shots": 1,
            "job_info": {"program": ["%%%"]},
        },
    )
    assert response.status_code == 400
    non_utf8 = base64.b64encode(b"\xff\xfe").decode()
    response = legacy.post(
        "/jobs",
        json={
            "device_id": "qulacs",
            "job_type": "sse",
            "shots": 1,
            "job_info": {"program": [non_utf8]},
        },
    )
    assert response.status_code == 400
    assert "UTF-8" in response.json()["message"]
    assert legacy.post("/jobs/x/submit", json={}).status_code in (404, 405)


def test_legacy_devices_inline_device_info(legacy: Api) -> None:
    device = legacy.get("/devices/anemone").json()
    info = json.loads(device["device_info"])
    assert len(info["qubits"]) == 16


def test_legacy_list_cancel_delete(legacy: Api) -> None:
    job_id = _submit(legacy, job_info={"program": [BELL]})
    _wait(legacy, job_id)
    listed = legacy.get("/jobs", params={"fields": "job_id,status"}).json()
    assert {"job_id": job_id, "status": "succeeded"} in listed
    assert legacy.post(f"/jobs/{job_id}/cancel").status_code == 400
    assert legacy.delete(f"/jobs/{job_id}").json() == {"message": "job deleted"}
