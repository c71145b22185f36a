"""The server log follows the current ``sys.stderr``, as a notebook or pytest replaces it."""

from __future__ import annotations

import io
import logging
import sys

import pytest

from oqtopus_bridge.local.logs import configure_stderr


@pytest.fixture
def package_logger():
    logger = logging.getLogger("oqtopus_bridge")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield logger
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


def test_a_replaced_and_closed_stderr_is_not_written_to(package_logger, monkeypatch) -> None:
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_stderr("info")
    first.close()  # the stream the handler was made under goes away (an earlier test's capture)
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    logging.getLogger("oqtopus_bridge.local").info("job 1 succeeded")
    assert second.getvalue().endswith("job 1 succeeded\n")
    assert "Logging error" not in second.getvalue()
