"""A tqdm status line shown while waiting for jobs (only when someone is watching).

``tqdm.auto`` picks the bar: a widget in Jupyter (with ``ipywidgets``), text on a terminal. In a
notebook without ``ipywidgets`` no bar is shown by default, because a text bar there would be saved
as a stderr block in the notebook (issue 17).
"""

from __future__ import annotations

import os
import sys
from types import TracebackType
from typing import Any

__all__ = ["StatusBar", "progress_default"]


def _has_widgets() -> bool:
    import importlib.util

    return importlib.util.find_spec("ipywidgets") is not None


def progress_default() -> bool:
    """Show progress by default only in an interactive session that is not CI.

    In a Jupyter kernel that means only when ``ipywidgets`` is installed (a widget bar).
    """
    if os.environ.get("CI"):
        return False
    if "ipykernel" in sys.modules:
        return _has_widgets()
    stream = sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


class StatusBar:
    """Context manager displaying ``<label>: <status> [elapsed]`` and updating it on each poll.

    Args:
        label: What is being waited for, e.g. ``"job 1234"``.
        enabled: True/False, or None for :func:`progress_default`.
        total: Number of jobs for a batch bar; None for a single-job status line.
    """

    def __init__(self, label: str, enabled: bool | None = None, total: int | None = None) -> None:
        self._enabled = progress_default() if enabled is None else enabled
        self._label = label
        self._total = total
        self._bar: Any = None

    def __enter__(self) -> StatusBar:
        if self._enabled:
            from tqdm.auto import tqdm

            fmt = "{desc} [{elapsed}]" if self._total is None else "{desc} {n}/{total} [{elapsed}]"
            self._bar = tqdm(total=self._total, desc=self._label, bar_format=fmt, leave=False)
        return self

    def update(self, status: str, done: int | None = None) -> None:
        """Show the latest status (and, for a batch, how many jobs are done)."""
        if self._bar is None:
            return
        self._bar.set_description_str(f"{self._label}: {status}", refresh=False)
        if done is not None:
            self._bar.n = done
        self._bar.refresh()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.close()
