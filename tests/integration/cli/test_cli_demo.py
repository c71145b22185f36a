"""``oqtopus-bridge demo`` as a user runs it: the installed console script, no config file."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _console_script() -> str:
    script = Path(sys.executable).with_name("oqtopus-bridge")
    found = str(script) if script.exists() else shutil.which("oqtopus-bridge")
    if not found:
        pytest.fail("the oqtopus-bridge console script is not installed (pip install -e .)")
    return found


def test_demo_prints_bell_counts_from_all_three_frameworks(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OQTOPUS_")}
    env["HOME"] = str(tmp_path)  # no ~/.oqtopus
    completed = subprocess.run(
        [_console_script(), "demo", "--shots", "300"],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    out = completed.stdout
    assert "Traceback" not in completed.stderr
    for framework in ("QURI Parts", "Qiskit", "PennyLane"):
        match = re.search(rf"== {framework} \([\d.]+ s\)\ncounts: (\{{.*\}})", out)
        assert match, f"no counts for {framework} in:\n{out}"
        counts = json.loads(match.group(1))
        assert set(counts) <= {"00", "11"} and sum(counts.values()) == 300
        assert len(counts) == 2  # both outcomes appear: P(all 300 shots equal) = 2**-299
    assert "Ran 3 of 3 frameworks" in out


def test_demo_json_in_process(run_cli):
    outcome = run_cli("demo", "--shots", "50", "--json")
    assert outcome.code == 0, outcome.err
    view = json.loads(outcome.out)
    assert set(view) == {"QURI Parts", "Qiskit", "PennyLane"}
    for name, result in view.items():
        assert set(result["counts"]) <= {"00", "11"}, name
        assert sum(result["counts"].values()) == 50


def test_demo_reports_a_missing_extra_as_skipped(run_cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "pennylane", None)  # as if the pennylane extra were missing
    outcome = run_cli("demo", "--shots", "20")
    assert outcome.code == 0, outcome.err
    assert 'PennyLane: skipped, not installed (pip install ".[pennylane]" in a clone' in outcome.out
    assert "Ran 2 of 3 frameworks" in outcome.out


@pytest.mark.parametrize("command", [["demo"], ["serve", "--port", "0"]])
def test_missing_server_extra_is_exit_2_with_the_install_line(run_cli, monkeypatch, command):
    monkeypatch.setitem(sys.modules, "oqtopus_bridge.local", None)
    outcome = run_cli(*command)
    assert outcome.code == 2
    assert 'pip install ".[server]"' in outcome.err and outcome.err.count("\n") == 1
