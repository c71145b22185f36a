"""The ``serve`` command: run the embedded OQTOPUS-compatible server until interrupted."""

from __future__ import annotations

import argparse
import contextlib

from oqtopus_bridge.cli.exit_codes import ExitCode

__all__ = ["add_parser", "run"]

_LOG_LEVELS = ("debug", "info", "warning", "error")  # oqtopus_bridge.local.logs.LOG_LEVELS
SERVER_EXTRA = (
    'the local server needs its extra: pip install ".[server]" in a clone of oqtopus-bridge'
)


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register the ``serve`` command.

    Args:
        subparsers: The top-level subparsers.
        parents: Parsers holding the global options (unused by ``serve`` but accepted).
    """
    parser = subparsers.add_parser(
        "serve",
        help="run the local OQTOPUS-compatible server (Ctrl-C to stop)",
        description=(
            "Run the embedded OQTOPUS-compatible server in the foreground. It prints its URL and "
            "API token; jobs, results and devices are kept in the data directory."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on [127.0.0.1]")
    parser.add_argument(
        "--port", type=int, default=8080, help="TCP port [8080]; 0 picks a free one"
    )
    parser.add_argument(
        "--data-dir", metavar="DIR", help="where jobs and devices are stored [a per-user directory]"
    )
    parser.add_argument("--token", help="API token to accept [generated and kept in DIR]")
    parser.add_argument(
        "--protocol",
        choices=("storage", "legacy"),
        default="storage",
        help="wire protocol: current presigned-storage one, or legacy inline job_info [storage]",
    )
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="engine worker processes that run circuit jobs [one per core]",
    )
    parser.add_argument(
        "--mirror",
        metavar="DEVICE",
        action="append",
        default=[],
        help="copy DEVICE's device_info from the configured OQTOPUS Cloud into the local catalog "
        "first, to emulate it as calibrated now (repeatable)",
    )
    parser.add_argument(
        "--sse-python",
        metavar="PATH",
        help="Python interpreter that runs SSE programs, e.g. a venv with the packages of the "
        "real SSE image [the server's own]",
    )
    parser.add_argument(
        "--log-level",
        choices=_LOG_LEVELS,
        default="info",
        help="what the log on stderr shows: debug (every request and job transition), info (server "
        "events and one line per finished job), warning (job failures and problems), error [info]",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C.

    Args:
        args: Parsed arguments.

    Returns:
        The exit code (0 after Ctrl-C).
    """
    try:
        from oqtopus_bridge.local import serve
    except ImportError as exc:
        raise ImportError(f"{SERVER_EXTRA} ({exc})") from exc
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be between 0 and 65535, not {args.port}")
    workers = getattr(args, "workers", None)
    if workers is not None and workers < 1:
        raise ValueError(f"--workers must be at least 1, not {workers}")
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a foreground server stops
        serve(
            args.host,
            args.port,
            args.data_dir,
            args.token,
            args.protocol,
            workers=workers,
            mirror=args.mirror,
            sse_python=args.sse_python,
            log_level=args.log_level,
        )
    return ExitCode.OK
