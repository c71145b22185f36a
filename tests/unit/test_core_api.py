"""Wire bodies, job_info decoding and small core pieces (no sockets)."""

from __future__ import annotations

import base64
import json
import threading
import time

import pytest

from oqtopus_bridge.api import JobSpec
from oqtopus_bridge.concurrency import run_concurrently
from oqtopus_bridge.errors import StorageError
from oqtopus_bridge.models import FINAL_STATUSES, JobRecord, JobStatus, is_final, parse_datetime
from oqtopus_bridge.progress import StatusBar, progress_default
from oqtopus_bridge.storage import decode_object, make_zip, read_single_entry


def test_submit_and_input_bodies_match_captured_traffic() -> None:
    spec = JobSpec(
        job_type="sampling",
        device_id="qulacs",
        shots=100,
        program=["P"],
        name="n1",
        description="d1",
        mitigation_info={"ro_error_mitigation": "pseudo_inverse"},
    )
    assert spec.submit_body() == {
        "name": "n1",
        "description": "d1",
        "device_id": "qulacs",
        "job_type": "sampling",
        "transpiler_info": {},
        "simulator_info": {},
        "mitigation_info": {"ro_error_mitigation": "pseudo_inverse"},
        "shots": 100,
    }
    assert spec.input_payload() == {"program": ["P"]}
    assert "name" not in JobSpec("sampling", "q", 1, program=["P"]).submit_body()


def test_legacy_body_inlines_job_info_and_base64_sse() -> None:
    spec = JobSpec("estimation", "q", 10, program=["P"], operator=[{"pauli": "Z0", "coeff": 1.0}])
    assert spec.legacy_body()["job_info"] == {
        "program": ["P"],
        "operator": [{"pauli": "Z0", "coeff": 1.0}],
    }
    sse = JobSpec("sse", "q", 1, sse_program="print('hi')\n", name="s")
    assert sse.input_payload() == {"sse_program": "print('hi')\n"}
    encoded = sse.legacy_body()["job_info"]["program"][0]
    assert base64.b64decode(encoded).decode() == "print('hi')\n"


def test_zip_round_trip_and_unwrapping() -> None:
    name, content = read_single_entry(make_zip("result.json", b'{"result": {"a": 1}}'))
    assert decode_object(name, content) == {"a": 1}
    assert decode_object("combined_program", b"OPENQASM 3;") == "OPENQASM 3;"
    assert decode_object("result.json", b'{"sampling": {}, "x": 1}') == {"sampling": {}, "x": 1}
    with pytest.raises(StorageError):
        read_single_entry(b"garbage")


def test_statuses() -> None:
    assert {"succeeded", "failed", "cancelled"} == FINAL_STATUSES
    assert all(is_final(s.value) == s.is_final for s in JobStatus)
    assert not is_final("cancelling")
    assert not is_final("some-future-status")


def test_job_record_defaults() -> None:
    record = JobRecord({"job_id": "j", "name": None, "transpiler_info": '{"a": 1}'})
    assert record.text("name") == ""
    assert record.info("transpiler_info") == {"a": 1}
    assert record.info("simulator_info") == {}
    assert record.number("shots") == 0.0
    with pytest.raises(ValueError):
        JobRecord({})


def test_parse_datetime() -> None:
    assert parse_datetime("2025-01-01T00:00:00Z").tzinfo is not None  # type: ignore[union-attr]
    assert parse_datetime(None) is None
    assert parse_datetime("yesterday") is None


def test_run_concurrently_keeps_order_and_overlaps() -> None:
    barrier = threading.Barrier(4, timeout=5)

    def call(i: int) -> int:
        barrier.wait()  # deadlocks unless four calls run at once
        return i * i

    assert run_concurrently([lambda i=i: call(i) for i in range(4)], max_workers=4) == [0, 1, 4, 9]
    assert run_concurrently([]) == []


def test_run_concurrently_raises_first_error_after_all_ran() -> None:
    done: list[int] = []

    def ok(i: int) -> int:
        time.sleep(0.01)
        done.append(i)
        return i

    def fail(message: str) -> int:
        raise RuntimeError(message)

    calls = [lambda: ok(0), lambda: fail("first"), lambda: fail("second"), lambda: ok(3)]
    with pytest.raises(RuntimeError, match="first"):
        run_concurrently(calls)
    assert sorted(done) == [0, 3]
    with pytest.raises(RuntimeError, match="first"):
        run_concurrently(calls, max_workers=1)
    with pytest.raises(ValueError):
        run_concurrently(calls, max_workers=0)


def test_progress_default_off_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert progress_default() is False


def test_status_bar_renders(capsys: pytest.CaptureFixture[str]) -> None:
    with StatusBar("job x", enabled=True) as bar:
        bar.update("running")
    with StatusBar("job y", enabled=False) as bar:
        bar.update("running")
    assert "job x: running" in capsys.readouterr().err


def test_json_encoder_dates() -> None:
    from oqtopus_bridge.models import JsonEncoder

    stamp = parse_datetime("2025-01-01T00:00:00Z")
    assert json.dumps({"t": stamp}, cls=JsonEncoder) == '{"t": "2025-01-01T00:00:00+00:00"}'
