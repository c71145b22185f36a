"""Code written for quri-parts-oqtopus 1.1.x, ported by our tool, runs unchanged on LocalServer.

This is the porting promise of issue 8, end to end: the fixtures are the public example workflows
and the getting-started notebook written against the reference client's API; `port_paths` rewrites
only their imports; the ported copies then run against the local server.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from oqtopus_bridge import OqtopusSamplingBackend
from oqtopus_bridge.porting import port_paths

FIXTURES = Path(__file__).resolve().parents[1] / "unit" / "porting" / "fixtures"
SUBMITTING = sorted(
    path.name
    for path in (FIXTURES / "examples_1_1").glob("submit_job_*.py")
    if "sse" not in path.name
)


@pytest.fixture(scope="module")
def ported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("ported") / "examples"
    shutil.copytree(FIXTURES / "examples_1_1", target)
    report = port_paths([str(target)], write=True, backup=False)
    assert not report.findings and not report.errors, (report.findings, report.errors)
    assert report.exit_code == 0
    assert not list(target.rglob("*.orig"))
    for path in target.glob("*.py"):
        assert "quri_parts_oqtopus" not in path.read_text(encoding="utf-8"), path.name
    return target


@pytest.fixture
def user_env(local_server: Any, tmp_path: Path) -> dict[str, str]:
    """A HOME whose ~/.oqtopus points at the local server, as a user's machine would have."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".oqtopus").write_text(
        f"[default]\nurl={local_server.url}\napi_token={local_server.token}\n", encoding="utf-8"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("OQTOPUS_")}
    env["HOME"] = str(home)
    return env


def _run(script: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"{script.name} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _job_id(output: str) -> str:
    match = re.search(r"job_id: (\S+)", output)
    assert match, output
    return match.group(1)


@pytest.mark.parametrize("name", SUBMITTING)
def test_ported_submission_script_runs(ported: Path, user_env: dict[str, str], name: str) -> None:
    output = _run(ported / name, user_env)
    lines = [line for line in output.splitlines() if line.strip()]
    # Each script prints its job id and then a result (counts, divided counts or exp_value/stds).
    assert any(line.startswith("job_id: ") for line in lines), output
    assert any(re.search(r"Counter\(|\d\.\d", line) for line in lines), output


def test_ported_get_job_and_cancel_job_scripts_run(
    ported: Path, user_env: dict[str, str], local_server: Any
) -> None:
    finished = _job_id(_run(ported / "submit_job_sampling.py", user_env))
    shown = _run(ported / "get_job.py", user_env, finished)
    assert f"job_id: {finished}" in shown and "status: succeeded" in shown
    # A job the server holds running until it is cancelled (its test hook), so the cancel cannot
    # lose a race against a fast job on a quick machine (it did on a loaded one, with a big job).
    slow = OqtopusSamplingBackend(local_server.config).sample_qasm(
        'OPENQASM 3; include "stdgates.inc"; qubit[2] q; bit[2] c; h q; c = measure q;',
        device_id="qulacs",
        shots=100,
        name="test-hook:hold",
    )
    cancelled = _run(ported / "cancel_job.py", user_env, slow.job_id)
    # print(job) shows a one-line summary (the reference printed to_json(), which costs downloads).
    assert f"job_id='{slow.job_id}'" in cancelled and "status='cancelled'" in cancelled


def test_ported_sse_scripts_run_and_save_the_log(ported: Path, user_env: dict[str, str]) -> None:
    output = _run(ported / "submit_job_sse_sampling.py", user_env)
    saved = Path(output.rsplit("log saved to", 1)[1].strip())
    assert saved.is_file() and saved.stat().st_size > 0
    saved.unlink()  # download_log refuses to overwrite a file (documented), so make room first
    again = _run(ported / "download_log.py", user_env, _job_id(output))
    assert "log saved to" in again


def test_ported_getting_started_notebook_runs(
    tmp_path: Path, user_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = tmp_path / "getting_started.ipynb"
    shutil.copy(FIXTURES / "notebooks" / "getting_started.ipynb", notebook)
    report = port_paths([str(notebook)], write=True, backup=False)
    # The one construct left for a person is the `%pip install quri-parts-oqtopus` cell.
    assert [finding.code for finding in report.findings] == ["install-command"]
    nb = nbformat.read(notebook, as_version=4)
    nb.cells = [cell for cell in nb.cells if "install" not in cell.metadata.get("tags", [])]
    for key, value in user_env.items():
        monkeypatch.setenv(key, value)
    NotebookClient(nb, timeout=180, kernel_name="python3").execute()
    errors = [
        output
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert errors == []
