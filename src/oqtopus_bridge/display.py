"""Rich display in notebooks: the HTML behind ``_repr_html_`` of results, jobs and devices.

Plain data in, an HTML string out, with inline SVG charts, so nothing beyond the standard library
is needed (no matplotlib, no JavaScript). The charts follow the OQTOPUS frontend: histogram keys
sorted as strings with zero counts dropped, and a device's qubits and couplings coloured with
viridis by readout (or 1-qubit) and 2-qubit error. The drawing is ``oqtopus_bridge.svg``, which the
local server's web view uses too.

Examples:
    ```python
    from oqtopus_bridge.display import histogram_svg

    histogram_svg({"11": 480, "00": 520, "01": 0}).count("<rect")  # 2: zero counts are dropped
    ```
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

from oqtopus_bridge import svg

__all__ = [
    "BIT_ORDER",
    "device_html",
    "estimation_html",
    "format_duration",
    "histogram_svg",
    "job_html",
    "sampling_html",
    "topology_svg",
]

BIT_ORDER = "Keys are bitstrings over all classical bits, classical bit 0 rightmost."
_STATUS_COLOURS = {
    "succeeded": ("#e3f5e8", "#17683a"),
    "available": ("#e3f5e8", "#17683a"),
    "failed": ("#fde8e8", "#a11d1d"),
    "running": ("#e2edfc", "#1f4f96"),
    "cancelled": ("#eceef2", "#545b68"),
    "unavailable": ("#eceef2", "#545b68"),
}
_FONT = "font-family:system-ui,sans-serif;font-size:13px"


def histogram_svg(counts: Mapping[str, float], *, label: str = "counts") -> str:
    """Return an SVG bar chart of wire ``counts`` (keys sorted as strings, zeros dropped)."""
    return svg.histogram_svg(counts, label=label, style=_FONT)


def sampling_html(
    counts: Mapping[str, float], divided: Mapping[int, Mapping[str, float]] | None = None
) -> str:
    """Return the histogram(s) of a sampling result; one per program of a multi_manual job."""
    panels = [(f"Program index {i}", divided[i]) for i in sorted(divided)] if divided else []
    panels.append(("Combined program" if divided else "Counts", counts))
    body = "".join(
        f"<div><b>{escape(title)}</b> ({svg.format_number(sum(c.values()))} shots)<br>"
        f"{histogram_svg(c, label=title)}</div>"
        for title, c in panels
    )
    return (
        f'<div style="{_FONT}"><b>OqtopusSamplingResult</b>'
        f'<div style="display:flex;flex-wrap:wrap;gap:16px">{body}</div>'
        f'<div style="color:#5b6475;font-size:12px">{BIT_ORDER}</div></div>'
    )


def estimation_html(exp_value: float | None, stds: float | None) -> str:
    """Return an estimation result: the expectation value and its standard deviation."""
    value = "-" if exp_value is None else f"{exp_value:.6g}"
    std = "" if stds is None else f" &plusmn; {stds:.3g} <small>(standard deviation)</small>"
    return f'<div style="{_FONT}"><b>OqtopusEstimationResult</b>: {value}{std}</div>'


def _badge(status: str) -> str:
    back, ink = _STATUS_COLOURS.get(status, ("#fff4dc", "#8a5a00"))
    return (
        f'<span style="background:{back};color:{ink};padding:1px 8px;border-radius:9px;'
        f'font-weight:600">{escape(status)}</span>'
    )


def _cell(value: Any) -> str:
    if value is None or value == "" or value == {}:
        return "-"
    if isinstance(value, (dict, list)):
        return f"<code>{escape(json.dumps(value))}</code>"
    return escape(str(value))


def format_duration(seconds: float | None) -> str:
    """Return a duration for people: ``"4.98 ms"``, ``"1.23 s"``, ``"2 min 5 s"``, or ``"-"``.

    Args:
        seconds: The duration in seconds (a job's ``execution_time``), or None.

    Returns:
        Three significant digits below a minute, whole seconds above it.
    """
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.3g} ms"
    if seconds < 60:
        return f"{seconds:.3g} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def _value(key: str, value: Any) -> str:
    if key == "status":
        return _badge(str(value))
    if key == "execution_time" and value is not None:
        return escape(format_duration(value))
    return _cell(value)


def _table(title: str, fields: Mapping[str, Any]) -> str:
    rows = "".join(
        f'<tr><th style="text-align:left;padding:2px 12px 2px 0;color:#5b6475">{escape(k)}</th>'
        f'<td style="text-align:left">{_value(k, v)}</td></tr>'
        for k, v in fields.items()
    )
    return f'<div style="{_FONT}"><b>{escape(title)}</b><table>{rows}</table></div>'


def job_html(title: str, fields: Mapping[str, Any]) -> str:
    """Return a job's fields as a table, its status coloured as in the OQTOPUS frontend."""
    return _table(title, fields)


def topology_svg(info: Mapping[str, Any], metric: str = "readout") -> str:
    """Return an SVG of a device's qubits (by readout or ``"1q"`` error) and couplings."""
    return svg.topology_svg(info, metric, style=_FONT)


def device_html(fields: Mapping[str, Any], info: Mapping[str, Any] | None) -> str:
    """Return a device's fields and, for a QPU with positions, its topology."""
    html = _table(f"OqtopusDevice {fields.get('device_id', '')}", fields)
    if info and str(fields.get("device_type", "")).upper() == "QPU":
        html += topology_svg(info)
    return html
