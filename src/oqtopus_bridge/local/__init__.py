"""A local OQTOPUS-compatible server (FastAPI + SQLite + qiskit-aer), independent of the client.

Public names: :class:`LocalServer` (run in-process), :func:`create_app` (the ASGI app factory),
:class:`ServerSettings`, and :func:`serve` (the ``oqtopus-bridge serve`` command).
"""

from __future__ import annotations

from .app import create_app
from .server import LocalServer, default_data_dir, serve
from .settings import ServerSettings

__all__ = ["LocalServer", "ServerSettings", "create_app", "default_data_dir", "serve"]
