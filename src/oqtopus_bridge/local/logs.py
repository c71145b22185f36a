"""What the server logs, at which level: a quiet default, every request only at ``debug``.

Issue 24: ten minutes of use wrote 2,556 lines, nearly all status polls, and the banner with the
login link scrolled away. Now:

- ``debug``: one line per HTTP request and per job transition;
- ``info`` (the default of ``serve``): server events (mirror, re-queue after restart, stop) and
  one line per job when it ends;
- ``warning``: job failures, workers that died and replaced, invalid files;
- ``error``: unexpected errors only.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

__all__ = ["LOG_LEVELS", "configure_stderr", "level_number", "transition_level"]

LOG_LEVELS = ("debug", "info", "warning", "error")

#: The level of the log line of a job's move to each status (others are ``debug``).
_TRANSITION_LEVELS = {
    "succeeded": logging.INFO,
    "cancelled": logging.INFO,
    "failed": logging.WARNING,
}


def transition_level(status: str) -> int:
    """Return the level at which a job's move to ``status`` is logged."""
    return _TRANSITION_LEVELS.get(status, logging.DEBUG)


def level_number(name: str) -> int:
    """Return the `logging` level of one of `LOG_LEVELS`.

    Raises:
        ValueError: For any other name, listing the valid ones.
    """
    if name not in LOG_LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LOG_LEVELS)}, not {name!r}")
    return int(getattr(logging, name.upper()))


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is logged, not when the handler was made.

    A handler bound to the stream of its creation wrote into a closed file once that stream was
    replaced (pytest's capture of an earlier test, a notebook cell's redirect), and printed
    "--- Logging error ---" instead of the line.
    """

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass  # StreamHandler.__init__ and setStream assign it; the current stderr always wins


def configure_stderr(level: str = "info") -> Callable[[], None]:
    """Send this package's log lines at ``level`` and above to stderr, until the returned undo.

    Only the ``oqtopus_bridge`` logger is configured, not the root one, so libraries' own INFO
    output (qiskit's transpiler logs every pass) stays out of the server log. ``serve`` undoes it
    when it returns, so a process that ran ``serve`` (a test, a notebook) keeps no server log.

    Args:
        level: One of `LOG_LEVELS`.

    Returns:
        A function that restores the logger as it was.

    Raises:
        ValueError: For an unknown level.
    """
    number = level_number(level)
    package = logging.getLogger("oqtopus_bridge")
    before = (package.level, package.propagate)
    added: list[logging.Handler] = []
    if not any(getattr(handler, "_oqtopus_serve", False) for handler in package.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        handler._oqtopus_serve = True  # type: ignore[attr-defined]
        package.addHandler(handler)
        added.append(handler)
    package.setLevel(number)
    package.propagate = False

    def undo() -> None:
        for handler in added:
            package.removeHandler(handler)
        package.setLevel(before[0])
        package.propagate = before[1]

    return undo
