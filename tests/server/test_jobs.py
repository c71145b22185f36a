from __future__ import annotations

import requests
from local_testkit import BELL, Api, zip_of

from oqtopus_bridge.local import LocalServer

X0 = 'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[3] q;\nbit[3] c;\nx q[0];\nc = measure q;'


def test_register_returns_presigned_form_on_this_server(server: LocalServer, api: Api) -> None:
    registered = api.register()
    form = registered["presigned_url"]
    assert form["url"].startswith(server.url)
    assert form["fields"]["key"] == f"{registered['job_id']}/input.zip"
    assert {"policy", "signature"} <= set(form["fields"])
    job = api.get(f"/jobs/{registered['job_id']}").json()
    assert job == {"job_id": registered["job_id"], "status": "registered"}


def test_sampling_lifecycle_and_job_fields(api: Api) -> None:
    job, result = api.run({"program": [X0]}, name="x0", description="flip q0", shots=50)
    assert job["status"] == "succeeded"
    assert result == {
        "sampling": {"counts": {"001": 50}, "divided_counts": None},
        "estimation": None,
    }
    assert job["name"] == "x0" and job["description"] == "flip q0"
    assert job["transpiler_info"] == {
        "transpiler_lib": "qiskit",
        "transpiler_options": {"optimization_level": 1},
    }
    assert job["simulator_info"] == {} and job["mitigation_info"] == {}
    assert job["submitted_at"] <= job["ready_at"] <= job["running_at"] <= job["ended_at"]
    assert job["execution_time"] > 0
    assert {"input", "result", "transpile_result"} == set(job["job_info"])
    assert "message" not in job["job_info"]
    status = api.get(f"/jobs/{job['job_id']}/status").json()
    assert status == {"job_id": job["job_id"], "status": "succeeded"}
    transpiled = api.item(job, "transpile_result")
    assert set(transpiled) == {"transpiled_program", "stats", "virtual_physical_mapping"}
    assert transpiled["stats"]["before"]["n_qubits"] == 3
    assert set(transpiled["virtual_physical_mapping"]["qubit_mapping"]) == {"0", "1", "2"}


def test_submit_without_upload_is_400(api: Api) -> None:
    job_id = api.register()["job_id"]
    body = {"device_id": "qulacs", "job_type": "sampling", "shots": 10}
    response = api.post(f"/jobs/{job_id}/submit", json=body)
    assert response.status_code == 400
    assert response.json() == {"message": f"job information input for {job_id} job not found"}


def test_submit_twice_is_400(api: Api) -> None:
    job_id = api.create({"program": [BELL]})
    body = {"device_id": "qulacs", "job_type": "sampling", "shots": 10}
    response = api.post(f"/jobs/{job_id}/submit", json=body)
    assert response.status_code == 400
    assert "not in valid status" in response.json()["message"]
    api.wait(job_id)


def test_submit_unknown_and_unavailable_device_is_400(api: Api) -> None:
    for device, message in (
        ("nope", "device not found"),
        ("kawasaki", "device kawasaki is not available"),
    ):
        registered = api.register()
        api.upload(registered["presigned_url"], zip_of("input.json", b'{"program": []}'))
        body = {"device_id": device, "job_type": "sampling", "shots": 10}
        response = api.post(f"/jobs/{registered['job_id']}/submit", json=body)
        assert response.status_code == 400
        assert response.json() == {"message": message}


def test_cancel_rules(api: Api) -> None:
    job_id = api.register()["job_id"]
    response = api.post(f"/jobs/{job_id}/cancel")
    assert response.status_code == 200
    assert response.json() == {"message": "cancel request accepted"}
    assert api.get(f"/jobs/{job_id}/status").json()["status"] == "cancelled"
    cancelled = api.get(f"/jobs/{job_id}").json()
    assert "input" in cancelled["job_info"]  # required by the schema, even without an upload
    assert api.post(f"/jobs/{job_id}/cancel").status_code == 200  # idempotent
    done = api.wait(api.create({"program": [BELL]}))
    refused = api.post(f"/jobs/{done['job_id']}/cancel")
    assert refused.status_code == 400
    assert "not in valid status for cancellation" in refused.json()["message"]


def test_cancelled_registered_job_cannot_be_submitted(api: Api) -> None:
    registered = api.register()
    api.upload(registered["presigned_url"], zip_of("input.json", b'{"program": []}'))
    api.post(f"/jobs/{registered['job_id']}/cancel")
    body = {"device_id": "qulacs", "job_type": "sampling", "shots": 10}
    assert api.post(f"/jobs/{registered['job_id']}/submit", json=body).status_code == 400


def test_delete_rules_and_objects_removed(api: Api) -> None:
    registered = api.register()
    refused = api.delete(f"/jobs/{registered['job_id']}")
    assert refused.status_code == 400
    assert "not in valid status for deletion" in refused.json()["message"]
    job = api.wait(api.create({"program": [BELL]}))
    result_url = job["job_info"]["result"]
    assert requests.get(result_url, timeout=10).status_code == 200
    response = api.delete(f"/jobs/{job['job_id']}")
    assert response.json() == {"message": "job deleted"}
    assert api.get(f"/jobs/{job['job_id']}").status_code == 404
    assert requests.get(result_url, timeout=10).status_code == 404
    assert api.delete(f"/jobs/{job['job_id']}").status_code == 404


def test_other_users_jobs_are_404(server: LocalServer, api: Api) -> None:
    job_id = api.create({"program": [BELL]})
    other = Api(server.url, server.add_user("mallory"))
    for response in (
        other.get(f"/jobs/{job_id}"),
        other.get(f"/jobs/{job_id}/status"),
        other.post(f"/jobs/{job_id}/cancel"),
        other.delete(f"/jobs/{job_id}"),
    ):
        assert response.status_code == 404
        assert response.json() == {"message": "job not found with the given id"}
    assert job_id not in {job["job_id"] for job in other.get("/jobs").json()}
    api.wait(job_id)


def test_auth_required_on_every_job_route(server: LocalServer) -> None:
    for method, path in (
        ("GET", "/jobs"),
        ("POST", "/jobs"),
        ("GET", "/jobs/x"),
        ("GET", "/jobs/x/status"),
        ("POST", "/jobs/x/cancel"),
        ("DELETE", "/jobs/x"),
        ("POST", "/jobs/x/submit"),
    ):
        response = requests.request(method, server.url + path, timeout=10)
        assert response.status_code == 401, (method, path)


def test_list_jobs_filters_and_fields(server: LocalServer) -> None:
    api = Api(server.url, server.add_user("lister"))
    first = api.wait(api.create({"program": [BELL]}, name="alpha one"))
    second = api.wait(api.create({"program": [BELL]}, name="beta two", description="findme"))
    registered = api.register()["job_id"]
    jobs = api.get("/jobs").json()
    assert [job["job_id"] for job in jobs] == [first["job_id"], second["job_id"], registered]
    assert jobs[2] == {"job_id": registered, "status": "registered"}
    desc = api.get("/jobs", params={"order": "DESC"}).json()
    assert desc[0]["job_id"] == registered
    page = api.get("/jobs", params={"size": 1, "page": 2}).json()
    assert [job["job_id"] for job in page] == [second["job_id"]]
    assert api.get("/jobs", params={"size": 1, "page": 99}).json() == []
    assert [j["job_id"] for j in api.get("/jobs", params={"q": "findme"}).json()] == [
        second["job_id"]
    ]
    assert len(api.get("/jobs", params={"status": "registered"}).json()) == 1
    start = {"start_time": second["submitted_at"]}
    assert [j["job_id"] for j in api.get("/jobs", params=start).json()] == [second["job_id"]]
    end = {"end_time": first["submitted_at"]}
    assert [j["job_id"] for j in api.get("/jobs", params=end).json()] == [first["job_id"]]
    picked = api.get("/jobs", params={"fields": "job_id,name", "status": "succeeded"}).json()
    assert picked[0] == {"job_id": first["job_id"], "name": "alpha one"}


def test_list_jobs_bad_queries(api: Api) -> None:
    response = api.get("/jobs", params={"fields": "job_id,bogus"})
    assert response.status_code == 400
    assert response.json() == {"message": "fields ['bogus'] is invalid"}
    for params in (
        {"page": 0},
        {"size": 0},
        {"size": 70000},
        {"order": "UP"},
        {"status": "weird"},
        {"start_time": "yesterday"},
    ):
        response = api.get("/jobs", params=params)
        assert response.status_code == 422, params
        assert "detail" in response.json()
