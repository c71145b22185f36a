"""An engine worker process: runs circuit jobs sent by the API process, one at a time (issue 16).

Started by `~oqtopus_bridge.local.engine.workers.WorkerProcess` as
``python -m oqtopus_bridge.local.engine.worker`` (a fresh interpreter, not a ``multiprocessing``
child, so a user script without an ``if __name__ == "__main__"`` guard, or a notebook, is never
re-imported). It talks over its standard input and output with ``multiprocessing.connection``
framing (pickles between two processes of this package only):

* in: one `WorkerConfig`, then ``(record, device_id, device, threads)`` per job (``device`` is
  None when this worker already has that device object: each is pickled to a worker once, not
  with every job; ``threads``: the Aer threads the pool gave this job when it dispatched it);
* out: ``("running",)`` right before simulation, then ``("done", Outcome)`` or
  ``("failed", message)``.

The worker never touches the repository. It reads ``input.zip`` from the object store on disk and
writes the job's result objects there itself (`store_outcome`); its ``Outcome`` only says what
was written, and the API process moves the status (issue 23). After ``ready`` it warms up the
configured devices one at a time (pass manager, a first transpile and simulation, the noise
model), checking for a job between devices, so a server's first jobs are as fast as the later ones
and a job never waits for more than one device's warm-up. It dies with its parent
(``PR_SET_PDEATHSIG``), so a ``kill -9`` of the server leaves no simulation behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import os
import signal
import sys
import warnings
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ..devices import Device
from ..errors import JobFailure
from ..repository import JobRecord
from ..storage import ObjectStore

#: Job names that trigger a test hook when the server runs with ``test_hooks=True``.
HOLD_HOOK = "test-hook:hold"
CRASH_HOOK = "test-hook:crash"
HOOKS_DIR = "test-hooks"


@dataclasses.dataclass(frozen=True)
class WorkerConfig:
    """What a worker needs before its first job.

    Attributes:
        store: The server's object store (the worker only reads ``input.zip`` from it).
        threads: The most threads Aer may use for one job (its ``OMP_NUM_THREADS``); each job
            brings the number it may use now.
        memory_bytes: Memory one simulation may use in this worker.
        test_hooks: Honour the ``test-hook:*`` job names (the test suite only).
        library_threads: Threads of the other numeric libraries (BLAS) in this worker.
        devices: The catalog's devices when the worker starts: warmed up after ``ready``, and
            known by id, so jobs on them do not send them again.
    """

    store: ObjectStore
    threads: int
    memory_bytes: int
    test_hooks: bool = False
    library_threads: int = 1
    devices: tuple[Device, ...] = ()


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when the thread that started it goes away."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _hold(config: WorkerConfig, record: JobRecord) -> None:
    """Keep a core busy until the test writes ``<data_dir>/test-hooks/<job_id>`` (hold hook)."""
    release = Path(config.store.root).parent / HOOKS_DIR / record.job_id
    while not release.exists():
        sum(range(200_000))  # CPU-bound on purpose: the API must answer while a worker computes


def _mark_running(conn: Connection, config: WorkerConfig, record: JobRecord) -> Callable[[], None]:
    def mark_running() -> None:
        conn.send(("running",))
        if config.test_hooks and record.name == CRASH_HOOK:
            os.kill(os.getpid(), signal.SIGKILL)
        if config.test_hooks and record.name == HOLD_HOOK:
            _hold(config, record)

    return mark_running


def run_one(conn: Connection, config: WorkerConfig, record: JobRecord, device: Device) -> None:
    """Run one job, store its objects and send its outcome (or failure message) on ``conn``."""
    from .outcome import store_outcome
    from .pipeline import run_circuit_job

    try:
        outcome = run_circuit_job(record, device, config.store, _mark_running(conn, config, record))
        written = store_outcome(config.store, record.job_id, outcome)
    except JobFailure as exc:
        conn.send(("failed", exc.message))
    except MemoryError:
        conn.send(("failed", _out_of_memory(config)))
    except OSError as exc:
        message = f"the engine could not store the job's result ({exc}); free disk space, retry"
        conn.send(("failed", message))
    except Exception as exc:  # no job may take its worker (and the queue behind it) down
        message = (
            f"the engine failed on this job ({type(exc).__name__}: {exc}); this is a bug of the "
            "local server: please report it with the job's input"
        )
        conn.send(("failed", message))
    else:
        conn.send(("done", written))


def _out_of_memory(config: WorkerConfig) -> str:
    limit = config.memory_bytes / 2**30
    return (
        f"the job ran out of memory in its engine worker (limit {limit:.1f} GiB): use fewer qubits "
        "or shots, or start the server with fewer workers (each gets a larger share)"
    )


def _limit_address_space(config: WorkerConfig) -> None:
    """Cap the address space (RLIMIT_AS) at what is mapped now plus the budget, with headroom.

    A simulation that allocates past it raises MemoryError (or Aer's bad_alloc) in this worker
    only. The headroom covers thread stacks and allocator arenas, which map memory they never use.
    """
    with contextlib.suppress(ImportError, OSError, ValueError):
        import resource

        mapped = 0
        with open("/proc/self/statm") as statm:
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = mapped + 2 * config.memory_bytes + 4 * 2**30
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _warm_up() -> None:
    """Import and exercise the engine once, so the first job does not pay for it."""
    from qiskit import QuantumCircuit
    from qiskit_aer import AerSimulator

    from . import pipeline  # noqa: F401  (the import is the warm-up)
    from .circuits import parse_program

    circuit: QuantumCircuit = parse_program(
        'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[1] q;\nbit[1] c;\n'
        "h q[0];\nc[0] = measure q[0];"
    )
    AerSimulator().run(circuit, shots=1).result()


def _warm_device(device: Device) -> None:
    """Run a Bell pair through ``device``'s path once: pass manager, transpile, Aer, noise model."""
    from .circuits import DEFAULT_TRANSPILER_INFO, parse_program, transpile_for_device
    from .simulate import run_counts

    width = min(2, device.n_qubits)
    if width < 1:
        return
    gates = "h q[0];\n" + ("cx q[0], q[1];\n" if width == 2 else "")
    measures = "".join(f"c[{i}] = measure q[{i}];\n" for i in range(width))
    text = (
        f'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[{width}] q;\nbit[{width}] c;\n'
        + gates
        + measures
    )
    with contextlib.suppress(Exception):  # a warm-up never fails the worker; the job will say
        circuit = parse_program(text)
        transpiled, _ = transpile_for_device(circuit, device, dict(DEFAULT_TRANSPILER_INFO))
        run_counts([transpiled], device, 10, 1)


def _next_job(inbox: Connection, warm: list[Device]) -> Any:
    """Warm one device at a time until a job arrives; return the job's message."""
    while warm and not inbox.poll(0):
        _warm_device(warm.pop(0))
    return inbox.recv()


def main() -> None:
    """Serve jobs until the API process closes our standard input."""
    _die_with_parent()
    warnings.simplefilter("ignore")  # nobody reads a worker's warnings; messages go in the job
    inbox = Connection(os.dup(0), writable=False)
    outbox = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # stray prints from libraries go to the log, never into the protocol
    config: WorkerConfig = inbox.recv()
    from . import simulate

    simulate.configure(threads=1, memory_bytes=config.memory_bytes)
    _warm_up()
    _limit_address_space(config)
    outbox.send(("ready", os.getpid()))
    devices = {device.device_id: device for device in config.devices}
    warm = list(config.devices)
    while True:
        try:
            record, device_id, device, threads = _next_job(inbox, warm)
        except (EOFError, OSError):
            return
        if device is not None:
            devices[device_id] = device
        simulate.configure(threads=min(threads, config.threads), memory_bytes=config.memory_bytes)
        run_one(outbox, config, record, devices[device_id])
        sys.stdout.flush()


if __name__ == "__main__":
    main()
