"""One server per data directory: an exclusive ``flock`` on ``<data_dir>/server.lock``.

Two servers on one directory would each re-queue the other's running jobs after "recovery" and
keep their own token caches, so a token revoked on one stays valid on the other (issue 21, item 9).
The lock is held for the server's lifetime on an open descriptor; the kernel releases it when the
process ends in any way, ``kill -9`` included, so a crashed server never blocks a restart. The file
also says who holds it (pid and URL): the refusal names the running server, and
``oqtopus-bridge ui`` finds the URL of the server on a directory there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
from pathlib import Path

from .private import private_dir

__all__ = ["LOCK_FILE", "DataDirInUseError", "DataDirLock", "Holder", "running_server"]

LOCK_FILE = "server.lock"


class DataDirInUseError(OSError):
    """Another server runs on the data directory; the message names it and what to do."""


@dataclasses.dataclass(frozen=True)
class Holder:
    """The server that holds a data directory's lock, as its lock file says.

    Attributes:
        pid: Its process id (``0`` when the file is not written yet).
        url: The URL it serves at (empty when not known).
    """

    pid: int
    url: str

    def describe(self) -> str:
        """``pid 123 at http://127.0.0.1:8080``, or what is known of it."""
        parts = [f"pid {self.pid}" if self.pid else "pid unknown"]
        if self.url:
            parts.append(f"at {self.url}")
        return " ".join(parts)


def _read_holder(path: Path) -> Holder:
    try:
        doc = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    pid, url = doc.get("pid"), doc.get("url")
    return Holder(pid if isinstance(pid, int) else 0, url if isinstance(url, str) else "")


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _in_use_message(data_dir: Path, holder: Holder) -> str:
    return (
        f"the data directory {data_dir} is in use by another oqtopus-bridge server "
        f"({holder.describe()}); one directory serves one server at a time. Use that server, "
        "stop it first, or give this one another directory (--data-dir DIR, or "
        "LocalServer(data_dir=...))"
    )


class DataDirLock:
    """The held lock of one data directory; `release` (or process exit) frees it."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def acquire(cls, data_dir: Path, url: str) -> DataDirLock:
        """Lock ``data_dir`` for this process and record its pid and ``url`` in the lock file.

        Args:
            data_dir: The server's data directory (created if missing).
            url: The URL this server answers at, shown to a second server and to
                ``oqtopus-bridge ui``.

        Returns:
            The held lock.

        Raises:
            DataDirInUseError: If another server (process, or `LocalServer` in this process)
                holds the directory.
        """
        private_dir(data_dir)  # 0700 from the start: the lock comes before anything else
        path = data_dir / LOCK_FILE
        # O_CLOEXEC (Python's default): engine workers and SSE programs never inherit the lock.
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if not _try_lock(fd):
            os.close(fd)
            raise DataDirInUseError(_in_use_message(data_dir, _read_holder(path)))
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "url": url}).encode())
        return cls(fd, path)

    def release(self) -> None:
        """Free the lock (idempotent); the file stays, empty, for the next server."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        os.close(self._fd)  # closing the only descriptor releases the flock
        self._fd = None


def running_server(data_dir: Path) -> Holder | None:
    """Return the server that holds ``data_dir`` now, or ``None`` when none runs there.

    Probing takes the lock for an instant when it is free, so a server starting at that very
    moment may be refused once (it says so, and a retry works).
    """
    path = data_dir / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        if _try_lock(fd):
            return None
        return _read_holder(path)
    finally:
        os.close(fd)  # also releases a lock this probe took
