"""The examples' and the notebook's connection: the user's configuration, else a private server."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .server import LocalServer

__all__ = ["config_or_local_server"]

# The variables that configure the client (config.py); others, such as OQTOPUS_DEVICE or the test
# suite's OQTOPUS_REQUIRE_BROWSER, say nothing about which service to use.
_CONFIG_VARIABLES = ("OQTOPUS_URL", "OQTOPUS_API_TOKEN", "OQTOPUS_BASE_URL")


def _nothing_configured(official_file: Path) -> bool:
    """True when no OQTOPUS setting exists: none in the environment, no file the client reads."""
    env = any(os.environ.get(name) for name in _CONFIG_VARIABLES)
    files = (Path("~/.oqtopus").expanduser(), official_file)
    return not env and not any(file.exists() for file in files)


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
    # The client's own resolution, as for .config (the one client import of this package).
    from oqtopus_bridge.config import locate_config, official_config_path

    try:
        located = locate_config()
    except ValueError:  # the client's ConfigError
        if not _nothing_configured(official_config_path()):
            raise
    else:
        announce(f"Using OQTOPUS at {located.config.url} (from {located.source})")
        return located.config, None
    server = LocalServer().start()
    announce(
        f"No OQTOPUS configuration found (OQTOPUS_URL + OQTOPUS_API_TOKEN, or ~/.oqtopus): "
        f"started a private local server at {server.url} for this run; its jobs are discarded "
        "when it stops"
    )
    return server.config, server
