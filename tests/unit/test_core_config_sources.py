"""Where a configuration comes from when none is given, and saving a section.

The documented sources, then the official oqtopus-client SDK's (``OQTOPUS_BASE_URL``,
``config.ini``), and what a half-set environment does.

Every test runs with a temporary ``HOME`` and no ``XDG_CONFIG_HOME`` (``tests/conftest.py``).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from oqtopus_bridge import OqtopusSamplingBackend
from oqtopus_bridge import config as config_module
from oqtopus_bridge.config import locate_config, official_config_path, resolve_config
from oqtopus_bridge.config_file import save_section
from oqtopus_bridge.errors import ConfigError


def _home() -> Path:
    return Path(os.environ["HOME"])


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


def _official(text: str) -> Path:
    return _write(_home() / ".config" / "oqtopus" / "config.ini", text)


def test_official_path_follows_xdg_config_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert official_config_path() == _home() / ".config" / "oqtopus" / "config.ini"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert official_config_path() == tmp_path / "xdg" / "oqtopus" / "config.ini"
    monkeypatch.setenv("XDG_CONFIG_HOME", "")  # empty counts as unset, as in the SDK
    assert official_config_path() == _home() / ".config" / "oqtopus" / "config.ini"


def test_precedence_of_all_four_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    _official("[default]\nurl=https://sdk-file\napi_token=t4\n")
    assert (
        locate_config().source == "file ~/.config/oqtopus/config.ini [default] (oqtopus-client's)"
    )
    assert resolve_config(None).url == "https://sdk-file"
    monkeypatch.setenv("OQTOPUS_BASE_URL", "https://base-url-env")
    monkeypatch.setenv("OQTOPUS_API_TOKEN", "t3")
    located = locate_config()
    assert (located.config.url, located.config.api_token) == ("https://base-url-env", "t3")
    assert located.source == "environment (OQTOPUS_BASE_URL, OQTOPUS_API_TOKEN)"
    _write(_home() / ".oqtopus", "[default]\nurl=https://home-file\napi_token=t2\n")
    assert locate_config().source == "file ~/.oqtopus [default]"
    assert resolve_config(None).api_token == "t2"
    monkeypatch.setenv("OQTOPUS_URL", "https://url-env")
    located = locate_config()
    assert (located.config.url, located.config.api_token) == ("https://url-env", "t3")
    assert located.source == "environment (OQTOPUS_URL, OQTOPUS_API_TOKEN)"


def test_official_file_keys_base_url_timeout_and_proxy(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    _write(
        tmp_path / "xdg" / "oqtopus" / "config.ini",
        "[default]\nbase_url=https://sdk\napi_token=tok\nproxy=http://proxy:3128\ntimeout=5\n"
        "[other]\nurl=https://other\n",
    )
    config = resolve_config(None)
    assert (config.url, config.api_token, config.proxy) == (
        "https://sdk",
        "tok",
        "http://proxy:3128",
    )
    assert (config.connect_timeout, config.read_timeout) == (5.0, 5.0)
    backend = OqtopusSamplingBackend()  # a backend given nothing finds it too
    assert backend.config == config
    backend.close()


def test_a_long_timeout_keeps_the_connect_timeout_short() -> None:
    _official("[default]\nurl=https://sdk\napi_token=tok\ntimeout=120\n")
    config = resolve_config(None)
    assert (config.connect_timeout, config.read_timeout) == (10.0, 120.0)


def test_official_file_without_a_token_names_the_key_and_file() -> None:
    path = _official("[default]\nurl=https://sdk\n")
    with pytest.raises(
        ConfigError, match=f"key 'api_token' missing in section \\[default\\] of {path}"
    ):
        resolve_config(None)


def test_proxy_variable_fills_in_for_every_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OQTOPUS_PROXY", "http://envproxy:1")
    _official("[default]\nurl=https://sdk\napi_token=tok\n")
    assert resolve_config(None).proxy == "http://envproxy:1"
    monkeypatch.setenv("OQTOPUS_BASE_URL", "https://b")
    monkeypatch.setenv("OQTOPUS_API_TOKEN", "t")
    assert resolve_config(None).proxy == "http://envproxy:1"


@pytest.mark.parametrize(
    ("variable", "missing"),
    [
        ("OQTOPUS_URL", "OQTOPUS_API_TOKEN"),
        ("OQTOPUS_BASE_URL", "OQTOPUS_API_TOKEN"),
        ("OQTOPUS_API_TOKEN", "OQTOPUS_URL"),
    ],
)
def test_a_half_set_environment_is_an_error_when_nothing_else_is_found(
    monkeypatch: pytest.MonkeyPatch, variable: str, missing: str
) -> None:
    monkeypatch.setenv(variable, "value")
    with pytest.raises(ConfigError) as info:
        resolve_config(None)
    message = str(info.value)
    assert f"{variable} is set but {missing} is not" in message
    assert f"Set {missing}" in message


def test_a_half_set_environment_warns_and_names_the_source_used(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(config_module, "_WARNED_MESSAGES", set())  # it warns once per process
    _write(_home() / ".oqtopus", "[default]\nurl=https://home-file\napi_token=t\n")
    monkeypatch.setenv("OQTOPUS_URL", "https://half-warned.example")
    with caplog.at_level(logging.WARNING, logger="oqtopus_bridge.config"):
        assert resolve_config(None).url == "https://home-file"
    (record,) = [r for r in caplog.records if "OQTOPUS_URL is set" in r.getMessage()]
    assert "OQTOPUS_API_TOKEN is not, so file ~/.oqtopus [default] is used" in record.getMessage()
    assert "https://half-warned.example" not in record.getMessage()


def test_nothing_configured_lists_every_place_looked_at() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_config(None)
    message = str(info.value)
    for place in ("OQTOPUS_URL", "~/.oqtopus", "OQTOPUS_BASE_URL", "~/.config/oqtopus/config.ini"):
        assert place in message
    assert "config --save" in message


# -- save_section: the file behind `oqtopus-bridge config --save` ----------------------------------


def test_save_creates_the_file_readable_by_its_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "new.ini"
    path, existed = save_section({"url": "https://a", "api_token": "tok"}, "default", str(target))
    assert (path, existed) == (target, False)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text() == "[default]\nurl=https://a\napi_token=tok\n"
    assert [p.name for p in tmp_path.iterdir()] == ["new.ini"]  # no temporary file left behind


def test_save_updates_one_section_and_keeps_the_rest(tmp_path: Path) -> None:
    target = tmp_path / "cfg.ini"
    target.write_text(
        "# my servers\n[default]\nurl=https://old\napi_token=old\nprotocol=legacy\n\n"
        "[lab]\n; the lab one\nurl=https://lab\napi_token=labtok\n"
    )
    target.chmod(0o644)
    _, existed = save_section(
        {"url": "https://new", "base_url": None, "api_token": "new"}, "default", str(target)
    )
    assert existed
    assert target.read_text() == (
        "# my servers\n[default]\nurl=https://new\napi_token=new\nprotocol=legacy\n\n"
        "[lab]\n; the lab one\nurl=https://lab\napi_token=labtok\n"
    )
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    save_section({"url": "https://x", "api_token": "x"}, "extra", str(target))
    assert target.read_text().endswith("api_token=labtok\n\n[extra]\nurl=https://x\napi_token=x\n")


def test_save_refuses_bad_input_and_leaves_the_file_alone(tmp_path: Path) -> None:
    target = tmp_path / "cfg.ini"
    target.write_text("url=no section header\n")
    with pytest.raises(ConfigError, match="left unchanged"):
        save_section({"url": "https://a", "api_token": "t"}, "default", str(target))
    assert target.read_text() == "url=no section header\n"
    with pytest.raises(ConfigError, match="invalid section name"):
        save_section({"url": "https://a", "api_token": "t"}, "a]b", str(tmp_path / "x.ini"))
    with pytest.raises(ConfigError, match="one line"):
        save_section({"url": "https://a\n[evil]", "api_token": "t"}, "d", str(tmp_path / "x.ini"))
    assert not (tmp_path / "x.ini").exists()


def test_save_follows_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.ini"
    real.write_text("[default]\nurl=https://old\napi_token=old\n")
    link = tmp_path / "link.ini"
    link.symlink_to(real)
    save_section({"url": "https://new", "api_token": "new"}, "default", str(link))
    assert link.is_symlink() and "https://new" in real.read_text()
