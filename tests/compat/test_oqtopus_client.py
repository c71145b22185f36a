"""The official oqtopus-client 1.3.0 SDK (``OqtopusClient``) works unchanged against LocalServer.

Every public workflow of the SDK: devices, sampling, estimation, multi_manual, submit/wait/status,
listing with pages and time windows, cancel and delete, batches, SSE (with ``device_id=""``
inside the program) and its log, API-token status/delete/create, announcements, and the REST
layer's ``users/me`` and ``system/settings``. Runs in the ``compat`` tox environment.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

oqtopus_client = pytest.importorskip("oqtopus_client")

from oqtopus_client import (  # noqa: E402
    OqtopusClient,
    OqtopusConfig,
    OqtopusJobSpec,
    UserApiError,
    rest,
)

from oqtopus_bridge.local import LocalServer  # noqa: E402

X1 = 'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\nx q[1];\nc = measure q;'
BELL = X1.replace("x q[1];", "h q[0];\ncx q[0], q[1];")
FAST = {"interval": 0.05, "timeout": 120}


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(sse_timeout_s=120) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: LocalServer) -> OqtopusClient:
    return OqtopusClient(OqtopusConfig(url=server.url, api_token=server.token))


def test_devices(client: OqtopusClient) -> None:
    devices = {device.device_id: device for device in client.list_devices()}
    assert {"qulacs", "anemone", "kawasaki"} <= set(devices)
    anemone = client.get_device("anemone")
    assert anemone.device_id == "anemone"
    info = anemone.device_info
    info = info if isinstance(info, dict) else __import__("json").loads(info)
    assert len(info["qubits"]) == 16


def test_run_sampling(client: OqtopusClient) -> None:
    spec = OqtopusJobSpec.sampling(device_id="qulacs", program=X1, shots=100, name="s")
    result = client.run_sampling(spec, **FAST)
    assert str(result.status.value if hasattr(result.status, "value") else result.status) == (
        "succeeded"
    )
    assert result.sampling.counts == {"10": 100}
    assert result.transpiler_info["transpiler_lib"] == "qiskit"
    assert result.execution_time > 0


def test_run_estimation(client: OqtopusClient) -> None:
    spec = OqtopusJobSpec.estimation(
        device_id="qulacs",
        program=BELL.replace("c = measure q;", ""),
        shots=200,
        name="e",
        operator=[{"pauli": "Z0 Z1", "coeff": 1.0}, {"pauli": "X0 X1", "coeff": 0.5}],
    )
    result = client.run_estimation(spec, **FAST)
    assert result.exp_value == pytest.approx(1.5)
    assert result.stds == pytest.approx(0.0)


def test_run_multi_manual(client: OqtopusClient) -> None:
    one = 'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[1] q;\nbit[1] c;\nx q[0];\nc = measure q;'
    spec = OqtopusJobSpec.multi_manual(device_id="qulacs", program=[X1, one], shots=40, name="mm")
    result = client.run_multi_manual(spec, **FAST)
    assert result.get_divided_counts() == {"0": {2: 40}, "1": {1: 40}}


def test_submit_wait_status_and_results(client: OqtopusClient) -> None:
    registered = client.submit_job(
        OqtopusJobSpec.sampling(device_id="qulacs", program=X1, shots=10, name="w")
    )
    job_id = registered.job_id
    done = client.wait_for_job(job_id, **FAST)
    assert done.job_id == job_id
    assert client.is_finished(job_id)
    assert str(client.get_job_status(job_id).status.value) == "succeeded"
    assert client.get_job_result(job_id).sampling.counts == {"10": 10}
    assert client.get_job(job_id).shots == 10


def test_batches(client: OqtopusClient) -> None:
    specs = [
        OqtopusJobSpec.sampling(device_id="qulacs", program=X1, shots=5 + i, name=f"b{i}")
        for i in range(3)
    ]
    results = client.run_jobs_batch(specs, **FAST)
    assert [sum(r.sampling.counts.values()) for r in results] == [5, 6, 7]


def test_listing_with_pages_and_time_windows(server: LocalServer) -> None:
    token = server.add_user("lister")
    client = OqtopusClient(OqtopusConfig(url=server.url, api_token=token))
    before = dt.datetime.now(dt.timezone.utc)
    ids = [
        client.submit_job(
            OqtopusJobSpec.sampling(device_id="qulacs", program=X1, shots=3, name=f"page{i}")
        ).job_id
        for i in range(5)
    ]
    client.wait_for_jobs(ids, **FAST)
    after = dt.datetime.now(dt.timezone.utc)
    first = client.list_jobs(page=1, size=2, order="ASC")
    second = client.list_jobs(page=2, size=2, order="ASC")
    third = client.list_jobs(page=3, size=2, order="ASC")
    assert [j.job_id for j in first + second + third] == ids
    assert [j.job_id for j in client.list_jobs(size=2, order="DESC")] == ids[:2:-1][:2]
    window = client.list_jobs(start_time=before, end_time=after, size=100)
    assert {j.job_id for j in window} == set(ids)
    assert client.list_jobs(end_time=before - dt.timedelta(seconds=1)) == []
    assert [j.name for j in client.list_jobs(q="page3")] == ["page3"]
    only = client.list_jobs(fields="job_id,status", size=1)
    assert only[0].job_id == ids[0]


def test_cancel_and_delete(client: OqtopusClient, tmp_path: Path) -> None:
    sleepy = tmp_path / "sleepy.py"
    sleepy.write_text("import time\ntime.sleep(60)\n")
    job = client.submit_job(
        OqtopusJobSpec.sse(device_id="qulacs", program=sleepy.read_text(), name="z")
    )
    client.cancel_job(job.job_id)
    assert str(client.get_job_status(job.job_id).status.value) == "cancelled"
    client.delete_job(job.job_id)
    with pytest.raises(UserApiError) as caught:
        client.get_job(job.job_id)
    assert caught.value.status_code == 404


SSE_PROGRAM = textwrap.dedent(
    f"""
    # Written for the real service: the official client, and device_id "" for inner jobs.
    from quri_parts_oqtopus.backend import OqtopusSamplingBackend

    job = OqtopusSamplingBackend().sample_qasm({X1!r}, device_id="", shots=30, name="inner")
    print("inner counts", job.result(timeout=60, wait=0.1).counts)
    """
)


def test_sse_with_empty_device_id_and_its_log(client: OqtopusClient, tmp_path: Path) -> None:
    program = tmp_path / "user_program.py"
    program.write_text(SSE_PROGRAM)
    result = client.run_sse_file(file_path=program, device_id="qulacs", name="sse", **FAST)
    assert result.get_job_result().sampling.counts == {"10": 30}
    assert result.transpiler_info["transpiler_lib"] == "qiskit"
    archive = result.download_log()
    assert isinstance(archive, bytes)
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:  # what ported user code does
        assert opened.namelist() == ["sse_runtime.log"]
        assert "inner counts" in opened.read("sse_runtime.log").decode()
    saved = result.download_log(save_dir=tmp_path, persist=True)
    assert Path(saved).name == f"sselog_{result.job_id}.log"
    assert Path(saved).read_bytes() == archive
    assert "===== sse_runtime.log =====" in result.read_log_text()
    sselog = client.get_sselog(result.job_id)
    assert sselog.file_name == f"sselog_{result.job_id}.log"


def test_failed_sse_job(client: OqtopusClient, tmp_path: Path) -> None:
    program = tmp_path / "failing.py"
    program.write_text("import sys\nprint('so far')\nsys.exit(2)\n")
    registered = client.submit_job(
        OqtopusJobSpec.sse(device_id="qulacs", program=program.read_text(), name="f")
    )
    job = client.wait_for_job(registered.job_id, **FAST)
    assert str(job.status.value) == "failed"
    assert job.execution_time > 0
    assert "exit code 2" in job.message


def test_api_token(server: LocalServer, client: OqtopusClient) -> None:
    status = client.get_api_token_status()
    assert status.api_token_expiration.year == 9999
    with pytest.raises(UserApiError) as caught, pytest.warns(DeprecationWarning):
        client.create_api_token()
    assert caught.value.status_code == 403
    doomed = OqtopusClient(OqtopusConfig(url=server.url, api_token=server.add_user("tmp")))
    doomed.delete_api_token()
    with pytest.raises(UserApiError) as caught:
        doomed.list_devices()
    assert caught.value.status_code == 401


def test_announcements(client: OqtopusClient) -> None:
    listed = client.get_announcements_list().announcements
    assert len(listed) == 1
    one = client.get_announcement(listed[0].id)
    assert one.title == listed[0].title and one.publishable is True


def _rest(server: LocalServer, call: Any) -> Any:
    async def main() -> Any:
        configuration = rest.Configuration(host=server.url)
        async with rest.ApiClient(configuration) as api_client:
            api_client.set_default_header("q-api-token", server.token)
            return await call(api_client)

    return asyncio.run(main())


def test_users_me_and_settings_through_the_rest_layer(server: LocalServer) -> None:
    me = _rest(server, lambda c: rest.UsersApi(c).get_current_user())
    assert me.name == "default" and me.id
    settings = _rest(server, lambda c: rest.SettingsApi(c).get_current_settings())
    assert settings.allow_deletion is False
    assert settings.login_history_enabled is False
