"""The worker pool: moves submitted jobs through ready and running to a final status.

Circuit jobs run in ``settings.worker_count`` engine worker **processes** (issue 16), each driven
by one thread here that sends it a job, moves the job's status when the worker reports, and stores
the outcome: the API process only stores data and moves statuses, so no simulation holds its GIL.
A worker that dies fails its job with a message and is replaced; cancelling a running job kills
its worker. SSE jobs are supervised on their own threads (their user program is already a
subprocess), so a program waiting for its inner jobs never starves the circuit workers.
A failure anywhere ends the job ``failed`` with a message; nothing escapes a pool thread.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from ..devices import Device, DeviceCatalog
from ..errors import JobFailure
from ..logs import transition_level
from ..repository import JobRecord, Repository, utc_now
from ..settings import ServerSettings
from ..storage import ObjectStore
from .circuits import DEFAULT_TRANSPILER_INFO
from .outcome import Cancelled, Outcome, remove_outputs, store_outcome
from .sse import run_sse_job
from .worker import WorkerConfig
from .workers import WorkerDied, WorkerProcess

log = logging.getLogger("oqtopus_bridge.local")


class _Slot:
    """One circuit pool thread's worker process, replaced whenever it dies."""

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.worker: WorkerProcess | None = None
        self.lock = threading.Lock()

    def ready(self) -> WorkerProcess:
        """Return a live worker, starting (and waiting for) a new one if needed."""
        with self.lock:
            worker = self.worker
        if worker is None:
            worker = WorkerProcess(self.config)
            with self.lock:
                self.worker = worker
            try:
                worker.wait_ready()
            except WorkerDied:
                self.discard(worker)
                raise
        return worker

    def discard(self, worker: WorkerProcess) -> None:
        """Forget a dead (or killed) worker; the next job starts a new one."""
        with self.lock:
            if self.worker is worker:
                self.worker = None
        worker.kill()
        worker.close(timeout=5)


class CoreBudget:
    """Aer threads per circuit job, given at dispatch: the cores no other job in a worker uses.

    A lone job gets every core (a 20-qubit simulation no longer runs on cores / workers threads
    while the other cores idle, issue 16); jobs that run together share the cores. A job is
    always given one thread; it leaves room for the queued jobs that idle workers are about to
    take, so a burst of jobs is not handed all the cores by its first job.

    Args:
        cores: The cores the engine's jobs share.
        workers: The number of circuit workers.
    """

    def __init__(self, cores: int, workers: int) -> None:
        self.cores = max(1, cores)
        self.workers = max(1, workers)
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, job_id: str, queued: int) -> int:
        """Give ``job_id`` its threads, with ``queued`` jobs waiting for a worker; return them."""
        with self._lock:
            idle = self.workers - len(self._held) - 1
            reserved = min(max(0, queued), max(0, idle))
            threads = max(1, self.cores - sum(self._held.values()) - reserved)
            self._held[job_id] = threads
            return threads

    def release(self, job_id: str) -> None:
        """Give back the threads of a job that left its worker."""
        with self._lock:
            self._held.pop(job_id, None)

    def held(self) -> dict[str, int]:
        """The threads of each job now in a worker (for tests and diagnostics)."""
        with self._lock:
            return dict(self._held)


class Engine:
    """Executor of submitted jobs: engine worker processes, driven from this process.

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
        # SimpleQueue: its handoff to a waiting pool thread costs half a Queue's CPU (issue 23).
        self._circuit_queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._sse_queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._slots: list[_Slot] = []
        self.cores = CoreBudget(settings.aer_threads, settings.worker_count)
        self.stopping = threading.Event()

    def start(self) -> None:
        """Start the pool threads; each circuit thread starts its worker process."""
        config = WorkerConfig(
            store=self.store,
            threads=self.settings.aer_threads,
            memory_bytes=self.settings.worker_memory,
            test_hooks=self.settings.test_hooks,
            library_threads=self.settings.library_threads,
            devices=tuple(self.catalog.all()),
        )
        self._slots = [_Slot(config) for _ in range(self.settings.worker_count)]
        for index, slot in enumerate(self._slots):
            self._spawn(self._work, (self._circuit_queue, slot), f"oqtopus-circuit-{index}")
        for index in range(self.settings.sse_workers):
            self._spawn(self._work, (self._sse_queue, None), f"oqtopus-sse-{index}")

    def _spawn(self, target: Any, args: tuple[Any, ...], name: str) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the pool: running circuit jobs are abandoned (re-queued on the next start)."""
        self.stopping.set()
        for thread in self._threads:
            jobs = self._sse_queue if "sse" in thread.name else self._circuit_queue
            jobs.put(None)
        for slot in self._slots:
            worker = slot.worker
            if worker is not None:
                worker.kill()
        for thread in self._threads:
            thread.join(timeout)
        for slot in self._slots:
            if slot.worker is not None:
                slot.discard(slot.worker)
        self._threads.clear()

    def ready_workers(self) -> int:
        """How many engine workers have started and can take a job (for benchmarks and tests)."""
        return sum(1 for slot in self._slots if slot.worker is not None and slot.worker.ready)

    def worker_pids(self) -> list[int]:
        """Process ids of the live engine workers (for tests and diagnostics)."""
        return [slot.worker.pid for slot in self._slots if slot.worker is not None]

    def cancel(self, job_id: str) -> None:
        """Stop a cancelled job's simulation now: kill the worker running it (it is replaced)."""
        for slot in self._slots:
            worker = slot.worker
            if worker is not None and worker.kill_if_running(job_id):
                log.info("job %s: killed its engine worker (cancelled)", job_id)

    def enqueue(self, job_id: str, job_type: str | None = None) -> None:
        """Queue a submitted job for execution (its type read from the database when not given)."""
        if job_type is None:
            record = self.repo.get_job(job_id)
            if record is None:
                return
            job_type = record.job_type
        (self._sse_queue if job_type == "sse" else self._circuit_queue).put(job_id)

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
            self.enqueue(record.job_id, record.job_type)

    def _work(self, jobs: queue.SimpleQueue[str | None], slot: _Slot | None) -> None:
        if slot is not None:
            with contextlib.suppress(WorkerDied):
                slot.ready()  # start the worker before the first job arrives
        while True:
            job_id = jobs.get()
            if job_id is None or self.stopping.is_set():
                return
            try:
                self.run(job_id, slot)
            except Exception:  # last line of defence: a worker never dies
                if self.stopping.is_set():
                    return  # the database closed under a job that outlived shutdown
                log.exception("job %s: unexpected engine error", job_id)
                with contextlib.suppress(Exception):
                    self.fail(job_id, "internal server error")

    # -- transitions ------------------------------------------------------------------------------

    def transition(self, job_id: str, status: str, expect: tuple[str, ...], **extra: Any) -> None:
        """Move a job to ``status`` if it is in ``expect``; raise `Cancelled` otherwise."""
        stamp = {"ready": "ready_at", "running": "running_at"}.get(status, "ended_at")
        if not self.repo.update_job(
            job_id, expect=expect, status=status, **{stamp: utc_now()}, **extra
        ):
            raise Cancelled(job_id)
        message = f": {extra['message']}" if extra.get("message") else ""
        log.log(transition_level(status), "job %s %s%s", job_id, status, message)

    def fail(self, job_id: str, message: str) -> None:
        """End a job ``failed`` with ``message`` unless it already ended."""
        with contextlib.suppress(Cancelled):
            self.transition(job_id, "failed", ("submitted", "ready", "running"), message=message)

    def run(self, job_id: str, slot: _Slot | None = None) -> None:
        """Execute one job from ``submitted`` to its final status (circuit jobs in ``slot``)."""
        record = self.repo.get_job(job_id)
        if record is None or record.status != "submitted":
            return
        try:
            self.transition(job_id, "ready", ("submitted",), **_defaults(record))
            outcome = self._execute(record, slot)
            if not outcome.written:  # an SSE job's outcome; workers store their own
                current = self.repo.get_job(job_id)
                if current is None or current.status != "running":
                    raise Cancelled(job_id)  # cancelled (and maybe deleted) while it ran
                self.store_outcome(job_id, outcome)
            # Conditional on "running": a job cancelled (or deleted) while it ran stays so, and
            # the objects its worker wrote are removed below.
            extra = {} if outcome.message is None else {"message": outcome.message}
            self.transition(
                job_id, "succeeded", ("running",), execution_time=outcome.execution_time, **extra
            )
        except Cancelled:
            remove_outputs(self.store, job_id)
            log.info("job %s stopped: no longer active", job_id)
        except JobFailure as exc:
            self.fail(job_id, exc.message)

    def store_outcome(self, job_id: str, outcome: Outcome) -> None:
        """Write an outcome's objects, then its ``result``, to object storage."""
        store_outcome(self.store, job_id, outcome)

    def _execute(self, record: JobRecord, slot: _Slot | None) -> Outcome:
        device = self.catalog.get(record.device_id or "")
        if device is None:
            raise JobFailure(f"device {record.device_id} was removed from the catalog")

        def mark_running() -> None:
            self.transition(record.job_id, "running", ("ready",))

        if record.job_type == "sse":
            return run_sse_job(self, record, mark_running)
        if slot is None:
            raise JobFailure("internal error: a circuit job reached an SSE pool thread")
        return self._in_worker(slot, record, device, mark_running)

    def _in_worker(
        self, slot: _Slot, record: JobRecord, device: Device, mark_running: Callable[[], None]
    ) -> Outcome:
        """Run a circuit job in ``slot``'s worker process; a dead worker fails only this job."""
        try:
            worker = slot.ready()
        except WorkerDied as exc:
            raise JobFailure(
                f"the engine worker process failed to start ({exc.message}); see the server log"
            ) from exc

        def on_running() -> None:
            try:
                mark_running()
            except Cancelled:
                slot.discard(worker)  # cancelled before it started simulating: stop it now
                raise

        threads = self.cores.take(record.job_id, self._circuit_queue.qsize())
        try:
            return worker.run(record, device, on_running, threads)
        except WorkerDied as exc:
            slot.discard(worker)
            current = self.repo.get_job(record.job_id)
            if self.stopping.is_set() or current is None or current.status == "cancelled":
                raise Cancelled(record.job_id) from exc
            log.warning("job %s: engine worker died: %s; replacing it", record.job_id, exc.message)
            raise JobFailure(
                f"the engine worker running this job stopped unexpectedly: {exc.message}. The "
                "worker was replaced and other jobs are unaffected; if it happens again, the job "
                "may need more memory than the machine has (use fewer qubits or shots)"
            ) from exc
        finally:
            self.cores.release(record.job_id)


def _defaults(record: JobRecord) -> dict[str, Any]:
    """The columns a circuit job gets with its move to ``ready``: the transpiler default.

    The real engine writes its default ``transpiler_info`` back so the user sees what was
    applied; written with the status, it costs no statement of its own (issue 23).
    """
    if record.job_type == "sse" or record.transpiler_info:
        return {}
    record.transpiler_info = dict(DEFAULT_TRANSPILER_INFO)
    return {"transpiler_info": record.transpiler_info}
