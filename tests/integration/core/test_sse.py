"""SSE over real HTTP: run_sse checks, results of the last inner job, failure, logs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from oqtopus_bridge import OqtopusSamplingResult, OqtopusSseBackend, OqtopusSseJob
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


def test_run_sse_returns_last_inner_result_and_text_log(sse_backend: Any, tmp_path: Path) -> None:
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
    assert "inner counts Counter({2: 10})" in path.read_text()  # plain text, not a zip
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


def test_deprecated_backend_download_log(sse_backend: Any, tmp_path: Path) -> None:
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="no job"):
        sse_backend.download_log()
    job = sse_backend.run_sse(_program(tmp_path, "print('dep')\n"), "qulacs", "dep")
    job.wait_for_completion(timeout=120)
    with pytest.warns(DeprecationWarning):
        path = sse_backend.download_log(save_dir=str(tmp_path))
    assert "dep" in Path(path).read_text()
    (tmp_path / "b").mkdir()
    with pytest.warns(DeprecationWarning):
        sse_backend.download_log(job_id=job.job_id, save_dir=str(tmp_path / "b"))


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
