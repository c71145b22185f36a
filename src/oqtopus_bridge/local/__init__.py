"""A local OQTOPUS-compatible server (FastAPI + SQLite + qiskit-aer), independent of the client.

Public names: :class:`LocalServer` (run in-process), :func:`create_app` (the ASGI app factory),
:class:`ServerSettings`, and :func:`serve` (the ``oqtopus-bridge serve`` command).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .server import LocalServer, default_data_dir, serve
    from .settings import ServerSettings

__all__ = ["LocalServer", "ServerSettings", "create_app", "default_data_dir", "serve"]
_HOMES = {
    "LocalServer": "server",
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
