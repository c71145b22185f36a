"""Issue 17 in the CLI: server down, config --check, Ctrl-C, unknown device, ``serve`` messages."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from oqtopus_bridge.cli.exit_codes import ExitCode
from oqtopus_bridge.local.banner import banner_lines, exposed_warning


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_server_down_names_url_source_and_next_step(run_cli, monkeypatch):
    url = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("OQTOPUS_URL", url)
    monkeypatch.setenv("OQTOPUS_API_TOKEN", "tok-env")
    outcome = run_cli("devices")
    assert outcome.code == ExitCode.API
    assert outcome.err.count("\n") == 1
    assert url in outcome.err and "connection refused" in outcome.err
    assert "oqtopus-bridge serve" in outcome.err
    assert "from environment (OQTOPUS_URL, OQTOPUS_API_TOKEN)" in outcome.err
    assert "Max retries" not in outcome.err


def test_config_check_prints_its_verdict_on_stdout_when_the_server_is_down(run_cli):
    url = f"http://127.0.0.1:{_closed_port()}"
    outcome = run_cli("config", "--check", "--url", url, "--token", "tok-check")
    assert outcome.code == ExitCode.API
    assert f"url:       {url}" in outcome.out
    assert "source:    command line" in outcome.out
    assert "check:     FAILED: could not connect" in outcome.out
    assert "tok-check" not in outcome.out + outcome.err
    assert "connection refused" in outcome.err


def test_config_check_json_has_the_verdict(run_cli):
    import json

    url = f"http://127.0.0.1:{_closed_port()}"
    outcome = run_cli("config", "--check", "--json", "--url", url, "--token", "tok-check")
    assert outcome.code == ExitCode.API
    assert json.loads(outcome.out)["check"].startswith("FAILED: could not connect")


def test_config_check_ok_says_so(run_cli, local_server):
    outcome = run_cli(
        "config", "--check", "--url", local_server.url, f"--token={local_server.token}"
    )
    assert outcome.code == 0
    assert "check:     ok" in outcome.out and "devices:" in outcome.out


def test_wrong_base_path_in_cli_points_at_the_url(run_cli, local_server):
    outcome = run_cli("devices", "--url", local_server.url + "/v1", f"--token={local_server.token}")
    assert outcome.code == ExitCode.API
    assert "base URL is probably wrong" in outcome.err and "'/v1'" in outcome.err
    assert "from command line" in outcome.err


def test_url_without_scheme_in_cli_says_add_http(run_cli):
    outcome = run_cli("devices", "--url", "127.0.0.1:8080", "--token", "tok")
    assert outcome.code == ExitCode.USAGE
    assert "http://127.0.0.1:8080" in outcome.err and "does not start with" in outcome.err


def test_unknown_device_lists_the_valid_ids_and_leaves_no_job(run_cli, local_server, bell_file):
    user = ["--url", local_server.url, "--token=" + local_server.add_user("cli-typo")]
    outcome = run_cli("submit", bell_file, "--device", "nosuch", "--shots", "10", *user)
    assert outcome.code == ExitCode.API
    assert "'nosuch'" in outcome.err and "qulacs, anemone, kawasaki" in outcome.err
    listing = run_cli("jobs", "list", "--json", *user)
    assert listing.code == 0 and listing.out.strip() == "[]"


def test_ctrl_c_while_waiting_says_the_job_keeps_running_and_how_to_cancel(
    run_cli, local_server, bell_file, monkeypatch
):
    from oqtopus_bridge.jobs import OqtopusSamplingJob

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(OqtopusSamplingJob, "result", interrupted)
    user = ["--url", local_server.url, f"--token={local_server.token}"]
    outcome = run_cli("submit", bell_file, "--device", "qulacs", "--shots", "10", "--wait", *user)
    assert outcome.code == ExitCode.INTERRUPTED
    job_id = re.search(r"submitted job (\S+)", outcome.err).group(1)
    assert f"job {job_id} keeps running on the server" in outcome.err
    assert f"oqtopus-bridge --url {local_server.url} jobs cancel {job_id}" in outcome.err
    assert local_server.token not in outcome.err


def test_help_lists_exit_code_130(run_cli):
    assert "130  interrupted" in run_cli("--help").out


def test_port_in_use_names_the_port_and_suggests_port_0(run_cli):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        outcome = run_cli("serve", "--port", str(port))
    assert outcome.code == ExitCode.USAGE
    assert f"port {port} on 127.0.0.1 is already in use" in outcome.err
    assert "--port 0" in outcome.err


def test_all_interfaces_warns_and_shows_a_reachable_url():
    assert exposed_warning("127.0.0.1", 8080) is None
    warning = exposed_warning("0.0.0.0", 8181)
    assert warning is not None and "WARNING" in warning and "SSE" in warning
    lines = banner_lines(
        host="0.0.0.0",
        url="http://127.0.0.1:8181",
        protocol="storage",
        directory=Path("/d"),
        token="t0k",
        created=True,
        token_file=Path("/d/api_token"),
    )
    assert "all interfaces" in lines[0] and "http://127.0.0.1:8181" in lines[0]
    assert not lines[0].split(" at ", 1)[1].startswith("http://127.0.0.1:")


def test_serve_prints_export_lines_and_where_the_token_is_on_restart(tmp_path):
    def first_lines(count: int) -> list[str]:
        code = (
            "from oqtopus_bridge.local import serve; "
            f"serve(host='127.0.0.1', port=0, data_dir={str(tmp_path)!r})"
        )
        process = subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            return [process.stdout.readline() for _ in range(count)]
        finally:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=60)

    token_file = tmp_path / "api_token"
    first = first_lines(5)  # banner, token, web-view link, "Use it ...", export
    token = token_file.read_text().strip()
    assert token in first[1]
    assert first[2].startswith("Web view (this link logs in once): ")
    export = r'export OQTOPUS_URL=http://127\.0\.0\.1:\d+ OQTOPUS_API_TOKEN="\$\(cat '
    assert re.search(export, first[4])
    second = first_lines(5)
    assert token not in "".join(second)
    assert f"kept in {token_file}" in second[1]
    assert "export OQTOPUS_URL=" in second[4]


@pytest.mark.parametrize("flags", [[], ["--section", "lab"]])
def test_connection_flags_are_repeated_without_the_token(flags):
    import argparse

    from oqtopus_bridge.cli.exit_codes import WaitInterrupted
    from oqtopus_bridge.cli.jobs import connection_flags

    args = argparse.Namespace(url=None, token="secret", section=None, config_file=None)
    if flags:
        args.section = flags[1]
    advice = WaitInterrupted("j1", connection_flags(args)).advice("oqtopus-bridge")
    assert "secret" not in advice
    assert ("--section lab jobs cancel j1" in advice) == bool(flags)
