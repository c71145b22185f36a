"""SSE over real HTTP: run_sse checks, results of the last inner job, failure, logs."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
import requests

from oqtopus_bridge import (
    OqtopusSamplingBackend,
    OqtopusSamplingResult,
    OqtopusSseBackend,
    OqtopusSseJob,
)
from oqtopus_bridge.backends.sse import MAX_FILE_SIZE
from oqtopus_bridge.errors import JobFailedError

from .conftest import RequestCounter

SAMPLING_PROGRAM = """
from quri_parts.circuit import QuantumCircuit
from oqtopus_bridge import OqtopusSamplingBackend
circuit = QuantumCircuit(2)
circuit.add_X_gate(1)
print("inner counts", OqtopusSamplingBackend().sample(circuit, "qulacs", 10).result().counts)
"""


@pytest.fixture
def sse_backend(oqtopus_config: Any) -> OqtopusSseBackend:
    return OqtopusSseBackend(oqtopus_config)


def _program(tmp_path: Path, text: str, name: str = "prog.py") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _log_text(path: Path) -> str:
    """Read a saved log the way real user code does (oqtopus-sse-pulse): as a zip archive."""
    with zipfile.ZipFile(path) as archive:
        (name,) = archive.namelist()
        return archive.read(name).decode()


def test_run_sse_returns_last_inner_result_and_zip_log(sse_backend: Any, tmp_path: Path) -> None:
    job = sse_backend.run_sse(_program(tmp_path, SAMPLING_PROGRAM), "qulacs", "inner", "desc")
    assert isinstance(job, OqtopusSseJob)
    assert (job.job_type, job.name, job.description) == ("sse", "inner", "desc")
    result = job.result(timeout=120)
    assert isinstance(result, OqtopusSamplingResult)
    assert result.counts == {0b10: 10}
    save_dir = tmp_path / "logs"
    save_dir.mkdir()
    path = Path(job.download_log(save_dir=str(save_dir)))
    assert path.name == f"sselog_{job.job_id}.log"
    # The official client's bytes: the stored sse_log.zip, unextracted, under a .log name.
    stored = requests.get(job.job_info["sse_log"], timeout=30)  # presigned: no token needed
    assert path.read_bytes() == stored.content
    assert "inner counts Counter({2: 10})" in _log_text(path)
    assert _log_text(path) == job.read_log_text()
    with pytest.raises(ValueError, match="already exists"):
        job.download_log(save_dir=str(save_dir))


def test_download_log_to_cwd(
    sse_backend: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = sse_backend.run_sse(_program(tmp_path, "print('to cwd')\n"), "qulacs", "cwd")
    job.wait_for_completion(timeout=120)
    monkeypatch.chdir(tmp_path)
    assert Path(job.download_log()).parent == tmp_path
    assert "to cwd" in job.read_log_text()


def test_failed_program_raises_with_message(sse_backend: Any, tmp_path: Path) -> None:
    job = sse_backend.run_sse(_program(tmp_path, "raise SystemExit(3)\n"), "qulacs", "fail")
    with pytest.raises(JobFailedError) as info:
        job.result(timeout=120)
    assert info.value.server_message
    assert job.status == "failed"


def test_download_log_dir_checks(sse_backend: Any, tmp_path: Path) -> None:
    job = sse_backend.run_sse(_program(tmp_path, "print(1)\n"), "qulacs", "dirs")
    with pytest.raises(ValueError, match="does not exist"):
        job.download_log(save_dir=str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="not a directory"):
        job.download_log(save_dir=_program(tmp_path, "x", "file.py"))


def test_documented_backend_download_log(sse_backend: Any, tmp_path: Path) -> None:
    # The documented OqtopusSseBackend.download_log(job_id=None, save_dir=None): no warning (pytest
    # runs with filterwarnings=error), no job_id meaning the backend's last job.
    with pytest.raises(ValueError, match="no job has been executed"):
        sse_backend.download_log()
    job = sse_backend.run_sse(_program(tmp_path, "print('dep')\n"), "qulacs", "dep")
    job.wait_for_completion(timeout=120)
    path = Path(sse_backend.download_log(save_dir=str(tmp_path)))
    assert path.name == f"sselog_{job.job_id}.log"
    assert "dep" in _log_text(path)
    (tmp_path / "b").mkdir()
    by_id = Path(sse_backend.download_log(job_id=job.job_id, save_dir=str(tmp_path / "b")))
    assert by_id.read_bytes() == path.read_bytes()
    sampling = OqtopusSamplingBackend(sse_backend.config).sample_qasm(
        "OPENQASM 3; qubit[1] q; bit[1] c; c[0] = measure q[0];", "qulacs", 1
    )
    with pytest.raises(TypeError, match="not an SSE job"):
        sse_backend.download_log(job_id=sampling.job_id, save_dir=str(tmp_path))


def test_run_sse_argument_checks_before_any_request(sse_backend: Any, tmp_path: Path) -> None:
    counter = RequestCounter(sse_backend)
    with pytest.raises(ValueError, match="file_path is not set"):
        sse_backend.run_sse(None, "qulacs", "n")
    with pytest.raises(ValueError, match="does not exist"):
        sse_backend.run_sse(str(tmp_path / "nope.py"), "qulacs", "n")
    with pytest.raises(ValueError, match="not python file"):
        sse_backend.run_sse(_program(tmp_path, "x", "prog.txt"), "qulacs", "n")
    big = tmp_path / "big.py"
    big.write_bytes(b"#" * (MAX_FILE_SIZE * 3 // 4 + 3))
    with pytest.raises(ValueError, match="larger than 10485760"):
        sse_backend.run_sse(str(big), "qulacs", "n")
    assert len(counter) == 0
