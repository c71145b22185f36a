"""The data directory and its secrets readable by their owner only (issue 21).

The directory is 0700 and the files that hold users' data or the server's secrets (database,
signing and web keys, API token, stored objects) are 0600, whatever the process's umask: a server
on a shared machine (a teaching cluster, a CI runner) shows nothing to the other accounts. Files
are created with their mode (never written, then narrowed), and an older data directory made with
0755/0644 is narrowed when a server opens it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it 0700; return it."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):  # someone else's directory: leave its mode be
        path.chmod(DIR_MODE)
    return path


def make_dirs(path: Path) -> None:
    """Create ``path`` and its missing parents, each 0700 (`Path.mkdir` gives parents 0777)."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        directory.mkdir(mode=DIR_MODE, exist_ok=True)


def private_file(path: Path) -> Path:
    """Create ``path`` empty if it is missing, and make it 0600; return it."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    with contextlib.suppress(PermissionError):
        path.chmod(FILE_MODE)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (replacing it), created 0600 from the start."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
