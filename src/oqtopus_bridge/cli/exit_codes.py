"""What each exit status of ``oqtopus-bridge`` means, and which exception leads to which one."""

from __future__ import annotations

import enum

from oqtopus_bridge.config import PYTHON_ONLY_ADVICE
from oqtopus_bridge.errors import (
    APIError,
    BackendError,
    ConfigError,
    ConversionError,
    JobCancelledError,
    JobFailedError,
    JobTimeoutError,
    ResultError,
    StorageError,
    TransportError,
    join_message,
)

__all__ = ["EPILOG", "ExitCode", "WaitInterrupted", "describe_error"]


class ExitCode(enum.IntEnum):
    """Exit statuses; scripts can rely on them."""

    OK = 0
    JOB_FAILED = 1
    USAGE = 2
    API = 3
    TIMEOUT = 4
    INTERRUPTED = 130
    STDOUT_CLOSED = 141  # 128 + SIGPIPE, what a shell reports for coreutils in `... | head`


class WaitInterrupted(KeyboardInterrupt):
    """Ctrl-C while the CLI waited for a job: the job itself keeps running on the server.

    Args:
        job_id: The job that was being waited for.
        flags: The connection options to repeat in the printed commands (never the token).
    """

    def __init__(self, job_id: str, flags: str = "") -> None:
        super().__init__(job_id)
        self.job_id = job_id
        self.flags = flags

    def advice(self, prog: str) -> str:
        """What to print: the job keeps running, and the exact commands to check or cancel it."""
        command = f"{prog} {self.flags} jobs" if self.flags else f"{prog} jobs"
        return (
            f"interrupted; job {self.job_id} keeps running on the server. "
            f"Check it with '{command} status {self.job_id}', "
            f"cancel it with '{command} cancel {self.job_id}'"
        )


EPILOG = """\
exit codes:
  0  success
  1  the job failed or was cancelled
  2  usage or configuration error (bad arguments, no config, missing extra, unreadable file)
  3  API or transport error (server unreachable, HTTP error, storage error, malformed result)
  4  timed out waiting for a job (the job keeps running on the server)
  130  interrupted (Ctrl-C); a job being waited for keeps running on the server
  141  stdout was closed early (as by '| head'): the command stopped quietly
"""


def describe_error(exc: BaseException, secrets: tuple[str, ...] = ()) -> tuple[ExitCode, str]:
    """Classify an exception into an exit code and a one-line message for stderr.

    Args:
        exc: The exception that ended the command.
        secrets: Strings (the API token) that must never be printed; they are replaced by ``***``.

    Returns:
        The exit code and the message (a single line, without the program name).
    """
    code, message = _classify(exc)
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return code, " ".join(message.split())


def _classify(exc: BaseException) -> tuple[ExitCode, str]:
    # Order matters: JobTimeoutError is also a TimeoutError, ConfigError also a ValueError.
    if isinstance(exc, JobTimeoutError):
        return (
            ExitCode.TIMEOUT,
            f"{exc} (the job is still on the server: check it with 'jobs status')",
        )
    if isinstance(exc, JobFailedError):
        detail = (
            exc.server_message if exc.server_message and exc.server_message not in str(exc) else ""
        )
        return ExitCode.JOB_FAILED, join_message(str(exc), detail or "")
    if isinstance(exc, JobCancelledError):
        return ExitCode.JOB_FAILED, str(exc) or f"job {exc.job_id} was cancelled"
    if isinstance(exc, (ConfigError, ConversionError)):
        return ExitCode.USAGE, _for_command_line(str(exc))
    if isinstance(exc, (TransportError, APIError, StorageError, ResultError, BackendError)):
        return ExitCode.API, str(exc) or type(exc).__name__
    if isinstance(exc, ImportError):
        return ExitCode.USAGE, str(exc)
    if isinstance(exc, OSError):
        return ExitCode.USAGE, f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(
            exc
        )
    if isinstance(exc, TimeoutError):
        return ExitCode.TIMEOUT, str(exc) or "timed out"
    if isinstance(exc, ValueError):
        return ExitCode.USAGE, str(exc)
    return ExitCode.API, f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for details)"


def _for_command_line(message: str) -> str:
    """Replace advice only Python callers can follow ("pass an OqtopusConfig") by the CLI's own."""
    if PYTHON_ONLY_ADVICE not in message:
        return message
    flags = "" if "--url" in message else ", or pass --url URL --token TOKEN"
    return message.replace(PYTHON_ONLY_ADVICE, flags)
