"""The ``ui`` command: print a fresh web-view login link for the running ``serve``.

The link ``serve`` prints at start works once and scrolls away; like ``jupyter server list``,
this command finds the server on a data directory and mints a new one-time link for it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from oqtopus_bridge.cli.exit_codes import ExitCode
from oqtopus_bridge.cli.serve import SERVER_EXTRA

__all__ = ["add_parser", "run"]


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register the ``ui`` command.

    Args:
        subparsers: The top-level subparsers.
        parents: Parsers holding the global options (unused: the server is found by directory).
    """
    parser = subparsers.add_parser(
        "ui",
        help="print a fresh login link to the web view of the running 'oqtopus-bridge serve'",
        description=(
            "Print a new one-time login link to the web view of the server that runs on the data "
            "directory (the link serve printed at start works once). Opening it logs a browser "
            "in; a browser that is logged in already goes straight to the jobs."
        ),
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="the data directory of the running server, as given to serve [serve's default]",
    )
    parser.add_argument(
        "--open", action="store_true", help="also open the link in the default web browser"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print (and optionally open) a fresh login link.

    Args:
        args: Parsed arguments.

    Returns:
        The exit code (2 when no server runs on the directory).
    """
    try:
        from oqtopus_bridge.local import default_data_dir
        from oqtopus_bridge.local.web import fresh_login_link
    except ImportError as exc:
        raise ImportError(f"{SERVER_EXTRA} ({exc})") from exc
    directory = Path(args.data_dir) if args.data_dir else default_data_dir()
    link = fresh_login_link(directory)
    print(link, flush=True)
    if args.open:
        import webbrowser

        webbrowser.open(link)
    return ExitCode.OK
