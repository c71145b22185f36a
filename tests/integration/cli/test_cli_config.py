"""Global behaviour of the CLI: help, exit codes, configuration resolution, one-line errors."""

from __future__ import annotations

import socket

import pytest

from oqtopus_bridge import errors
from oqtopus_bridge.cli import main
from oqtopus_bridge.cli.exit_codes import ExitCode, describe_error

TOKEN = "tok-" + "s3cr3t" * 4


def test_help_documents_every_command_and_the_exit_codes(run_cli):
    outcome = run_cli("--help")
    assert outcome.code == 0
    for command in ("demo", "serve", "config", "devices", "jobs", "submit", "port"):
        assert command in outcome.out
    for line in ("0  success", "1  the job failed", "2  usage", "3  API", "4  timed out"):
        assert line in outcome.out


def test_subcommand_help_carries_the_exit_codes(run_cli):
    outcome = run_cli("jobs", "wait", "--help")
    assert outcome.code == 0
    assert "--timeout" in outcome.out and "4  timed out" in outcome.out


@pytest.mark.parametrize(
    "argv",
    [["frobnicate"], ["jobs"], ["submit", "x.qasm"], ["devices", "--limit", "3"]],
)
def test_usage_errors_exit_2(run_cli, argv):
    outcome = run_cli(*argv)
    assert outcome.code == ExitCode.USAGE
    assert outcome.err.count("\n") == 1 and "Traceback" not in outcome.err


def test_no_command_prints_the_help_to_stderr_and_exits_2(run_cli):
    outcome = run_cli()
    assert outcome.code == ExitCode.USAGE
    assert outcome.out == "" and "commands:" in outcome.err


def test_config_from_command_line_masks_the_token(run_cli):
    outcome = run_cli("config", "--url", "http://example.test/v1", "--token", TOKEN)
    assert outcome.code == 0
    assert "http://example.test/v1" in outcome.out
    assert "command line" in outcome.out
    assert TOKEN not in outcome.out and TOKEN[-4:] in outcome.out


def test_config_from_environment_as_json(run_cli, monkeypatch):
    monkeypatch.setenv("OQTOPUS_URL", "http://env.test")
    monkeypatch.setenv("OQTOPUS_API_TOKEN", TOKEN)
    monkeypatch.setenv("OQTOPUS_PROXY", "http://proxy.test:3128")
    outcome = run_cli("config", "--json")
    assert outcome.code == 0
    import json

    view = json.loads(outcome.out)
    assert view["url"] == "http://env.test"
    assert view["proxy"] == "http://proxy.test:3128"
    assert view["source"].startswith("environment")
    assert TOKEN not in outcome.out


def test_config_from_a_file_section_with_an_override(run_cli, tmp_path, monkeypatch):
    path = tmp_path / "oqtopus.ini"
    path.write_text(
        f"[default]\nurl=http://a.test\napi_token=x\n[lab]\nurl=http://lab.test\napi_token={TOKEN}\n"
    )
    outcome = run_cli("--config-file", str(path), "config", "--section", "lab", "--json")
    assert outcome.code == 0, outcome.err
    assert '"url": "http://lab.test"' in outcome.out
    assert f"file {path} [lab]" in outcome.out
    overridden = run_cli("config", "--config-file", str(path), "--url", "http://other.test")
    assert "http://other.test" in overridden.out and "--url from the command line" in overridden.out


def test_home_file_is_the_last_resort(run_cli, monkeypatch, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".oqtopus").write_text(f"[default]\nurl=http://home.test\napi_token={TOKEN}\n")
    monkeypatch.setenv("HOME", str(home))
    outcome = run_cli("config")
    assert outcome.code == 0
    assert "http://home.test" in outcome.out and "~/.oqtopus [default]" in outcome.out


def test_nothing_configured_is_one_line_exit_2(run_cli):
    outcome = run_cli("devices")
    assert outcome.code == ExitCode.USAGE
    assert outcome.err.count("\n") == 1
    assert "OQTOPUS_URL" in outcome.err and "Traceback" not in outcome.err


def test_missing_section_names_the_sections_found(run_cli, tmp_path):
    path = tmp_path / "cfg"
    path.write_text("[default]\nurl=http://a.test\napi_token=x\n")
    outcome = run_cli("config", "--config-file", str(path), "--section", "nope")
    assert outcome.code == ExitCode.USAGE
    assert "[nope]" in outcome.err and "default" in outcome.err


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_server_is_exit_3_without_the_token(run_cli):
    url = f"http://127.0.0.1:{_closed_port()}"
    outcome = run_cli("devices", "--url", url, "--token", TOKEN)
    assert outcome.code == ExitCode.API
    assert outcome.err.startswith("oqtopus-bridge: error: ")
    assert outcome.err.count("\n") == 1
    assert TOKEN not in outcome.err + outcome.out


def test_wrong_token_is_exit_3_and_never_printed(run_cli, local_server):
    outcome = run_cli("devices", "--url", local_server.url, "--token", TOKEN)
    assert outcome.code == ExitCode.API
    assert "401" in outcome.err
    assert TOKEN not in outcome.err + outcome.out


def test_debug_shows_the_traceback(run_cli):
    outcome = run_cli(
        "--debug", "devices", "--url", f"http://127.0.0.1:{_closed_port()}", "--token", TOKEN
    )
    assert outcome.code == ExitCode.API
    assert "Traceback" in outcome.err


def test_config_check_counts_the_servers_devices(run_cli, local_server):
    outcome = run_cli(
        "config", "--check", "--url", local_server.url, f"--token={local_server.token}"
    )
    assert outcome.code == 0, outcome.err
    assert "devices:" in outcome.out


def test_main_defaults_to_sys_argv(monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["oqtopus-bridge", "--version"])
    assert main() == 0
    assert "oqtopus-bridge" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.JobFailedError("Job j ended with status failed", "j", "bad gate"), 1),
        (errors.JobCancelledError("Job j ended with status cancelled.", "j"), 1),
        (errors.ConfigError("no url"), 2),
        (errors.ConversionError("no QASM form"), 2),
        (ImportError('pip install "oqtopus-bridge[qiskit]"'), 2),
        (FileNotFoundError(2, "No such file", "x.qasm"), 2),
        (errors.ConnectError("refused"), 3),
        (errors.APIError.from_response(500, {"message": "boom"}), 3),
        (errors.StorageError("bad zip"), 3),
        (errors.ResultError("no counts"), 3),
        (errors.JobTimeoutError("waited 1 s", "j"), 4),
    ],
)
def test_every_error_class_has_its_exit_code(error, code):
    got, message = describe_error(error, (TOKEN,))
    assert got == code
    assert "\n" not in message and message


def test_error_messages_never_contain_the_token():
    _, message = describe_error(errors.ConnectError(f"proxy http://u:{TOKEN}@p refused"), (TOKEN,))
    assert TOKEN not in message and "***" in message
    _, failed = describe_error(errors.JobFailedError("Job j failed", "j", "bad gate"))
    assert failed.endswith("bad gate")  # the server's reason is always shown


def test_port_shows_a_diff_then_writes_with_a_backup(run_cli, tmp_path):
    script = tmp_path / "old.py"
    original = "from quri_parts_oqtopus.backend import OqtopusSamplingBackend\n\nprint(1)\n"
    script.write_text(original)
    shown = run_cli("port", str(tmp_path))
    assert shown.code == 1  # a diff was shown, nothing written
    assert "+from oqtopus_bridge" in shown.out and script.read_text() == original
    written = run_cli("port", str(script), "--write")
    assert written.code == 0, written.out + written.err
    assert script.read_text().startswith("from oqtopus_bridge import OqtopusSamplingBackend")
    assert (tmp_path / "old.py.orig").read_text() == original


def test_port_no_backup(run_cli, tmp_path):
    script = tmp_path / "old.py"
    script.write_text("import quri_parts_oqtopus.backend\n")
    assert run_cli("port", str(script), "--write", "--no-backup").code in (0, 1)
    assert "quri_parts_oqtopus" not in script.read_text()
    assert not (tmp_path / "old.py.orig").exists()
