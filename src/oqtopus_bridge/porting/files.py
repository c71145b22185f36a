"""Finds the files to port, ports each one in memory, and writes them back with a backup."""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import libcst as cst

from oqtopus_bridge.porting.context import collect_context
from oqtopus_bridge.porting.findings import Finding
from oqtopus_bridge.porting.notebook import NotebookError, port_notebook
from oqtopus_bridge.porting.python import port_module

SUFFIXES = (".py", ".ipynb")
# Directories that hold tools, caches or other people's code, never the user's own sources.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".ipynb_checkpoints",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "node_modules",
        "site-packages",
    }
)


@dataclass(frozen=True)
class FileResult:
    """The outcome of porting one file.

    Attributes:
        path: The file.
        original: Its contents before porting.
        ported: Its contents after porting (equal to ``original`` when nothing needed rewriting).
        findings: Constructs that need a human.
        error: Why the file could not be ported, or ``None``.
        backup: Where the original was saved, when the file was written with a backup.
    """

    path: Path
    original: bytes = b""
    ported: bytes = b""
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    backup: Path | None = None

    @property
    def changed(self) -> bool:
        """Whether porting rewrote anything in this file."""
        return self.error is None and self.ported != self.original

    def diff(self) -> str:
        """Return a unified diff from the original to the ported contents (empty when unchanged)."""
        if not self.changed:
            return ""
        old = self.original.decode("utf-8", errors="replace").splitlines(keepends=True)
        new = self.ported.decode("utf-8", errors="replace").splitlines(keepends=True)
        lines = difflib.unified_diff(old, new, fromfile=str(self.path), tofile=str(self.path))
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[tuple[Path, str | None]]:
    """Yield every file to port under ``paths``, in a stable order, with an error for bad paths.

    Directories are walked recursively, skipping VCS metadata, caches, notebook checkpoints and
    virtual environments (any directory holding a ``pyvenv.cfg``). A file named explicitly is ported
    whatever directory it is in.

    Args:
        paths: Files and directories.

    Yields:
        ``(path, None)`` for each file to port, or ``(path, message)`` for an unusable path.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from ((found, None) for found in _walk(path))
        elif not path.exists():
            yield path, "no such file or directory"
        elif path.suffix not in SUFFIXES:
            yield path, "not a .py or .ipynb file"
        else:
            yield path, None


def _walk(root: Path) -> Iterator[Path]:
    for directory, dirnames, filenames in os.walk(root):
        here = Path(directory)
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not (here / d / "pyvenv.cfg").exists()
        )
        for name in sorted(filenames):
            if name.endswith(SUFFIXES):
                yield here / name


def port_file(path: Path) -> FileResult:
    """Port one ``.py`` or ``.ipynb`` file in memory; nothing is written.

    Args:
        path: The file.

    Returns:
        The result; ``error`` is set (and nothing else) when the file cannot be read or parsed.
    """
    try:
        original = path.read_bytes()
    except OSError as exc:
        return FileResult(path, error=f"cannot read: {exc.strerror or exc}")
    try:
        if path.suffix == ".ipynb":
            ported, found = _port_notebook_bytes(original)
        else:
            ported, found = _port_python_bytes(original)
    except cst.ParserSyntaxError as exc:
        message = f"not valid Python (line {exc.raw_line}): {exc.message}"
        return FileResult(path, original, original, error=message)
    except (NotebookError, UnicodeDecodeError) as exc:
        return FileResult(path, original, original, error=str(exc))
    located = tuple(replace(f, path=str(path)) for f in found)
    return FileResult(path, original, ported, located)


def _port_python_bytes(data: bytes) -> tuple[bytes, tuple[Finding, ...]]:
    # libcst reads the encoding declaration and line endings from the bytes and writes them back.
    module = cst.parse_module(data)
    new_module, found = port_module(module, collect_context([module]))
    return new_module.bytes, tuple(found)


def _port_notebook_bytes(data: bytes) -> tuple[bytes, tuple[Finding, ...]]:
    result = port_notebook(data.decode("utf-8"))
    return result.text.encode("utf-8"), result.findings


def write_result(result: FileResult, backup: bool = True) -> FileResult:
    """Write a changed file in place, first copying the original to ``<name>.orig``.

    An existing backup is never overwritten: the next free ``<name>.orig.1``, ``.orig.2``, ... is
    used, so the first backup keeps the true original. The new contents go to a temporary file that
    is renamed over the original, so an interrupted run leaves the file either old or new.

    Args:
        result: A result from `port_file`.
        backup: Whether to keep a copy of the original.

    Returns:
        The result, with ``backup`` set when one was made.

    Raises:
        OSError: If the backup or the file cannot be written.
    """
    if not result.changed:
        return result
    saved = None
    if backup:
        saved = _free_backup_path(result.path)
        shutil.copy2(result.path, saved)
    descriptor, temporary = tempfile.mkstemp(dir=result.path.parent, prefix=".oqtopus-port-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(result.ported)
        shutil.copymode(result.path, temporary)
        os.replace(temporary, result.path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return replace(result, backup=saved)


def _free_backup_path(path: Path) -> Path:
    candidate = path.with_name(path.name + ".orig")
    number = 0
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}.orig.{number}")
    return candidate
