"""Pictures of results and devices: counts histograms (text and matplotlib) and coupling maps.

matplotlib is an optional extra (``pip install ".[plot]"`` in a clone of oqtopus-bridge); it is
imported only when a figure is drawn, so `counts_as_keys` and `text_histogram` work without it.

Examples:
    ```python
    from oqtopus_bridge.plotting import text_histogram
    print(text_histogram({"00": 3, "11": 1}, width=6))
    # 00 ██████ 3  (75.0%)
    # 11 ██     1  (25.0%)
    ```
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from oqtopus_bridge import svg

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "BIT_ORDER_LABELS",
    "DEFAULT_TOP",
    "counts_as_keys",
    "plot_counts",
    "plot_device",
    "plot_histogram",
    "text_histogram",
]

_INSTALL_HINT = 'plotting needs matplotlib: pip install ".[plot]" in a clone of oqtopus-bridge'
_MISSING_COLOR = "#b0b0b0"


def counts_as_keys(counts: Any, bit_width: int | None = None) -> dict[str, int]:
    """Turn counts from any supported source into ``{bitstring: count}`` with bitstrings sorted.

    Accepted sources:

    * an `OqtopusSamplingResult` (its wire keys, classical bit 0 rightmost);
    * a Qiskit counts dict or ``Counts`` (keys kept as Qiskit writes them, register spaces
      included), or any object whose ``get_counts()`` returns one (a Qiskit ``Result``,
      ``BitArray``);
    * PennyLane counts from ``qml.counts()`` (keys kept as PennyLane writes them, first wire
      leftmost);
    * QURI Parts counts, ``Counter[int, int]`` (bit i of the key is classical bit i), rendered with
      classical bit 0 rightmost and zero-padded to ``bit_width`` (or to the widest key).

    Args:
        counts: The counts or an object holding them.
        bit_width: Width used to render integer keys; ignored for string keys.

    Returns:
        The counts as a new dict ordered by key, with plain ``int`` values.

    Raises:
        TypeError: If ``counts`` is none of the accepted sources.
    """
    raw = getattr(counts, "raw_counts", None)
    if isinstance(raw, Mapping) and raw:
        counts = raw
    elif hasattr(counts, "counts") and not isinstance(counts, Mapping):
        bit_width = bit_width if bit_width is not None else getattr(counts, "bit_width", None)
        counts = counts.counts
    elif callable(getattr(counts, "get_counts", None)):
        counts = counts.get_counts()
    if not isinstance(counts, Mapping):
        raise TypeError(
            f"cannot read counts from {type(counts).__name__}: pass a dict of counts, an "
            "OqtopusSamplingResult, or a Qiskit Result/BitArray"
        )
    int_keys = [key for key in counts if not isinstance(key, str)]
    width = bit_width or max((int(key).bit_length() for key in int_keys), default=1) or 1
    merged: dict[str, int] = {}
    for key, value in counts.items():
        label = key if isinstance(key, str) else format(int(key), f"0{width}b")
        merged[label] = merged.get(label, 0) + int(value)
    return dict(sorted(merged.items()))


def text_histogram(counts: Any, *, width: int = 40, top: int | None = None) -> str:
    """Render counts as a text bar chart, one outcome per line, for terminals and logs.

    Args:
        counts: Counts in any form `counts_as_keys` accepts.
        width: Number of characters of the longest bar.
        top: Show only the ``top`` most frequent outcomes (all when None).

    Returns:
        The chart; an empty string for empty counts.
    """
    keyed = {key: value for key, value in counts_as_keys(counts).items() if value}
    if not keyed:
        return ""
    items = list(keyed.items())
    if top is not None:
        items = sorted(sorted(items, key=lambda kv: -kv[1])[:top])
    total = sum(keyed.values())
    peak = max(value for _, value in items)
    key_width = max(len(key) for key, _ in items)
    count_width = max(len(str(value)) for _, value in items)
    lines = []
    for key, value in items:
        bar = "█" * max(1, round(width * value / peak))
        share = 100.0 * value / total
        lines.append(f"{key:<{key_width}} {bar:<{width}} {value:>{count_width}}  ({share:.1f}%)")
    return "\n".join(lines)


#: Bars drawn by `plot_histogram` by default; the other outcomes are folded into one bar.
DEFAULT_TOP = 32

#: How each ``bit_order`` value is written under the x-axis.
BIT_ORDER_LABELS = {
    "bit0-right": "outcome (classical bit 0 rightmost, as Qiskit and OQTOPUS write it)",
    "bit0-left": "outcome (wire/bit 0 leftmost, as PennyLane writes it)",
}
_UNKNOWN_ORDER_LABEL = (
    "outcome (keys as given: Qiskit writes bit 0 rightmost, PennyLane wire 0 leftmost)"
)


def plot_histogram(
    counts: Any,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    top: int | None = DEFAULT_TOP,
    bit_width: int | None = None,
    bit_order: str | None = None,
) -> Figure:
    """Draw counts as a bar chart of probabilities, annotated with the raw counts.

    The x-axis says which bit is where in the labels. At most ``top`` bars are drawn: the most
    frequent outcomes, sorted by key, then one grey bar holding all the others, and the title says
    how many were folded into it.

    Args:
        counts: Counts in any form `counts_as_keys` accepts (an ``OqtopusSamplingResult``,
            a Qiskit counts dict, PennyLane counts, QURI Parts ``Counter[int, int]``).
        ax: Axes to draw on; a new figure is made when None.
        title: Figure title.
        top: Most frequent outcomes drawn as their own bars (default 32); the rest are folded into
            one ``other`` bar. None draws every outcome.
        bit_width: Width used to render integer keys.
        bit_order: ``"bit0-right"`` or ``"bit0-left"``, the order of the keys' bits, written under
            the axis. When None it is ``"bit0-right"`` for sources whose order is known (an
            ``OqtopusSamplingResult``, Qiskit objects, integer keys), and a plain dict of strings
            is labelled as "keys as given".

    Returns:
        The matplotlib figure holding the chart.

    Raises:
        ImportError: If matplotlib is not installed.
        ValueError: If ``bit_order`` or ``top`` is not valid.

    Examples:
        ```python
        fig = plot_histogram({"00": 510, "11": 490}, title="Bell")
        fig.savefig("bell.png")
        ```
    """
    if bit_order is not None and bit_order not in BIT_ORDER_LABELS:
        raise ValueError(f"bit_order must be one of {sorted(BIT_ORDER_LABELS)}, not {bit_order!r}")
    if top is not None and top < 1:
        raise ValueError(f"top must be a positive number of bars or None, not {top}")
    order = bit_order or _known_bit_order(counts)
    keyed = counts_as_keys(counts, bit_width)
    items = list(keyed.items())
    folded: tuple[int, int] | None = None  # (outcomes, counts) in the "other" bar
    if top is not None and len(items) > top:
        kept = sorted(sorted(items, key=lambda kv: -kv[1])[:top])
        rest = len(items) - len(kept)
        folded = (rest, sum(keyed.values()) - sum(value for _, value in kept))
        items = kept
    n_bars = len(items) + (folded is not None)
    fig, ax = _figure_and_axes(ax, (min(16.0, max(4.0, 0.45 * n_bars + 2.0)), 3.5))
    total = sum(keyed.values()) or 1
    labels = [key for key, _ in items]
    values = [value for _, value in items]
    colors = ["#3b75af"] * len(items)
    if folded is not None:
        labels.append(f"other ({folded[0]})")
        values.append(folded[1])
        colors.append(_MISSING_COLOR)
    probabilities = [value / total for value in values]
    bars = ax.bar(range(n_bars), probabilities, color=colors, edgecolor="#1f3f5f")
    ax.bar_label(bars, labels=[str(value) for value in values], padding=2, fontsize=8)
    ax.set_xticks(range(n_bars), labels, rotation=70 if n_bars > 8 else 0, fontfamily="monospace")
    ax.set_ylabel("probability")
    ax.set_xlabel(BIT_ORDER_LABELS[order] if order else _UNKNOWN_ORDER_LABEL)
    ax.set_ylim(0, min(1.0, max(probabilities, default=1.0) * 1.15) or 1.0)
    heading = title or f"{sum(keyed.values())} shots"
    if folded is not None:
        heading += (
            f"\ntop {len(items)} of {len(keyed)} outcomes; {folded[0]} others folded into "
            "'other' (top=None shows all)"
        )
    ax.set_title(heading, fontsize=10 if folded is not None else None)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    fig.tight_layout()
    return fig


def _known_bit_order(counts: Any) -> str | None:
    """``"bit0-right"`` when the source's bit order is known, else None (plain dict of strings)."""
    if not isinstance(counts, Mapping):
        return "bit0-right"  # a result object, Qiskit Result/BitArray: classical bit 0 rightmost
    if type(counts).__module__.startswith("qiskit"):
        return "bit0-right"  # qiskit.result.Counts
    if counts and all(not isinstance(key, str) for key in counts):
        return "bit0-right"  # QURI Parts integer keys, rendered with bit 0 rightmost
    return None


def plot_counts(counts: Any, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Draw a counts histogram and return its axes (what ``OqtopusSamplingResult.plot`` returns).

    Args:
        counts: Counts in any form `counts_as_keys` accepts.
        ax: Axes to draw on; a new figure is made when None.
        title: Figure title.

    Returns:
        The axes holding the chart.

    Raises:
        ImportError: If matplotlib is not installed.
    """
    figure = plot_histogram(counts, ax=ax, title=title)
    return ax if ax is not None else figure.axes[0]


def plot_device(
    device: Any,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    metric: str = "readout",
    combine: str = "worst",
) -> Figure:
    """Draw a device's coupling map, qubits and couplings coloured by their error.

    The picture is the one of the web view and the notebook repr, as the OQTOPUS frontend draws
    it: qubits at ``position`` from ``device_info`` with the y axis pointing up (qubit 0 of a grid
    at the bottom left), coloured with viridis by their readout error (``metric="readout"``) or
    1-qubit error (``metric="1q"``, 1 - fidelity), couplings by their 2-qubit error
    (1 - fidelity); dark is the smallest error, yellow the largest, and each colour bar names its
    median. A pair calibrated in both directions is coloured by the worse of the two
    (``combine="worst"``, the default) or their mean (``combine="mean"``). Qubits without a
    position sit on a circle; a coupling whose straight line would pass through another qubit is
    drawn as an arc. Qubits and couplings without a calibrated error are grey.

    Args:
        device: An `OqtopusDevice`, or its ``device_info`` as a dict or JSON
            string (the ``qubits``/``couplings`` format, or the older ``calibration_data`` one).
        ax: Axes to draw on; a new figure is made when None.
        title: Figure title; defaults to the device id.
        metric: The qubit colour: ``"readout"`` (assignment error) or ``"1q"`` (1 - fidelity).
        combine: How the two directions of a coupling are combined: ``"worst"`` or ``"mean"``.

    Returns:
        The matplotlib figure holding the map.

    Raises:
        ImportError: If matplotlib is not installed.
        ValueError: If the device information lists no qubits, or ``metric`` or ``combine`` is
            not one of the values above.
    """
    if combine not in _COMBINE:
        raise ValueError(f"combine must be one of {sorted(_COMBINE)}, not {combine!r}")
    if metric not in svg.METRICS:
        raise ValueError(f"metric must be one of {sorted(svg.METRICS)}, not {metric!r}")
    info = _device_info_dict(device)
    qubits, couplings = _topology(info, metric, _COMBINE[combine][0])
    if not qubits:
        raise ValueError("device_info lists no qubits, so there is no coupling map to draw")
    fig, ax = _figure_and_axes(ax, (6.5, 5.0))
    qubit_scale = svg.ErrorScale([e for _, _, e in qubits.values() if e is not None])
    edge_scale = svg.ErrorScale([e for e in couplings.values() if e is not None])
    points = {qid: (x, y) for qid, (x, y, _) in qubits.items()}
    for (a, b), error in sorted(couplings.items()):
        if a in qubits and b in qubits:
            _draw_coupling(ax, points, a, b, edge_scale.colour(error))
    for qid, (x, y, error) in sorted(qubits.items()):
        colour = qubit_scale.colour(error)
        ax.scatter([x], [y], s=520, color=colour, edgecolors="black", zorder=2)
        ink = "black" if error is None or qubit_scale.fraction(error) > 0.5 else "white"
        ax.annotate(str(qid), (x, y), ha="center", va="center", fontsize=9, color=ink, zorder=3)
    if any(error is not None for _, _, error in qubits.values()):
        _colorbar(fig, ax, qubit_scale, f"qubit: {svg.METRICS[metric]}")
    if any(error is not None for error in couplings.values()):
        _colorbar(fig, ax, edge_scale, f"coupling: 2-qubit error, {_COMBINE[combine][1]}")
    ax.set_aspect("equal")
    _fit_limits(ax, list(points.values()))
    ax.axis("off")
    ax.set_title(
        title or str(info.get("device_id") or getattr(device, "device_id", "") or "device")
    )
    return fig


def _draw_coupling(
    ax: Axes, points: Mapping[int, tuple[float, float]], a: int, b: int, colour: str
) -> None:
    """Draw one coupling: a straight line, or an arc where other qubits lie in between."""
    blocked = _blocked(points, a, b)
    if blocked:
        from matplotlib.patches import FancyArrowPatch

        rad = 0.25 + 0.05 * min(blocked, 6)
        arc = FancyArrowPatch(
            points[a],
            points[b],
            connectionstyle=f"arc3,rad={rad}",
            arrowstyle="-",
            color=colour,
            linewidth=2,
            zorder=1,
        )
        ax.add_patch(arc)
    else:
        (xa, ya), (xb, yb) = points[a], points[b]
        ax.plot((xa, xb), (ya, yb), color=colour, linewidth=4, solid_capstyle="round", zorder=1)


def _figure_and_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """Use the caller's axes, or make a pyplot figure (closed again under an inline backend)."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    if ax is not None:
        return ax.get_figure(), ax  # type: ignore[return-value]
    import matplotlib.pyplot as plt

    fig, new_ax = plt.subplots(figsize=size)
    # In Jupyter the returned figure is displayed once by its repr; leaving it open in pyplot would
    # display it a second time at the end of the cell (qiskit's plot_histogram does the same).
    if "inline" in matplotlib.get_backend():
        plt.close(fig)
    return fig, new_ax


def _device_info_dict(device: Any) -> dict[str, Any]:
    info = getattr(device, "device_info", device)
    if isinstance(info, (str, bytes)):
        info = json.loads(info)
    if not isinstance(info, Mapping):
        raise TypeError(f"cannot read device_info from {type(device).__name__}")
    return dict(info)


#: ``combine`` of `plot_device`: how to merge the errors of the two directions, and the bar's words.
_COMBINE: dict[str, tuple[Callable[[list[float]], float], str]] = {
    "worst": (max, "worse of the two directions"),
    "mean": (lambda values: sum(values) / len(values), "mean of the two directions"),
}


def _blocked(points: Mapping[int, tuple[float, float]], a: int, b: int) -> int:
    """How many other qubits lie on the straight segment from ``a`` to ``b`` (or very near it)."""
    (ax_, ay), (bx, by) = points[a], points[b]
    dx, dy = bx - ax_, by - ay
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return 0
    count = 0
    for qid, (px, py) in points.items():
        if qid in (a, b):
            continue
        t = ((px - ax_) * dx + (py - ay) * dy) / length2
        if 0 < t < 1:
            cx, cy = ax_ + t * dx, ay + t * dy
            if (px - cx) ** 2 + (py - cy) ** 2 < 0.01 * length2:
                count += 1
    return count


def _fit_limits(ax: Axes, points: list[tuple[float, float]]) -> None:
    """Set limits that show every qubit marker whole, also for a row of qubits (zero height)."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1.0)
    pad = 0.15 * span + 0.5
    # Arcs between qubits in a row bulge sideways by up to about a third of their length.
    flat_pad = 0.35 * span + 0.5
    x_pad = flat_pad if max(xs) - min(xs) < 1e-9 else pad
    y_pad = flat_pad if max(ys) - min(ys) < 1e-9 else pad
    ax.set_xlim(min(xs) - x_pad, max(xs) + x_pad)
    ax.set_ylim(min(ys) - y_pad, max(ys) + y_pad)


def _topology(
    info: Mapping[str, Any],
    metric: str,
    combine: Callable[[list[float]], float],
) -> tuple[dict[int, tuple[float, float, float | None]], dict[tuple[int, int], float | None]]:
    """Return qubit positions (y up) and errors, and undirected couplings with combined error."""
    raw_qubits = info.get("qubits")
    raw_couplings = info.get("couplings")
    if raw_qubits is None and isinstance(info.get("calibration_data"), Mapping):
        raw_qubits, raw_couplings = _legacy_topology(info)
    entries = [q for q in raw_qubits or [] if isinstance(q, Mapping) and "id" in q]
    positions = _positions(entries)
    qubits = {int(q["id"]): (*positions[int(q["id"])], svg.qubit_error(q, metric)) for q in entries}
    pairs: dict[tuple[int, int], float | None] = {}
    for coupling in raw_couplings or []:
        a, b = int(coupling["control"]), int(coupling["target"])
        pairs.setdefault((min(a, b), max(a, b)), None)
    calibrated = svg.coupling_errors(raw_couplings or [])
    pairs.update({pair: combine(errors) for pair, errors in calibrated.items()})
    return qubits, pairs


def _legacy_topology(info: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Read the older ``calibration_data.qubit_connectivity: ["(1,4)", ...]`` format."""
    calibration = info["calibration_data"]
    pairs = []
    for text in calibration.get("qubit_connectivity", []):
        a, b = (int(part) for part in str(text).strip("() ").split(","))
        pairs.append({"control": a, "target": b})
    count = int(info.get("n_nodes") or 1 + max((max(p.values()) for p in pairs), default=-1))
    return [{"id": index} for index in range(count)], pairs


def _positions(entries: list[Mapping[str, Any]]) -> dict[int, tuple[float, float]]:
    if entries and all(isinstance(q.get("position"), Mapping) for q in entries):
        return {
            int(q["id"]): (float(q["position"]["x"]), float(q["position"]["y"])) for q in entries
        }
    count = len(entries)
    return {
        int(q["id"]): (math.cos(2 * math.pi * i / count), math.sin(2 * math.pi * i / count))
        for i, q in enumerate(entries)
    }


def _colorbar(fig: Figure, ax: Axes, scale: svg.ErrorScale, label: str) -> None:
    """A viridis colour bar over the scale's range (never below an error of 0), with its median."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    low, high = scale.low, scale.high
    if high - low < 1e-12:  # one value: a small band around it, still no negative error
        low, high = max(low - 0.005, 0.0), max(low - 0.005, 0.0) + 0.01
    mappable = ScalarMappable(norm=Normalize(vmin=low, vmax=high), cmap=colormaps["viridis"])
    fig.colorbar(mappable, ax=ax, label=f"{label} (median {scale.median:.4g})", shrink=0.7)
