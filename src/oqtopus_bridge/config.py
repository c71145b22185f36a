"""Connection settings for OQTOPUS: the documented ``OqtopusConfig`` and how a backend resolves it.

Resolution when a backend receives ``config=None``, first match wins:

1. the documented sources: ``OQTOPUS_URL`` and ``OQTOPUS_API_TOKEN`` (both set), then the
   ``[default]`` section of ``~/.oqtopus``;
2. the official oqtopus-client SDK's sources (issue 15): ``OQTOPUS_BASE_URL`` with
   ``OQTOPUS_API_TOKEN``, then the ``[default]`` section of ``$XDG_CONFIG_HOME/oqtopus/config.ini``
   (``~/.config/oqtopus/config.ini`` when ``XDG_CONFIG_HOME`` is unset).

``OQTOPUS_PROXY`` fills in a proxy that the winning source leaves out. A URL variable without the
token variable (or the reverse) is never ignored silently: it is a warning naming the missing
variable when another source is used, an error when there is none. Nothing is read at import time.
"""

from __future__ import annotations

import configparser
import dataclasses
import json
import logging
import os
import stat
from pathlib import Path
from typing import Literal

from oqtopus_bridge.errors import ConfigError

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "NOTHING_CONFIGURED",
    "PYTHON_ONLY_ADVICE",
    "LocatedConfig",
    "OqtopusConfig",
    "Protocol",
    "locate_config",
    "official_config_path",
    "resolve_config",
]

#: How the error for "nothing is configured" starts (the CLI adds its own options after it).
NOTHING_CONFIGURED = "no OQTOPUS configuration found: "
#: The part of configuration errors that only Python callers can follow (the CLI replaces it by
#: its options: a command-line user cannot pass an object).
PYTHON_ONLY_ADVICE = ", or pass an OqtopusConfig"

Protocol = Literal["auto", "storage", "legacy"]
DEFAULT_CONFIG_PATH = "~/.oqtopus"
_PROTOCOLS = ("auto", "storage", "legacy")
_FILE_EXAMPLE = "[{section}]\nurl=<base URL>\napi_token=<API token>"


class OqtopusConfig:
    """A configuration information class for using OQTOPUS backend.

    Args:
        url: Base URL of the OQTOPUS user API, e.g. ``https://api.example.com`` (a stage prefix, if
            any, is part of it).
        api_token: The API token, sent as the ``q-api-token`` header. It never appears in ``repr``,
            logs, exceptions or ``to_json`` output.
        proxy: Optional proxy URL used for both API and storage requests.
        protocol: ``"auto"`` (default: detect the server's protocol on first submission),
            ``"storage"`` (current presigned-upload protocol) or ``"legacy"`` (inline job_info).
        connect_timeout: Seconds to wait for a TCP/TLS connection.
        read_timeout: Seconds to wait for each read of a response (each chunk, not the whole).
        deadline: Seconds one request may take in all: connecting, sending, every read of the
            answer and the transport's retries. It ends a request that a server answers too slowly
            to trip ``read_timeout``, such as one byte every few seconds, with a ``RequestTimeout``.

    Raises:
        ValueError: If ``url`` or ``api_token`` is None (a ``ConfigError``), or ``protocol`` or
            a timeout is invalid.
    """

    def __init__(
        self,
        url: str,
        api_token: str,
        proxy: str | None = None,
        *,
        protocol: Protocol = "auto",
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        deadline: float = 300.0,
    ) -> None:
        if url is None:
            raise ConfigError("url should not be None.")
        if api_token is None:
            raise ConfigError("api_token should not be None.")
        if protocol not in _PROTOCOLS:
            raise ConfigError(f"protocol must be one of {_PROTOCOLS}, not {protocol!r}")
        if connect_timeout <= 0 or read_timeout <= 0:
            raise ConfigError(
                "connect_timeout and read_timeout must be positive numbers of seconds"
            )
        if not deadline > 0:
            raise ConfigError(
                f"deadline must be a positive number of seconds (the most one request may take), "
                f"not {deadline!r}"
            )
        self._url = url
        self._api_token = api_token
        self._proxy = proxy or None
        self.protocol: Protocol = protocol
        self.connect_timeout = float(connect_timeout)
        self.read_timeout = float(read_timeout)
        self.deadline = float(deadline)

    @property
    def url(self) -> str:
        """Return the url."""
        return self._url

    @property
    def api_token(self) -> str:
        """Return the API token."""
        return self._api_token

    @property
    def proxy(self) -> str | None:
        """Return the proxy."""
        return self._proxy

    def __repr__(self) -> str:
        return f"OqtopusConfig(url={self._url!r}, api_token='***', proxy={self._proxy!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OqtopusConfig):
            return NotImplemented
        return (self._url, self._api_token, self._proxy) == (
            other._url,
            other._api_token,
            other._proxy,
        )

    def __hash__(self) -> int:
        return hash((self._url, self._api_token, self._proxy))

    def to_json(self) -> str:
        """Return a JSON view of the configuration, with the token masked."""
        return json.dumps(
            {"url": self._url, "api_token": "***", "proxy": self._proxy, "protocol": self.protocol}
        )

    @staticmethod
    def from_file(
        section: str | None = "default", path: str | None = DEFAULT_CONFIG_PATH
    ) -> OqtopusConfig:
        """Read configuration information from a file.

        The file is INI: one ``[section]`` per server, with ``url``, ``api_token`` and an optional
        ``proxy`` (and optional ``protocol``, ``connect_timeout``, ``read_timeout``,
        ``deadline``). The official oqtopus-client SDK's spellings are read too: ``base_url``
        for ``url``, and ``timeout`` (seconds per request: the read timeout, and the connect
        timeout when it is shorter than 10 s)::

            [default]
            url=<base URL>
            api_token=<API token>

        Args:
            section: The section to read. Defaults to ``"default"``.
            path: The file path (``~`` and ``$VARS`` are expanded). Defaults to ``~/.oqtopus``.

        Returns:
            The configuration of that section.

        Raises:
            ValueError: If ``path`` or ``section`` is None, or the file, section or a key is missing
                (a `ConfigError` naming the file and what to write).
        """
        if path is None:
            raise ConfigError("path should not be None.")
        if section is None:
            raise ConfigError("section should not be None.")
        if os.environ.get("OQTOPUS_ENV") == "sse_container":
            # Inside an SSE container the engine supplies the connection; the peer does the same.
            return OqtopusConfig(url="", api_token="")
        file = Path(os.path.expandvars(path)).expanduser()
        values = _read_section(file, section)
        timeout = _float_value(values, "timeout", 0.0, file, section) or None
        connect_default = 10.0 if timeout is None else min(10.0, timeout)
        return OqtopusConfig(
            url=values["url"],
            api_token=values["api_token"],
            proxy=values.get("proxy") or None,
            protocol=_protocol_value(values.get("protocol", "auto"), file, section),
            connect_timeout=_float_value(values, "connect_timeout", connect_default, file, section),
            read_timeout=_float_value(values, "read_timeout", timeout or 60.0, file, section),
            deadline=_float_value(values, "deadline", 300.0, file, section),
        )


_WARNED: set[Path] = set()


def _warn_if_shared(file: Path) -> None:
    """Log a warning (once per file) when the file holding the API token is readable by others.

    A log record rather than a ``warnings`` warning: it reaches the terminal by default and does
    not turn into an exception in test suites that treat warnings as errors.
    """
    if os.name != "posix" or file in _WARNED:
        return
    mode = file.stat().st_mode
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        _WARNED.add(file)
        logger.warning(
            "%s holds your OQTOPUS API token and is readable by other users (mode %s); "
            "restrict it with: chmod 600 %s",
            file,
            oct(stat.S_IMODE(mode)),
            file,
        )


def _read_section(file: Path, section: str) -> dict[str, str]:
    example = _FILE_EXAMPLE.format(section=section)
    if not file.is_file():
        raise ConfigError(
            f"OQTOPUS config file {file} does not exist. Create it with:\n{example}\n"
            f"or set OQTOPUS_URL and OQTOPUS_API_TOKEN{PYTHON_ONLY_ADVICE}."
        )
    _warn_if_shared(file)
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(file, encoding="utf-8")
    except configparser.Error as exc:
        raise ConfigError(f"OQTOPUS config file {file} is not valid INI: {exc}") from exc
    if not parser.has_section(section):
        found = ", ".join(parser.sections()) or "none"
        raise ConfigError(
            f"section [{section}] not found in {file} (sections found: {found}). Add:\n{example}"
        )
    values = dict(parser[section])
    if "url" not in values and values.get("base_url"):
        values["url"] = values["base_url"]  # the oqtopus-client SDK's name for it
    for key in ("url", "api_token"):
        if key not in values:
            raise ConfigError(
                f"key '{key}' missing in section [{section}] of {file}. "
                f"The section needs:\n{example}"
            )
    return values


def _protocol_value(value: str, file: Path, section: str) -> Protocol:
    if value not in _PROTOCOLS:
        raise ConfigError(f"protocol in [{section}] of {file} must be one of {_PROTOCOLS}")
    return value  # type: ignore[return-value]  # checked against _PROTOCOLS just above


def _float_value(
    values: dict[str, str], key: str, default: float, file: Path, section: str
) -> float:
    raw = values.get(key)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{key} in [{section}] of {file} must be a number, not {raw!r}") from None


def official_config_path() -> Path:
    """Return the official oqtopus-client SDK's config file (it need not exist).

    ``$XDG_CONFIG_HOME/oqtopus/config.ini``, or ``~/.config/oqtopus/config.ini`` when
    ``XDG_CONFIG_HOME`` is unset or empty, as oqtopus-client 1.3.0 reads it.
    """
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg else Path("~/.config").expanduser()
    return base / "oqtopus" / "config.ini"


@dataclasses.dataclass(frozen=True)
class LocatedConfig:
    """A configuration found without an explicit one, and where it was found.

    Attributes:
        config: The configuration.
        source: Where it came from, e.g. ``"environment (OQTOPUS_URL, OQTOPUS_API_TOKEN)"`` or
            ``"file ~/.oqtopus [default]"``.
    """

    config: OqtopusConfig
    source: str


def resolve_config(config: OqtopusConfig | None) -> OqtopusConfig:
    """Return ``config``, or the one ``locate_config`` finds.

    Args:
        config: An explicit configuration, or None to resolve one.

    Returns:
        The configuration to use.

    Raises:
        ValueError: If nothing is configured (a ``ConfigError`` saying what to set or write).
    """
    if config is not None:
        if not isinstance(config, OqtopusConfig):
            raise ConfigError(f"config must be an OqtopusConfig, not {type(config).__name__}")
        return config
    return locate_config().config


def locate_config() -> LocatedConfig:
    """Find the configuration a backend uses when given none, and say where it came from.

    The order is in the module docstring: ``OQTOPUS_URL`` + ``OQTOPUS_API_TOKEN``, ``~/.oqtopus``,
    ``OQTOPUS_BASE_URL`` + ``OQTOPUS_API_TOKEN``, then the official SDK's ``config.ini``.

    Returns:
        The configuration and its source.

    Raises:
        ValueError: If nothing is configured (a ``ConfigError`` naming what is missing), or a file
            that exists is invalid.
    """
    env = _Environment.read()
    if env.url and env.token:
        return _with_env_proxy(
            OqtopusConfig(url=env.url, api_token=env.token, proxy=env.proxy),
            "environment (OQTOPUS_URL, OQTOPUS_API_TOKEN)",
        )
    if os.environ.get("OQTOPUS_ENV") == "sse_container":
        return LocatedConfig(OqtopusConfig.from_file(), "SSE container (OQTOPUS_ENV=sse_container)")
    found = _first_lower_source(env)
    if env.partial:
        if found is None:
            raise ConfigError(f"{env.partial}, and no other configuration was found. {env.fix}")
        _warn_once(f"{env.partial}, so {found.source} is used instead. {env.fix}")
    if found is None:
        raise ConfigError(_nothing_configured())
    return found


def _first_lower_source(env: _Environment) -> LocatedConfig | None:
    """``~/.oqtopus``, then ``OQTOPUS_BASE_URL`` + token, then the official SDK file."""
    home = Path(DEFAULT_CONFIG_PATH).expanduser()
    if home.is_file():
        return _with_env_proxy(OqtopusConfig.from_file(), f"file {DEFAULT_CONFIG_PATH} [default]")
    if env.base_url and env.token:
        return _with_env_proxy(
            OqtopusConfig(url=env.base_url, api_token=env.token, proxy=env.proxy),
            "environment (OQTOPUS_BASE_URL, OQTOPUS_API_TOKEN)",
        )
    official = official_config_path()
    if official.is_file():
        config = OqtopusConfig.from_file("default", str(official))
        return _with_env_proxy(config, f"file {_tilde(official)} [default] (oqtopus-client's)")
    return None


def _with_env_proxy(config: OqtopusConfig, source: str) -> LocatedConfig:
    if config.proxy is None and os.environ.get("OQTOPUS_PROXY"):
        config._proxy = os.environ["OQTOPUS_PROXY"]
    return LocatedConfig(config, source)


@dataclasses.dataclass(frozen=True)
class _Environment:
    url: str | None
    base_url: str | None
    token: str | None
    proxy: str | None

    @staticmethod
    def read() -> _Environment:
        get = os.environ.get
        return _Environment(
            get("OQTOPUS_URL") or None,
            get("OQTOPUS_BASE_URL") or None,
            get("OQTOPUS_API_TOKEN") or None,
            get("OQTOPUS_PROXY") or None,
        )

    @property
    def partial(self) -> str | None:
        """What is half set, e.g. ``"OQTOPUS_URL is set but OQTOPUS_API_TOKEN is not"``."""
        if (self.url or self.base_url) and not self.token:
            name = "OQTOPUS_URL" if self.url else "OQTOPUS_BASE_URL"
            return f"{name} is set but OQTOPUS_API_TOKEN is not"
        if self.token and not self.url and not self.base_url:
            return "OQTOPUS_API_TOKEN is set but OQTOPUS_URL is not"
        return None

    @property
    def fix(self) -> str:
        if self.token:
            return "Set OQTOPUS_URL to the API's base URL too, or unset OQTOPUS_API_TOKEN."
        name = "OQTOPUS_URL" if self.url else "OQTOPUS_BASE_URL"
        return f"Set OQTOPUS_API_TOKEN to your API token too, or unset {name}."


_WARNED_MESSAGES: set[str] = set()


def _warn_once(message: str) -> None:
    """Log a configuration warning once per process (a log record, as ``_warn_if_shared``)."""
    if message not in _WARNED_MESSAGES:
        _WARNED_MESSAGES.add(message)
        logger.warning("%s", message)


def _tilde(path: Path) -> str:
    """Show ``path`` under the home directory as ``~/...``."""
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(path)


def _nothing_configured() -> str:
    return (
        f"{NOTHING_CONFIGURED}set OQTOPUS_URL and OQTOPUS_API_TOKEN, or write a "
        f"[default] section with url= and api_token= to {DEFAULT_CONFIG_PATH} (for example with "
        f"`oqtopus-bridge config --save --url URL --token TOKEN`){PYTHON_ONLY_ADVICE}. "
        f"Also read: OQTOPUS_BASE_URL, and {_tilde(official_config_path())} (oqtopus-client's)."
    )
