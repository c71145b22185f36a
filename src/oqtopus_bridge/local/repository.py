"""SQLite persistence of users, tokens, jobs and device history (stdlib only; no HTTP, no quantum).

One connection in WAL mode is shared by all threads behind a lock, so concurrent workers and request
handlers never see "database is locked".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .sessions import SESSIONS_SCHEMA, SessionRows

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, scope_job_id TEXT,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT UNIQUE NOT NULL, owner TEXT NOT NULL,
    parent_job_id TEXT, name TEXT, description TEXT, device_id TEXT, job_type TEXT, shots INTEGER,
    status TEXT NOT NULL, transpiler_info TEXT, simulator_info TEXT, mitigation_info TEXT,
    message TEXT, execution_time REAL, created_at TEXT NOT NULL, submitted_at TEXT, ready_at TEXT,
    running_at TEXT, ended_at TEXT);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs(owner, seq);
CREATE INDEX IF NOT EXISTS jobs_parent ON jobs(parent_job_id, seq);
CREATE TABLE IF NOT EXISTS profiles (
    user_id TEXT PRIMARY KEY, display_name TEXT, organization TEXT);
CREATE TABLE IF NOT EXISTS device_history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, history_uid TEXT UNIQUE NOT NULL,
    device_id TEXT NOT NULL, calibrated_at TEXT, n_qubits INTEGER NOT NULL,
    n_couplings INTEGER NOT NULL, digest TEXT NOT NULL, recorded_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS device_history_device ON device_history(device_id, seq);
"""

_JSON_COLUMNS = ("transpiler_info", "simulator_info", "mitigation_info")
_last_stamp = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
_stamp_lock = threading.Lock()


def utc_now() -> str:
    """Return a strictly increasing UTC timestamp such as ``2025-01-01T00:00:00.000001Z``.

    Strictly increasing, so ``submitted_at <= ready_at <= running_at <= ended_at`` holds even when
    two transitions fall in the same clock tick.
    """
    global _last_stamp
    with _stamp_lock:
        now = dt.datetime.now(dt.timezone.utc)
        if now <= _last_stamp:
            now = _last_stamp + dt.timedelta(microseconds=1)
        _last_stamp = now
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hash_token(token: str) -> str:
    """Return the stored form of a token (tokens themselves are never persisted)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_job_id() -> str:
    """Return a time-ordered job id (uuid7 layout, as the real service uses)."""
    millis = dt.datetime.now(dt.timezone.utc).timestamp() * 1000
    random = int.from_bytes(secrets.token_bytes(10), "big")  # 74 random bits, one system call
    value = (int(millis) << 80) | (0x7 << 76) | (((random >> 62) & 0xFFF) << 64)
    value |= (0b10 << 62) | (random & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


@dataclasses.dataclass
class JobRecord:
    """One row of the jobs table, with the JSON columns decoded."""

    job_id: str
    owner: str
    status: str
    created_at: str
    parent_job_id: str | None = None
    name: str | None = None
    description: str | None = None
    device_id: str | None = None
    job_type: str | None = None
    shots: int | None = None
    transpiler_info: dict[str, Any] | None = None
    simulator_info: dict[str, Any] | None = None
    mitigation_info: dict[str, Any] | None = None
    message: str | None = None
    execution_time: float | None = None
    submitted_at: str | None = None
    ready_at: str | None = None
    running_at: str | None = None
    ended_at: str | None = None


@dataclasses.dataclass(frozen=True)
class Identity:
    """Who is calling: the user, the SSE job a job-scoped token belongs to, and the token's hash."""

    user_id: str
    scope_job_id: str | None = None
    token_hash: str = ""


@dataclasses.dataclass(frozen=True)
class JobQuery:
    """Filters of ``GET /jobs``."""

    status: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    q: str | None = None
    page: int = 1
    size: int = 100
    descending: bool = False
    parent_job_id: str | None = None  # only the jobs of this SSE job (its program's token)


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    """One recorded ``device_info`` of a device (``GET /device_histories`` items)."""

    history_uid: str
    device_id: str
    calibrated_at: str | None
    n_qubits: int
    n_couplings: int
    recorded_at: str


@dataclasses.dataclass(frozen=True)
class HistoryQuery:
    """Filters of ``GET /device_histories`` (``since``/``until`` bound ``calibrated_at``)."""

    device_id: str | None = None
    since: str | None = None
    until: str | None = None
    limit: int = 100
    offset: int = 0


class Repository(SessionRows):
    """The database of one server.

    Args:
        path: SQLite file; created with its schema when missing.
    """

    def __init__(self, path: Path) -> None:
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL is SQLite's advice for WAL: no fsync per commit, no corruption, and a killed
        # process loses nothing (only an OS crash may undo the last commits). FULL's fsync ran
        # under the connection lock every request waits on (issue 10 benchmarks).
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=10000")
        self._conn.executescript(_SCHEMA + SESSIONS_SCHEMA)
        # Every request names its caller by token: known tokens are kept in memory. Tokens change
        # only through this object (one server per data directory), which updates the cache.
        self._identities: dict[str, Identity] = {}
        # Told the job id after every status change or deletion (`~.watch.JobWatch.changed`).
        self.on_status_change: Callable[[str], None] | None = None

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            self._conn.close()

    def _write(self, sql: str, params: Sequence[Any]) -> int:
        """Run one writing statement; return the number of rows it changed.

        The connection is in autocommit mode, so one statement is one transaction by itself: no
        ``BEGIN``/``COMMIT`` round trips (three statements per status transition before).
        """
        with self._lock:
            return self._conn.execute(sql, params).rowcount

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # -- users and tokens -------------------------------------------------------------------------

    def ensure_user(self, name: str) -> str:
        """Return the id of the user called ``name``, creating the user if needed."""
        with self._tx() as db:
            row = db.execute("SELECT user_id FROM users WHERE name=?", (name,)).fetchone()
            if row is not None:
                return str(row["user_id"])
            user_id = str(uuid.uuid4())
            db.execute("INSERT INTO users VALUES (?,?,?)", (user_id, name, utc_now()))
            return user_id

    def add_token(self, user_id: str, token: str, scope_job_id: str | None = None) -> None:
        """Register ``token`` for ``user_id`` (optionally scoped to one SSE job)."""
        digest = hash_token(token)
        with self._lock:
            self._write(
                "INSERT OR REPLACE INTO tokens VALUES (?,?,?,?)",
                (digest, user_id, scope_job_id, utc_now()),
            )
            self._identities.pop(digest, None)

    def revoke_token(self, token: str) -> None:
        """Forget ``token``; later requests with it get 401."""
        self.revoke_token_hash(hash_token(token))

    def revoke_scoped_tokens(self, job_id: str) -> None:
        """Forget every token scoped to ``job_id``."""
        with self._lock:
            self._write("DELETE FROM tokens WHERE scope_job_id=?", (job_id,))
            self._identities.clear()

    def identify(self, token: str) -> Identity | None:
        """Return who owns ``token``, or ``None`` for an unknown token."""
        digest = hash_token(token)
        who = self._identities.get(digest)  # no lock: a request never waits for a pool write
        if who is not None:
            return who
        with self._lock:  # a token write deletes, then forgets, under this lock: never stale
            row = self._conn.execute(
                "SELECT user_id, scope_job_id FROM tokens WHERE token_hash=?", (digest,)
            ).fetchone()
            if row is None:
                return None  # unknown tokens are not kept: any string may be sent
            who = Identity(str(row["user_id"]), row["scope_job_id"], digest)
            self._identities[digest] = who
        return who

    def token_created_at(self, token_hash: str) -> str | None:
        """Return when the token with ``token_hash`` was registered, or ``None`` if it is gone."""
        with self._lock:
            row = self._conn.execute(
                "SELECT created_at FROM tokens WHERE token_hash=?", (token_hash,)
            ).fetchone()
        return None if row is None else str(row["created_at"])

    def revoke_token_hash(self, token_hash: str) -> bool:
        """Forget the token with ``token_hash``, ending its web sessions; return if it existed."""
        with self._lock:
            deleted = self._write("DELETE FROM tokens WHERE token_hash=?", (token_hash,))
            self.delete_web_sessions_of_token(token_hash)  # browsers logged in with it, too
            self._identities.pop(token_hash, None)
        return deleted > 0

    def user(self, user_id: str) -> dict[str, Any] | None:
        """Return ``{user_id, name, created_at, display_name, organization}`` or ``None``."""
        with self._lock:
            row = self._conn.execute(
                "SELECT u.user_id, u.name, u.created_at, p.display_name, p.organization "
                "FROM users u LEFT JOIN profiles p ON p.user_id=u.user_id WHERE u.user_id=?",
                (user_id,),
            ).fetchone()
        return None if row is None else dict(row)

    def update_profile(
        self, user_id: str, display_name: str | None, organization: str | None
    ) -> None:
        """Set the shown name and/or organization of a user (``None`` keeps the old value)."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO profiles (user_id) VALUES (?)", (user_id,))
            if display_name is not None:
                db.execute(
                    "UPDATE profiles SET display_name=? WHERE user_id=?", (display_name, user_id)
                )
            if organization is not None:
                db.execute(
                    "UPDATE profiles SET organization=? WHERE user_id=?", (organization, user_id)
                )

    # -- device history ---------------------------------------------------------------------------

    def record_calibration(self, entry: HistoryEntry, digest: str) -> bool:
        """Append ``entry`` unless the device's latest entry has the same ``digest``.

        Returns:
            Whether the entry was added (the device's ``device_info`` changed).
        """
        with self._tx() as db:
            row = db.execute(
                "SELECT digest FROM device_history WHERE device_id=? ORDER BY seq DESC LIMIT 1",
                (entry.device_id,),
            ).fetchone()
            if row is not None and row["digest"] == digest:
                return False
            db.execute(
                "INSERT INTO device_history (history_uid, device_id, calibrated_at, n_qubits, "
                "n_couplings, digest, recorded_at) VALUES (?,?,?,?,?,?,?)",
                (
                    entry.history_uid,
                    entry.device_id,
                    entry.calibrated_at,
                    entry.n_qubits,
                    entry.n_couplings,
                    digest,
                    entry.recorded_at,
                ),
            )
            return True

    def device_history(self, query: HistoryQuery) -> tuple[list[HistoryEntry], int]:
        """Return one page of history entries (newest first) and the total that match."""
        where, params = _filters(
            ("device_id=?", query.device_id),
            ("calibrated_at>=?", query.since),
            ("calibrated_at<=?", query.until),
        )
        columns = "history_uid, device_id, calibrated_at, n_qubits, n_couplings, recorded_at"
        with self._lock:
            total = self._conn.execute(
                "SELECT COUNT(*) FROM device_history" + where, params
            ).fetchone()[0]
            rows = self._conn.execute(
                f"SELECT {columns} FROM device_history{where} ORDER BY seq DESC LIMIT ? OFFSET ?",
                [*params, query.limit, query.offset],
            ).fetchall()
        return [HistoryEntry(**dict(row)) for row in rows], int(total)

    def history_entry(self, history_uid: str) -> HistoryEntry | None:
        """Return one history entry, or ``None``."""
        with self._lock:
            row = self._conn.execute(
                "SELECT history_uid, device_id, calibrated_at, n_qubits, n_couplings, recorded_at "
                "FROM device_history WHERE history_uid=?",
                (history_uid,),
            ).fetchone()
        return None if row is None else HistoryEntry(**dict(row))

    # -- jobs -------------------------------------------------------------------------------------

    def insert_job(self, record: JobRecord) -> None:
        """Insert a new job row."""
        self._write(_INSERT_JOB, _to_row(record))

    def get_job(self, job_id: str) -> JobRecord | None:
        """Return the job ``job_id`` whoever owns it, or ``None``."""
        with self._lock:
            row = self._conn.execute(_SELECT_JOBS + " WHERE job_id=?", (job_id,)).fetchone()
        return None if row is None else _from_row(row)

    def job_status(self, job_id: str) -> tuple[str, str] | None:
        """Return ``(owner, status)`` of the job ``job_id``, or ``None`` (a status poll's read)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT owner, status FROM jobs WHERE job_id=?", (job_id,)
            ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def update_job(
        self, job_id: str, *, expect: Sequence[str] | None = None, **changes: Any
    ) -> bool:
        """Update columns of a job, only if its status is one of ``expect`` (when given).

        Returns:
            Whether a row was updated: ``False`` means the job is gone or moved on (e.g. cancelled).
        """
        for key in _JSON_COLUMNS:
            if key in changes and changes[key] is not None:
                changes[key] = json.dumps(changes[key])
        sets = ",".join(f"{key}=?" for key in changes)
        sql = f"UPDATE jobs SET {sets} WHERE job_id=?"
        params: list[Any] = [*changes.values(), job_id]
        if expect is not None:
            sql += f" AND status IN ({','.join('?' for _ in expect)})"
            params.extend(expect)
        updated = self._write(sql, params) == 1
        if updated and "status" in changes:
            self._status_changed(job_id)
        return updated

    def delete_job(self, job_id: str) -> None:
        """Delete the job row."""
        self._write("DELETE FROM jobs WHERE job_id=?", (job_id,))
        self._status_changed(job_id)

    def _status_changed(self, job_id: str) -> None:
        if self.on_status_change is not None:
            self.on_status_change(job_id)

    def list_jobs(self, owner: str, query: JobQuery) -> list[JobRecord]:
        """Return one page of the owner's jobs, filtered as ``query`` says."""
        where, params = _filters(
            ("owner=?", owner),
            ("parent_job_id=?", query.parent_job_id),
            ("status=?", query.status),
            ("submitted_at IS NOT NULL AND submitted_at>=?", query.start_time),
            ("submitted_at IS NOT NULL AND submitted_at<=?", query.end_time),
        )
        sql = _SELECT_JOBS + where
        if query.q:
            sql += " AND (instr(job_id,?)>0 OR instr(IFNULL(name,''),?)>0"
            sql += " OR instr(IFNULL(description,''),?)>0)"
            params.extend([query.q] * 3)
        sql += f" ORDER BY seq {'DESC' if query.descending else 'ASC'} LIMIT ? OFFSET ?"
        params.extend([query.size, (query.page - 1) * query.size])
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
        return [_from_row(row) for row in rows]

    def jobs_with_status(self, statuses: Sequence[str]) -> list[JobRecord]:
        """Return every job (any owner) in one of ``statuses``, oldest first."""
        marks = ",".join("?" for _ in statuses)
        with self._lock:
            rows = self._conn.execute(
                f"{_SELECT_JOBS} WHERE status IN ({marks}) ORDER BY seq", tuple(statuses)
            ).fetchall()
        return [_from_row(row) for row in rows]

    def children(self, parent_job_id: str) -> list[JobRecord]:
        """Return the jobs submitted from inside SSE job ``parent_job_id``, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                _SELECT_JOBS + " WHERE parent_job_id=? ORDER BY seq", (parent_job_id,)
            ).fetchall()
        return [_from_row(row) for row in rows]

    def count_pending(self, device_id: str) -> int:
        """Return how many jobs wait for or run on ``device_id``."""
        with self._lock:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM jobs WHERE device_id=? AND status IN "
                "('submitted','ready','running')",
                (device_id,),
            ).fetchone()
        return int(row[0])


_JOB_COLUMNS = tuple(field.name for field in dataclasses.fields(JobRecord))
_SELECT_JOBS = f"SELECT {','.join(_JOB_COLUMNS)} FROM jobs"  # in JobRecord's field order
_INSERT_JOB = (
    f"INSERT INTO jobs ({','.join(_JOB_COLUMNS)}) VALUES ({','.join('?' for _ in _JOB_COLUMNS)})"
)


def _to_row(record: JobRecord) -> tuple[Any, ...]:
    values = (getattr(record, name) for name in _JOB_COLUMNS)
    return tuple(
        json.dumps(value) if name in _JSON_COLUMNS and value is not None else value
        for name, value in zip(_JOB_COLUMNS, values, strict=True)
    )


def _filters(*conditions: tuple[str, Any]) -> tuple[str, list[Any]]:
    """Return a ``WHERE`` clause of the conditions whose value is set, and their parameters."""
    chosen = [(clause, value) for clause, value in conditions if value is not None]
    where = " AND ".join(clause for clause, _ in chosen) or "1=1"
    return f" WHERE {where}", [value for _, value in chosen]


def _from_row(row: sqlite3.Row) -> JobRecord:
    record = JobRecord(*row)
    for key in _JSON_COLUMNS:
        value = getattr(record, key)
        if value is not None:
            setattr(record, key, json.loads(value))
    return record
