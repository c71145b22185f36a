"""Use the user's OQTOPUS configuration, or start a private local server when there is none.

The examples and the notebook call `config_or_local_server` so that they run on the
service a user configured (``OQTOPUS_URL`` + ``OQTOPUS_API_TOKEN``, or ``~/.oqtopus``) and fall back
to an embedded server only when nothing is configured, saying so either way.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .server import LocalServer

__all__ = ["config_or_local_server"]


def _source() -> str:
    if os.environ.get("OQTOPUS_URL") and os.environ.get("OQTOPUS_API_TOKEN"):
        return "OQTOPUS_URL and OQTOPUS_API_TOKEN"
    return "~/.oqtopus [default]"


def _nothing_configured() -> bool:
    """True when neither the environment nor ``~/.oqtopus`` holds any OQTOPUS setting."""
    env = any(name.startswith("OQTOPUS_") and name != "OQTOPUS_DEVICE" for name in os.environ)
    return not env and not Path("~/.oqtopus").expanduser().exists()


def config_or_local_server(
    announce: Callable[[str], None] = print,
) -> tuple[Any, LocalServer | None]:
    """Return the configured connection, or start a local server when nothing is configured.

    A configuration that exists but is broken (a ``~/.oqtopus`` without ``api_token``, say) raises
    its error rather than falling back silently to a local server.

    Args:
        announce: Called once with a line saying which server is used (``print`` by default).

    Returns:
        ``(config, None)`` for the configured service, or ``(server.config, server)`` for a started
        `LocalServer`, which the caller stops (``server.stop()``) when done.

    Raises:
        ConfigError: If a configuration exists but cannot be used.
    """
    from oqtopus_bridge.config import resolve_config
    from oqtopus_bridge.errors import ConfigError

    try:
        config = resolve_config(None)
    except ConfigError:
        if not _nothing_configured():
            raise
    else:
        announce(f"Using OQTOPUS at {config.url} (from {_source()})")
        return config, None
    server = LocalServer().start()
    announce(
        f"No OQTOPUS configuration found (OQTOPUS_URL + OQTOPUS_API_TOKEN, or ~/.oqtopus): "
        f"started a private local server at {server.url} for this run; its jobs are discarded "
        "when it stops"
    )
    return server.config, server
