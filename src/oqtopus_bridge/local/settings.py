"""Settings of one local OQTOPUS-compatible server instance (no I/O at construction)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Literal

Protocol = Literal["storage", "legacy"]

MIB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class ServerSettings:
    """Everything that parameterises a server; frozen so threads can share it.

    Attributes:
        data_dir: Directory of the SQLite database, object files, device catalog and secrets.
        protocol: ``"storage"`` (current presigned-storage API) or ``"legacy"`` (inline job_info).
        public_url: Base URL clients reach the server at; presigned URLs point here. Set by the
            runner once the port is known.
        workers: Number of circuit worker threads; ``None`` sizes the pool to the machine.
        sse_workers: Number of threads that supervise SSE user programs.
        url_expiry_s: Lifetime of presigned upload and download URLs, in seconds.
        max_upload_bytes: Largest accepted ``input.zip`` upload.
        sse_timeout_s: Wall-clock limit of one SSE user program.
        sse_memory_bytes: Address-space limit (RLIMIT_AS) of one SSE user program.
        sse_python: The Python interpreter that runs SSE programs (e.g. a venv with the real
            service's SSE image packages); ``None`` uses the server's own interpreter.
        log_requests: Log one line per HTTP request and per job transition.
    """

    data_dir: Path
    protocol: Protocol = "storage"
    public_url: str = "http://127.0.0.1:8080"
    workers: int | None = None
    sse_workers: int = 2
    url_expiry_s: int = 3600
    max_upload_bytes: int = 50 * MIB
    sse_timeout_s: float = 600.0
    sse_memory_bytes: int = 4096 * MIB
    sse_python: str | None = None
    log_requests: bool = False

    def __post_init__(self) -> None:
        if self.protocol not in ("storage", "legacy"):
            raise ValueError(f"protocol must be 'storage' or 'legacy', not {self.protocol!r}")
        object.__setattr__(self, "data_dir", Path(self.data_dir))

    @property
    def worker_count(self) -> int:
        """The effective number of circuit worker threads (Aer releases the GIL)."""
        if self.workers is not None:
            return max(1, self.workers)
        return max(2, os.cpu_count() or 2)

    def replace(self, **changes: object) -> ServerSettings:
        """Return a copy with some fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
