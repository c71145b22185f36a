"""The legacy inline protocol: configured explicitly, or detected automatically."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from quri_parts.core.operator import pauli_label

from oqtopus_bridge import (
    OqtopusConfig,
    OqtopusEstimationBackend,
    OqtopusJobBackendBase,
    OqtopusSamplingBackend,
    OqtopusSseBackend,
)

from .test_sampling import X0_QASM


@pytest.mark.parametrize("protocol", ["auto", "legacy"])
def test_sampling_on_legacy_server(legacy_server: Any, protocol: str) -> None:
    config = OqtopusConfig(legacy_server.url, legacy_server.token, protocol=protocol)  # type: ignore[arg-type]
    backend = OqtopusSamplingBackend(config)
    job = backend.sample_qasm(X0_QASM, "qulacs", 10)
    assert backend.api.protocol == "legacy"
    assert job.result().counts == Counter({1: 10})
    assert job.job_info["program"] == [X0_QASM]
    assert job.job_info["input"]["program"] == [X0_QASM]
    multi = backend.sample_qasm([X0_QASM, X0_QASM], "qulacs", 4).result()
    assert multi.divided_counts == {0: Counter({1: 4}), 1: Counter({1: 4})}


def test_storage_protocol_refused_by_legacy_server(legacy_server: Any) -> None:
    from oqtopus_bridge.errors import BackendError

    config = OqtopusConfig(legacy_server.url, legacy_server.token, protocol="storage")
    with pytest.raises(BackendError):
        OqtopusSamplingBackend(config).sample_qasm(X0_QASM, "qulacs", 10)


def test_auto_detects_storage_on_current_server(oqtopus_config: Any) -> None:
    backend = OqtopusSamplingBackend(oqtopus_config)
    assert backend.api.protocol is None
    backend.sample_qasm(X0_QASM, "qulacs", 1).result()
    assert backend.api.protocol == "storage"


def test_estimation_on_legacy_server(legacy_server: Any) -> None:
    backend = OqtopusEstimationBackend(legacy_server.config)
    result = backend.estimate_qasm(X0_QASM, pauli_label("Z0"), "qulacs", 100).result()
    assert result.exp_value == pytest.approx(-1.0)


def test_sse_on_legacy_server(legacy_server: Any, tmp_path: Path) -> None:
    program = tmp_path / "p.py"
    program.write_text("print('legacy log')\n")
    job = OqtopusSseBackend(legacy_server.config).run_sse(str(program), "qulacs", "legacy")
    job.wait_for_completion(timeout=120)
    assert job.status == "succeeded"
    saved = Path(job.download_log(save_dir=str(tmp_path)))
    # The legacy server names the file (sselog_<id>.zip), and quri-parts-oqtopus 1.0 kept that name.
    assert saved.name == f"sselog_{job.job_id}.zip"
    with zipfile.ZipFile(saved) as archive:
        assert "legacy log" in archive.read(archive.namelist()[0]).decode()
    assert "legacy log" in job.read_log_text()


def test_listing_on_a_legacy_server_pages_and_filters_by_time(legacy_server: Any) -> None:
    config = OqtopusConfig(
        legacy_server.url, legacy_server.add_user("legacy-lister"), protocol="legacy"
    )
    sampler = OqtopusSamplingBackend(config)
    ids = [sampler.sample_qasm(X0_QASM, "qulacs", 5, name=f"old-{i}").job_id for i in range(3)]
    backend = OqtopusJobBackendBase(config)
    assert [job["job_id"] for job in backend.iter_jobs(page_size=2)] == ids[::-1]
    times = {str(j["job_id"]): str(j["submitted_at"]) for j in backend.list_jobs(size=10)}
    until = [job["job_id"] for job in backend.list_jobs(end_time=times[ids[1]])]
    assert until == [job_id for job_id in ids[::-1] if times[job_id] <= times[ids[1]]]
