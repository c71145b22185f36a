"""The examples and the notebook use the user's configuration, ~/.oqtopus included (issue 17.2).

Before, ``examples/pennylane_vqe.py``, ``examples/qiskit_tour.py`` and the notebook looked only at
``OQTOPUS_URL``: with just ``~/.oqtopus`` they ran on a private local server, the VQE silently.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from oqtopus_bridge import OqtopusConfig, OqtopusJobBackendBase
from oqtopus_bridge.errors import ConfigError
from oqtopus_bridge.local import config_or_local_server

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _write_oqtopus_file(url: str, token: str) -> Path:
    path = Path(os.environ["HOME"]) / ".oqtopus"
    path.write_text(f"[default]\nurl={url}\napi_token={token}\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def _jobs_of(url: str, token: str) -> list[dict[str, Any]]:
    return OqtopusJobBackendBase(OqtopusConfig(url, token)).list_jobs()


def test_vqe_example_uses_the_oqtopus_file_and_says_so(
    local_server: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    token = local_server.add_user("vqe-file-user")
    _write_oqtopus_file(local_server.url, token)
    script = EXAMPLES / "pennylane_vqe.py"
    monkeypatch.setattr(sys, "argv", [str(script), "--steps", "1", "--shots", "200"])
    runpy.run_path(str(script), run_name="__main__")
    output = capsys.readouterr().out
    assert f"Using OQTOPUS at {local_server.url} (from file ~/.oqtopus [default])" in output
    assert len(_jobs_of(local_server.url, token)) >= 7  # 1 forward + 6 shifted tapes, on our server


def test_qiskit_tour_uses_the_oqtopus_file(local_server: Any) -> None:
    token = local_server.add_user("qiskit-tour-file-user")
    _write_oqtopus_file(local_server.url, token)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OQTOPUS_")}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "qiskit_tour.py")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"Using OQTOPUS at {local_server.url} (from file ~/.oqtopus [default])" in done.stdout
    assert _jobs_of(local_server.url, token)


def test_nothing_configured_starts_a_local_server_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Variables that do not configure the client (CI sets OQTOPUS_REQUIRE_BROWSER) change nothing.
    monkeypatch.setenv("OQTOPUS_REQUIRE_BROWSER", "1")
    monkeypatch.setenv("OQTOPUS_DEVICE", "qulacs")
    lines: list[str] = []
    config, server = config_or_local_server(lines.append)
    try:
        assert server is not None and config.url == server.url
        assert lines == [lines[0]] and "No OQTOPUS configuration found" in lines[0]
        assert server.url in lines[0] and "private local server" in lines[0]
    finally:
        if server is not None:
            server.stop()


def test_environment_wins_and_is_named(local_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OQTOPUS_URL", local_server.url)
    monkeypatch.setenv("OQTOPUS_API_TOKEN", local_server.token)
    lines: list[str] = []
    config, server = config_or_local_server(lines.append)
    assert server is None and config.url == local_server.url
    expected = (
        f"Using OQTOPUS at {local_server.url} (from environment (OQTOPUS_URL, OQTOPUS_API_TOKEN))"
    )
    assert lines == [expected]


def test_a_broken_oqtopus_file_is_an_error_not_a_silent_local_server() -> None:
    path = Path(os.environ["HOME"]) / ".oqtopus"
    path.write_text("[default]\nurl=http://127.0.0.1:9\n", encoding="utf-8")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="api_token"):
        config_or_local_server(lambda line: None)


def test_the_notebook_uses_the_same_resolution() -> None:
    notebook = json.loads((EXAMPLES / "notebooks" / "getting_started.ipynb").read_text())
    code = "\n".join("".join(cell["source"]) for cell in notebook["cells"])
    assert "config_or_local_server()" in code
    assert 'os.environ.get("OQTOPUS_URL")' not in code
