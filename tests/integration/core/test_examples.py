"""Every script in examples/core runs against LocalServer (the public OQTOPUS workflows)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "core"
SCRIPTS = sorted(
    path.name for path in EXAMPLES.glob("*.py") if not path.name.startswith("user_program_")
)
EXPECTED_OUTPUT = {
    "sampling.py": "counts: Counter({",
    "sampling_qasm.py": "counts: Counter({",
    "sampling_transpiler_info.py": "counts (no transpiler)",
    "sampling_mitigation_info.py": "mitigated counts",
    "sampling_device_choice.py": "chosen device",
    "multi_manual.py": "circuit 1: Counter({1: 1000})",
    "estimation.py": "exp_value (qasm):",
    "sse_sampling.py": "iteration 2",
    "sse_estimation.py": "exp_value: 2.0",
    "get_job.py": "counts: Counter({1: 100})",
    "get_devices.py": "device_id: qulacs",
    "cancel_job.py": "status after cancel: cancel",
    "download_log.py": "hello from SSE",
}


def test_every_workflow_has_an_example() -> None:
    assert set(SCRIPTS) == set(EXPECTED_OUTPUT)


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs(
    script: str,
    local_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OQTOPUS_URL", local_server.url)
    monkeypatch.setenv("OQTOPUS_API_TOKEN", local_server.token)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [script])
    runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    output = capsys.readouterr().out
    assert EXPECTED_OUTPUT[script] in output
    assert local_server.token not in output
