"""A local OQTOPUS-compatible server (FastAPI + SQLite + qiskit-aer), independent of the client.

Public names: `LocalServer` (run in-process), `create_app` (the ASGI app factory),
`ServerSettings`, `serve` (the ``oqtopus-bridge serve`` command), and `config_or_local_server`
(the user's configuration, or a private server when there is none).
"""

from __future__ import annotations

from .app import create_app
from .server import LocalServer, config_or_local_server, default_data_dir, serve
from .settings import ServerSettings

__all__ = [
    "LocalServer",
    "ServerSettings",
    "config_or_local_server",
    "create_app",
    "default_data_dir",
    "serve",
]
