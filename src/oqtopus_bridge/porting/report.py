"""Ports a set of paths and gathers the outcome into one report with a meaningful exit code."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, replace

from oqtopus_bridge.porting.files import FileResult, iter_files, port_file, write_result
from oqtopus_bridge.porting.findings import Finding

EXIT_OK = 0
EXIT_PENDING = 1
EXIT_ERROR = 2


@dataclass(frozen=True)
class PortReport:
    """What porting a set of paths found and did.

    Attributes:
        files: One result per file examined, in walk order.
        written: Whether changes were written to disk.
    """

    files: tuple[FileResult, ...]
    written: bool

    @property
    def changed(self) -> tuple[FileResult, ...]:
        """Files whose contents porting rewrote (written or not)."""
        return tuple(f for f in self.files if f.changed)

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every construct that needs a human, file by file."""
        return tuple(finding for f in self.files for finding in f.findings)

    @property
    def errors(self) -> tuple[FileResult, ...]:
        """Files that could not be read, parsed or written."""
        return tuple(f for f in self.files if f.error is not None)

    @property
    def exit_code(self) -> int:
        """The exit code the command-line tool returns for this report.

        Returns:
            ``2`` if any path could not be read, parsed or written; else ``1`` if something is left
            for a person (changes shown but not written, or findings); else ``0``.
        """
        if self.errors:
            return EXIT_ERROR
        if self.findings or (self.changed and not self.written):
            return EXIT_PENDING
        return EXIT_OK

    def diff(self) -> str:
        """Return the unified diff of every changed file, concatenated."""
        return "".join(f.diff() for f in self.files)


def port_paths(
    paths: Iterable[str | os.PathLike[str]], write: bool = False, backup: bool = True
) -> PortReport:
    """Port every ``.py`` and ``.ipynb`` file under ``paths`` from quri-parts-oqtopus.

    Args:
        paths: Files and directories (walked recursively).
        write: Write the changes back; by default nothing on disk changes.
        backup: With ``write``, keep each original as ``<name>.orig`` next to it.

    Returns:
        The report: per-file results with diffs and findings.

    Examples:
        ```python
        report = port_paths(["notebooks/"])
        print(report.diff())
        for finding in report.findings:
            print(finding)
        ```
    """
    results = []
    for path, problem in iter_files(paths):
        result = FileResult(path, error=problem) if problem else port_file(path)
        if write and result.changed:
            try:
                result = write_result(result, backup=backup)
            except OSError as exc:
                result = replace(result, error=f"cannot write: {exc.strerror or exc}")
        results.append(result)
    return PortReport(files=tuple(results), written=write)
