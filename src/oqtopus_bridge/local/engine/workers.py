"""The API process's handle on one engine worker process (start, run a job, kill, replace).

A worker is a fresh interpreter running `.worker`, started with `subprocess` rather than
``multiprocessing``: spawn and forkserver re-import the user's ``__main__`` (a script that starts
``LocalServer()`` without an ``if __name__ == "__main__"`` guard would start servers recursively),
and fork is unsafe in a process whose uvicorn and pool threads hold locks.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ..devices import Device
from ..errors import JobFailure
from ..repository import JobRecord
from .outcome import Outcome
from .worker import WorkerConfig

#: The directory that holds the ``oqtopus_bridge`` package, put first on the worker's path.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])


class WorkerDied(Exception):
    """The worker process ended while it ran a job (crash, kill, out of memory)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _environment(config: WorkerConfig) -> dict[str, str]:
    env = dict(os.environ)
    # Aer honours its per-job max_parallel_threads only up to OMP_NUM_THREADS, so OpenMP may use
    # every core a job could be given; the pool gives each job its share when it dispatches it.
    env["OMP_NUM_THREADS"] = str(config.threads)
    # The other numeric libraries keep a fixed share, so workers never oversubscribe the cores.
    for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(config.library_threads)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = _PACKAGE_ROOT if not path else os.pathsep.join([_PACKAGE_ROOT, path])
    env["PYTHONWARNINGS"] = "ignore"  # a worker's warnings have no reader; keep the log clean
    return env


def describe_exit(code: int | None) -> str:
    """Say how a worker process ended, for the job's message."""
    if code is None:
        return "it stopped answering"
    if code < 0:
        with contextlib.suppress(ValueError):
            name = signal.Signals(-code).name
            hint = " (killed; the system may have run out of memory)" if name == "SIGKILL" else ""
            return f"it was ended by signal {name}{hint}"
        return f"it was ended by signal {-code}"
    return f"it exited with status {code}"


class WorkerProcess:
    """One running worker; owned by one pool thread, killable from any thread.

    Args:
        config: Sent to the worker before anything else.
    """

    def __init__(self, config: WorkerConfig) -> None:
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "oqtopus_bridge.local.engine.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=_PACKAGE_ROOT,  # `-m` puts the cwd first on sys.path: never the user's directory
            env=_environment(config),
            close_fds=True,
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._outbox = Connection(os.dup(self._process.stdin.fileno()), readable=False)
        self._inbox = Connection(os.dup(self._process.stdout.fileno()), writable=False)
        self._process.stdin.close()
        self._process.stdout.close()
        self.job_id: str | None = None
        self.ready = False  # it has imported and warmed up the engine (`wait_ready`)
        # The device objects this worker holds, by id: each is pickled to it once (issue 23).
        # A catalog reload makes new objects, so identity says whether the worker's copy is current.
        self._devices: dict[str, Device] = {device.device_id: device for device in config.devices}
        self._outbox.send(config)

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self._process.pid

    def wait_ready(self) -> None:
        """Block until the worker has imported and warmed up the engine.

        Raises:
            WorkerDied: It failed to start (its traceback is in the server's log).
        """
        message = self._receive()
        if message[0] != "ready":
            raise WorkerDied(f"the engine worker sent {message[0]!r} instead of 'ready'")
        self.ready = True

    def run(
        self,
        record: JobRecord,
        device: Device,
        on_running: Callable[[], None],
        threads: int = 1,
    ) -> Outcome:
        """Run one job in the worker; call ``on_running`` when it starts simulating.

        Args:
            record: The job.
            device: Its device.
            on_running: Called when the worker reports that simulation starts.
            threads: The Aer threads this job may use.

        Raises:
            JobFailure: The job failed with a message for its owner.
            WorkerDied: The worker ended before answering (it is then not reusable).
        """
        with self._lock:
            self.job_id = record.job_id
        try:
            known = self._devices.get(device.device_id) is device
            self._outbox.send((record, device.device_id, None if known else device, threads))
            self._devices[device.device_id] = device
            while True:
                message = self._receive()
                if message[0] == "running":
                    on_running()
                elif message[0] == "failed":
                    raise JobFailure(str(message[1]))
                elif message[0] == "done":
                    outcome: Outcome = message[1]
                    return outcome
        except (BrokenPipeError, OSError) as exc:
            raise WorkerDied(self._death()) from exc
        finally:
            with self._lock:
                self.job_id = None

    def _receive(self) -> tuple[Any, ...]:
        try:
            message: tuple[Any, ...] = self._inbox.recv()
        except (EOFError, OSError) as exc:
            raise WorkerDied(self._death()) from exc
        return message

    def _death(self) -> str:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(5)
        return describe_exit(self._process.poll())

    def kill_if_running(self, job_id: str) -> bool:
        """SIGKILL the worker if it runs ``job_id`` (a cancelled job stops at once)."""
        with self._lock:
            if self.job_id != job_id:
                return False
            self.kill()
            return True

    def kill(self) -> None:
        """End the worker now (its pool thread then sees it die and replaces it)."""
        with contextlib.suppress(ProcessLookupError, OSError):
            self._process.kill()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker: end of input, then a kill if it does not exit in ``timeout``."""
        with contextlib.suppress(OSError):
            self._outbox.close()
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self._process.wait(timeout)
        with contextlib.suppress(OSError):
            self._inbox.close()
