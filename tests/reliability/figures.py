"""Run size (CI or long) and the figures report of the reliability suite."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

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
