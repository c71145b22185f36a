"""Browser access to the web view: one-time login codes and server-side sessions.

Like Jupyter's login link: ``serve`` prints ``/ui/login?code=...``; opening it trades the code
(usable once, for `CODE_LIFETIME_S`) for a session cookie, so the API token never travels in
a URL, a page or a log. Codes are files under ``<data_dir>/ui-codes`` named by their hash and
claimed with an atomic rename, so ``oqtopus-bridge ui`` can mint one for a running server. The
cookie holds a random session id whose hash the repository keeps (`SessionStore`): logging out,
or revoking the API token typed to log in, ends the session at once (issue 21, item 10). Form
tokens are HMACs of the session id. No FastAPI here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

COOKIE = "oqtopus_ui"
CODE_LIFETIME_S = 24 * 3600
SESSION_LIFETIME_S = 7 * 24 * 3600
KEY_FILE = "ui.key"
CODES_DIR = "ui-codes"


def _load_key(path: Path) -> bytes:
    """Return the signing key in ``path``, creating it (mode 600) exactly once."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_bytes(32))
    return path.read_bytes()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class SessionStore(Protocol):
    """Where sessions live (the repository's ``web_sessions`` table)."""

    def add_web_session(
        self, session_hash: str, user_id: str, token_hash: str | None, expires: int, now: int
    ) -> None:
        """Record a session until ``expires``."""

    def web_session_user(self, session_hash: str, now: int) -> str | None:
        """Return the user of a live session, else ``None``."""

    def delete_web_session(self, session_hash: str) -> None:
        """End one session."""


class UiAuth:
    """Login codes, session cookies and CSRF tokens of the web view of one data directory.

    Args:
        data_dir: The server's data directory (holds the key and the pending codes).
        clock: Seconds since the epoch; injectable for tests.
    """

    def __init__(self, data_dir: Path, clock: Callable[[], float] = time.time) -> None:
        self._codes = data_dir / CODES_DIR
        self._codes.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._key = _load_key(data_dir / KEY_FILE)
        self._clock = clock

    def _now(self) -> int:
        return int(self._clock())

    def _sign(self, message: str) -> str:
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()

    def new_code(self, user_id: str) -> str:
        """Return a fresh one-time login code for ``user_id``."""
        code = secrets.token_urlsafe(24)
        doc = {"user_id": user_id, "expires": self._now() + CODE_LIFETIME_S}
        path = self._codes / _digest(code)
        path.write_text(json.dumps(doc))
        path.chmod(0o600)
        return code

    def redeem(self, code: str) -> str | None:
        """Consume ``code``; return its user id, or ``None`` if unknown, used or expired."""
        if not code or len(code) > 200:
            return None
        path = self._codes / _digest(code)
        claimed = path.with_name(f"{path.name}.{secrets.token_hex(8)}.used")
        try:
            path.rename(claimed)  # atomic: of two concurrent logins with one code, one wins
        except FileNotFoundError:
            return None
        try:
            doc = json.loads(claimed.read_text())
        finally:
            claimed.unlink(missing_ok=True)
        if int(doc.get("expires", 0)) < self._now():
            return None
        return str(doc["user_id"])

    def open_session(self, store: SessionStore, user_id: str, token_hash: str | None = None) -> str:
        """Start a session of ``user_id`` and return the cookie value that names it.

        Args:
            store: Where the session is kept.
            user_id: Whose session it is.
            token_hash: The hash of the API token typed to log in (its revocation ends the
                session), or ``None`` for a login link.
        """
        cookie = secrets.token_urlsafe(32)
        now = self._now()
        store.add_web_session(_digest(cookie), user_id, token_hash, now + SESSION_LIFETIME_S, now)
        return cookie

    def session_user(self, store: SessionStore, cookie: str | None) -> str | None:
        """Return the user of a live session cookie, else ``None``."""
        if not cookie or len(cookie) > 200:
            return None
        return store.web_session_user(_digest(cookie), self._now())

    def close_session(self, store: SessionStore, cookie: str | None) -> None:
        """End the session of ``cookie`` (logout); an unknown cookie is ignored."""
        if cookie and len(cookie) <= 200:
            store.delete_web_session(_digest(cookie))

    def csrf_token(self, cookie: str) -> str:
        """Return the form token bound to a session (a forged form cannot know it)."""
        return self._sign("csrf:" + cookie)

    def check_csrf(self, cookie: str, token: str | None) -> bool:
        """Return whether ``token`` is the form token of session ``cookie``."""
        return bool(token) and hmac.compare_digest(self.csrf_token(cookie), token or "")
