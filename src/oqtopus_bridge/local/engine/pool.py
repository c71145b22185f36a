"""The worker pool: moves submitted jobs through ready and running to a final status.

Circuit jobs run on ``settings.worker_count`` threads (Aer releases the GIL); SSE jobs are
supervised on their own threads, so a user program waiting for its inner jobs never starves the
circuit workers.
A failure anywhere ends the job ``failed`` with a message; nothing escapes a worker.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from typing import Any

from ..devices import DeviceCatalog
from ..errors import JobFailure
from ..repository import JobRecord, Repository, utc_now
from ..settings import ServerSettings
from ..storage import ObjectStore
from .circuits import DEFAULT_TRANSPILER_INFO
from .outcome import Outcome

log = logging.getLogger("oqtopus_bridge.local")


class Cancelled(Exception):
    """The job left the expected status (cancelled by its owner) while the engine worked on it."""


class Engine:
    """In-process executor of submitted jobs.

    Args:
        settings: Server settings (pool sizes, SSE limits, public URL).
        repo: The database.
        store: Object storage.
        catalog: The device catalog.
    """

    def __init__(
        self,
        settings: ServerSettings,
        repo: Repository,
        store: ObjectStore,
        catalog: DeviceCatalog,
    ) -> None:
        self.settings = settings
        self.repo = repo
        self.store = store
        self.catalog = catalog
        self._circuit_queue: queue.Queue[str | None] = queue.Queue()
        self._sse_queue: queue.Queue[str | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self.stopping = threading.Event()

    def start(self) -> None:
        """Start the worker threads."""
        pools = [
            (self._circuit_queue, self.settings.worker_count, "circuit"),
            (self._sse_queue, self.settings.sse_workers, "sse"),
        ]
        for jobs, count, kind in pools:
            for index in range(count):
                thread = threading.Thread(
                    target=self._work, args=(jobs,), name=f"oqtopus-{kind}-{index}", daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the workers to stop after their current job and wait for them."""
        self.stopping.set()
        for thread in self._threads:
            jobs = self._sse_queue if "sse" in thread.name else self._circuit_queue
            jobs.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def enqueue(self, job_id: str) -> None:
        """Queue a submitted job for execution."""
        record = self.repo.get_job(job_id)
        if record is not None:
            (self._sse_queue if record.job_type == "sse" else self._circuit_queue).put(job_id)

    def recover(self) -> None:
        """Re-run jobs an earlier process left unfinished (nothing is silently lost)."""
        for record in self.repo.jobs_with_status(("ready", "running")):
            self.repo.update_job(
                record.job_id,
                expect=("ready", "running"),
                status="submitted",
                ready_at=None,
                running_at=None,
            )
            log.info("job %s re-queued after restart", record.job_id)
        for record in self.repo.jobs_with_status(("submitted",)):
            self.enqueue(record.job_id)

    def _work(self, jobs: queue.Queue[str | None]) -> None:
        while True:
            job_id = jobs.get()
            if job_id is None or self.stopping.is_set():
                return
            try:
                self.run(job_id)
            except Exception:  # last line of defence: a worker never dies
                if self.stopping.is_set():
                    return  # the database closed under a job that outlived shutdown
                log.exception("job %s: unexpected engine error", job_id)
                with contextlib.suppress(Exception):
                    self.fail(job_id, "internal server error")

    # -- transitions ------------------------------------------------------------------------------

    def transition(self, job_id: str, status: str, expect: tuple[str, ...], **extra: Any) -> None:
        """Move a job to ``status`` if it is in ``expect``; raise :class:`Cancelled` otherwise."""
        stamp = {"ready": "ready_at", "running": "running_at"}.get(status, "ended_at")
        if not self.repo.update_job(
            job_id, expect=expect, status=status, **{stamp: utc_now()}, **extra
        ):
            raise Cancelled(job_id)
        log.info(
            "job %s %s%s", job_id, status, f": {extra['message']}" if extra.get("message") else ""
        )

    def fail(self, job_id: str, message: str) -> None:
        """End a job ``failed`` with ``message`` unless it already ended."""
        with contextlib.suppress(Cancelled):
            self.transition(job_id, "failed", ("submitted", "ready", "running"), message=message)

    def run(self, job_id: str) -> None:
        """Execute one job from ``submitted`` to its final status."""
        record = self.repo.get_job(job_id)
        if record is None or record.status != "submitted":
            return
        try:
            self.transition(job_id, "ready", ("submitted",))
            outcome = self._execute(record)
            current = self.repo.get_job(job_id)
            if current is None or current.status != "running":
                raise Cancelled(job_id)  # cancelled (and maybe deleted) while it ran
            self.store_outcome(job_id, outcome)
            extra = {} if outcome.message is None else {"message": outcome.message}
            self.transition(
                job_id, "succeeded", ("running",), execution_time=outcome.execution_time, **extra
            )
        except Cancelled:
            log.info("job %s stopped: no longer active", job_id)
        except JobFailure as exc:
            self.fail(job_id, exc.message)

    def store_outcome(self, job_id: str, outcome: Outcome) -> None:
        """Write an outcome's objects, then its ``result``, to object storage."""
        for item, value in outcome.objects.items():
            if isinstance(value, bytes):
                self.store.put_entry(job_id, item, item, value)
            else:
                self.store.put_json(job_id, item, value)
        self.store.put_json(job_id, "result", outcome.result)

    def _execute(self, record: JobRecord) -> Outcome:
        device = self.catalog.get(record.device_id or "")
        if device is None:
            raise JobFailure(f"device {record.device_id} was removed from the catalog")

        def mark_running() -> None:
            self.transition(record.job_id, "running", ("ready",))

        if record.job_type == "sse":
            from .sse import run_sse_job

            return run_sse_job(self, record, mark_running)
        if not record.transpiler_info:
            # The real engine writes its default back so the user sees what was applied.
            record.transpiler_info = dict(DEFAULT_TRANSPILER_INFO)
            self.repo.update_job(record.job_id, transpiler_info=record.transpiler_info)
        from .pipeline import run_circuit_job

        return run_circuit_job(record, device, self.store, mark_running)
