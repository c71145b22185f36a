"""The notebook HTML of oqtopus_bridge.display: sorted histograms, estimation, topology."""

from __future__ import annotations

import re
import subprocess
import sys

from oqtopus_bridge import OqtopusEstimationResult, OqtopusSamplingResult, display
from oqtopus_bridge.display import histogram_svg, topology_svg


def _bar_keys(svg: str) -> list[str]:
    return [m.split(":")[0] for m in re.findall(r"<title>([^<]*)</title></rect>", svg)]


def test_histogram_sorts_keys_as_strings_and_drops_zero_counts() -> None:
    svg = histogram_svg({"11": 5, "00": 7, "10": 0, "01": 1})
    assert _bar_keys(svg) == ["00", "01", "11"]


def test_sampling_result_repr_html_shows_the_histogram_and_the_bit_order() -> None:
    html = OqtopusSamplingResult({"counts": {"01": 30, "00": 70}})._repr_html_()
    assert _bar_keys(html) == ["00", "01"]  # wire keys as they are: no reversal
    assert "classical bit 0 rightmost" in html


def test_multi_manual_result_repr_html_has_one_histogram_per_program() -> None:
    result = OqtopusSamplingResult(
        {
            "counts": {"0100": 10, "0001": 5},
            "divided_counts": {"0": {"00": 10, "01": 5}, "1": {"01": 15}},
        }
    )
    html = result._repr_html_()
    assert html.index("Program index 0") < html.index("Program index 1") < html.index("Combined")


def test_estimation_result_repr_html_shows_value_and_standard_deviation() -> None:
    html = OqtopusEstimationResult({"estimation": {"exp_value": 1.5, "stds": 0.02}})._repr_html_()
    assert "1.5" in html and "0.02" in html and "standard deviation" in html


def test_topology_colours_qubits_by_readout_error_with_a_legend() -> None:
    info = {
        "qubits": [
            {"id": i, "position": {"x": i, "y": 0}, "fidelity": 0.999,
             "meas_error": {"readout_assignment_error": err}}
            for i, err in enumerate([0.01, 0.05])
        ],
        "couplings": [{"control": 0, "target": 1, "fidelity": 0.99}],
    }  # fmt: skip
    svg = topology_svg(info)
    fills = re.findall(r'<circle[^>]*fill="(#[0-9a-f]{6})"', svg)
    assert fills == ["#440154", "#fde725"]  # viridis ends: lowest and highest error
    assert "qubit: readout error" in svg and "coupling: 2-qubit error" in svg
    assert "2-qubit error 0.01" in svg


def test_display_needs_no_matplotlib() -> None:
    code = (
        "import sys, oqtopus_bridge.display as d; d.histogram_svg({'0': 1}); "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_durations_are_shown_for_people_not_as_raw_floats() -> None:
    assert display.format_duration(0.00497736299985263) == "4.98 ms"
    assert display.format_duration(1.23456) == "1.23 s"
    assert display.format_duration(125.4) == "2 min 5 s"
    assert display.format_duration(None) == "-"
    html = display.job_html("job", {"execution_time": 0.00497736299985263})
    assert "4.98 ms" in html and "0.00497736299985263" not in html
