"""Bad input fails at preprocessing with a clear DeviceError, before any request is sent."""

from __future__ import annotations

import socket

import pennylane as qml
import pytest
from pennylane.exceptions import DeviceError

from oqtopus_bridge import OqtopusConfig


@pytest.fixture
def unreachable() -> OqtopusConfig:
    """A config for a port nobody listens on: any request would raise a connection error."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return OqtopusConfig(url=f"http://127.0.0.1:{port}", api_token="not-used")


def _device(kind, config, wires=2, **kwargs):
    return qml.device(
        f"oqtopus.{kind}", wires=wires, device_id="qulacs", oqtopus_config=config, **kwargs
    )


def _mid_circuit():
    # Deferred, this needs a third wire (wire 0 is used again after its measurement).
    m = qml.measure(0)
    qml.H(0)
    qml.cond(m, qml.X)(1)
    return qml.expval(qml.Z(1))


class _CustomState(qml.measurements.StateMeasurement):
    """A user-defined state measurement (PennyLane prints it as ``None(wires=...)``)."""

    def process_state(self, state, wire_order):
        return 1

    def process_density_matrix(self, density_matrix, wire_order):
        return 1


FINITE_SHOTS = "not accepted with finite shots"

REJECTED_CASES = [
    (lambda: qml.state(), 10, rf"Measurement state\(wires=\[0, 1\]\) {FINITE_SHOTS}"),
    (lambda: qml.density_matrix(0), 10, FINITE_SHOTS),
    (lambda: qml.vn_entropy(0), 10, FINITE_SHOTS),
    (lambda: _CustomState(wires=[0, 1]), 10, rf"_CustomState\(wires=\[0, 1\]\) {FINITE_SHOTS}"),
    (_mid_circuit, 10, "deferring the mid-circuit measurements needs 1 more wire"),
    (lambda: qml.expval(qml.Z(0)), None, r"qml\.set_shots"),
]


@pytest.mark.parametrize("kind", ["sampler", "estimator"])
@pytest.mark.parametrize(("body", "shots", "message"), REJECTED_CASES)
def test_bad_input_is_rejected_without_a_request(kind, body, shots, message, unreachable):
    with pytest.raises(DeviceError, match=message):
        qml.set_shots(qml.QNode(body, _device(kind, unreachable)), shots)()


@pytest.mark.parametrize("kind", ["sampler", "estimator"])
def test_more_wires_than_the_device_has_submits_nothing(kind, fresh_user, submitted_jobs):
    config = fresh_user(f"pennylane-too-wide-{kind}")
    dev = _device(kind, config, wires=17)  # the local "qulacs" device has 16 qubits
    with pytest.raises(DeviceError, match="has 16 qubits"):
        qml.set_shots(qml.QNode(lambda: qml.expval(qml.Z(0)), dev), 10)()
    assert submitted_jobs(config) == []


def test_configuration_keywords_are_checked(oqtopus_config):
    with pytest.raises(ValueError, match="either config"):
        qml.device(
            "oqtopus.sampler", wires=1, device_id="qulacs", oqtopus_config=oqtopus_config, url="x"
        )
    with pytest.raises(ValueError, match="together"):
        qml.device("oqtopus.sampler", wires=1, device_id="qulacs", url="http://x")
    with pytest.raises(ValueError, match="device_id"):
        qml.device("oqtopus.estimator", wires=1, device_id="", oqtopus_config=oqtopus_config)


def test_device_keywords_reach_the_device(oqtopus_config):
    dev = qml.device(
        "oqtopus.sampler",
        wires=["a"],
        device_id="anemone",
        url="http://127.0.0.1:1",
        api_token="secret-token",
        transpiler_info={"transpiler_lib": None},
        multiprogramming=True,
    )
    assert dev.device_id == "anemone" and dev.multiprogramming
    assert dev.config.url == "http://127.0.0.1:1"
    assert dev.job_options["transpiler_info"] == {"transpiler_lib": None}
    assert "secret-token" not in repr(dev.config)


def test_device_class_takes_config_directly(oqtopus_config):
    from oqtopus_bridge.pennylane import OqtopusSamplerDevice

    dev = OqtopusSamplerDevice(wires=1, device_id="qulacs", config=oqtopus_config)
    assert dev.config is oqtopus_config
    assert (
        int(qml.set_shots(qml.QNode(lambda: (qml.X(0), qml.sample(wires=0))[1], dev), 3)()[0, 0])
        == 1
    )
    with pytest.raises(ValueError, match="once"):
        OqtopusSamplerDevice(
            wires=1, device_id="qulacs", config=oqtopus_config, oqtopus_config=oqtopus_config
        )
