"""CLI messages a newcomer met (issue 24, item 7): advice for a shell user, single punctuation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from oqtopus_bridge.cli.exit_codes import ExitCode


@pytest.fixture
def nothing_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("OQTOPUS_URL", "OQTOPUS_API_TOKEN", "OQTOPUS_BASE_URL", "OQTOPUS_ENV"):
        monkeypatch.delenv(name, raising=False)


def test_no_configuration_names_flags_not_a_python_object(
    run_cli: Any, nothing_configured: None
) -> None:
    outcome = run_cli("devices")
    assert outcome.code == ExitCode.USAGE
    assert "OqtopusConfig" not in outcome.err
    assert "pass --url and --token" in outcome.err and "OQTOPUS_URL" in outcome.err


def test_a_missing_config_file_names_flags_not_a_python_object(
    run_cli: Any, nothing_configured: None, tmp_path: Path
) -> None:
    outcome = run_cli("devices", "--config-file", str(tmp_path / "absent.ini"))
    assert outcome.code == ExitCode.USAGE
    assert "does not exist" in outcome.err
    assert "OqtopusConfig" not in outcome.err
    assert "or pass --url URL --token TOKEN" in outcome.err


def test_an_unknown_device_reads_without_doubled_punctuation(
    run_cli: Any, local_server: Any, bell_file: str
) -> None:
    user = ["--url", local_server.url, f"--token={local_server.token}"]
    shown = run_cli("devices", "qulac", *user)  # the server says "device_id=qulac is not found."
    assert shown.code == ExitCode.API
    assert "is not found: no device 'qulac'" in shown.err, shown.err
    submitted = run_cli("submit", bell_file, "--device", "qulac", "--shots", "10", *user)
    assert submitted.code == ExitCode.API
    assert "no device 'qulac'" in submitted.err
    for outcome in (shown, submitted):
        assert ".:" not in outcome.err


def test_a_failed_job_reads_without_doubled_punctuation(
    run_cli: Any, local_server: Any, tmp_path: Path
) -> None:
    program = tmp_path / "bad.qasm"
    program.write_text("OPENQASM 3; qubit[1] q; nonsense q[0];")
    user = ["--url", local_server.url, f"--token={local_server.token}"]
    submit = ["submit", str(program), "--device", "qulacs", "--shots", "10", "--wait"]
    outcome = run_cli(*submit, *user)
    assert outcome.code == ExitCode.JOB_FAILED, outcome.err
    assert "ended with status failed: " in outcome.err
    assert ".:" not in outcome.err and "::" not in outcome.err
