"""Inline SVG charts: the counts histogram and the device topology, with no plotting library.

One drawing serves the notebook reprs (``oqtopus_bridge.display``) and the local server's web
view. It follows the official frontend: keys sorted as strings, zero counts dropped, qubits and
couplings coloured with viridis by their error. The module uses the standard library only and
knows nothing of the wire protocol, so the local server may import it (DESIGN.md, Layers): no
protocol bug can be shared through it.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

# Ten stops of matplotlib's viridis; values between stops are interpolated.
VIRIDIS = (
    "#440154", "#482878", "#3e4989", "#31688e", "#26828e",
    "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725",
)  # fmt: skip
_ids = itertools.count()
#: The colour of a qubit or coupling whose error is not calibrated.
MISSING_COLOUR = "#cccccc"


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def viridis(t: float) -> str:
    """Return the viridis colour at ``t`` in [0, 1] as ``#rrggbb``."""
    t = min(max(t, 0.0), 1.0) * (len(VIRIDIS) - 1)
    low = min(int(t), len(VIRIDIS) - 2)
    frac = t - low
    a, b = _rgb(VIRIDIS[low]), _rgb(VIRIDIS[low + 1])
    mixed = (round(x + (y - x) * frac) for x, y in zip(a, b, strict=True))
    return "#" + "".join(f"{c:02x}" for c in mixed)


def histogram_bars(counts: Mapping[str, float]) -> list[tuple[str, float]]:
    """Return ``(key, count)`` with keys sorted as strings and zero counts dropped."""
    return sorted((str(k), v) for k, v in counts.items() if v)


def histogram_svg(counts: Mapping[str, float], *, label: str = "counts", style: str = "") -> str:
    """Return an SVG bar chart of ``counts`` (wire keys, shown as they are).

    Args:
        counts: Outcome -> count (or probability); keys are shown as they are.
        label: The chart's accessible name.
        style: An inline CSS ``style`` for the ``<svg>`` element (a notebook has no style sheet).

    Returns:
        The ``<svg>`` element, or a short paragraph when no outcome has a count.
    """
    bars = histogram_bars(counts)
    if not bars:
        return '<p class="empty">no outcomes</p>'
    top = max(value for _, value in bars)
    step = max(28, min(64, 520 // len(bars)))
    height, left, bottom = 220, 48, 70
    width = left + step * len(bars) + 10
    parts = [
        f'<svg class="histogram" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height + bottom}" viewBox="0 0 {width} {height + bottom}" role="img" '
        f'aria-label="{escape(label)}"{_style(style)}>',
        f'<line x1="{left}" y1="10" x2="{left}" y2="{height}" stroke="#888"/>',
        f'<line x1="{left}" y1="{height}" x2="{width}" y2="{height}" stroke="#888"/>',
        f'<text x="{left - 6}" y="16" text-anchor="end" font-size="11">{format_number(top)}</text>',
        f'<text x="{left - 6}" y="{height}" text-anchor="end" font-size="11">0</text>',
    ]
    for index, (key, value) in enumerate(bars):
        bar = (height - 12) * value / top
        x = left + 4 + index * step
        parts.append(
            f'<rect x="{x}" y="{height - bar:.1f}" width="{step - 8}" height="{bar:.1f}" '
            f'fill="#3e6fb0"><title>{escape(key)}: {format_number(value)}</title></rect>'
        )
        cx = x + (step - 8) / 2
        if step >= 40:
            parts.append(
                f'<text x="{cx:.1f}" y="{height - bar - 3:.1f}" font-size="10" '
                f'text-anchor="middle">{format_number(value)}</text>'
            )
        parts.append(
            f'<text x="{cx:.1f}" y="{height + 8}" font-size="11" font-family="monospace" '
            f'transform="rotate(60 {cx:.1f} {height + 8})">{escape(key)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _style(style: str) -> str:
    return f' style="{escape(style)}"' if style else ""


def format_number(value: float) -> str:
    """Return a count as an integer when it is one, else with four significant digits."""
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"


def qubit_error(qubit: Mapping[str, Any], metric: str) -> float | None:
    """Return a qubit's ``readout`` (assignment) or ``1q`` (1 - fidelity) error, if known."""
    try:
        if metric == "readout":
            return float(qubit["meas_error"]["readout_assignment_error"])
        return 1.0 - float(qubit["fidelity"])
    except (KeyError, TypeError, ValueError):
        return None


def coupling_errors(couplings: Sequence[Mapping[str, Any]]) -> dict[tuple[int, int], list[float]]:
    """Group directed couplings by qubit pair (low id first), each with its 2-qubit errors.

    The error of a coupling is ``1 - fidelity``; a pair calibrated in both directions has two.
    """
    edges: dict[tuple[int, int], list[float]] = {}
    for coupling in couplings:
        try:
            a, b = int(coupling["control"]), int(coupling["target"])
            error = 1.0 - float(coupling["fidelity"])
        except (KeyError, TypeError, ValueError):
            continue
        edges.setdefault((min(a, b), max(a, b)), []).append(error)
    return edges


class ErrorScale:
    """Maps errors onto viridis between their min and max; remembers the median for the legend.

    The one colour scale of every device picture (web view, notebook repr, `plot_device`), as the
    OQTOPUS frontend draws it: dark (low) is the smallest error, yellow (high) the largest.
    """

    def __init__(self, values: Sequence[float]) -> None:
        self.low = min(values) if values else 0.0
        self.high = max(values) if values else 0.0
        self.median = statistics.median(values) if values else 0.0

    def fraction(self, value: float) -> float:
        """Return where ``value`` sits between the lowest (0) and highest (1) error."""
        span = self.high - self.low
        return 0.5 if span <= 0 else min(max((value - self.low) / span, 0.0), 1.0)

    def colour(self, value: float | None) -> str:
        """Return the viridis colour of ``value`` as ``#rrggbb`` (grey when unknown)."""
        return MISSING_COLOUR if value is None else viridis(self.fraction(value))


def topology_svg(info: Mapping[str, Any], metric: str = "readout", *, style: str = "") -> str:
    """Return an SVG of a device's qubits (by ``metric``) and couplings (by 2-qubit error).

    Args:
        info: A device's ``device_info`` (qubits with positions, couplings with fidelities).
        metric: ``"readout"`` (assignment error) or ``"1q"`` (1 - fidelity) for the qubits.
        style: An inline CSS ``style`` for the ``<svg>`` element.

    Returns:
        The ``<svg>`` element, or a short paragraph when no qubit has a position.
    """
    qubits = [q for q in info.get("qubits") or [] if isinstance(q, Mapping)]
    places = {}
    for qubit in qubits:
        try:
            pos = qubit["position"]
            places[int(qubit["id"])] = (float(pos["x"]), -float(pos["y"]))  # y axis up
        except (KeyError, TypeError, ValueError):
            continue
    if not places:
        return '<p class="empty">this device publishes no qubit positions</p>'
    edges = coupling_errors(info.get("couplings") or [])
    q_scale = ErrorScale([e for q in qubits if (e := qubit_error(q, metric)) is not None])
    e_scale = ErrorScale([max(errors) for errors in edges.values()])
    xs, ys = [p[0] for p in places.values()], [p[1] for p in places.values()]
    unit, pad = 90, 40
    width = (max(xs) - min(xs)) * unit + 2 * pad
    height = (max(ys) - min(ys)) * unit + 2 * pad

    def at(q: int) -> tuple[float, float]:
        x, y = places[q]
        return (x - min(xs)) * unit + pad, (y - min(ys)) * unit + pad

    parts = [
        f'<svg class="topology" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
        f'height="{height + 90:.0f}" viewBox="0 0 {width:.0f} {height + 90:.0f}" role="img" '
        f'aria-label="device topology"{_style(style)}>'
    ]
    for (a, b), errors in sorted(edges.items()):
        if a in places and b in places:
            (x1, y1), (x2, y2) = at(a), at(b)
            worst = max(errors)
            parts.append(
                f'<line class="coupling" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                f'stroke="{e_scale.colour(worst)}" stroke-width="6"><title>{a}-{b}: 2-qubit '
                f"error {', '.join(f'{e:.4g}' for e in errors)}</title></line>"
            )
    for qubit in qubits:
        q = int(qubit.get("id", -1))
        if q not in places:
            continue
        x, y = at(q)
        error = qubit_error(qubit, metric)
        fill = q_scale.colour(error)
        ink = "#000" if sum(_rgb(fill)) > 380 else "#fff"
        shown = "unknown" if error is None else f"{error:.4g}"
        parts.append(
            f'<g class="qubit"><circle cx="{x:.1f}" cy="{y:.1f}" r="17" fill="{fill}" '
            f'stroke="#333"><title>qubit {q}: {METRICS[metric]} {shown}</title></circle>'
            f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" font-size="12" '
            f'fill="{ink}">{q}</text></g>'
        )
    parts.append(_legend(q_scale, f"qubit: {METRICS[metric]}", 10, height + 10, width))
    if edges:
        parts.append(_legend(e_scale, "coupling: 2-qubit error", 10, height + 50, width))
    parts.append("</svg>")
    return "".join(parts)


#: The qubit metrics of every device picture, and how their legends name them.
METRICS = {"readout": "readout error", "1q": "1-qubit error"}


def _legend(scale: ErrorScale, title: str, x: float, y: float, width: float) -> str:
    gid = f"viridis{next(_ids)}"
    bar = max(min(width - 2 * x, 320.0), 160.0)
    stops = "".join(
        f'<stop offset="{i / (len(VIRIDIS) - 1):.3f}" stop-color="{c}"/>'
        for i, c in enumerate(VIRIDIS)
    )
    return (
        f'<g class="legend"><defs><linearGradient id="{gid}">{stops}</linearGradient></defs>'
        f'<text x="{x}" y="{y + 8}" font-size="11">{escape(title)} (median '
        f"{scale.median:.4g})</text>"
        f'<rect x="{x}" y="{y + 12}" width="{bar:.0f}" height="10" fill="url(#{gid})"/>'
        f'<text x="{x}" y="{y + 34}" font-size="10">{scale.low:.4g}</text>'
        f'<text x="{x + bar:.0f}" y="{y + 34}" font-size="10" text-anchor="end">'
        f"{scale.high:.4g}</text></g>"
    )
