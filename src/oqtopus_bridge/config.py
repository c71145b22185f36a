"""Connection settings for OQTOPUS: the documented ``OqtopusConfig`` and how a backend resolves it.

Resolution when a backend receives ``config=None`` (the documented order): the environment variables
``OQTOPUS_URL`` and ``OQTOPUS_API_TOKEN`` (both set, plus optional ``OQTOPUS_PROXY``), else the
``[default]`` section of ``~/.oqtopus``. Nothing is read at import time.
"""

from __future__ import annotations

import configparser
import json
import logging
import os
import stat
from pathlib import Path
from typing import Literal

from oqtopus_bridge.errors import ConfigError

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_CONFIG_PATH", "OqtopusConfig", "Protocol", "resolve_config"]

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
        read_timeout: Seconds to wait for each response.

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
        self._url = url
        self._api_token = api_token
        self._proxy = proxy or None
        self.protocol: Protocol = protocol
        self.connect_timeout = float(connect_timeout)
        self.read_timeout = float(read_timeout)

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
        ``proxy`` (and optional ``protocol``, ``connect_timeout``, ``read_timeout``)::

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
        return OqtopusConfig(
            url=values["url"],
            api_token=values["api_token"],
            proxy=values.get("proxy") or None,
            protocol=_protocol_value(values.get("protocol", "auto"), file, section),
            connect_timeout=_float_value(values, "connect_timeout", 10.0, file, section),
            read_timeout=_float_value(values, "read_timeout", 60.0, file, section),
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
            "or set OQTOPUS_URL and OQTOPUS_API_TOKEN, or pass an OqtopusConfig."
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


def resolve_config(config: OqtopusConfig | None) -> OqtopusConfig:
    """Return ``config``, or the one from the environment, or the ``[default]`` section of the file.

    Args:
        config: An explicit configuration, or None to resolve one.

    Returns:
        The configuration to use.

    Raises:
        ValueError: If nothing is configured (a `ConfigError`).
    """
    if config is not None:
        if not isinstance(config, OqtopusConfig):
            raise ConfigError(f"config must be an OqtopusConfig, not {type(config).__name__}")
        return config
    url = os.environ.get("OQTOPUS_URL")
    token = os.environ.get("OQTOPUS_API_TOKEN")
    if url and token:
        return OqtopusConfig(url=url, api_token=token, proxy=os.environ.get("OQTOPUS_PROXY"))
    resolved = OqtopusConfig.from_file()
    if resolved.proxy is None and os.environ.get("OQTOPUS_PROXY"):
        resolved._proxy = os.environ["OQTOPUS_PROXY"]
    return resolved
