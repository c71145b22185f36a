"""Pictures of results and devices: counts histograms (text and matplotlib) and coupling maps.

matplotlib is an optional extra (``pip install "oqtopus-bridge[plot]"``); it is imported only when a
figure is drawn, so :func:`counts_as_keys` and :func:`text_histogram` work without it.

Example:
    >>> from oqtopus_bridge.plotting import text_histogram
    >>> print(text_histogram({"00": 3, "11": 1}, width=6))
    00 ██████ 3  (75.0%)
    11 ██     1  (25.0%)
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["counts_as_keys", "plot_counts", "plot_device", "plot_histogram", "text_histogram"]

_INSTALL_HINT = 'plotting needs matplotlib: pip install "oqtopus-bridge[plot]"'
_MISSING_COLOR = "#b0b0b0"


def counts_as_keys(counts: Any, bit_width: int | None = None) -> dict[str, int]:
    """Turn counts from any supported source into ``{bitstring: count}`` with bitstrings sorted.

    Accepted sources:

    * an :class:`~oqtopus_bridge.OqtopusSamplingResult` (its wire keys, classical bit 0 rightmost);
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
        counts: Counts in any form :func:`counts_as_keys` accepts.
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


def plot_histogram(
    counts: Any,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    top: int | None = None,
    bit_width: int | None = None,
) -> Figure:
    """Draw counts as a bar chart of probabilities, annotated with the raw counts.

    Args:
        counts: Counts in any form :func:`counts_as_keys` accepts (an ``OqtopusSamplingResult``,
            a Qiskit counts dict, PennyLane counts, QURI Parts ``Counter[int, int]``).
        ax: Axes to draw on; a new figure is made when None.
        title: Figure title.
        top: Show only the ``top`` most frequent outcomes.
        bit_width: Width used to render integer keys.

    Returns:
        The matplotlib figure holding the chart.

    Raises:
        ImportError: If matplotlib is not installed.

    Example:
        >>> fig = plot_histogram({"00": 510, "11": 490}, title="Bell")  # doctest: +SKIP
        >>> fig.savefig("bell.png")  # doctest: +SKIP
    """
    keyed = counts_as_keys(counts, bit_width)
    items = list(keyed.items())
    if top is not None:
        items = sorted(sorted(items, key=lambda kv: -kv[1])[:top])
    fig, ax = _figure_and_axes(ax, (max(4.0, 0.6 * len(items) + 2.0), 3.5))
    total = sum(keyed.values()) or 1
    labels = [key for key, _ in items]
    probabilities = [value / total for _, value in items]
    bars = ax.bar(range(len(items)), probabilities, color="#3b75af", edgecolor="#1f3f5f")
    ax.bar_label(bars, labels=[str(value) for _, value in items], padding=2, fontsize=8)
    ax.set_xticks(
        range(len(items)), labels, rotation=70 if len(items) > 8 else 0, fontfamily="monospace"
    )
    ax.set_ylabel("probability")
    ax.set_xlabel("outcome")
    ax.set_ylim(0, min(1.0, max(probabilities, default=1.0) * 1.15) or 1.0)
    ax.set_title(title or f"{sum(keyed.values())} shots")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    fig.tight_layout()
    return fig


def plot_counts(counts: Any, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Draw a counts histogram and return its axes (what ``OqtopusSamplingResult.plot`` returns).

    Args:
        counts: Counts in any form :func:`counts_as_keys` accepts.
        ax: Axes to draw on; a new figure is made when None.
        title: Figure title.

    Returns:
        The axes holding the chart.

    Raises:
        ImportError: If matplotlib is not installed.
    """
    figure = plot_histogram(counts, ax=ax, title=title)
    return ax if ax is not None else figure.axes[0]


def plot_device(device: Any, *, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Draw a device's coupling map, qubits and couplings coloured by their fidelity.

    Qubits sit at ``position`` from ``device_info`` when present (else on a circle). Couplings are
    directed on the wire; a pair calibrated in both directions is drawn once with the mean fidelity.
    Qubits and couplings without a fidelity are grey.

    Args:
        device: An :class:`~oqtopus_bridge.OqtopusDevice`, or its ``device_info`` as a dict or JSON
            string (the ``qubits``/``couplings`` format, or the older ``calibration_data`` one).
        ax: Axes to draw on; a new figure is made when None.
        title: Figure title; defaults to the device id.

    Returns:
        The matplotlib figure holding the map.

    Raises:
        ImportError: If matplotlib is not installed.
        ValueError: If the device information lists no qubits.
    """
    info = _device_info_dict(device)
    qubits, couplings = _topology(info)
    if not qubits:
        raise ValueError("device_info lists no qubits, so there is no coupling map to draw")
    fig, ax = _figure_and_axes(ax, (6.5, 5.0))
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    qubit_norm = _norm([fid for _, _, fid in qubits.values()], Normalize)
    edge_norm = _norm([fid for fid in couplings.values()], Normalize)
    qubit_cmap, edge_cmap = colormaps["viridis"], colormaps["plasma"]
    for (a, b), fid in sorted(couplings.items()):
        if a in qubits and b in qubits:
            color = _MISSING_COLOR if fid is None else edge_cmap(edge_norm(fid))
            xs, ys = (qubits[a][0], qubits[b][0]), (qubits[a][1], qubits[b][1])
            ax.plot(xs, ys, color=color, linewidth=4, solid_capstyle="round", zorder=1)
    for qid, (x, y, fid) in sorted(qubits.items()):
        color = _MISSING_COLOR if fid is None else qubit_cmap(qubit_norm(fid))
        ax.scatter([x], [y], s=520, color=color, edgecolors="black", zorder=2)
        text_color = "white" if fid is not None and qubit_norm(fid) < 0.5 else "black"
        ax.annotate(
            str(qid), (x, y), ha="center", va="center", fontsize=9, color=text_color, zorder=3
        )
    if any(fid is not None for _, _, fid in qubits.values()):
        _colorbar(fig, ax, qubit_norm, qubit_cmap, "qubit fidelity")
    if any(fid is not None for fid in couplings.values()):
        _colorbar(fig, ax, edge_norm, edge_cmap, "coupling fidelity")
    ax.set_aspect("equal")
    ax.margins(0.12)
    ax.invert_yaxis()  # device positions are screen-like: y grows downwards in the device topology
    ax.axis("off")
    ax.set_title(
        title or str(info.get("device_id") or getattr(device, "device_id", "") or "device")
    )
    return fig


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


def _topology(
    info: Mapping[str, Any],
) -> tuple[dict[int, tuple[float, float, float | None]], dict[tuple[int, int], float | None]]:
    """Return qubit positions and fidelities, and undirected couplings with their mean fidelity."""
    raw_qubits = info.get("qubits")
    raw_couplings = info.get("couplings")
    if raw_qubits is None and isinstance(info.get("calibration_data"), Mapping):
        raw_qubits, raw_couplings = _legacy_topology(info)
    entries = [q for q in raw_qubits or [] if isinstance(q, Mapping) and "id" in q]
    positions = _positions(entries)
    qubits = {int(q["id"]): (*positions[int(q["id"])], _fidelity(q)) for q in entries}
    samples: dict[tuple[int, int], list[float]] = {}
    for coupling in raw_couplings or []:
        a, b = int(coupling["control"]), int(coupling["target"])
        values = samples.setdefault((min(a, b), max(a, b)), [])
        fid = _fidelity(coupling)
        if fid is not None:
            values.append(fid)
    couplings = {pair: (sum(v) / len(v) if v else None) for pair, v in samples.items()}
    return qubits, couplings


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


def _fidelity(entry: Mapping[str, Any]) -> float | None:
    value = entry.get("fidelity")
    return float(value) if isinstance(value, (int, float)) else None


def _norm(values: list[float | None], normalize: Callable[..., Any]) -> Any:
    known = [value for value in values if value is not None]
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    if high - low < 1e-9:
        low, high = low - 0.005, high + 0.005
    return normalize(vmin=low, vmax=high)


def _colorbar(fig: Figure, ax: Axes, norm: Any, cmap: Any, label: str) -> None:
    from matplotlib.cm import ScalarMappable

    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=label, shrink=0.7)
