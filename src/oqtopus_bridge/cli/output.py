"""Printing for the CLI: tables, JSON, masked tokens, and the rendering of jobs and results."""

from __future__ import annotations

import datetime as _dt
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from oqtopus_bridge.plotting import counts_as_keys, text_histogram

__all__ = [
    "mask_token",
    "print_json",
    "print_result",
    "print_table",
    "result_to_dict",
]


def mask_token(token: str) -> str:
    """Return the token with all but its last four characters hidden (all of it when short).

    Args:
        token: The API token.

    Returns:
        A string safe to print, e.g. ``"****…f00d"``.
    """
    if len(token) < 12:
        return "*" * 8
    return "*" * 8 + token[-4:]


def print_json(value: Any, out: TextIO | None = None) -> None:
    """Print a value as indented JSON (datetimes as ISO 8601).

    Args:
        value: A JSON-serialisable value.
        out: Stream to write to; standard output by default.
    """
    print(json.dumps(value, indent=2, default=_json_default), file=out or sys.stdout)


def print_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]], out: TextIO | None = None
) -> None:
    """Print rows as an aligned text table.

    Args:
        rows: One mapping per row.
        columns: ``(key, header)`` pairs, in display order.
        out: Stream to write to; standard output by default.
    """
    cells = [[_cell(row.get(key)) for key, _ in columns] for row in rows]
    headers = [header for _, header in columns]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    stream = out or sys.stdout
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(), file=stream)
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(), file=stream)


def result_to_dict(result: Any) -> dict[str, Any]:
    """Return a JSON-ready view of a sampling or estimation result.

    Sampling counts keep the wire convention (a bitstring over all classical bits, classical bit 0
    rightmost); ``divided_counts`` (multi_manual) is keyed by program index.

    Args:
        result: An ``OqtopusSamplingResult`` or ``OqtopusEstimationResult``.

    Returns:
        ``{"counts": ..., "divided_counts": ...}`` or ``{"exp_value": ..., "stds": ...}``.
    """
    if hasattr(result, "exp_value"):
        return {"exp_value": result.exp_value, "stds": result.stds}
    view: dict[str, Any] = {"counts": counts_as_keys(result)}
    divided = getattr(result, "divided_counts", None)
    if divided:
        view["divided_counts"] = {str(k): counts_as_keys(v) for k, v in sorted(divided.items())}
    return view


def print_result(result: Any, out: TextIO | None = None) -> None:
    """Print a result for a person: counts with a text histogram, or the expectation value.

    Args:
        result: An ``OqtopusSamplingResult`` or ``OqtopusEstimationResult``.
        out: Stream to write to; standard output by default.
    """
    stream = out or sys.stdout
    view = result_to_dict(result)
    if "exp_value" in view:
        print(f"expectation value: {view['exp_value']}", file=stream)
        print(f"standard deviation: {view['stds']}", file=stream)
        return
    print(f"counts: {json.dumps(view['counts'])}", file=stream)
    print(text_histogram(view["counts"], top=32), file=stream)
    for index, counts in view.get("divided_counts", {}).items():
        print(f"program {index}: {json.dumps(counts)}", file=stream)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, _dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)
