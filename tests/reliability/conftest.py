"""Fixtures of the reliability suite: run size (CI or long), fresh servers, and the figures report.

``OQTOPUS_RELIABILITY=long`` selects the long runs (thousands of jobs, many fuzzing examples); the
default keeps the whole suite within a few minutes on two cores. Figures go to
``OQTOPUS_RELIABILITY_REPORT`` (default: ``reliability-report.json`` in pytest's base temp dir).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The suite's tools (proxy, stub server, workload) live next to this file; importlib mode does not
# put test directories on sys.path, so add this one explicitly.
sys.path.insert(0, str(Path(__file__).resolve().parent))

LONG = os.environ.get("OQTOPUS_RELIABILITY", "").lower() == "long"


def size(ci: int, long: int) -> int:
    """Return the CI or the long value of a run-size knob."""
    return long if LONG else ci


class Report:
    """Figures of one run, merged by section into a JSON file at the end of the session."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._sections: dict[str, dict[str, Any]] = {}

    def record(self, section: str, **figures: Any) -> None:
        """Add (or update) figures of one section."""
        with self._lock:
            entry = self._sections.setdefault(section, {})
            entry.update(figures)
            entry["mode"] = "long" if LONG else "ci"
            entry["recorded_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")

    def write(self) -> None:
        """Merge this run's sections into the report file (sections not run now are kept)."""
        with self._lock:
            if not self._sections:
                return
            existing: dict[str, Any] = {}
            if self.path.is_file():
                try:
                    existing = json.loads(self.path.read_text())
                except ValueError:
                    existing = {}
            existing.update(self._sections)
            existing["_meta"] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")


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
