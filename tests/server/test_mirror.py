"""``serve --mirror`` / ``LocalServer(mirror=...)``: a second LocalServer plays OQTOPUS Cloud."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from local_testkit import BELL, Api, unzip

from oqtopus_bridge.local import LocalServer
from oqtopus_bridge.local.mirror import MirrorError

CALIBRATED = "2026-11-30T08:00:00.000000Z"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """The "cloud": its anemone has a calibration the local default catalog does not have."""
    data_dir = tmp_path_factory.mktemp("cloud")
    with LocalServer(data_dir) as server:
        catalog = json.loads((data_dir / "devices.json").read_text())
        anemone = next(d for d in catalog if d["device_id"] == "anemone")
        anemone["device_info"]["calibrated_at"] = CALIBRATED
        anemone["device_info"]["qubits"][3]["meas_error"]["prob_meas0_prep1"] = 0.25
        anemone["description"] = "the real one"
        (data_dir / "devices.json").write_text(json.dumps(catalog))
        yield server


def _device_info(api: Api, device_id: str) -> dict[str, object]:
    device = api.get(f"/devices/{device_id}").json()
    info: dict[str, object] = json.loads(
        unzip(requests.get(device["device_info"], timeout=30).content)
    )
    return info


def test_mirror_copies_device_info_and_records_history(cloud: LocalServer) -> None:
    expected = _device_info(Api(cloud.url, cloud.token), "anemone")
    with LocalServer(mirror=["anemone"], mirror_from=cloud.config) as local:
        api = Api(local.url, local.token)
        assert _device_info(api, "anemone") == expected
        device = api.get("/devices/anemone").json()
        assert device["description"].startswith(f"Mirrored from {cloud.url}")
        assert device["description"].endswith("the real one")
        assert device["calibrated_at"] == CALIBRATED
        history = api.get("/device_histories", params={"device_id": "anemone"}).json()
        assert history["items"][0]["calibrated_at"] == CALIBRATED
        # The mirrored calibration drives the noise: qubit 3 reads 0 a quarter of the time.
        program = BELL.replace("qubit[2] q;", "qubit[4] q;").replace("bit[2] c;", "bit[1] c;")
        program = program.replace(
            "h q[0];\ncx q[0], q[1];\nc = measure q;", "x q[3];\nc[0] = measure q[3];"
        )
        job, result = api.run(
            {"program": [program]},
            device_id="anemone",
            shots=4000,
            simulator_info={"seed_simulation": 5},
            transpiler_info={"transpiler_lib": None},
        )
        assert job["status"] == "succeeded", job
        zeros = result["sampling"]["counts"].get("0", 0) / 4000
        assert 0.2 < zeros < 0.3  # 0.25 readout error, 4000 shots: 5 sigma is 0.034


def test_mirror_from_a_legacy_cloud(tmp_path: Path) -> None:
    with (
        LocalServer(protocol="legacy") as cloud,
        LocalServer(tmp_path, mirror=["qulacs"], mirror_from=cloud.config) as local,
    ):
        catalog = json.loads((tmp_path / "devices.json").read_text())
        assert [d["device_id"] for d in catalog].count("qulacs") == 1
        assert Api(local.url, local.token).get("/devices/qulacs").json()["n_qubits"] == 16


def test_mirror_errors_are_clear(cloud: LocalServer) -> None:
    with pytest.raises(MirrorError, match="'urchin' is not found"):
        LocalServer(mirror=["urchin"], mirror_from=cloud.config).start()
    bad = type(cloud.config)(url=cloud.url, api_token="wrong")
    with pytest.raises(MirrorError, match="refused the API token"):
        LocalServer(mirror=["anemone"], mirror_from=bad).start()


def test_serve_mirror_uses_the_configured_cloud(cloud: LocalServer, tmp_path: Path) -> None:
    env = {**os.environ, "OQTOPUS_URL": cloud.url, "OQTOPUS_API_TOKEN": cloud.token}
    command = [sys.executable, "-m", "oqtopus_bridge.cli", "serve", "--port", "0"]
    command += ["--data-dir", str(tmp_path), "--mirror", "anemone"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stdout is not None
        assert "OQTOPUS local server" in process.stdout.readline()
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    catalog = json.loads((tmp_path / "devices.json").read_text())
    anemone = next(d for d in catalog if d["device_id"] == "anemone")
    assert anemone["device_info"]["calibrated_at"] == CALIBRATED
    assert "mirrored anemone" in stderr
