"""Jobs registered and never submitted expire (issue 21): their uploads are not kept forever.

A job that stays ``registered`` for longer than ``registered_ttl_s`` (a client that crashed after
uploading, or one that registers jobs to fill the disk) ends ``cancelled`` with a message saying
why, and its objects are deleted. The sweep runs when the server starts and then in a thread of
the server, every quarter of the lifetime (at most every ten minutes).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from .repository import Repository, utc_now
from .storage import ObjectStore

log = logging.getLogger("oqtopus_bridge.local")
MAX_INTERVAL_S = 600.0


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:g} h" if seconds >= 3600 else f"{seconds:g} s"


class Expiry:
    """The sweeper of one server's unsubmitted jobs.

    Args:
        repo: The database.
        store: Object storage (the expired jobs' uploads are deleted from it).
        ttl_s: How long a job may stay ``registered``.
        now: The current time (injectable for tests).
    """

    def __init__(
        self,
        repo: Repository,
        store: ObjectStore,
        ttl_s: float,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
    ) -> None:
        self._repo, self._store, self.ttl_s, self._now = repo, store, ttl_s, now
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep(self) -> list[str]:
        """Cancel every job registered longer than the lifetime ago and delete its objects.

        Returns:
            The ids of the jobs that expired.
        """
        cutoff = (self._now() - dt.timedelta(seconds=self.ttl_s)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        message = (
            f"expired: registered but not submitted within {_hours(self.ttl_s)}, so its upload "
            "was deleted; register a new job"
        )
        expired = []
        for record in self._repo.jobs_with_status(("registered",)):
            if record.created_at >= cutoff:
                continue
            # Cancel first: a submit that won the race keeps its input (the update then fails).
            if self._repo.update_job(
                record.job_id,
                expect=("registered",),
                status="cancelled",
                ended_at=utc_now(),
                message=message,
            ):
                self._store.delete_job(record.job_id)
                expired.append(record.job_id)
                log.info("job %s expired (registered, never submitted)", record.job_id)
        return expired

    def start(self) -> None:
        """Sweep now, then every quarter of the lifetime (at most ten minutes) in a thread."""
        self.sweep()
        interval = max(1.0, min(self.ttl_s / 4, MAX_INTERVAL_S))
        self._thread = threading.Thread(
            target=self._run, args=(interval,), name="oqtopus-expiry", daemon=True
        )
        self._thread.start()

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.sweep()
            except Exception:  # a locked or closing database: try again next time
                log.exception("the sweep of unsubmitted jobs failed")

    def stop(self) -> None:
        """Stop the sweeping thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
