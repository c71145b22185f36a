"""A local OQTOPUS-compatible server (FastAPI + SQLite + qiskit-aer), independent of the client.

Public names: `LocalServer` (run in-process), `create_app` (the ASGI app factory),
`ServerSettings`, `serve` (the ``oqtopus-bridge serve`` command), and `config_or_local_server`
(the user's configuration, or a private server when there is none).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .fallback import config_or_local_server
    from .server import LocalServer, default_data_dir, serve
    from .settings import ServerSettings

__all__ = [
    "LocalServer",
    "ServerSettings",
    "config_or_local_server",
    "create_app",
    "default_data_dir",
    "serve",
]
_HOMES = {
    "LocalServer": "server",
    "config_or_local_server": "fallback",
    "ServerSettings": "settings",
    "create_app": "app",
    "default_data_dir": "server",
    "serve": "server",
}


def __getattr__(name: str) -> Any:
    # Lazy, so an engine worker process (which imports oqtopus_bridge.local.engine) never loads
    # FastAPI or uvicorn (issue 16).
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    globals()[name] = value
    return value
