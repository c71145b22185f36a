"""Running the server: `LocalServer` (in-process, in a thread) and `serve` (CLI).

The examples' fallback, `config_or_local_server`, is in `oqtopus_bridge.local.fallback`.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import secrets
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from .app import create_app
from .banner import address_in_use_message, banner_lines, exposed_warning
from .connections import guarded_protocol
from .context import DEFAULT_USER, ServerContext
from .devices import CATALOG_NAME
from .lock import DataDirLock
from .logs import configure_stderr, level_number
from .mirror import MirrorError, mirror_devices
from .private import private_file, write_private
from .settings import TOKEN_FILE, Protocol, ServerSettings
from .web import login_link


class AddressInUseError(OSError):
    """The port ``serve`` was asked for is taken; the message names it and what to do."""


log = logging.getLogger("oqtopus_bridge.local")


@dataclasses.dataclass(frozen=True)
class SimpleConfig:
    """Stand-in for ``oqtopus_bridge.OqtopusConfig`` when the core is not importable."""

    url: str
    api_token: str
    proxy: str | None = None


def new_token() -> str:
    """Return a new API token that never starts with ``-``.

    One ``token_urlsafe`` token in 64 starts with ``-``, and ``oqtopus-bridge --token -x...`` then
    reads it as an option ("argument --token: expected one argument").
    """
    token = secrets.token_urlsafe(24)
    return token if not token.startswith("-") else "t" + token[1:]


def _default_token(context: ServerContext, token: str | None) -> tuple[str, bool]:
    """Return the default user's token (kept in the data dir) and whether it is new."""
    user_id = context.repo.ensure_user(DEFAULT_USER)
    path = context.settings.data_dir / TOKEN_FILE
    created = False
    if token is None:
        if path.exists():
            token = path.read_text().strip()
        else:
            token, created = new_token(), True
    write_private(path, (token + "\n").encode())
    private_file(path)  # an older data directory's 0644 token
    context.repo.add_token(user_id, token)
    return token, created


def _mirror(data_dir: Path, device_ids: Sequence[str], source: Any) -> None:
    """Copy ``device_ids`` from the cloud ``source`` (url, api_token, proxy) into the catalog.

    ``source`` ``None`` means the configured OQTOPUS Cloud (argument, environment, ``~/.oqtopus``).
    """
    if not device_ids:
        return
    if source is None:
        try:
            from oqtopus_bridge.config import resolve_config
        except ImportError as exc:
            raise MirrorError("pass mirror_from=<a config with url and api_token>") from exc
        source = resolve_config(None)
    data_dir.mkdir(parents=True, exist_ok=True)
    proxy = getattr(source, "proxy", None)
    copied = mirror_devices(
        data_dir / CATALOG_NAME, source.url, source.api_token, list(device_ids), proxy
    )
    log.info("mirrored %s from %s", ", ".join(copied), source.url)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP: asyncio sets TCP_NODELAY only on accepted sockets whose proto
    # says TCP. With proto 0, Nagle + delayed ACK stalled responses by ~40 ms (issue 10).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


class LocalServer:
    """A local OQTOPUS-compatible server on a loopback port, for tests, demos and notebooks.

    Examples:
        ```python
        with LocalServer() as server:
            backend = OqtopusSamplingBackend(server.config)
        ```

    Args:
        data_dir: Where the database, objects and device catalog live; a temporary directory
            removed on exit when ``None``.
        protocol: ``"storage"`` (current API) or ``"legacy"`` (inline job_info).
        token: API token of the default user; generated (and kept in the data dir) when ``None``.
        host: Interface to bind.
        port: TCP port; ``0`` picks a free one.
        workers: Engine worker processes that run circuit jobs; one per core when ``None``.
        log_requests: Log one line per request and per job transition.
        mirror: Device ids to copy from OQTOPUS Cloud into the catalog at start (one-step
            emulation of a real device as calibrated now; see ``docs/local-server.md``).
        mirror_from: Where to copy them from: anything with ``url`` and ``api_token`` (e.g. an
            ``OqtopusConfig``); the configured OQTOPUS Cloud when ``None``.
        **settings: Further `ServerSettings` fields (``sse_timeout_s``, ``sse_python``...).
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        *,
        protocol: Protocol = "storage",
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        workers: int | None = None,
        log_requests: bool = False,
        mirror: Sequence[str] = (),
        mirror_from: Any = None,
        **settings: Any,
    ) -> None:
        self._requested_dir = None if data_dir is None else Path(data_dir)
        self._mirror = (tuple(mirror), mirror_from)
        self._token_arg = token
        self._host, self._port = host, port
        self._options: dict[str, Any] = {
            "protocol": protocol,
            "workers": workers,
            "log_requests": log_requests,
            **settings,
        }
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._context: ServerContext | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.url = ""
        self.token = ""
        self.data_dir = Path()

    def start(self) -> LocalServer:
        """Start serving; returns once the server accepts requests."""
        if self._requested_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="oqtopus-local-")
            self.data_dir = Path(self._tmp.name)
        else:
            self.data_dir = self._requested_dir
        try:
            self._sock = _bind(self._host, self._port)
            self.url = _url(self._host, self._sock.getsockname()[1])
            lock = DataDirLock.acquire(self.data_dir, self.url)  # before anything is written
            settings = ServerSettings(data_dir=self.data_dir, public_url=self.url, **self._options)
            try:
                _mirror(self.data_dir, *self._mirror)
            except BaseException:
                lock.release()
                raise
            self._context = ServerContext.build(settings, lock)
        except BaseException:
            self.stop()
            raise
        self.token, _ = _default_token(self._context, self._token_arg)
        self._context.start()
        config = uvicorn.Config(
            create_app(settings, self._context),
            log_level="warning",
            access_log=False,
            lifespan="off",
            http=guarded_protocol(settings.header_timeout_s),
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._sock]},
            name="oqtopus-local-server",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the local OQTOPUS server failed to start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving, stop the workers, close the database and remove a temporary data dir."""
        if self._context is not None:
            self._context.watch.close()  # a held status request must not delay the stop
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(15)
        if self._context is not None:
            self._context.close()
        if self._sock is not None:
            self._sock.close()
        if self._tmp is not None:
            self._tmp.cleanup()
        self._server = self._thread = self._context = self._sock = self._tmp = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def config(self) -> Any:
        """An ``oqtopus_bridge.OqtopusConfig`` for this server (url and the default token)."""
        try:
            from oqtopus_bridge.config import OqtopusConfig
        except ImportError:
            return SimpleConfig(url=self.url, api_token=self.token)
        return OqtopusConfig(url=self.url, api_token=self.token)

    @property
    def ui_url(self) -> str:
        """A one-time login link to the web view (a new code each time this is read).

        Opening it in a browser logs that browser in; the API token is never part of it.
        """
        if self._context is None:
            raise RuntimeError("start the server before asking for the web view link")
        return login_link(self._context, self.url)

    def add_user(self, name: str) -> str:
        """Create user ``name`` (or reuse it) and return a new API token of that user."""
        if self._context is None:
            raise RuntimeError("start the server before adding users")
        token = new_token()
        self._context.repo.add_token(self._context.repo.ensure_user(name), token)
        return token


def default_data_dir() -> Path:
    """Return the per-user data directory of ``oqtopus-bridge serve``."""
    import platformdirs

    return Path(platformdirs.user_data_dir("oqtopus-bridge")) / "local-server"


class _StoppingServer(uvicorn.Server):
    """uvicorn's server, which first wakes the requests held by ``Prefer: wait`` when told to stop.

    uvicorn waits for every open request before it returns; a held status request would otherwise
    delay Ctrl-C by up to its wait.
    """

    def __init__(self, context: ServerContext, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._context = context

    def handle_exit(self, sig: int, frame: Any) -> None:
        self._context.watch.close()
        super().handle_exit(sig, frame)


def _route_stop_signals(server: uvicorn.Server) -> dict[int, Any]:
    """Send SIGINT and SIGTERM to ``server.handle_exit``; return the handlers they replace.

    uvicorn installs the same handler while it runs and re-raises the signals it caught when it
    returns; with this one in place before and after, a signal at any moment stops the server.
    """
    if threading.current_thread() is not threading.main_thread():
        return {}  # signals reach only the main thread; an embedding program keeps its own
    return {
        number: signal.signal(number, server.handle_exit)
        for number in (signal.SIGINT, signal.SIGTERM)
    }


def _claim(
    host: str, port: int, directory: Path, mirror: Sequence[str]
) -> tuple[socket.socket, str, DataDirLock]:
    """Bind the port, lock the data directory, then mirror devices into it; in that order.

    The lock comes before the mirror so that a refused second server writes nothing into the
    first one's directory.

    Raises:
        AddressInUseError: If the port is taken.
        DataDirInUseError: If another server runs on the data directory.
    """
    try:
        sock = _bind(host, port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise AddressInUseError(address_in_use_message(host, port)) from exc
        raise
    url = _url(host, sock.getsockname()[1])
    lock: DataDirLock | None = None
    try:
        lock = DataDirLock.acquire(directory, url)
        _mirror(directory, mirror, None)
    except BaseException:
        if lock is not None:
            lock.release()
        sock.close()
        raise
    return sock, url, lock


def serve(
    host: str = "127.0.0.1",
    port: int = 8080,
    data_dir: str | Path | None = None,
    token: str | None = None,
    protocol: Protocol = "storage",
    mirror: Sequence[str] = (),
    log_level: str = "info",
    **settings: Any,
) -> None:
    """Run the server in the foreground until Ctrl-C (the ``oqtopus-bridge serve`` command).

    The default user's token is created on first start, printed once, and kept in
    ``<data_dir>/api_token``; ``token`` sets it explicitly. ``log_level`` is one of
    ``debug`` (every request and job transition), ``info`` (server events and one line per
    finished job), ``warning`` or ``error`` (see `oqtopus_bridge.local.logs`). ``mirror`` device
    ids are first copied from the configured OQTOPUS Cloud.

    Raises:
        AddressInUseError: If the port is taken.
        DataDirInUseError: If another server runs on the data directory.
    """
    directory = Path(data_dir) if data_dir is not None else default_data_dir()
    level_number(log_level)  # an unknown level is refused before anything starts
    restore_log = configure_stderr(log_level)  # undone when serve returns, however it ends
    try:
        sock, url, lock = _claim(host, port, directory, mirror)
        warning = exposed_warning(host, sock.getsockname()[1])
        if warning:
            print(warning, file=sys.stderr, flush=True)
        config = ServerSettings(
            data_dir=directory,
            public_url=url,
            protocol=protocol,
            log_requests=log_level == "debug",
            **settings,
        )
        context = ServerContext.build(config, lock)
        api_token, created = _default_token(context, token)
        server = _StoppingServer(
            context,
            uvicorn.Config(
                create_app(config, context),
                log_level="warning",
                access_log=False,
                lifespan="off",
                http=guarded_protocol(config.header_timeout_s),
            ),
        )
        # From the banner on, Ctrl-C (or SIGTERM) asks uvicorn to stop instead of raising
        # KeyboardInterrupt wherever the interpreter happens to be: raised inside a weakref or GC
        # callback during startup, it is printed as "Exception ignored" and lost, and the server
        # then runs on, deaf to the one Ctrl-C the user sent.
        previous = _route_stop_signals(server)
        try:
            context.start()
            lines = banner_lines(
                host=host,
                url=url,
                protocol=protocol,
                directory=directory,
                token=api_token,
                created=created,
                token_file=directory / TOKEN_FILE,
                ui_link=login_link(context, url),
                default_directory=data_dir is None,
            )
            print("\n".join(lines), flush=True)
            server.run(sockets=[sock])
        except KeyboardInterrupt:
            pass  # a Ctrl-C that came before the handlers above were installed
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
            context.close()
            sock.close()
            log.info("server stopped")
    finally:
        restore_log()
