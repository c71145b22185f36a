"""The ``port`` command: move quri-parts-oqtopus scripts and notebooks over to this package."""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_parser", "run"]

_EPILOG = """\
exit codes of port:
  0  nothing left to do (no change needed, or every change written, nothing needs a human)
  1  something is left for a person: a diff was shown but not written, or constructs were reported
  2  a path is missing or not a .py/.ipynb file, or a file could not be read, parsed or written
"""


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register the ``port`` command.

    Args:
        subparsers: The top-level subparsers.
        parents: Parsers holding the global options (unused by ``port`` but accepted).
    """
    parser = subparsers.add_parser(
        "port",
        help="rewrite quri_parts_oqtopus imports in .py files and notebooks (diff by default)",
        description=(
            "Rewrite quri_parts_oqtopus imports to oqtopus_bridge in .py files and in the code "
            "cells of .ipynb notebooks (directories are searched recursively). Shows a unified "
            "diff unless --write is given, and lists every construct that needs a human, with "
            "file and line."
        ),
        epilog=_EPILOG,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    parser.add_argument("--write", action="store_true", help="write the changes to the files")
    parser.add_argument(
        "--no-backup",
        dest="backup",
        action="store_false",
        help="with --write, do not keep <name>.orig backups",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Port the given paths.

    Args:
        args: Parsed arguments.

    Returns:
        The porting tool's exit code (see the epilog).
    """
    try:
        from oqtopus_bridge.porting import main_port
    except ImportError as exc:
        raise ImportError(
            f'porting needs its extra: pip install ".[port]" in a clone of oqtopus-bridge ({exc})'
        ) from exc
    return main_port(list(args.paths), args.write, args.backup, sys.stdout)
