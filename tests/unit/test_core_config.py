from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from oqtopus_bridge import OqtopusConfig
from oqtopus_bridge.config import resolve_config
from oqtopus_bridge.errors import ConfigError


def _home() -> Path:
    return Path(os.environ["HOME"])


def test_constructor_and_properties() -> None:
    config = OqtopusConfig("https://api.example", "tok", "http://proxy:3128")
    assert (config.url, config.api_token, config.proxy) == (
        "https://api.example",
        "tok",
        "http://proxy:3128",
    )
    assert OqtopusConfig("u", "t").proxy is None
    assert OqtopusConfig("", "").url == ""  # empty strings are accepted, as documented


@pytest.mark.parametrize(("url", "token", "match"), [(None, "t", "url"), ("u", None, "api_token")])
def test_none_raises_value_error(url: str | None, token: str | None, match: str) -> None:
    with pytest.raises(ValueError, match=match) as info:
        OqtopusConfig(url, token)  # type: ignore[arg-type]
    assert isinstance(info.value, ConfigError)


def test_token_never_in_repr_or_json() -> None:
    config = OqtopusConfig("https://api.example", "very-secret")
    assert "very-secret" not in repr(config)
    assert "very-secret" not in str(config)
    assert "very-secret" not in config.to_json()


def test_invalid_extras() -> None:
    with pytest.raises(ValueError, match="protocol"):
        OqtopusConfig("u", "t", protocol="grpc")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout"):
        OqtopusConfig("u", "t", read_timeout=0)


def test_from_file_default_section_and_path() -> None:
    (_home() / ".oqtopus").write_text("[default]\nurl=https://a\napi_token=t1\n")
    config = OqtopusConfig.from_file()
    assert (config.url, config.api_token, config.proxy) == ("https://a", "t1", None)


def test_from_file_named_section_with_proxy_and_extras(tmp_path: Path) -> None:
    path = tmp_path / "cfg"
    path.write_text(
        "[default]\nurl=https://a\napi_token=t1\n"
        "[sectionB]\nurl=https://b\napi_token=t2\nproxy=http://p:1\nprotocol=legacy\n"
        "read_timeout=5\n"
    )
    config = OqtopusConfig.from_file("sectionB", str(path))
    assert (config.url, config.api_token, config.proxy) == ("https://b", "t2", "http://p:1")
    assert config.protocol == "legacy"
    assert config.read_timeout == 5.0


def test_from_file_expands_vars(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "c.ini").write_text("[default]\nurl=u\napi_token=t\n")
    monkeypatch.setenv("CFGDIR", str(tmp_path))
    assert OqtopusConfig.from_file(path="$CFGDIR/c.ini").url == "u"


def test_from_file_none_arguments() -> None:
    with pytest.raises(ValueError, match="path should not be None"):
        OqtopusConfig.from_file(path=None)
    with pytest.raises(ValueError, match="section should not be None"):
        OqtopusConfig.from_file(section=None)


def test_missing_file_message_names_file_and_what_to_write() -> None:
    with pytest.raises(ConfigError) as info:
        OqtopusConfig.from_file()
    message = str(info.value)
    assert str(_home() / ".oqtopus") in message
    assert "[default]" in message and "api_token=" in message and "OQTOPUS_URL" in message


def test_missing_section_message(tmp_path: Path) -> None:
    path = tmp_path / "cfg"
    path.write_text("[other]\nurl=u\napi_token=t\n")
    with pytest.raises(ConfigError, match=r"section \[prod\] not found .*other"):
        OqtopusConfig.from_file("prod", str(path))


def test_missing_key_message(tmp_path: Path) -> None:
    path = tmp_path / "cfg"
    path.write_text("[default]\nurl=u\n")
    with pytest.raises(ConfigError, match=r"'api_token' missing in section \[default\]") as info:
        OqtopusConfig.from_file(path=str(path))
    assert str(path) in str(info.value)


def test_invalid_ini_and_values(tmp_path: Path) -> None:
    path = tmp_path / "cfg"
    path.write_text("no section header\n")
    with pytest.raises(ConfigError, match="not valid INI"):
        OqtopusConfig.from_file(path=str(path))
    path.write_text("[default]\nurl=u\napi_token=t\nread_timeout=soon\n")
    with pytest.raises(ConfigError, match="read_timeout"):
        OqtopusConfig.from_file(path=str(path))
    path.write_text("[default]\nurl=u\napi_token=t\nprotocol=x\n")
    with pytest.raises(ConfigError, match="protocol"):
        OqtopusConfig.from_file(path=str(path))


def test_sse_container_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OQTOPUS_ENV", "sse_container")
    config = OqtopusConfig.from_file()
    assert (config.url, config.api_token) == ("", "")


def test_resolution_explicit_then_env_then_file(monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = OqtopusConfig("https://explicit", "t0")
    assert resolve_config(explicit) is explicit
    (_home() / ".oqtopus").write_text("[default]\nurl=https://file\napi_token=t1\n")
    assert resolve_config(None).url == "https://file"
    monkeypatch.setenv("OQTOPUS_URL", "https://env")
    assert resolve_config(None).url == "https://file"  # both variables are needed
    monkeypatch.setenv("OQTOPUS_API_TOKEN", "t2")
    monkeypatch.setenv("OQTOPUS_PROXY", "http://proxy:1")
    resolved = resolve_config(None)
    assert (resolved.url, resolved.api_token, resolved.proxy) == (
        "https://env",
        "t2",
        "http://proxy:1",
    )


def test_proxy_env_fallback_for_file_config(monkeypatch: pytest.MonkeyPatch) -> None:
    (_home() / ".oqtopus").write_text("[default]\nurl=u\napi_token=t\n")
    monkeypatch.setenv("OQTOPUS_PROXY", "http://proxy:9")
    assert resolve_config(None).proxy == "http://proxy:9"


def test_resolve_rejects_wrong_type() -> None:
    with pytest.raises(ConfigError):
        resolve_config("https://x")  # type: ignore[arg-type]


def test_equality_and_pickle() -> None:
    config = OqtopusConfig("u", "t", "p")
    assert config == OqtopusConfig("u", "t", "p")
    assert config != OqtopusConfig("u", "t2", "p")
    assert hash(config) == hash(OqtopusConfig("u", "t", "p"))
    assert pickle.loads(pickle.dumps(config)) == config
