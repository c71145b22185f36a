"""Crash recovery: ``kill -9`` the server with jobs queued and running, restart on the same data."""

from __future__ import annotations

import sqlite3
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from figures import Report, size
from raw_client import BELL, FINAL, RawClient, input_zip, layered_program, single_entry
from server_process import ServerProcess

from oqtopus_bridge.local.engine.worker import HOLD_HOOK

TOKEN = "crash-test-token-0123456789"
SHOTS = 100
WIDE_SHOTS = 4000
SLEEPER = "import time\ntime.sleep(8)\nprint('slept')\n"  # may be running or done at the kill


def _db_rows(data_dir: Path) -> dict[str, sqlite3.Row]:
    db = sqlite3.connect(f"file:{data_dir / 'oqtopus.sqlite3'}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {row["job_id"]: row for row in db.execute("SELECT * FROM jobs")}
    finally:
        db.close()


def _storage_agrees(data_dir: Path, rows: dict[str, sqlite3.Row]) -> dict[str, int]:
    """Check objects against rows; return counts for the report."""
    objects = data_dir / "objects"
    # device_histories/ holds the recorded calibrations (issue 15), not job objects.
    dirs = {path.name for path in objects.iterdir() if path.is_dir()} - {"device_histories"}
    assert dirs <= set(rows), f"objects without a job row: {sorted(dirs - set(rows))}"
    for job_id, row in rows.items():
        if row["status"] == "succeeded":
            with zipfile.ZipFile(objects / job_id / "result.zip") as archive:
                assert len(archive.namelist()) == 1 and archive.testzip() is None
        if row["status"] in ("submitted", "ready", "running", "succeeded", "failed"):
            assert (objects / job_id / "input.zip").is_file(), job_id
    partial = len(list(objects.rglob("*.part")))
    return {"object_dirs": len(dirs), "partial_files_left": partial}


def _submit_concurrently(client_of: Any, plan: list[tuple[str, str, int]]) -> dict[str, str]:
    """Submit ``(kind, qasm, shots)`` jobs from 8 threads, so a queue builds up on the server."""
    kinds: dict[str, str] = {}

    def one(item: tuple[int, tuple[str, str, int]]) -> None:
        index, (kind, qasm, shots) = item
        job_id = client_of().submit(qasm, shots=shots, device_id="qulacs", name=f"crash-{index}")
        kinds[job_id] = kind

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, enumerate(plan)))
    return kinds


def test_kill_dash_nine_loses_nothing(tmp_path: Path, report: Report) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "server.log"
    wide = layered_program(14)  # a bigger result, with many keys, to keep intact
    plan = [("light", BELL, SHOTS)] * size(60, 400) + [("wide", wide, WIDE_SHOTS)] * 4
    # One worker, held busy by the hold hook: the plan's jobs are still queued at the kill, however
    # fast or slow the machine (no race between the clients and the engine).
    with ServerProcess(data_dir, TOKEN, workers=1, log_path=log, test_hooks=True) as server:
        client = RawClient(server.url, TOKEN)
        sse = [
            client.submit(job_type="sse", payload={"sse_program": SLEEPER}, name=f"sse-{i}")
            for i in range(2)
        ]
        early = [client.submit(BELL, shots=SHOTS, name=f"early-{i}") for i in range(3)]
        assert set(client.wait(early, timeout=600).values()) == {"succeeded"}
        held = client.submit(BELL, shots=SHOTS, name=HOLD_HOOK)
        assert client.wait_for(held, "running", timeout=600)
        local = threading.local()

        def client_of() -> RawClient:
            if not hasattr(local, "client"):
                local.client = RawClient(server.url, TOKEN)
            return local.client

        kinds = _submit_concurrently(client_of, plan)
        kinds.update(dict.fromkeys([*early, held], "light"))
        kinds.update(dict.fromkeys(sse, "sse"))
        uploaded = client.register()
        client.upload(uploaded["presigned_url"], input_zip({"program": [BELL]})).raise_for_status()
        bare = client.register()["job_id"]
        kept = {job: client.job(job)["job_info"]["result"] for job in early}
        kept = {job: client.storage.get(url, timeout=10).content for job, url in kept.items()}
        server.kill()
        client.close()
    before = {
        job_id: row["status"] for job_id, row in _db_rows(data_dir).items() if job_id in kinds
    }
    assert "running" in before.values() and "submitted" in before.values(), before
    with ServerProcess(data_dir, TOKEN, workers=2, log_path=log) as server:
        client = RawClient(server.url, TOKEN)
        after = client.wait(list(kinds), timeout=size(180, 900))
        rows = _db_rows(data_dir)
        for job_id, status in after.items():
            assert status in FINAL and status != "cancelled", (job_id, status)
            job = client.job(job_id)
            if status == "failed":
                assert job["job_info"].get("message"), f"{job_id} failed without a message"
                continue
            assert rows[job_id]["status"] == status
            if kinds[job_id] == "sse":
                continue
            result = client.download(job["job_info"]["result"])["sampling"]["counts"]
            assert sum(result.values()) == (SHOTS if kinds[job_id] == "light" else WIDE_SHOTS)
            if kinds[job_id] == "light":
                assert set(result) <= {"00", "11"}
            assert job["submitted_at"] <= job["ready_at"] <= job["running_at"] <= job["ended_at"]
        for job_id, data in kept.items():
            url = client.job(job_id)["job_info"]["result"]
            assert client.storage.get(url, timeout=10).content == data, "a result changed"
            assert single_entry(data)
        assert client.status(bare) == "registered"
        assert client.status(uploaded["job_id"]) == "registered"
        request = {"device_id": "qulacs", "job_type": "sampling", "shots": SHOTS, "name": "late"}
        client.call("POST", f"/jobs/{uploaded['job_id']}/submit", json=request).raise_for_status()
        assert client.wait([uploaded["job_id"]], 60)[uploaded["job_id"]] == "succeeded"
        storage = _storage_agrees(data_dir, _db_rows(data_dir))
        client.close()

    report.record(
        "crash",
        jobs_submitted=len(kinds),
        states_at_kill={s: list(before.values()).count(s) for s in sorted(set(before.values()))},
        results_kept_byte_identical=len(kept),
        after_restart={s: list(after.values()).count(s) for s in sorted(set(after.values()))},
        registered_jobs_survived=2,
        sqlite_integrity="ok",
        **storage,
    )
