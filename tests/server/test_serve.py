from __future__ import annotations

import re
import signal
import subprocess
import sys
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
        # The socket listens before the banner is printed, so no retry is needed: the request
        # waits in the backlog until the server accepts it.
        response = requests.get(url + "/devices", headers={"q-api-token": token}, timeout=60)
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


# The Ctrl-C of CI run 19: SIGINT came while the server started, the KeyboardInterrupt was raised
# inside a weakref callback, Python printed "Exception ignored" and dropped it, and the server ran
# on. Here the signal is sent from inside such a callback, just before uvicorn starts, every time.
_LOST_CTRL_C = """
import signal, weakref, uvicorn
from oqtopus_bridge.local import serve

original = uvicorn.Server.run

class Box:
    pass

def run(self, sockets=None):
    box = Box()
    alive = weakref.ref(box, lambda ref: signal.raise_signal(signal.SIGINT))
    del box  # the callback runs here; an exception in it is printed and ignored
    assert alive() is None
    original(self, sockets=sockets)

uvicorn.Server.run = run
serve(host="127.0.0.1", port=0, data_dir={data_dir!r})
"""


def test_a_ctrl_c_during_startup_stops_the_server(tmp_path: Path) -> None:
    code = _LOST_CTRL_C.format(data_dir=str(tmp_path))
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        _, stderr = process.communicate(timeout=120)  # a lost Ctrl-C runs forever
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    assert "server stopped" in stderr
