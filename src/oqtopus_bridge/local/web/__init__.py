"""The web view of the local server: pages like the OQTOPUS frontend's, served at ``/ui/``.

More routes over the same repository (DESIGN.md); server-rendered HTML with package-data CSS and
JavaScript, so it works offline with no build step. `install` adds it to an app;
`login_link` makes the one-time link that ``serve`` prints and ``LocalServer.ui_url`` returns;
`fresh_login_link` makes one for the server running on a data directory (``oqtopus-bridge ui``).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from ..context import DEFAULT_USER, ServerContext
from ..lock import running_server
from ..repository import Repository
from ..settings import ServerSettings
from .auth import UiAuth
from .routes import PREFIX, Forbidden, LoginRequired, forbidden, login_required, router

__all__ = ["NoServerError", "fresh_login_link", "install", "login_link"]


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


class NoServerError(OSError):
    """No server runs on the data directory a login link was asked for."""


def fresh_login_link(data_dir: Path) -> str:
    """Return a new one-time login link to the server that runs on ``data_dir`` now.

    The code is written into the data directory, where the running server finds it, so nothing
    is asked of the server itself and no token is needed: whoever can write the directory could
    read its token anyway.

    Args:
        data_dir: The data directory of a running ``oqtopus-bridge serve``.

    Returns:
        ``<url>/ui/login?code=...`` with the URL the server recorded in its lock file.

    Raises:
        NoServerError: If no server runs on ``data_dir``.
    """
    holder = running_server(data_dir)
    if holder is None or not holder.url:
        state = "is starting (retry in a moment)" if holder else "does not run"
        raise NoServerError(
            f"no login link: an oqtopus-bridge server {state} on the data directory {data_dir}; "
            f"start one with 'oqtopus-bridge serve --data-dir {data_dir}' (it prints a link), "
            "or name the directory of the running one with --data-dir DIR"
        )
    repo = Repository(data_dir / "oqtopus.sqlite3")
    try:
        user_id = repo.ensure_user(DEFAULT_USER)
    finally:
        repo.close()
    code = UiAuth(data_dir).new_code(user_id)
    return f"{holder.url.rstrip('/')}{PREFIX}/login?code={code}"
