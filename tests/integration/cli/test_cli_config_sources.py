"""``config`` says which source won; ``config --save`` writes ~/.oqtopus (issues 15 and 17)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from oqtopus_bridge.cli.exit_codes import ExitCode

TOKEN = "tok-" + "s4v3d" * 4


def _home() -> Path:
    return Path(os.environ["HOME"])


def _source(run_cli, *argv):
    outcome = run_cli("config", "--json", *argv)
    assert outcome.code == 0, outcome.err
    return json.loads(outcome.out)


def test_config_names_the_official_sdk_sources(run_cli, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    sdk = tmp_path / "xdg" / "oqtopus" / "config.ini"
    sdk.parent.mkdir(parents=True)
    sdk.write_text(f"[default]\nbase_url=http://sdk.test\napi_token={TOKEN}\n")
    sdk.chmod(0o600)
    view = _source(run_cli)
    assert view["url"] == "http://sdk.test"
    assert view["source"] == f"file {sdk} [default] (oqtopus-client's)"
    monkeypatch.setenv("OQTOPUS_BASE_URL", "http://base.test")
    monkeypatch.setenv("OQTOPUS_API_TOKEN", TOKEN)
    view = _source(run_cli)
    assert (view["url"], view["source"]) == (
        "http://base.test",
        "environment (OQTOPUS_BASE_URL, OQTOPUS_API_TOKEN)",
    )
    assert TOKEN not in json.dumps(view)


def test_url_without_token_is_an_error_naming_the_missing_variable(run_cli, monkeypatch):
    monkeypatch.setenv("OQTOPUS_URL", "http://env.test")
    outcome = run_cli("devices")
    assert outcome.code == ExitCode.USAGE
    assert "OQTOPUS_URL is set but OQTOPUS_API_TOKEN is not" in outcome.err
    # --token completes it.
    view = _source(run_cli, "--token", TOKEN)
    assert view["url"] == "http://env.test" and view["source"].startswith(
        "environment (OQTOPUS_URL)"
    )


def test_token_flag_alone_with_nothing_else_says_what_to_pass(run_cli):
    outcome = run_cli("config", "--token", TOKEN)
    assert outcome.code == ExitCode.USAGE
    assert "pass --url too" in outcome.err and TOKEN not in outcome.err


def test_save_from_flags_writes_mode_600_and_is_used_next(run_cli, local_server):
    outcome = run_cli(
        "config", "--save", "--url", local_server.url, f"--token={local_server.token}"
    )
    assert outcome.code == 0, outcome.err
    home_file = _home() / ".oqtopus"
    assert stat.S_IMODE(home_file.stat().st_mode) == 0o600
    assert "added [default] in ~/.oqtopus" in outcome.err
    assert "source:    file ~/.oqtopus [default]" in outcome.out
    assert local_server.token not in outcome.out + outcome.err
    devices = run_cli("devices")  # the next command finds it, with no option or variable
    assert devices.code == 0 and "qulacs" in devices.out


def test_save_from_the_environment_into_a_section_keeping_the_others(run_cli, monkeypatch):
    home_file = _home() / ".oqtopus"
    home_file.write_text("[default]\nurl=http://keep.test\napi_token=keep\n")
    monkeypatch.setenv("OQTOPUS_URL", "http://lab.test")
    monkeypatch.setenv("OQTOPUS_API_TOKEN", TOKEN)
    monkeypatch.setenv("OQTOPUS_PROXY", "http://proxy.test:3128")
    outcome = run_cli("config", "--save", "--section", "lab", "--json")
    assert outcome.code == 0, outcome.err
    view = json.loads(outcome.out)
    assert (view["url"], view["source"]) == ("http://lab.test", "file ~/.oqtopus [lab]")
    text = home_file.read_text()
    assert "[default]\nurl=http://keep.test\napi_token=keep\n" in text
    assert f"[lab]\nurl=http://lab.test\napi_token={TOKEN}\nproxy=http://proxy.test:3128\n" in text
    again = run_cli("config", "--save", "--section", "lab", "--url", "http://lab2.test")
    assert again.code == 0 and "updated [lab]" in again.err
    assert "url=http://lab2.test" in home_file.read_text()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--token", TOKEN], "needs a URL (--url, or OQTOPUS_URL)"),
        (["--url", "http://x.test"], "needs a token (OQTOPUS_API_TOKEN, or --token)"),
        ([], "needs a URL (--url, or OQTOPUS_URL) and a token"),
    ],
)
def test_save_without_url_or_token_writes_nothing(run_cli, argv, message):
    outcome = run_cli("config", "--save", *argv)
    assert outcome.code == ExitCode.USAGE
    assert message in outcome.err and TOKEN not in outcome.err
    assert not (_home() / ".oqtopus").exists()


def test_save_to_a_chosen_file(run_cli, tmp_path):
    target = tmp_path / "conf" / "oqtopus.ini"
    argv = ["config", "--save", "--config-file", str(target), "--url", "http://f.test"]
    outcome = run_cli(*argv, "--token", TOKEN)
    assert outcome.code == 0, outcome.err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert f"file {target} [default]" in outcome.out


def test_a_setup_made_for_the_official_sdk_reaches_the_server(run_cli, local_server, monkeypatch):
    # oqtopus-client's own file, as its docs have users write it; nothing else is configured.
    sdk = _home() / ".config" / "oqtopus" / "config.ini"
    sdk.parent.mkdir(parents=True)
    sdk.write_text(f"[default]\nbase_url={local_server.url}\napi_token={local_server.token}\n")
    sdk.chmod(0o600)
    devices = run_cli("devices", "--json")
    assert devices.code == 0, devices.err
    assert "qulacs" in {device["device_id"] for device in json.loads(devices.out)}
    from oqtopus_bridge import OqtopusSamplingBackend

    qasm = 'OPENQASM 3; include "stdgates.inc"; qubit[1] q; bit[1] c; x q[0]; c[0] = measure q[0];'
    result = OqtopusSamplingBackend().sample_qasm(qasm, "qulacs", 10).result(timeout=60)
    assert result.counts == {1: 10}
