from __future__ import annotations

import sqlite3
from pathlib import Path

import requests
from local_testkit import BELL, Api

from oqtopus_bridge.local import LocalServer


def test_state_survives_restart(tmp_path: Path) -> None:
    with LocalServer(tmp_path) as first:
        api = Api(first.url, first.token)
        other_token = first.add_user("second")
        job = api.wait(api.create({"program": [BELL]}, name="persisted"))
        token = first.token
    assert (tmp_path / "devices.json").exists()
    assert (tmp_path / "objects" / job["job_id"] / "result.zip").exists()
    with LocalServer(tmp_path) as second:
        assert second.token == token
        api = Api(second.url, second.token)
        again = api.get(f"/jobs/{job['job_id']}").json()
        assert again["name"] == "persisted"
        assert again["status"] == "succeeded"
        assert api.item(again, "result") is not None
        assert Api(second.url, other_token).get("/jobs").status_code == 200


def test_unfinished_jobs_are_rerun_after_restart(tmp_path: Path) -> None:
    with LocalServer(tmp_path) as first:
        api = Api(first.url, first.token)
        job_id = api.wait(api.create({"program": [BELL]}))["job_id"]
    # Simulate a crash mid-run: the row says "running" and the result is gone.
    with sqlite3.connect(tmp_path / "oqtopus.sqlite3") as db:
        db.execute(
            "UPDATE jobs SET status='running', ended_at=NULL, execution_time=NULL WHERE job_id=?",
            (job_id,),
        )
    (tmp_path / "objects" / job_id / "result.zip").unlink()
    with LocalServer(tmp_path) as second:
        job = Api(second.url, second.token).wait(job_id)
        assert job["status"] == "succeeded"
        assert "result" in job["job_info"]
        assert job["ready_at"] <= job["running_at"] <= job["ended_at"]


def test_explicit_token_and_temporary_dir_cleanup() -> None:
    with LocalServer(token="fixed-token") as srv:
        data_dir = srv.data_dir
        assert srv.token == "fixed-token"
        response = requests.get(
            srv.url + "/devices", headers={"q-api-token": "fixed-token"}, timeout=10
        )
        assert response.status_code == 200
        assert srv.config.url == srv.url and srv.config.api_token == "fixed-token"
    assert not data_dir.exists()
