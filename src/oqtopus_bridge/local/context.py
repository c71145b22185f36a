"""The objects one server instance is made of, built from settings (no FastAPI here)."""

from __future__ import annotations

import dataclasses
import secrets
from pathlib import Path

from .devices import CATALOG_NAME, DeviceCatalog
from .engine.pool import Engine
from .expiry import Expiry
from .history import CalibrationHistory
from .lock import DataDirLock
from .private import private_dir, private_file, write_private
from .repository import Repository
from .service import JobService
from .settings import ServerSettings
from .storage import ObjectStore
from .watch import JobWatch

DEFAULT_USER = "default"


def _secret(data_dir: Path) -> bytes:
    path = data_dir / "signing.key"
    if not path.exists():
        write_private(path, secrets.token_bytes(32))
    return private_file(path).read_bytes()


@dataclasses.dataclass
class ServerContext:
    """Repository, storage, catalog, service and engine of one server."""

    settings: ServerSettings
    repo: Repository
    store: ObjectStore
    catalog: DeviceCatalog
    service: JobService
    engine: Engine
    lock: DataDirLock | None = None
    expiry: Expiry | None = None
    watch: JobWatch = dataclasses.field(default_factory=JobWatch)

    def __post_init__(self) -> None:
        self.repo.on_status_change = self.watch.changed

    @classmethod
    def build(cls, settings: ServerSettings, lock: DataDirLock | None = None) -> ServerContext:
        """Lock and open (or create) the data directory and wire everything.

        The engine is not started.

        Args:
            settings: The server's settings.
            lock: The data directory's lock when the caller took it already (``serve`` does,
                before it mirrors devices into the directory); taken here otherwise.

        Raises:
            DataDirInUseError: If another server holds the data directory.
        """
        data_dir = settings.data_dir
        lock = lock or DataDirLock.acquire(data_dir, settings.public_url)
        try:
            return cls._open(settings, lock)
        except BaseException:
            lock.release()
            raise

    @classmethod
    def _open(cls, settings: ServerSettings, lock: DataDirLock) -> ServerContext:
        data_dir = settings.data_dir
        private_dir(data_dir)  # 0700, the database 0600 (SQLite gives its WAL the same mode)
        repo = Repository(private_file(data_dir / "oqtopus.sqlite3"))
        store = ObjectStore(
            data_dir / "objects",
            _secret(data_dir),
            settings.public_url,
            settings.url_expiry_s,
            settings.max_unzipped_bytes,
        )
        catalog = DeviceCatalog(data_dir / CATALOG_NAME, CalibrationHistory(repo, store))
        engine = Engine(settings, repo, store, catalog)
        service = JobService(settings, repo, store, catalog, engine.enqueue, engine.cancel)
        expiry = Expiry(repo, store, settings.registered_ttl_s)
        return cls(settings, repo, store, catalog, service, engine, lock, expiry)

    def start(self) -> None:
        """Start the workers and re-queue jobs an earlier run left unfinished."""
        self.engine.start()
        self.engine.recover()
        if self.expiry is not None:
            self.expiry.start()  # sweeps once now: jobs left registered past their lifetime

    def close(self) -> None:
        """Stop the workers, close the database and free the data directory."""
        self.watch.close()
        try:
            if self.expiry is not None:
                self.expiry.stop()
            self.engine.stop()
            self.repo.close()
        finally:
            if self.lock is not None:
                self.lock.release()
