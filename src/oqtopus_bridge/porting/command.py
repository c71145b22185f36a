"""The ``oqtopus-bridge port`` command: run the port, print the diff, the findings and a summary."""

from __future__ import annotations

from typing import TextIO

from oqtopus_bridge.porting.report import PortReport, port_paths


def main_port(argv_paths: list[str], write: bool, backup: bool, out: TextIO) -> int:
    """Port files and directories and print what happened; the CLI's ``port`` subcommand calls this.

    Without ``write`` it prints a unified diff of every file that would change; with ``write`` it
    rewrites those files (keeping ``<name>.orig`` backups when ``backup``) and lists them. Then it
    lists every construct that needs a human as ``path:line: code: advice`` (``path:cell N:line``
    in notebooks, counting cells from 0), then a one-line summary.

    Args:
        argv_paths: Files and directories given on the command line.
        write: Write the changes instead of showing them.
        backup: With ``write``, keep a backup of each changed file.
        out: Where to print.

    Returns:
        The exit code. ``0``: nothing left to do (no file needed changing, or every change was
        written, and no construct needs a human). ``1``: something is left for a person (changes
        were shown but not written, or constructs that need a human were reported). ``2``: a path
        does not exist or is not a ``.py``/``.ipynb`` file, or a file could not be read, parsed or
        written; the other files are still processed.
    """
    if not argv_paths:
        out.write("oqtopus-bridge port: give at least one file or directory\n")
        return 2
    report = port_paths(argv_paths, write=write, backup=backup)
    if write:
        for result in report.changed:
            saved = f" (original kept as {result.backup})" if result.backup else ""
            out.write(f"ported {result.path}{saved}\n")
    else:
        out.write(report.diff())
    for result in report.errors:
        out.write(f"{result.path}: error: {result.error}\n")
    for finding in report.findings:
        out.write(f"{finding}\n")
    out.write(summary(report) + "\n")
    return report.exit_code


def summary(report: PortReport) -> str:
    """Return a one-line account of a report, e.g. ``"3 files examined, 2 to port"``."""
    files = len(report.files)
    changed = len(report.changed)
    verb = "ported" if report.written else "to port"
    parts = [f"{files} file{'s' if files != 1 else ''} examined", f"{changed} {verb}"]
    findings = len(report.findings)
    if findings:
        parts.append(f"{findings} construct{'s' if findings != 1 else ''} need a human")
    if report.errors:
        parts.append(f"{len(report.errors)} error{'s' if len(report.errors) != 1 else ''}")
    line = ", ".join(parts)
    if changed and not report.written:
        line += " (run with --write to apply)"
    return line
