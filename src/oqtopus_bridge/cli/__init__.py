"""The ``oqtopus-bridge`` command line: argument parsing and printing over the public API.

Each command group lives in its own module with an ``add_parser(subparsers, parents)`` function;
this module wires them together, adds the global options, and turns exceptions into one line on
stderr and a meaningful exit status (see `oqtopus_bridge.cli.exit_codes`).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from oqtopus_bridge._version import __version__
from oqtopus_bridge.cli import config, demo, devices, jobs, port, serve, submit, ui
from oqtopus_bridge.cli.exit_codes import EPILOG, ExitCode, WaitInterrupted, describe_error

__all__ = ["build_parser", "main"]

_PROG = "oqtopus-bridge"
_COMMANDS = (demo, serve, ui, config, devices, jobs, submit, port)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr (exit 2), like other errors."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every command.

    Returns:
        The top-level parser.
    """
    parser = _Parser(
        prog=_PROG,
        description="Run quantum programs on OQTOPUS Cloud or the embedded local server.",
        epilog=EPILOG
        + "\nconfiguration: --url/--token, else OQTOPUS_URL + OQTOPUS_API_TOKEN, else ~/.oqtopus",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_global_options(parser, default=None)
    # The options are accepted after the command name too; SUPPRESS keeps a value given before it.
    common = argparse.ArgumentParser(add_help=False)
    _add_global_options(common, default=argparse.SUPPRESS)
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for module in _COMMANDS:
        module.add_parser(subparsers, [common])
    _add_epilogs(parser)
    return parser


def _add_epilogs(parser: argparse.ArgumentParser) -> None:
    """Give every (nested) command's help the exit-code table, unless it has its own."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action.choices.values():
                choice.epilog = choice.epilog or EPILOG
                choice.formatter_class = argparse.RawDescriptionHelpFormatter
                _add_epilogs(choice)


def _add_global_options(parser: argparse.ArgumentParser, default: object) -> None:
    group = parser.add_argument_group("connection options")
    group.add_argument("--url", default=default, help="OQTOPUS API base URL")
    group.add_argument(
        "--token", default=default, help="API token (prefer OQTOPUS_API_TOKEN: argv is visible)"
    )
    group.add_argument("--section", default=default, help="section of the config file [default]")
    group.add_argument(
        "--config-file", default=default, metavar="PATH", help="config file [~/.oqtopus]"
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=default if default is argparse.SUPPRESS else False,
        help="show the full traceback on errors",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``oqtopus-bridge`` command line.

    Args:
        argv: Arguments without the program name; ``sys.argv[1:]`` when None.

    Returns:
        The exit status (see ``oqtopus-bridge --help``).
    """
    try:
        code = _run(argv)
        sys.stdout.flush()  # here, not at exit, so that a closed pipe is seen below
    except BrokenPipeError:
        return _stdout_closed()
    return code


def _stdout_closed() -> int:
    """The reader of stdout went away (``| head``): stop quietly, as coreutils do.

    Later writes, and the interpreter's flush at exit, go to ``/dev/null`` so that Python prints
    no "Exception ignored ... BrokenPipeError" either.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real descriptor (an embedding program's stdout)
        pass
    return ExitCode.STDOUT_CLOSED


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else ExitCode.USAGE
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return ExitCode.USAGE
    secrets = tuple(s for s in (args.token, os.environ.get("OQTOPUS_API_TOKEN")) if s)
    try:
        return int(args.func(args))
    except WaitInterrupted as exc:
        print(f"{_PROG}: {exc.advice(_PROG)}", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except KeyboardInterrupt:
        print(f"{_PROG}: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        raise  # stdout was closed: main() stops quietly
    except Exception as exc:
        code, message = describe_error(exc, secrets + _config_token(args))
        message += _url_source(exc, args)
        if args.debug:
            traceback.print_exc()
        print(f"{_PROG}: error: {message}", file=sys.stderr)
        return code


def _url_source(exc: BaseException, args: argparse.Namespace) -> str:
    """For an unreachable server or a wrong base URL: which URL was used, and where it came from."""
    from oqtopus_bridge.errors import ConnectError, NotFoundError

    if not isinstance(exc, (ConnectError, NotFoundError)) or args.func is serve.run:
        return ""
    if isinstance(exc, NotFoundError) and "no OQTOPUS API at" not in str(exc):
        return ""
    try:
        connection = config.resolve_connection(args)
    except Exception:
        return ""
    return f" [url {connection.config.url} from {connection.source}]"


def _config_token(args: argparse.Namespace) -> tuple[str, ...]:
    """The token of the resolved configuration, if any, so that it is scrubbed from messages."""
    try:
        return (config.resolve_connection(args).config.api_token,)
    except Exception:  # nothing configured: there is no token to hide
        return ()
