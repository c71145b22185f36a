"""Run ``oqtopus_bridge.local.serve`` in a child process, so a test can ``kill -9`` it."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

_READY = re.compile(r"at (http://\S+); data in")


class ServerProcess:
    """A local server in a subprocess on a free port; a context manager that always reaps it.

    Args:
        data_dir: The server's data directory (kept across restarts).
        token: The default user's API token.
        workers: Engine worker processes.
        log_path: Where the child's stdout and stderr go.
        test_hooks: Honour the server's ``test-hook:*`` job names.
    """

    def __init__(
        self, data_dir: Path, token: str, workers: int, log_path: Path, test_hooks: bool = False
    ) -> None:
        self.data_dir, self.token, self.workers, self.log_path = data_dir, token, workers, log_path
        self.test_hooks = test_hooks
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, timeout: float = 60.0) -> ServerProcess:
        """Start the child and wait until it prints its URL."""
        code = (
            "from oqtopus_bridge.local import serve; "
            f"serve(host='127.0.0.1', port=0, data_dir={str(self.data_dir)!r}, "
            f"token={self.token!r}, workers={self.workers}, test_hooks={self.test_hooks})"
        )
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = _READY.search(self.log_path.read_bytes()[offset:].decode(errors="replace"))
            if found and self.process.poll() is None:
                self.url = found.group(1)
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"server did not start:\n{self.log_path.read_text(errors='replace')}")

    def kill(self) -> None:
        """``kill -9`` the server process (no shutdown handler runs) and reap it."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()
