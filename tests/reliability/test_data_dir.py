"""The data directory on a shared machine (issue 21): private modes, and unsubmitted jobs expire.

The directory is 0700 and its database, keys, token and stored objects 0600, also when an older
server made them 0755/0644. A job registered and never submitted ends ``cancelled`` once its
lifetime has passed and its upload is deleted: the test ages the job in the database (no clock is
waited for) and restarts the server, whose start-up sweep then runs before it serves.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import stat
from pathlib import Path

from raw_client import BELL, RawClient, input_zip

from oqtopus_bridge.local import LocalServer

SECRETS = ("oqtopus.sqlite3", "oqtopus.sqlite3-wal", "signing.key", "ui.key", "api_token")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _modes(data_dir: Path) -> dict[str, str]:
    """The mode of the directory, of each secret and of every stored object and its folders."""
    secrets = [data_dir / name for name in SECRETS]
    assert all(path.exists() for path in secrets[:1] + secrets[2:]), "a secret is missing"
    paths = [data_dir, *(p for p in secrets if p.exists()), *(data_dir / "objects").rglob("*")]
    return {str(path.relative_to(data_dir.parent)): oct(_mode(path)) for path in paths}


def _expected(data_dir: Path) -> dict[str, str]:
    modes = _modes(data_dir)
    return {path: "0o700" if (data_dir.parent / path).is_dir() else "0o600" for path in modes}


def test_the_data_directory_and_its_secrets_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with LocalServer(data_dir, workers=1) as server:
        client = RawClient(server.url, server.token)
        job_id = client.submit(shots=5)
        assert client.wait([job_id], 120)[job_id] == "succeeded"
        assert (data_dir / "objects" / job_id / "result.zip").exists()
        assert _modes(data_dir) == _expected(data_dir)


def test_an_older_data_directory_is_made_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with LocalServer(data_dir, workers=1):
        pass
    data_dir.chmod(0o755)
    for name in ("oqtopus.sqlite3", "signing.key", "api_token"):
        (data_dir / name).chmod(0o644)
    with LocalServer(data_dir, workers=1):
        assert _modes(data_dir) == _expected(data_dir)


def _age(data_dir: Path, job_id: str, hours: float) -> None:
    """Move the job's registration ``hours`` into the past (as if that much time had passed)."""
    then = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=hours)
    with sqlite3.connect(data_dir / "oqtopus.sqlite3") as db:
        stamp = then.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        db.execute("UPDATE jobs SET created_at=? WHERE job_id=?", (stamp, job_id))


def test_a_job_never_submitted_expires_and_its_upload_is_deleted(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with LocalServer(data_dir, workers=1, registered_ttl_s=3600) as server:
        client = RawClient(server.url, server.token)
        old, fresh = client.register(), client.register()
        for registered in (old, fresh):
            form = registered["presigned_url"]
            client.upload(form, input_zip({"program": [BELL]})).raise_for_status()
    _age(data_dir, old["job_id"], hours=2)
    with LocalServer(data_dir, workers=1, registered_ttl_s=3600) as server:
        client = RawClient(server.url, server.token)
        expired = client.job(old["job_id"])
        assert expired["status"] == "cancelled"
        assert "not submitted within 1 h" in expired["job_info"]["message"]
        assert not (data_dir / "objects" / old["job_id"]).exists()
        assert client.status(fresh["job_id"]) == "registered"
        body = {"device_id": "qulacs", "job_type": "sampling", "shots": 5}
        client.call("POST", f"/jobs/{fresh['job_id']}/submit", json=body).raise_for_status()
        assert client.wait([fresh["job_id"]], 120)[fresh["job_id"]] == "succeeded"
        late = client.call("POST", f"/jobs/{old['job_id']}/submit", json=body)
        assert late.status_code == 400 and "not in valid status" in late.json()["message"]


def test_the_running_server_sweeps_too(tmp_path: Path) -> None:
    with LocalServer(tmp_path / "data", workers=1, registered_ttl_s=3600) as server:
        client = RawClient(server.url, server.token)
        job_id = client.register()["job_id"]
        _age(server.data_dir, job_id, hours=2)
        # The sweep the server's thread runs every quarter of the lifetime, run now.
        assert server._context.expiry.sweep() == [job_id]  # type: ignore[union-attr]
        assert client.status(job_id) == "cancelled"
