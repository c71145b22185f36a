"""A job cancelled while the engine wrote its outcome keeps none of it (review finding)."""

from __future__ import annotations

from pathlib import Path

from oqtopus_bridge.local.engine.outcome import (
    ENGINE_OBJECTS,
    Outcome,
    remove_outputs,
    store_outcome,
)
from oqtopus_bridge.local.storage import ObjectStore


def test_every_engine_object_of_a_cancelled_job_is_removed(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path, b"k" * 32, "http://127.0.0.1:1", 3600)
    job_id = "01a00000-0000-7000-8000-000000000000"
    store.put_json(job_id, "input", {"program": ["..."]})
    outcome = Outcome({"counts": {"0": 1}}, 0.1, {"transpile_result": {}, "combined_program": b"x"})
    store_outcome(store, job_id, outcome)
    store.path(f"{job_id}/result.zip.part").write_bytes(b"half")  # a write the cancel cut short
    remove_outputs(store, job_id)
    left = sorted(p.name for p in store.path(f"{job_id}/input.zip").parent.iterdir())
    assert left == ["input.zip"], left
    assert set(ENGINE_OBJECTS) >= {"result", "transpile_result", "combined_program"}
