"""The official client (quri-parts-oqtopus 1.1.5 over oqtopus-client) works unchanged against
LocalServer. Runs in its own environment (tox env ``compat``): the official client pins urllib3<2.1.
"""

from __future__ import annotations

import os
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

qpo = pytest.importorskip("quri_parts_oqtopus")

from quri_parts.circuit import QuantumCircuit  # noqa: E402
from quri_parts.core.operator import PAULI_IDENTITY, Operator, pauli_label  # noqa: E402
from quri_parts_oqtopus.backend import (  # noqa: E402
    OqtopusConfig,
    OqtopusDeviceBackend,
    OqtopusEstimationBackend,
    OqtopusJobBackendBase,
    OqtopusSamplingBackend,
    OqtopusSseBackend,
)

from oqtopus_bridge.local import LocalServer  # noqa: E402

WAIT = 0.1  # seconds between polls (the client's default is 10 s)
X1 = 'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\nx q[1];\nc = measure q;'


@pytest.fixture(scope="module")
def config() -> Iterator[OqtopusConfig]:
    with LocalServer(sse_timeout_s=120) as server:
        yield OqtopusConfig(url=server.url, api_token=server.token)


def test_device_listing(config: OqtopusConfig) -> None:
    backend = OqtopusDeviceBackend(config)
    devices = {device.device_id: device for device in backend.get_devices()}
    assert {"qulacs", "anemone"} <= set(devices)
    anemone = backend.get_device("anemone")
    assert anemone.n_qubits == 16
    assert len(anemone.device_info["qubits"]) == 16
    assert anemone.basis_gates == ["x", "sx", "rz", "cx"]


def test_sampling_qasm(config: OqtopusConfig) -> None:
    job = OqtopusSamplingBackend(config).sample_qasm(X1, device_id="qulacs", shots=100, name="s")
    result = job.result(timeout=60, wait=WAIT)
    assert result.counts == {2: 100}  # key "10": classical bit 1 set
    assert job.status == "succeeded"
    assert job.transpiler_info["transpiler_lib"] == "qiskit"


def test_sampling_quri_parts_circuit(config: OqtopusConfig) -> None:
    circuit = QuantumCircuit(3)
    circuit.add_X_gate(0)
    circuit.add_CNOT_gate(0, 2)
    job = OqtopusSamplingBackend(config).sample(circuit, device_id="qulacs", shots=50, name="c")
    assert job.result(timeout=60, wait=WAIT).counts == {0b101: 50}


def test_multi_manual(config: OqtopusConfig) -> None:
    first = QuantumCircuit(2)
    first.add_X_gate(0)
    second = QuantumCircuit(1)
    second.add_X_gate(0)
    job = OqtopusSamplingBackend(config).sample(
        [first, second], device_id="qulacs", shots=40, name="mm"
    )
    result = job.result(timeout=60, wait=WAIT)
    assert job.job_type == "multi_manual"
    assert result.counts == {0b101: 40}
    assert result.divided_counts == {0: {0b01: 40}, 1: {0b1: 40}}


def test_estimation(config: OqtopusConfig) -> None:
    circuit = QuantumCircuit(2)
    circuit.add_H_gate(0)
    circuit.add_CNOT_gate(0, 1)
    operator = Operator(
        {pauli_label("Z0 Z1"): 1.0, pauli_label("X0 X1"): 0.5, PAULI_IDENTITY: 0.25}
    )
    job = OqtopusEstimationBackend(config).estimate(
        circuit, operator=operator, device_id="qulacs", shots=200, name="e"
    )
    result = job.result(timeout=60, wait=WAIT)
    assert result.exp_value == pytest.approx(1.75)
    assert result.stds == pytest.approx(0.0)


def test_cancel_and_retrieve(config: OqtopusConfig, tmp_path: Path) -> None:
    program = tmp_path / "sleepy.py"
    program.write_text("import time\ntime.sleep(30)\n")
    job = OqtopusSseBackend(config).run_sse(str(program), device_id="qulacs", name="sleepy")
    job.cancel()
    retrieved = OqtopusJobBackendBase(config).retrieve_job(job.job_id)
    assert retrieved.status == "cancelled"
    done = OqtopusSamplingBackend(config).sample_qasm(X1, device_id="qulacs", shots=10, name="r")
    done.wait_for_completion(timeout=60, wait=WAIT)
    again = OqtopusJobBackendBase(config).retrieve_job(done.job_id)
    assert again.job_type == "sampling"
    assert again.result(timeout=60, wait=WAIT).counts == {2: 10}


SSE_PROGRAM = textwrap.dedent(
    f"""
    # Runs inside the SSE subprocess: config=None, so the client reads OQTOPUS_URL and
    # OQTOPUS_API_TOKEN from the environment the server provides.
    from quri_parts_oqtopus.backend import OqtopusSamplingBackend

    job = OqtopusSamplingBackend().sample_qasm({X1!r}, device_id="sse", shots=30, name="inner")
    print("inner counts", job.result(timeout=60, wait=0.1).counts)
    """
)


def test_sse_with_official_client_inside(config: OqtopusConfig, tmp_path: Path) -> None:
    program = tmp_path / "user_program.py"
    program.write_text(SSE_PROGRAM)
    job = OqtopusSseBackend(config).run_sse(str(program), device_id="qulacs", name="sse")
    result = job.result(timeout=120, wait=WAIT)
    assert result.counts == {2: 30}
    log_path = job.download_log(save_dir=str(tmp_path))
    assert os.path.exists(log_path)
    # The peer saves the server's sse_log zip as is; ported user code opens it with zipfile.
    with zipfile.ZipFile(log_path) as archive:
        assert "inner counts" in archive.read("sse_runtime.log").decode()


def test_sse_program_with_empty_device_id(config: OqtopusConfig, tmp_path: Path) -> None:
    # The real service's SSE examples give inner jobs device_id "" (the SSE job's device).
    program = tmp_path / "empty_device.py"
    program.write_text(SSE_PROGRAM.replace('device_id="sse"', 'device_id=""'))
    job = OqtopusSseBackend(config).run_sse(str(program), device_id="anemone", name="sse-empty")
    result = job.result(timeout=120, wait=WAIT)
    assert sum(result.counts.values()) == 30
    assert job.transpiler_info["transpiler_lib"] == "qiskit"
    assert job.job_info["transpile_result"]["transpiled_program"].startswith("OPENQASM 3")


def test_failed_job_surfaces_as_backend_error(config: OqtopusConfig) -> None:
    from quri_parts.backend import BackendError

    job = OqtopusSamplingBackend(config).sample_qasm(
        "not qasm", device_id="qulacs", shots=10, name="bad"
    )
    with pytest.raises(BackendError):
        job.result(timeout=60, wait=WAIT)
    assert "failed to parse" in job.job_info["message"]
