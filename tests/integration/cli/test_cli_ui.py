"""``oqtopus-bridge ui``: a fresh web-view login link for the running server (issue 24, item 5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from oqtopus_bridge.cli.exit_codes import ExitCode
from oqtopus_bridge.local import LocalServer


def test_ui_prints_a_fresh_link_that_logs_a_browser_in(run_cli: Any, tmp_path: Path) -> None:
    with LocalServer(tmp_path) as server:
        first = run_cli("ui", "--data-dir", str(tmp_path))
        second = run_cli("ui", "--data-dir", str(tmp_path))
        assert first.code == second.code == ExitCode.OK, first.err
        link = first.out.strip()
        assert link.startswith(f"{server.url}/ui/login?code=")
        assert second.out.strip() != link  # a new code each time
        assert server.token not in first.out + first.err
        browser = requests.Session()
        assert browser.get(link, timeout=30).status_code == 200
        assert browser.get(f"{server.url}/ui/jobs", timeout=30).status_code == 200
        assert requests.get(second.out.strip(), timeout=30).status_code == 200  # also unused


def test_ui_without_a_running_server_says_what_to_do(run_cli: Any, tmp_path: Path) -> None:
    with LocalServer(tmp_path):
        pass  # the directory exists and was served, but nothing runs on it now
    outcome = run_cli("ui", "--data-dir", str(tmp_path))
    assert outcome.code == ExitCode.USAGE
    assert f"does not run on the data directory {tmp_path}" in outcome.err
    assert f"oqtopus-bridge serve --data-dir {tmp_path}" in outcome.err
    empty = run_cli("ui", "--data-dir", str(tmp_path / "never"))
    assert empty.code == ExitCode.USAGE and "does not run" in empty.err
