"""The API token never leaks: not in logs, exceptions, repr, to_json, or CLI output.

A distinctive canary token is used everywhere (and a second one as the *wrong* token), then every
text the client, the server and the CLI produce is grepped for both.
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
import subprocess
import sys
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from raw_client import BELL
from server_log import ALL_LOGGERS, captured_logs

from oqtopus_bridge import (
    BackendError,
    OqtopusConfig,
    OqtopusJobBackendBase,
    OqtopusSamplingBackend,
)
from oqtopus_bridge.local import LocalServer

CANARY = "CANARYtoken0123456789abcdefCANARY"
WRONG = "WRONGcanary9876543210zyxwvuWRONG"


@pytest.fixture(scope="module")
def canary_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with LocalServer(
        data_dir=tmp_path_factory.mktemp("canary"), token=CANARY, log_requests=True
    ) as server:
        yield server


def _exception_texts(exc: BaseException) -> list[str]:
    texts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    texts.append(pickle.dumps(exc).decode("latin-1"))
    return texts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _client_texts(server: LocalServer) -> list[str]:
    """Exercise the core client's success and failure paths; return everything it printed."""
    texts: list[str] = []
    config = OqtopusConfig(server.url, CANARY, read_timeout=5.0)
    texts += [repr(config), str(config), config.to_json()]
    backend = OqtopusSamplingBackend(config)
    texts.append(repr(backend))
    job = backend.sample_qasm(BELL, device_id="qulacs", shots=10, name="canary-job")
    texts += [repr(job), str(job), job.to_json(), str(job.result(timeout=60, wait=0.2).counts)]
    texts += [str(job.job_info), repr(job.result(timeout=60))]
    bad = backend.sample_qasm("OPENQASM 3; not a program", device_id="qulacs", shots=10)
    failures = [
        lambda: bad.result(timeout=60, wait=0.2),
        lambda: OqtopusJobBackendBase(config).retrieve_job("0000-no-such-job"),
        lambda: OqtopusSamplingBackend(OqtopusConfig(server.url, WRONG)).sample_qasm(
            BELL, device_id="qulacs", shots=10
        ),
        lambda: OqtopusSamplingBackend(
            OqtopusConfig(f"http://127.0.0.1:{_free_port()}", CANARY, connect_timeout=1.0)
        ).sample_qasm(BELL, device_id="qulacs", shots=10),
        lambda: backend.sample_qasm(BELL, device_id="no-such-device", shots=10),
    ]
    for failing in failures:
        with pytest.raises(BackendError) as caught:
            failing()
        texts += _exception_texts(caught.value)
    return texts


def test_the_client_and_server_never_show_the_token(canary_server: LocalServer) -> None:
    with captured_logs(ALL_LOGGERS) as lines:
        texts = _client_texts(canary_server)
    assert len(lines) > 10, "nothing was logged: the capture is broken"
    leaks = [text[:200] for text in [*texts, *lines] if CANARY in text or WRONG in text]
    assert leaks == []


def _cli(server: LocalServer, tmp_path: Path, *args: str, token: str = CANARY) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OQTOPUS_")}
    env.update(OQTOPUS_URL=server.url, OQTOPUS_API_TOKEN=token, NO_PROXY="127.0.0.1")
    result = subprocess.run(
        [sys.executable, "-m", "oqtopus_bridge.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    return result.stdout + result.stderr


def test_the_cli_never_shows_the_token(canary_server: LocalServer, tmp_path: Path) -> None:
    qasm = tmp_path / "bell.qasm"
    qasm.write_text(BELL)
    outputs = [
        _cli(canary_server, tmp_path, "config"),
        _cli(canary_server, tmp_path, "--debug", "config"),
        _cli(canary_server, tmp_path, "devices"),
        _cli(
            canary_server,
            tmp_path,
            "submit",
            "--device",
            "qulacs",
            "--shots",
            "10",
            "--wait",
            "--json",
            str(qasm),
        ),
        _cli(canary_server, tmp_path, "--debug", "jobs", "list"),
        _cli(canary_server, tmp_path, "--debug", "jobs", "show", "no-such-job"),
        _cli(canary_server, tmp_path, "--debug", "devices", token=WRONG),
        _cli(canary_server, tmp_path, "--debug", "--token", WRONG, "jobs", "list"),
    ]
    assert any("qulacs" in out for out in outputs), "the CLI did not run: check the commands"
    leaks = [out[:300] for out in outputs if CANARY in out or WRONG in out]
    assert leaks == []


def test_a_config_file_readable_by_others_gets_a_warning(tmp_path: Path) -> None:
    path = tmp_path / ".oqtopus"
    path.write_text(f"[default]\nurl=http://127.0.0.1:1\napi_token={CANARY}\n")
    path.chmod(0o600)
    with warnings.catch_warnings(), captured_logs(("oqtopus_bridge",), logging.WARNING) as lines:
        warnings.simplefilter("error")  # a private file must load silently
        OqtopusConfig.from_file("default", str(path))
    assert lines == []
    path.chmod(0o644)
    with (
        warnings.catch_warnings(record=True) as caught,
        captured_logs(("oqtopus_bridge",), logging.WARNING) as lines,
    ):
        warnings.simplefilter("always")
        OqtopusConfig.from_file("default", str(path))
    messages: list[Any] = [str(w.message) for w in caught] + lines
    assert any(str(path) in message or "readable" in message for message in messages), messages
    assert not any(CANARY in message for message in messages)
