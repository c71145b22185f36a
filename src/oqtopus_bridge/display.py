"""Rich display in notebooks: the HTML behind ``_repr_html_`` of results, jobs and devices.

Plain data in, an HTML string out, with inline SVG charts, so nothing beyond the standard library
is needed (no matplotlib, no JavaScript). The charts follow the OQTOPUS frontend: histogram keys
sorted as strings with zero counts dropped, and a device's qubits and couplings coloured with
viridis by readout (or 1-qubit) and 2-qubit error. The local server's web view draws its own (it
imports nothing from the client side, DESIGN.md).

Examples:
    ```python
    from oqtopus_bridge.display import histogram_svg

    histogram_svg({"11": 480, "00": 520, "01": 0}).count("<rect")  # 2: zero counts are dropped
    ```
"""

from __future__ import annotations

import itertools
import json
import statistics
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

__all__ = [
    "BIT_ORDER",
    "device_html",
    "estimation_html",
    "histogram_svg",
    "job_html",
    "sampling_html",
    "topology_svg",
]

BIT_ORDER = "Keys are bitstrings over all classical bits, classical bit 0 rightmost."
_VIRIDIS = (
    "#440154", "#482878", "#3e4989", "#31688e", "#26828e",
    "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725",
)  # fmt: skip
_STATUS_COLOURS = {
    "succeeded": ("#e3f5e8", "#17683a"),
    "available": ("#e3f5e8", "#17683a"),
    "failed": ("#fde8e8", "#a11d1d"),
    "running": ("#e2edfc", "#1f4f96"),
    "cancelled": ("#eceef2", "#545b68"),
    "unavailable": ("#eceef2", "#545b68"),
}
_FONT = "font-family:system-ui,sans-serif;font-size:13px"
_ids = itertools.count()


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _viridis(t: float) -> str:
    t = min(max(t, 0.0), 1.0) * (len(_VIRIDIS) - 1)
    low = min(int(t), len(_VIRIDIS) - 2)
    a, b = _rgb(_VIRIDIS[low]), _rgb(_VIRIDIS[low + 1])
    return "#" + "".join(f"{round(x + (y - x) * (t - low)):02x}" for x, y in zip(a, b, strict=True))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"


def histogram_svg(counts: Mapping[str, float], *, label: str = "counts") -> str:
    """Return an SVG bar chart of wire ``counts`` (keys sorted as strings, zeros dropped)."""
    bars = sorted((str(key), value) for key, value in counts.items() if value)
    if not bars:
        return "<p>no outcomes</p>"
    top = max(value for _, value in bars)
    step = max(24, min(56, 480 // len(bars)))
    height, left, bottom = 180, 44, 60
    width = left + step * len(bars) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + bottom}" '
        f'role="img" aria-label="{escape(label)}" style="{_FONT}">',
        f'<line x1="{left}" y1="10" x2="{left}" y2="{height}" stroke="#888"/>',
        f'<line x1="{left}" y1="{height}" x2="{width}" y2="{height}" stroke="#888"/>',
        f'<text x="{left - 5}" y="16" text-anchor="end" font-size="10">{_num(top)}</text>',
        f'<text x="{left - 5}" y="{height}" text-anchor="end" font-size="10">0</text>',
    ]
    for index, (key, value) in enumerate(bars):
        bar = (height - 14) * value / top
        x, cx = left + 4 + index * step, left + 4 + index * step + (step - 8) / 2
        parts.append(
            f'<rect x="{x}" y="{height - bar:.1f}" width="{step - 8}" height="{bar:.1f}" '
            f'fill="#3e6fb0"><title>{escape(key)}: {_num(value)}</title></rect>'
        )
        if step >= 40:
            parts.append(
                f'<text x="{cx:.1f}" y="{height - bar - 3:.1f}" font-size="10" '
                f'text-anchor="middle">{_num(value)}</text>'
            )
        parts.append(
            f'<text x="{cx:.1f}" y="{height + 8}" font-size="10" font-family="monospace" '
            f'transform="rotate(60 {cx:.1f} {height + 8})">{escape(key)}</text>'
        )
    return "".join(parts) + "</svg>"


def sampling_html(
    counts: Mapping[str, float], divided: Mapping[int, Mapping[str, float]] | None = None
) -> str:
    """Return the histogram(s) of a sampling result; one per program of a multi_manual job."""
    panels = [(f"Program index {i}", divided[i]) for i in sorted(divided)] if divided else []
    panels.append(("Combined program" if divided else "Counts", counts))
    body = "".join(
        f"<div><b>{escape(title)}</b> ({_num(sum(c.values()))} shots)<br>"
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


def _table(title: str, fields: Mapping[str, Any]) -> str:
    rows = "".join(
        f'<tr><th style="text-align:left;padding:2px 12px 2px 0;color:#5b6475">{escape(k)}</th>'
        f'<td style="text-align:left">{_badge(str(v)) if k == "status" else _cell(v)}</td></tr>'
        for k, v in fields.items()
    )
    return f'<div style="{_FONT}"><b>{escape(title)}</b><table>{rows}</table></div>'


def job_html(title: str, fields: Mapping[str, Any]) -> str:
    """Return a job's fields as a table, its status coloured as in the OQTOPUS frontend."""
    return _table(title, fields)


def _qubit_error(qubit: Mapping[str, Any], metric: str) -> float | None:
    try:
        if metric == "readout":
            return float(qubit["meas_error"]["readout_assignment_error"])
        return 1.0 - float(qubit["fidelity"])
    except (KeyError, TypeError, ValueError):
        return None


class _Scale:
    def __init__(self, values: Sequence[float]) -> None:
        self.low, self.high = (min(values), max(values)) if values else (0.0, 0.0)
        self.median = statistics.median(values) if values else 0.0

    def colour(self, value: float | None) -> str:
        if value is None:
            return "#cccccc"
        span = self.high - self.low
        return _viridis(0.5 if span <= 0 else (value - self.low) / span)

    def legend(self, title: str, y: float) -> str:
        gid = f"oqtopus-viridis-{next(_ids)}"
        stops = "".join(
            f'<stop offset="{i / 9:.3f}" stop-color="{c}"/>' for i, c in enumerate(_VIRIDIS)
        )
        return (
            f'<defs><linearGradient id="{gid}">{stops}</linearGradient></defs>'
            f'<text x="10" y="{y + 8}" font-size="11">{escape(title)} (median '
            f'{self.median:.4g})</text><rect x="10" y="{y + 12}" width="220" height="9" '
            f'fill="url(#{gid})"/><text x="10" y="{y + 33}" font-size="10">{self.low:.4g}</text>'
            f'<text x="230" y="{y + 33}" font-size="10" text-anchor="end">{self.high:.4g}</text>'
        )


def topology_svg(info: Mapping[str, Any], metric: str = "readout") -> str:
    """Return an SVG of a device's qubits (by readout or ``"1q"`` error) and couplings."""
    qubits = [q for q in info.get("qubits") or [] if isinstance(q, Mapping)]
    places: dict[int, tuple[float, float]] = {}
    for qubit in qubits:
        try:
            places[int(qubit["id"])] = (
                float(qubit["position"]["x"]),
                -float(qubit["position"]["y"]),  # the y axis points up, as the frontend draws it
            )
        except (KeyError, TypeError, ValueError):
            continue
    if not places:
        return "<p>this device publishes no qubit positions</p>"
    edges: dict[tuple[int, int], float] = {}
    for c in info.get("couplings") or []:
        try:
            a, b = int(c["control"]), int(c["target"])
            pair = (min(a, b), max(a, b))
            edges[pair] = max(edges.get(pair, 0.0), 1.0 - float(c["fidelity"]))
        except (KeyError, TypeError, ValueError):
            continue
    q_scale = _Scale([e for q in qubits if (e := _qubit_error(q, metric)) is not None])
    e_scale = _Scale(list(edges.values()))
    xs, ys = [p[0] for p in places.values()], [p[1] for p in places.values()]
    unit, pad = 60, 30
    width = max((max(xs) - min(xs)) * unit + 2 * pad, 250)
    height = (max(ys) - min(ys)) * unit + 2 * pad

    def at(q: int) -> tuple[float, float]:
        return (places[q][0] - min(xs)) * unit + pad, (places[q][1] - min(ys)) * unit + pad

    name = "readout error" if metric == "readout" else "1-qubit error"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height + 90:.0f}" '
        f'role="img" aria-label="device topology" style="{_FONT}">'
    ]
    for (a, b), error in sorted(edges.items()):
        if a in places and b in places:
            (x1, y1), (x2, y2) = at(a), at(b)
            parts.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke-width="5" '
                f'stroke="{e_scale.colour(error)}"><title>{a}-{b}: 2-qubit error {error:.4g}'
                "</title></line>"
            )
    for qubit in qubits:
        q = int(qubit.get("id", -1))
        if q in places:
            (x, y), q_error = at(q), _qubit_error(qubit, metric)
            fill = q_scale.colour(q_error)
            ink = "#000" if sum(_rgb(fill)) > 380 else "#fff"
            shown = "unknown" if q_error is None else f"{q_error:.4g}"
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="14" fill="{fill}" stroke="#333"><title>'
                f'qubit {q}: {name} {shown}</title></circle><text x="{x:.1f}" '
                f'y="{y + 4:.1f}" text-anchor="middle" font-size="11" fill="{ink}">{q}</text>'
            )
    parts.append(q_scale.legend(f"qubit: {name}", height + 8))
    if edges:
        parts.append(e_scale.legend("coupling: 2-qubit error", height + 48))
    return "".join(parts) + "</svg>"


def device_html(fields: Mapping[str, Any], info: Mapping[str, Any] | None) -> str:
    """Return a device's fields and, for a QPU with positions, its topology."""
    html = _table(f"OqtopusDevice {fields.get('device_id', '')}", fields)
    if info and str(fields.get("device_type", "")).upper() == "QPU":
        html += topology_svg(info)
    return html
