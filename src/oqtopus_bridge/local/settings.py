"""Settings of one local OQTOPUS-compatible server instance (no I/O at construction)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Literal

Protocol = Literal["storage", "legacy"]

MIB = 1024 * 1024

#: The file in the data directory that keeps the default user's API token.
TOKEN_FILE = "api_token"


@dataclasses.dataclass(frozen=True)
class ServerSettings:
    """Everything that parameterises a server; frozen so threads can share it.

    Attributes:
        data_dir: Directory of the SQLite database, object files, device catalog and secrets.
        protocol: ``"storage"`` (current presigned-storage API) or ``"legacy"`` (inline job_info).
        public_url: Base URL clients reach the server at; presigned URLs point here. Set by the
            runner once the port is known.
        workers: Number of engine worker processes that run circuit jobs; ``None`` starts one
            per core.
        worker_memory_bytes: Memory one engine worker may use for a simulation; ``None`` gives
            each worker an equal share of three quarters of the machine's memory. A larger job
            fails with a message saying so.
        sse_workers: Number of threads that supervise SSE user programs.
        url_expiry_s: Lifetime of presigned upload and download URLs, in seconds.
        max_upload_bytes: Largest accepted ``input.zip`` upload.
        max_unzipped_bytes: Largest content the engine inflates from one zip (``input.zip``); a
            bigger one (a zip bomb) fails its job with a message saying so (issue 21).
        max_body_bytes: Largest JSON request body of the API, enforced while it streams in and
            only after its ``q-api-token`` is checked; a bigger one gets 413 (issue 21).
        header_timeout_s: Time a connection may take to send a request's line and headers
            before the server closes it (slow or half-open clients, issue 21).
        registered_ttl_s: Time a job may stay ``registered`` (never submitted); then its upload
            is deleted and it ends ``cancelled`` (issue 21).
        sse_timeout_s: Wall-clock limit of one SSE user program.
        sse_memory_bytes: Address-space limit (RLIMIT_AS) of one SSE user program.
        sse_max_processes: Tasks (processes and threads) one SSE user program may have at
            once; a fork beyond it fails in the program, and the job's message says so.
        sse_python: The Python interpreter that runs SSE programs (e.g. a venv with the real
            service's SSE image packages); ``None`` uses the server's own interpreter.
        log_requests: Log one line per HTTP request and per job transition.
        test_hooks: Honour the job names ``test-hook:hold``, ``test-hook:crash`` and
            ``test-hook:no-sandbox`` (for the test suite: hold a job running, kill its worker, or
            refuse an SSE job as where the kernel offers no sandbox).
    """

    data_dir: Path
    protocol: Protocol = "storage"
    public_url: str = "http://127.0.0.1:8080"
    workers: int | None = None
    worker_memory_bytes: int | None = None
    sse_workers: int = 2
    url_expiry_s: int = 3600
    max_upload_bytes: int = 50 * MIB
    max_unzipped_bytes: int = 256 * MIB
    # The real service sits behind an API gateway whose payload limit is 10 MB.
    max_body_bytes: int = 10 * MIB
    header_timeout_s: float = 20.0
    registered_ttl_s: float = 24 * 3600.0
    sse_timeout_s: float = 600.0
    sse_memory_bytes: int = 4096 * MIB
    sse_max_processes: int = 128
    sse_python: str | None = None
    log_requests: bool = False
    test_hooks: bool = False

    def __post_init__(self) -> None:
        if self.protocol not in ("storage", "legacy"):
            raise ValueError(f"protocol must be 'storage' or 'legacy', not {self.protocol!r}")
        object.__setattr__(self, "data_dir", Path(self.data_dir))

    @property
    def worker_count(self) -> int:
        """The effective number of engine worker processes (one per usable core by default)."""
        if self.workers is not None:
            return max(1, self.workers)
        return usable_cores()

    @property
    def aer_threads(self) -> int:
        """Threads one circuit job's Aer may use at most: the usable cores (issue 16).

        The pool sizes each job's threads when it dispatches the job: the cores no other running
        job uses, at least one. A lone 20-qubit job so uses every core, and jobs running together
        share them instead of oversubscribing them.
        """
        return usable_cores()

    @property
    def library_threads(self) -> int:
        """Threads of the workers' other numeric libraries (BLAS): an equal share of the cores."""
        return max(1, usable_cores() // self.worker_count)

    @property
    def worker_memory(self) -> int:
        """The effective memory budget of one engine worker, in bytes."""
        if self.worker_memory_bytes is not None:
            return max(MIB, self.worker_memory_bytes)
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            total = 4096 * MIB
        return max(256 * MIB, total * 3 // (4 * self.worker_count))

    def replace(self, **changes: object) -> ServerSettings:
        """Return a copy with some fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS reports it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)
