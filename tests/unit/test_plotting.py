"""Histograms and device maps: the data drawn is the data given, and every figure renders to PNG."""

from __future__ import annotations

import io
import json
import re
import sys
from collections import Counter

import matplotlib
import pytest

matplotlib.use("Agg")

from matplotlib.colors import to_hex  # noqa: E402

from oqtopus_bridge import plotting, svg  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    data = buffer.getvalue()
    assert data.startswith(PNG_MAGIC)
    image = matplotlib.image.imread(io.BytesIO(data), format="png")
    assert image.shape[0] > 100 and image.shape[1] > 100
    # A blank canvas would be one colour; a drawn figure has many.
    assert len({tuple(px) for px in image.reshape(-1, image.shape[-1])[::97]}) > 5
    return data


def _grid_device(missing_error: int | None = None) -> dict:
    qubits = [
        {
            "id": i,
            "position": {"x": float(i % 2), "y": float(i // 2)},
            "fidelity": 0.99 + 0.002 * i,
            "meas_error": {"readout_assignment_error": 0.01 + 0.01 * i},
        }
        for i in range(4)
    ]
    if missing_error is not None:
        del qubits[missing_error]["meas_error"]
        del qubits[missing_error]["fidelity"]
    couplings = [
        {"control": 0, "target": 1, "fidelity": 0.95},
        {"control": 1, "target": 0, "fidelity": 0.97},
        {"control": 0, "target": 2, "fidelity": 0.90},
        {"control": 1, "target": 3},
    ]
    return {"device_id": "grid4", "qubits": qubits, "couplings": couplings}


def _luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_counts_as_keys_renders_quri_parts_int_keys_with_bit0_rightmost():
    assert plotting.counts_as_keys(Counter({1: 3, 4: 2}), bit_width=3) == {"001": 3, "100": 2}
    assert plotting.counts_as_keys(Counter({0: 5, 3: 6})) == {"00": 5, "11": 6}


def test_counts_as_keys_keeps_framework_string_keys_and_plain_ints():
    import numpy as np

    qiskit_like = {"1 01": 2, "0 11": 3}
    pennylane_like = {"01": np.int64(7), "10": np.int64(1)}
    assert plotting.counts_as_keys(qiskit_like) == {"0 11": 3, "1 01": 2}
    converted = plotting.counts_as_keys(pennylane_like)
    assert converted == {"01": 7, "10": 1}
    assert all(type(value) is int for value in converted.values())


def test_counts_as_keys_reads_get_counts_objects():
    from qiskit.primitives import BitArray

    bits = BitArray.from_counts({"01": 4, "10": 6})
    assert plotting.counts_as_keys(bits) == {"01": 4, "10": 6}


def test_counts_as_keys_reads_an_oqtopus_sampling_result():
    from oqtopus_bridge import OqtopusSamplingResult

    result = OqtopusSamplingResult({"counts": {"001": 3, "100": 2}})
    assert plotting.counts_as_keys(result) == {"001": 3, "100": 2}


def test_counts_as_keys_rejects_unknown_sources():
    with pytest.raises(TypeError, match="cannot read counts"):
        plotting.counts_as_keys(42)


def test_text_histogram_bars_are_proportional_and_sum_to_100_percent():
    text = plotting.text_histogram({"00": 600, "11": 300, "01": 0}, width=20)
    lines = text.splitlines()
    assert [line.split()[0] for line in lines] == ["00", "11"]  # zero counts dropped
    assert lines[0].count("█") == 20 and lines[1].count("█") == 10
    assert "(66.7%)" in lines[0] and "(33.3%)" in lines[1]
    assert plotting.text_histogram({}) == ""


def test_text_histogram_top_keeps_the_most_frequent_in_key_order():
    text = plotting.text_histogram({"00": 1, "01": 9, "10": 5, "11": 7}, top=2)
    assert [line.split()[0] for line in text.splitlines()] == ["01", "11"]


def test_plot_histogram_bars_are_probabilities_labelled_by_outcome():
    fig = plotting.plot_histogram({"11": 250, "00": 750}, title="Bell")
    ax = fig.axes[0]
    heights = [patch.get_height() for patch in ax.patches]
    labels = [tick.get_text() for tick in ax.get_xticklabels()]
    assert labels == ["00", "11"]
    assert heights == pytest.approx([0.75, 0.25])
    assert ax.get_title() == "Bell"
    _png(fig)


def test_plot_histogram_draws_on_given_axes_and_pennylane_counts():
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots()
    returned = plotting.plot_histogram({"01": np.int64(3), "10": np.int64(1)}, ax=ax)
    assert returned is fig
    assert [p.get_height() for p in ax.patches] == pytest.approx([0.75, 0.25])
    _png(fig)
    plt.close(fig)


def test_plot_device_colours_qubits_and_couplings_by_error():
    fig = plotting.plot_device(_grid_device(missing_error=3))
    ax = fig.axes[0]
    assert ax.get_title() == "grid4"
    colours = [to_hex(c.get_facecolors()[0]) for c in ax.collections]
    assert len(colours) == 4
    assert colours[3] == svg.MISSING_COLOUR  # qubit 3 has no calibration
    # Readout errors 0.01 < 0.02 < 0.03: the smallest is the darkest (viridis, as the web view).
    assert _luminance(colours[0]) < _luminance(colours[1]) < _luminance(colours[2])
    # Three undirected pairs: 0-1 (both directions, worse error 0.05), 0-2, 1-3 (no fidelity: grey).
    lines = ax.get_lines()
    assert len(lines) == 3
    assert to_hex(lines[2].get_color()) == svg.MISSING_COLOUR
    assert [a.get_ylabel() for a in fig.axes[1:]] == [
        "qubit: readout error (median 0.02)",
        "coupling: 2-qubit error, worse of the two directions (median 0.075)",
    ]
    _png(fig)


def test_plot_device_has_the_orientation_and_colours_of_the_web_view():
    """One picture everywhere (issue 24): qubit 0 of a grid bottom-left, darkest = least error."""
    info = _grid_device()
    ax = plotting.plot_device(info).axes[0]
    (x0, y0), (x2, y2) = (ax.collections[q].get_offsets()[0] for q in (0, 2))
    low, high = ax.get_ylim()
    assert low < high  # the y axis points up, as in the web view's SVG (no inverted axis)
    assert y0 < y2 and x0 == x2  # qubit 0 (y=0) is drawn below qubit 2 (y=1)
    matplotlib_order = sorted(
        range(4), key=lambda q: _luminance(to_hex(ax.collections[q].get_facecolors()[0]))
    )
    web = svg.topology_svg(info, "readout")
    fills = {
        int(q): f
        for f, q in re.findall(r'fill="(#[0-9a-f]{6})" stroke="#333"><title>qubit (\d+)', web)
    }
    web_order = sorted(range(4), key=lambda q: _luminance(fills[q]))
    assert matplotlib_order == web_order == [0, 1, 2, 3]
    one_q = plotting.plot_device(info, metric="1q")
    assert one_q.axes[1].get_ylabel().startswith("qubit: 1-qubit error")
    with pytest.raises(ValueError, match="metric must be one of"):
        plotting.plot_device(info, metric="t1")


def test_plot_device_accepts_json_strings_and_falls_back_to_a_circle_layout():
    info = {"device_id": "ring", "qubits": [{"id": i} for i in range(3)], "couplings": []}
    fig = plotting.plot_device(json.dumps(info))
    ax = fig.axes[0]
    offsets = [tuple(c.get_offsets()[0]) for c in ax.collections]
    assert len(set(offsets)) == 3
    assert len(fig.axes) == 1  # no fidelities, no colour bars
    _png(fig)


def test_plot_device_reads_the_legacy_calibration_format():
    info = {"n_nodes": 3, "calibration_data": {"qubit_connectivity": ["(0,1)", "(1,2)"]}}
    fig = plotting.plot_device(info, title="legacy")
    assert len(fig.axes[0].get_lines()) == 2
    _png(fig)


def test_plot_device_without_qubits_says_so():
    with pytest.raises(ValueError, match="no qubits"):
        plotting.plot_device({"qubits": []})


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "\.\[plot\]"'):
        plotting.plot_histogram({"0": 1})
    # Text output needs no matplotlib.
    assert plotting.text_histogram({"0": 1}).startswith("0 ")


def test_sampling_result_plot_draws_its_wire_counts():
    from oqtopus_bridge import OqtopusSamplingResult

    fig = OqtopusSamplingResult({"counts": {"10": 1, "00": 3}}).plot(title="r")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["00", "10"]
    assert [p.get_height() for p in ax.patches] == pytest.approx([0.75, 0.25])
    _png(fig)


# ---------------------------------------------------------------- issue 17, items 5 and 10


def test_result_plot_returns_a_figure_like_plot_histogram():
    from matplotlib.figure import Figure

    from oqtopus_bridge import OqtopusSamplingResult

    result = OqtopusSamplingResult({"counts": {"10": 1, "00": 3}})
    fig = result.plot()
    assert isinstance(fig, Figure)
    fig.savefig(io.BytesIO(), format="png")  # the audit's result.plot().savefig(...) works


@pytest.mark.parametrize(
    ("counts", "order"),
    [
        (Counter({1: 3, 4: 2}), "classical bit 0 rightmost"),
        ({"01": 3}, "keys as given"),
    ],
)
def test_histogram_axis_states_the_bit_order(counts, order):
    fig = plotting.plot_histogram(counts)
    assert order in fig.axes[0].get_xlabel()


def test_histogram_bit_order_can_be_given_for_pennylane_counts():
    fig = plotting.plot_histogram({"100": 5, "110": 5}, bit_order="bit0-left")
    assert "wire/bit 0 leftmost" in fig.axes[0].get_xlabel()
    with pytest.raises(ValueError, match="bit_order must be one of"):
        plotting.plot_histogram({"0": 1}, bit_order="msb")


def test_many_outcomes_are_folded_into_one_bar_and_the_title_says_so():
    counts = {format(i, "012b"): 1 + i % 7 for i in range(4063)}
    fig = plotting.plot_histogram(counts)
    ax = fig.axes[0]
    labels = [tick.get_text() for tick in ax.get_xticklabels()]
    assert len(labels) == plotting.DEFAULT_TOP + 1
    assert labels[-1] == f"other ({4063 - plotting.DEFAULT_TOP})"
    assert labels[:-1] == sorted(labels[:-1])  # kept outcomes in key order
    assert sum(p.get_height() for p in ax.patches) == pytest.approx(1.0)
    assert "others folded into 'other'" in ax.get_title()
    assert fig.get_size_inches()[0] <= 16  # was 2,440 inches wide
    everything = plotting.plot_histogram({"0": 1, "1": 2}, top=None)
    assert len(everything.axes[0].patches) == 2


def test_kawasaki_map_is_not_clipped_and_colourbars_stop_at_one():
    from oqtopus_bridge.local.devices import default_catalog

    kawasaki = next(d for d in default_catalog() if d["device_id"] == "kawasaki")
    fig = plotting.plot_device(kawasaki["device_info"])
    ax = fig.axes[0]
    ys = [y for c in ax.collections for _, y in c.get_offsets()]
    low, high = sorted(ax.get_ylim())
    assert high - low >= 1.0  # a row of qubits used to get a zero-height view
    assert low < min(ys) - 0.4 and high > max(ys) + 0.4
    for bar in fig.axes[1:]:
        assert min(bar.get_ylim()) >= 0.0  # an error scale never runs below 0
    # All-to-all couplings along a row are arcs, not lines hidden under each other.
    assert any(type(p).__name__ == "FancyArrowPatch" for p in ax.patches)
    _png(fig)


def test_coupling_directions_are_combined_as_documented():
    info = _grid_device()
    worse = plotting.plot_device(info)
    mean = plotting.plot_device(info, combine="mean")
    assert "worse of the two directions" in worse.axes[-1].get_ylabel()
    assert "mean of the two directions" in mean.axes[-1].get_ylabel()
    assert max(worse.axes[-1].get_ylim()) == pytest.approx(0.10)  # 0-2's error 1 - 0.90
    with pytest.raises(ValueError, match="combine must be one of"):
        plotting.plot_device(info, combine="max")
