"""The web view's sessions table: session id -> user, login token, expiry (stdlib only).

Server-side, so that logging out and revoking the token a browser logged in with end the session
at once (issue 21, item 10: a signed cookie stayed valid for its whole 7 days). Only the SHA-256 of
a session id is stored, as for API tokens. `Repository` mixes this in; it shares its connection.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

SESSIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS web_sessions (
    session_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, token_hash TEXT,
    expires INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS web_sessions_token ON web_sessions(token_hash);
"""


class SessionRows:
    """Rows of ``web_sessions``; mixed into `Repository`, whose lock and connection it uses."""

    _lock: threading.RLock
    _conn: sqlite3.Connection

    def _write(self, sql: str, params: Sequence[Any]) -> int:  # pragma: no cover - Repository's
        raise NotImplementedError

    def add_web_session(
        self, session_hash: str, user_id: str, token_hash: str | None, expires: int, now: int
    ) -> None:
        """Record a session of ``user_id`` until ``expires`` (seconds since the epoch).

        Args:
            session_hash: The SHA-256 of the session id the browser's cookie holds.
            user_id: Whose session it is.
            token_hash: The hash of the API token typed to log in, or ``None`` for a login link.
            expires: When the session ends.
            now: The time now; sessions that ended before it are dropped on the way.
        """
        with self._lock:
            self._write("DELETE FROM web_sessions WHERE expires < ?", (now,))
            self._write(
                "INSERT OR REPLACE INTO web_sessions VALUES (?,?,?,?)",
                (session_hash, user_id, token_hash, expires),
            )

    def web_session_user(self, session_hash: str, now: int) -> str | None:
        """Return the user of a live session, or ``None`` if it is unknown, ended or expired.

        A session that logged in with an API token ends with that token: revoking it deletes
        its sessions, and a session whose token row is gone (deleted by other means) is refused.
        """
        with self._lock:
            row = self._conn.execute(
                "SELECT s.user_id, s.token_hash, s.expires, t.token_hash AS live "
                "FROM web_sessions s LEFT JOIN tokens t ON t.token_hash = s.token_hash "
                "WHERE s.session_hash=?",
                (session_hash,),
            ).fetchone()
        if row is None or int(row["expires"]) < now:
            return None
        if row["token_hash"] is not None and row["live"] is None:
            return None
        return str(row["user_id"])

    def delete_web_session(self, session_hash: str) -> None:
        """End one session (logout)."""
        self._write("DELETE FROM web_sessions WHERE session_hash=?", (session_hash,))

    def delete_web_sessions_of_token(self, token_hash: str) -> None:
        """End every session that logged in with the token of ``token_hash``."""
        self._write("DELETE FROM web_sessions WHERE token_hash=?", (token_hash,))
