"""``oqtopus-bridge serve`` in a subprocess: it serves other commands and stops on Ctrl-C."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

TOKEN = "serve-test-token-0123456789"


def test_serve_answers_other_commands_and_stops_on_ctrl_c(tmp_path, run_cli):
    script = Path(sys.executable).with_name("oqtopus-bridge")
    process = subprocess.Popen(
        [str(script), "serve", "--port", "0", "--data-dir", str(tmp_path), "--token", TOKEN],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()  # printed once the port is bound
        match = re.search(r"at (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        url = match.group(1)
        # The port listens before the banner: the request waits in its backlog, no retry needed.
        outcome = run_cli("devices", "--json", "--url", url, "--token", TOKEN)
        assert outcome.code == 0, outcome.err
        assert "qulacs" in [device["device_id"] for device in json.loads(outcome.out)]
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err and TOKEN not in err
    assert (tmp_path / "api_token").read_text().strip() == TOKEN


def test_serve_rejects_a_bad_port(run_cli):
    outcome = run_cli("serve", "--port", "70000")
    assert outcome.code == 2 and "--port" in outcome.err


def test_python_dash_m_runs_the_cli():
    completed = subprocess.run(
        [sys.executable, "-m", "oqtopus_bridge.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0 and completed.stdout.startswith("oqtopus-bridge ")
