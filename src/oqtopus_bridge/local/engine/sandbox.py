"""The server's side of the SSE sandbox: what a program may see, its limits, its one way out.

`Sandbox` prepares one run: a private job directory (the program's home, an empty mount point
for its new root, the directory of the API socket), a process-count limit (a ``pids`` cgroup, or
``RLIMIT_NPROC`` where the server does not run as root) and the relay that carries the program's
HTTP connections to this server's API. `Sandbox.start` then runs `.sandbox_init` (the launcher
that builds the namespaces; its docstring says how) with a plan naming the directories the
program may read: the system's (``/usr``, ``/lib``...) and its interpreter's (prefixes and
``sys.path``, probed once per interpreter), nothing else. Where the kernel offers none of this,
`unavailable` says why, and the SSE job is refused (issue 21).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

LAUNCHER = Path(__file__).with_name("sandbox_init.py")
SYSTEM_PATHS = (
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
)
CGROUP_V1 = Path("/sys/fs/cgroup/pids")
CGROUP_ROOT = Path("/sys/fs/cgroup")
# What the probe of an interpreter prints: the directories it reads its modules from.
_PATHS_OF_PYTHON = """
import json, os, sys
paths = [sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(sys.executable),
         os.path.dirname(os.path.realpath(sys.executable))]
paths += [p for p in sys.path if p]
for name, module in list(sys.modules.items()):
    if name.startswith("__editable__") and isinstance(getattr(module, "MAPPING", None), dict):
        paths += [str(p) for p in module.MAPPING.values()]
print(json.dumps([os.path.abspath(p) for p in paths]))
"""


# What a refused fork or thread looks like in a Python program's output (EAGAIN).
_REFUSED_FORK = ("Resource temporarily unavailable", "can't start new thread")


class SandboxUnavailable(Exception):
    """The kernel or the server's privileges offer no way to confine an SSE program."""


@functools.lru_cache(maxsize=8)
def readable_paths(python: str, pythonpath: str | None) -> tuple[str, ...]:
    """Return the directories ``python`` (with ``pythonpath``) imports from, shortest first."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    found = subprocess.run(
        [python, "-c", _PATHS_OF_PYTHON], env=env, capture_output=True, timeout=60, check=False
    )
    if found.returncode != 0 or not found.stdout.strip():
        raise SandboxUnavailable(f"{python} does not start: {found.stderr.decode()[-300:]}")
    # The last line: a wrapper script may print before it starts Python.
    listed = json.loads(found.stdout.decode(errors="replace").strip().splitlines()[-1])
    paths = {os.path.abspath(path) for path in [python, *listed]}
    # Never a whole home (a PYTHONPATH of ~ would show its keys); a directory inside it may be.
    home = os.path.realpath(Path.home())
    paths = {path for path in paths if not _within(home, os.path.realpath(path))}
    paths |= {path for path in SYSTEM_PATHS if os.path.lexists(path)}
    # Parents first, by where they really are: /bin (-> usr/bin) comes after /usr.
    return tuple(sorted(paths, key=lambda path: (os.path.realpath(path).count("/"), path)))


def _within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


class ProcessLimit:
    """At most ``limit`` tasks (processes and threads) for one program: a ``pids`` cgroup.

    Falls back to ``RLIMIT_NPROC`` (counted per user namespace) where the server is not root;
    raises `SandboxUnavailable` where neither limits anything (root without a pids cgroup).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.cgroup = _make_cgroup(limit)
        self.nproc: int | None = None
        if self.cgroup is None:
            if os.geteuid() == 0:
                raise SandboxUnavailable(
                    "no process-count limit: the server runs as root (where RLIMIT_NPROC limits "
                    "nothing) and cannot create a pids cgroup"
                )
            self.nproc = limit

    def reached(self, output: str) -> bool:
        """Whether a fork was refused at the limit (with ``RLIMIT_NPROC``: as ``output`` says)."""
        if self.cgroup is None:
            return any(sign in output for sign in _REFUSED_FORK)
        with contextlib.suppress(OSError, ValueError):
            for line in (self.cgroup / "pids.events").read_text().splitlines():
                if line.startswith("max "):
                    return int(line.split()[1]) > 0
        return False

    def close(self) -> None:
        """Kill any task left in the cgroup, then remove it."""
        if self.cgroup is None:
            return
        for _ in range(100):
            with contextlib.suppress(OSError):
                pids = (self.cgroup / "cgroup.procs").read_text().split()
                for pid in pids:
                    with contextlib.suppress(OSError, ValueError):
                        os.kill(int(pid), signal.SIGKILL)
                self.cgroup.rmdir()
                return
            threading.Event().wait(0.02)  # the killed tasks are still exiting


def _make_cgroup(limit: int) -> Path | None:
    name = f"oqtopus-sse-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    parents = [CGROUP_V1] if CGROUP_V1.is_dir() else []
    if (CGROUP_ROOT / "cgroup.controllers").exists():
        with contextlib.suppress(OSError, StopIteration):
            lines = Path("/proc/self/cgroup").read_text().splitlines()
            own = next(line[3:] for line in lines if line.startswith("0::"))
            parents.append(CGROUP_ROOT / own.lstrip("/"))
    for parent in parents:
        _remove_stale(parent)
        group = parent / name
        try:
            group.mkdir()
        except OSError:
            continue
        try:
            (group / "pids.max").write_text(str(limit))
            return group
        except OSError:
            group.rmdir()
    return None


def _copy(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            target.sendall(data)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


def _remove_stale(parent: Path) -> None:
    """Remove the empty cgroups that servers killed before cleaning up left behind."""
    with contextlib.suppress(OSError):
        for group in parent.glob("oqtopus-sse-*"):
            pid = group.name.split("-")[2]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                with contextlib.suppress(OSError):
                    group.rmdir()  # refused while a task is left in it


#: Connections one SSE program may hold to the server's API at once (a client uses a few).
MAX_RELAY_CONNECTIONS = 32


class _Forward(socketserver.BaseRequestHandler):
    """One connection of the program (from the sandbox's relay) carried to the server's API."""

    def handle(self) -> None:
        host, port = self.server.target  # type: ignore[attr-defined]
        with contextlib.suppress(OSError), socket.create_connection((host, port), 10) as api:
            api.settimeout(None)  # the 10 s bound the connect; a slow answer may take longer
            back = threading.Thread(target=_copy, args=(api, self.request), daemon=True)
            back.start()
            _copy(self.request, api)
            back.join()


class _RelayServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """The host end of a sandbox's API relay: at most `MAX_RELAY_CONNECTIONS` at once.

    Each connection costs the API process two threads and two descriptors, and the program can
    connect to the relay's socket directly: without a bound, one program could take the
    descriptors every other user's requests need.
    """

    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slots = threading.BoundedSemaphore(MAX_RELAY_CONNECTIONS)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            self.shutdown_request(request)  # over the bound: the program sees a closed connection
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


class Sandbox:
    """One confined run of an SSE program (a context manager that removes everything after).

    Args:
        public_url: The server's API, the only address the program can reach.
        hidden: Directories that must stay invisible even where a readable path contains them.
        max_tasks: The process-count limit.
    """

    def __init__(self, public_url: str, hidden: list[Path], max_tasks: int) -> None:
        parts = urlsplit(public_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.hidden = [str(path.resolve()) for path in hidden]
        self._directory = tempfile.TemporaryDirectory(prefix="oqtopus-sse-")
        self.job_dir = Path(self._directory.name)
        self.home = self.job_dir / "home"
        for name in ("home", "root", "sock"):
            (self.job_dir / name).mkdir()
        self._limit: ProcessLimit | None = None
        self._relay: _RelayServer | None = None
        self._status: int | None = None
        self.max_tasks = max_tasks

    def __enter__(self) -> Sandbox:
        try:
            self._limit = ProcessLimit(self.max_tasks)
            self._relay = _RelayServer(str(self.job_dir / "sock" / "api.sock"), _Forward)
            self._relay.target = (self.host, self.port)  # type: ignore[attr-defined]
            threading.Thread(target=self._relay.serve_forever, daemon=True).start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._relay is not None:
            self._relay.shutdown()
            self._relay.server_close()
        if self._limit is not None:
            self._limit.close()
        if self._status is not None:
            os.close(self._status)
        self._directory.cleanup()

    def start(
        self, argv: list[str], env: dict[str, str], memory: int, out: IO[bytes], err: IO[bytes]
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` in the sandbox with ``env``, stdout ``out`` and stderr ``err``."""
        assert self._limit is not None, "use the sandbox as a context manager"
        readable, write = os.pipe()
        self._status = readable
        plan: dict[str, Any] = {
            "root": str(self.job_dir / "root"),
            "home": str(self.home),
            "socket_dir": str(self.job_dir / "sock"),
            "read_only": list(readable_paths(argv[0], env.get("PYTHONPATH"))),
            "hidden": self.hidden,
            "host": self.host,
            "port": self.port,
            "memory": memory,
            "nproc": self._limit.nproc,
            "cgroup": None if self._limit.cgroup is None else str(self._limit.cgroup),
            "status_fd": write,
            "parent": os.getpid(),
            "argv": argv,
            "env": env,
        }
        try:
            process = subprocess.Popen(
                [sys.executable, "-I", "-S", str(LAUNCHER)],
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=err,
                pass_fds=(write,),
                start_new_session=True,
                env={},
            )
        finally:
            os.close(write)
        assert process.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            process.stdin.write(json.dumps(plan).encode())
        process.stdin.close()
        return process

    def setup_error(self) -> str | None:
        """After the run: why the sandbox could not be built, or ``None`` if the program ran."""
        if self._status is None:
            return None
        os.set_blocking(self._status, False)
        try:
            text = os.read(self._status, 4000).decode(errors="replace")
        except BlockingIOError:
            return None
        return text or None

    def reached_process_limit(self, output: str) -> bool:
        """Whether the program (which printed ``output``) was refused a task at its limit."""
        return self._limit is not None and self._limit.reached(output)


@functools.lru_cache(maxsize=8)
def unavailable(python: str) -> str | None:
    """Why SSE programs cannot be confined on this machine, or ``None``; probed once."""
    if sys.platform != "linux":
        return f"the sandbox needs Linux namespaces; this is {sys.platform}"
    env = {"PATH": "/usr/bin:/bin"}
    try:
        with Sandbox("http://127.0.0.1:9", [], 16) as box, tempfile.TemporaryFile() as output:
            process = box.start([python, "-c", "pass"], env, 1 << 32, output, output)
            try:
                code = process.wait(timeout=120)
            finally:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            problem = box.setup_error()
            output.seek(0)
            text = output.read(2000).decode(errors="replace")
    except (SandboxUnavailable, OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if problem:
        return problem
    return None if code == 0 else f"a trivial program failed in it (exit code {code}): {text}"
