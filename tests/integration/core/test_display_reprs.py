"""Notebook reprs of jobs, results and devices from a real local server."""

from __future__ import annotations

from typing import Any

from quri_parts.circuit import QuantumCircuit

from oqtopus_bridge import OqtopusDeviceBackend, OqtopusSamplingBackend


def test_job_result_and_device_reprs_render_html(oqtopus_config: Any) -> None:
    bell = QuantumCircuit(2)
    bell.add_H_gate(0)
    bell.add_CNOT_gate(0, 1)
    job = OqtopusSamplingBackend(oqtopus_config).sample(bell, device_id="qulacs", shots=200)
    result = job.result(wait=0.05)
    html = job._repr_html_()
    assert job.job_id in html and "succeeded" in html and "qulacs" in html
    assert "<svg" in result._repr_html_()
    anemone = OqtopusDeviceBackend(oqtopus_config).get_device("anemone")
    device = anemone._repr_html_()
    assert device.count("<circle") == 16  # the topology of the 4x4 QPU
    assert "readout error" in device
    assert oqtopus_config.api_token not in html + device
