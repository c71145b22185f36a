"""The server log follows the current ``sys.stderr``; ``serve`` leaves no log set up behind."""

from __future__ import annotations

import io
import logging
import socket
import sys

import pytest

from oqtopus_bridge.local.logs import configure_stderr
from oqtopus_bridge.local.server import AddressInUseError, serve


def test_a_replaced_and_closed_stderr_is_not_written_to(monkeypatch) -> None:
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    undo = configure_stderr("info")
    try:
        first.close()  # the stream the handler was made under goes away (an earlier test's capture)
        second = io.StringIO()
        monkeypatch.setattr(sys, "stderr", second)
        logging.getLogger("oqtopus_bridge.local").info("job 1 succeeded")
    finally:
        undo()
    assert second.getvalue().endswith("job 1 succeeded\n")
    assert "Logging error" not in second.getvalue()


def test_serve_in_process_leaves_no_log_handler_behind(tmp_path) -> None:
    """A failed in-process serve (port in use) printed every later INFO line of the process."""
    package = logging.getLogger("oqtopus_bridge")
    before = (list(package.handlers), package.level, package.propagate)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        with pytest.raises(AddressInUseError):
            serve(port=busy.getsockname()[1], data_dir=tmp_path)
    assert (list(package.handlers), package.level, package.propagate) == before
