"""Capture everything the in-process local server logs, to grep it for errors and secrets."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SERVER_LOGGERS = ("oqtopus_bridge", "uvicorn", "uvicorn.error", "uvicorn.access", "fastapi")
ALL_LOGGERS = (*SERVER_LOGGERS, "urllib3", "requests", "")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        with self._guard:
            self.lines.append(f"{record.name} {record.levelname} {text}")


@contextmanager
def captured_logs(
    names: tuple[str, ...] = SERVER_LOGGERS, level: int = logging.DEBUG
) -> Iterator[list[str]]:
    """Collect the log lines of ``names`` (default: the server's) while the block runs."""
    handler = _Collect()
    saved = []
    for name in names:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.addHandler(handler)
        logger.setLevel(level)
    try:
        yield handler.lines
    finally:
        for logger, old in saved:
            logger.removeHandler(handler)
            logger.setLevel(old)
