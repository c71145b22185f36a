"""Issue 17, items 1, 6, 8: an unreachable server, a wrong URL, an unknown device say what to do.

No timing assertions: "fast" is shown by counting connection attempts (a refused loopback
connection is tried exactly once, with no backoff sleeps).
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
import urllib3.util.connection

from oqtopus_bridge import OqtopusConfig, OqtopusDeviceBackend, OqtopusSamplingBackend
from oqtopus_bridge.errors import BadRequestError, ConfigError, ConnectError, NotFoundError
from oqtopus_bridge.transport import Transport

BELL = (
    'OPENQASM 3; include "stdgates.inc"; qubit[2] q; bit[2] c; h q[0]; cx q[0], q[1]; '
    "c = measure q;"
)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def connection_attempts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every TCP connection urllib3 opens, recorded before it is attempted."""
    attempts: list[tuple[str, int]] = []
    original = urllib3.util.connection.create_connection

    def counting(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        attempts.append(address)
        return original(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", counting)
    return attempts


def test_refused_loopback_connection_is_tried_once_and_names_url_and_next_step(
    connection_attempts: list[tuple[str, int]],
) -> None:
    port = _closed_port()
    backend = OqtopusDeviceBackend(OqtopusConfig(f"http://127.0.0.1:{port}", "token"))
    with pytest.raises(ConnectError) as info:
        backend.get_devices()
    # Before: 3 urllib3 retries x 6 retry_truncated attempts with backoff (12 s of silence).
    assert len(connection_attempts) == 1
    message = str(info.value)
    assert f"http://127.0.0.1:{port}" in message
    assert "connection refused" in message and "nothing is listening" in message
    assert "oqtopus-bridge serve" in message and "OQTOPUS_URL" in message
    assert "Max retries exceeded" not in message


def test_refused_submission_is_tried_once(connection_attempts: list[tuple[str, int]]) -> None:
    backend = OqtopusSamplingBackend(OqtopusConfig(f"http://localhost:{_closed_port()}", "t"))
    with pytest.raises(ConnectError, match="is the server running"):
        backend.sample_qasm(BELL, "qulacs", 10)
    assert len(connection_attempts) == 1


def test_refused_remote_connection_keeps_the_connect_budget_but_no_outer_retries() -> None:
    from urllib3.exceptions import MaxRetryError, NewConnectionError

    from oqtopus_bridge.transport import FastFailRetry

    class _Pool:
        host = "203.0.113.7"  # a remote host may be restarting: connect retries still apply

    error = NewConnectionError(None, "Failed to establish a new connection")  # type: ignore[arg-type]
    error.__cause__ = ConnectionRefusedError(111, "Connection refused")
    retry = FastFailRetry(connect=1, backoff_factor=0)
    retry = retry.increment("GET", "/devices", error=error, _pool=_Pool())  # type: ignore[arg-type]
    with pytest.raises(MaxRetryError):
        retry.increment("GET", "/devices", error=error, _pool=_Pool())  # type: ignore[arg-type]

    class _Loopback:
        host = "127.0.0.1"

    with pytest.raises(MaxRetryError):
        FastFailRetry(connect=3).increment("GET", "/d", error=error, _pool=_Loopback())  # type: ignore[arg-type]


def test_unresolvable_host_names_the_host_and_is_not_retried(
    connection_attempts: list[tuple[str, int]],
) -> None:
    backend = OqtopusDeviceBackend(OqtopusConfig("http://no-such-host.invalid", "token"))
    with pytest.raises(ConnectError) as info:
        backend.get_devices()
    assert "'no-such-host.invalid'" in str(info.value) and "does not resolve" in str(info.value)
    assert len(connection_attempts) == 1


def test_https_to_a_plain_http_server_suggests_http(local_server: Any) -> None:
    url = local_server.url.replace("http://", "https://")
    with pytest.raises(ConnectError) as info:
        OqtopusDeviceBackend(OqtopusConfig(url, local_server.token)).get_devices()
    assert local_server.url in str(info.value) and "does not speak https" in str(info.value)


@pytest.mark.parametrize("url", ["127.0.0.1:8080", "localhost:8080/v1", "example.com"])
def test_url_without_scheme_says_add_http(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        Transport(OqtopusConfig(url, "token"))
    assert f"http://{url}" in str(info.value)
    assert "does not start with http:// or https://" in str(info.value)


@pytest.mark.parametrize("suffix", ["/v1", "/api"])
def test_wrong_base_path_gives_a_base_url_hint(local_server: Any, suffix: str) -> None:
    config = OqtopusConfig(local_server.url + suffix, local_server.token)
    with pytest.raises(NotFoundError) as info:
        OqtopusDeviceBackend(config).get_devices()
    message = str(info.value)
    assert "base URL is probably wrong" in message
    assert f"dropping the path '{suffix}'" in message and local_server.url in message


def test_missing_single_device_is_not_called_a_wrong_base_url(local_server: Any) -> None:
    with pytest.raises(NotFoundError) as info:
        OqtopusDeviceBackend(local_server.config).get_device("nosuch")
    assert "base URL" not in str(info.value)


def test_unknown_device_is_named_valid_ids_listed_and_no_job_left(local_server: Any) -> None:
    token = local_server.add_user("unknown-device-user")
    backend = OqtopusSamplingBackend(OqtopusConfig(local_server.url, token))
    with pytest.raises(BadRequestError) as info:
        backend.sample_qasm(BELL, "nosuch", 10)
    message = str(info.value)
    assert "'nosuch'" in message
    assert "available devices: qulacs, anemone, kawasaki" in message
    assert "oqtopus-bridge devices" in message
    # Before: an empty cancelled job was left behind by each typo.
    assert backend.list_jobs() == []


def test_unavailable_device_says_when_and_what_to_use_instead(local_server: Any) -> None:
    backend = OqtopusSamplingBackend(local_server.config)
    with pytest.raises(BadRequestError) as info:
        backend.sample_qasm(BELL, "kawasaki", 10)
    message = str(info.value)
    assert "kawasaki is not available" in message
    assert "expected back at 2099-01-01" in message
    assert "available devices now: qulacs, anemone" in message


def test_get_device_of_an_unknown_id_lists_the_valid_ones(local_server: Any) -> None:
    with pytest.raises(NotFoundError) as info:
        OqtopusDeviceBackend(local_server.config).get_device("qulacss")
    assert "'qulacss'" in str(info.value)
    assert "available devices: qulacs, anemone, kawasaki" in str(info.value)
