"""The account routes (api-token, announcements, users/me, system/settings) and device histories."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import requests
from local_testkit import Api, unzip

from oqtopus_bridge.local import LocalServer


def test_api_token_status_and_create(server: LocalServer, api: Api) -> None:
    status = api.get("/api-token/status")
    assert status.status_code == 200
    assert status.json()["api_token_expiration"].startswith("9999-")
    created = api.post("/api-token")
    assert created.status_code == 403  # the real service mints tokens only for a web login
    assert "web-console" in created.json()["message"]


def test_delete_api_token_revokes_only_that_token(server: LocalServer) -> None:
    token = server.add_user("leaver")
    other = server.add_user("leaver")
    doomed = Api(server.url, token)
    assert doomed.delete("/api-token").status_code == 200
    assert doomed.get("/devices").status_code == 401
    assert Api(server.url, other).get("/users/me").status_code == 200


def test_announcements(server: LocalServer, api: Api) -> None:
    listed = api.get("/announcements").json()["announcements"]
    assert len(listed) == 1 and listed[0]["id"] == 0
    assert set(listed[0]) == {"id", "title", "content", "start_time", "end_time", "publishable"}
    assert api.get("/announcements/0").json() == listed[0]
    assert api.get("/announcements/7").status_code == 404
    bad = api.get("/announcements/zero")
    assert bad.status_code == 400 and "announcement_id" in bad.json()["message"]
    assert api.get("/announcements", params={"limit": "x"}).status_code == 400
    past = api.get("/announcements", params={"current_time": "2000-01-01T00:00:00Z"})
    assert past.json() == {"announcements": []}


def test_announcements_file(tmp_path: Path) -> None:
    notes = [
        {"title": "b", "content": "later", "start_time": "2026-02-01T00:00:00Z"},
        {"title": "a", "content": "first", "start_time": "2026-01-01T00:00:00Z"},
    ]
    (tmp_path / "announcements.json").write_text(json.dumps(notes))
    with LocalServer(tmp_path) as server:
        api = Api(server.url, server.token)
        titles = [a["title"] for a in api.get("/announcements").json()["announcements"]]
        assert titles == ["a", "b"]
        desc = api.get("/announcements", params={"order": "DESC", "limit": "1"}).json()
        assert [a["title"] for a in desc["announcements"]] == ["b"]


def test_users_me_and_settings(server: LocalServer) -> None:
    api = Api(server.url, server.add_user("ada"))
    me = api.get("/users/me").json()
    assert me["name"] == "ada" and me["login_events"] == [] and me["id"]
    changed = api.session.patch(
        server.url + "/users/me", json={"organization": "Analytical Engines"}, timeout=30
    )
    assert changed.json()["organization"] == "Analytical Engines"
    assert changed.json()["name"] == "ada"
    assert api.delete("/users/me").status_code == 403
    settings = api.get("/system/settings").json()
    assert settings["allow_deletion"] is False
    assert settings["editable_fields"] == ["name", "organization"]


def test_device_history_records_calibration_changes(tmp_path: Path) -> None:
    with LocalServer(tmp_path) as server:
        api = Api(server.url, server.token)
        first = api.get("/device_histories", params={"device_id": "anemone"}).json()
        assert first["total"] == 1 and first["limit"] == 100 and first["offset"] == 0
        assert first["items"][0]["n_qubits"] == 16
        catalog_path = tmp_path / "devices.json"
        catalog = json.loads(catalog_path.read_text())
        anemone = next(d for d in catalog if d["device_id"] == "anemone")
        anemone["device_info"]["calibrated_at"] = "2026-11-30T09:00:00Z"
        anemone["device_info"]["qubits"][0]["fidelity"] = 0.99
        catalog_path.write_text(json.dumps(catalog))
        os.utime(catalog_path, (time.time() + 5, time.time() + 5))  # a distinct mtime
        after = api.get("/device_histories", params={"device_id": "anemone"}).json()
        assert after["total"] == 2
        newest = after["items"][0]
        assert newest["calibrated_at"] == "2026-11-30T09:00:00.000000Z"
        window = api.get(
            "/device_histories", params={"device_id": "anemone", "from": "2026-01-01T00:00:00Z"}
        ).json()
        assert [i["history_uid"] for i in window["items"]] == [newest["history_uid"]]
        one = api.get(f"/device_histories/{newest['history_uid']}").json()
        info = json.loads(unzip(requests.get(one["device_info"], timeout=30).content))
        assert info["qubits"][0]["fidelity"] == 0.99
        assert api.get("/device_histories", params={"device_id": "nope"}).status_code == 404
        assert api.get("/device_histories/nope").status_code == 404
        assert api.get("/device_histories", params={"limit": 0}).status_code == 422
    with LocalServer(tmp_path) as server:  # a restart with the same catalog adds nothing
        again = Api(server.url, server.token).get("/device_histories").json()
        assert again["total"] == 4  # qulacs, anemone (twice), kawasaki
