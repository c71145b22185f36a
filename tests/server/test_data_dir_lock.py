"""One server per data directory (issue 21, item 9): a second one refuses and names the first."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from local_testkit import Api

from oqtopus_bridge.local import LocalServer
from oqtopus_bridge.local.lock import DataDirInUseError

_READY = re.compile(r"at (http://\S+); data in")


@contextmanager
def _serve(data_dir: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``oqtopus-bridge serve`` on ``data_dir`` in a child; yields it and its URL once ready."""
    command = [sys.executable, "-m", "oqtopus_bridge.cli", "serve", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        found = _READY.search(banner)
        assert found, banner + (process.stderr.read() if process.stderr else "")
        yield process, found.group(1)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)


def test_a_second_serve_on_the_same_directory_refuses_and_names_the_first(tmp_path: Path) -> None:
    with _serve(tmp_path) as (first, url):
        token = (tmp_path / "api_token").read_text().strip()
        command = [sys.executable, "-m", "oqtopus_bridge.cli", "serve", "--port", "0"]
        second = subprocess.run(
            [*command, "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        assert second.returncode == 2, second.stderr
        assert f"pid {first.pid} at {url}" in second.stderr, second.stderr
        assert "in use by another oqtopus-bridge server" in second.stderr
        assert "--data-dir" in second.stderr
        assert "OQTOPUS local server" not in second.stdout  # it never came up
        # The first one is untouched and keeps working.
        assert Api(url, token).get("/devices").status_code == 200
        # In-process too: LocalServer raises the same clear error.
        with pytest.raises(DataDirInUseError, match=rf"pid {first.pid} at {re.escape(url)}"):
            LocalServer(tmp_path).start()
        assert Api(url, token).get("/devices").status_code == 200


def test_two_local_servers_in_one_process_cannot_share_a_directory(tmp_path: Path) -> None:
    with LocalServer(tmp_path) as first:
        with pytest.raises(DataDirInUseError, match=f"pid {os.getpid()} at {first.url}"):
            LocalServer(tmp_path, mirror=["anemone"]).start()  # refused before mirroring
        assert Api(first.url, first.token).get("/devices").status_code == 200
    with LocalServer(tmp_path) as again:  # stopping frees the directory
        assert Api(again.url, again.token).get("/devices").status_code == 200


def test_a_killed_server_does_not_block_a_restart(tmp_path: Path) -> None:
    with _serve(tmp_path) as (first, _):
        os.kill(first.pid, signal.SIGKILL)  # no shutdown handler runs: the kernel drops the lock
        first.wait(30)
    with LocalServer(tmp_path) as restarted:
        assert Api(restarted.url, restarted.token).get("/devices").status_code == 200
