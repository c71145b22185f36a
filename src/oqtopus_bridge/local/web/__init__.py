"""The web view of the local server: pages like the OQTOPUS frontend's, served at ``/ui/``.

More routes over the same repository (DESIGN.md); server-rendered HTML with package-data CSS and
JavaScript, so it works offline with no build step. :func:`install` adds it to an app;
:func:`login_link` makes the one-time link that ``serve`` prints and ``LocalServer.ui_url`` returns.
"""

from __future__ import annotations

from fastapi import FastAPI

from ..context import DEFAULT_USER, ServerContext
from ..settings import ServerSettings
from .auth import UiAuth
from .routes import PREFIX, Forbidden, LoginRequired, forbidden, login_required, router

__all__ = ["install", "login_link"]


def install(app: FastAPI, settings: ServerSettings) -> None:
    """Serve the web view from ``app`` (``/`` redirects browsers to ``/ui/jobs``)."""
    app.state.ui_auth = UiAuth(settings.data_dir)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(Forbidden, forbidden)
    app.include_router(router)


def login_link(context: ServerContext, base_url: str) -> str:
    """Return a new one-time login link to the web view for the default user.

    Args:
        context: The server's context (its data directory holds the pending codes).
        base_url: The URL the server is reached at, e.g. ``http://127.0.0.1:8080``.

    Returns:
        ``<base_url>/ui/login?code=...``: opening it once logs a browser in.
    """
    user_id = context.repo.ensure_user(DEFAULT_USER)
    code = UiAuth(context.settings.data_dir).new_code(user_id)
    return f"{base_url.rstrip('/')}{PREFIX}/login?code={code}"
