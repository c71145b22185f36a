from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests


def test_serve_prints_token_once_logs_requests_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    code = (
        "from oqtopus_bridge.local import serve; "
        f"serve(host='127.0.0.1', port=0, data_dir={str(tmp_path)!r})"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        url = re.search(r"at (http://\S+);", banner).group(1)  # type: ignore[union-attr]
        token_line = process.stdout.readline()
        token = token_line.rsplit(" ", 1)[1].strip()
        assert (tmp_path / "api_token").read_text().strip() == token
        deadline = time.monotonic() + 20
        while True:
            try:
                response = requests.get(url + "/devices", headers={"q-api-token": token}, timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert response.status_code == 200
        # The web-view login link (issue 18): it logs a browser in once, and holds no token.
        link = process.stdout.readline().rsplit(" ", 1)[1].strip()
        assert link.startswith(url + "/ui/login?code=") and token not in link
        browser = requests.Session()
        assert browser.get(link, timeout=5).status_code == 200
        assert browser.get(url + "/ui/jobs", timeout=5).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "GET /devices 200" in stderr
    assert token not in stderr
    assert link.split("code=")[1] not in stderr  # the log names paths, not query strings
    # Second start: the token is reused and not printed again.
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()
    finally:
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=30)
    assert token not in stdout
