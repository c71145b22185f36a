"""Fixtures of the reliability suite: run size (CI or long), fresh servers, and the figures report.

``OQTOPUS_RELIABILITY=long`` selects the long runs (thousands of jobs, many fuzzing examples); the
default keeps the whole suite within a few minutes on two cores. Figures go to
``OQTOPUS_RELIABILITY_REPORT`` (default: ``reliability-report.json`` in pytest's base temp dir).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The suite's tools (proxy, stub server, workload) live next to this file; importlib mode does not
# put test directories on sys.path, so add this one explicitly.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from figures import Report  # noqa: E402 - needs the path above


@pytest.fixture(scope="session")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Report]:
    """The session's figures report (written when the session ends)."""
    default = tmp_path_factory.getbasetemp() / "reliability-report.json"
    path = Path(os.environ.get("OQTOPUS_RELIABILITY_REPORT") or default)
    figures = Report(path)
    yield figures
    figures.write()
    print(f"\nreliability figures written to {path}")


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A LocalServer of this module alone (so job counts and load don't mix with other tests)."""
    from oqtopus_bridge.local import LocalServer

    with LocalServer(data_dir=tmp_path_factory.mktemp("reliability-server")) as server:
        yield server
