"""SSE jobs: run the uploaded Python program in a sandbox from which it can reach only this server.

The program gets a scrubbed environment (``PATH``, ``HOME`` = its private directory,
``OQTOPUS_URL`` and a job-scoped ``OQTOPUS_API_TOKEN`` that reaches only its own inner jobs), a
wall-clock limit, an address-space limit and a process-count limit, and runs confined
(`.sandbox`, issue 21): it sees the system's and its interpreter's directories read-only, its
home, and nothing else of the host (not the data directory, other servers' or ``/root``); its
mounts cannot be undone from inside, its only network is a relay to this server's API, and every
process it starts dies with it. Where the kernel offers no such confinement, the job is refused
with a message saying what is missing. Its stdout and stderr go to files the server opened and
reads back through its own descriptors. It runs under ``settings.sse_python`` (default: the
server's interpreter); when that interpreter cannot import ``quri_parts_oqtopus``, the
``sse_runtime`` shim is put on its ``PYTHONPATH`` so programs written for the real service run
unchanged.

As upstream runs it (``oqtopus-team/test-suite:scenario-tests/sse-job``): jobs the program submits
with its token are its inner jobs; the last one's result (and transpile result) becomes the SSE
job's, and the SSE job's ``transpiler_info`` reports what that job used. The SSE job fails if the
program exits non-zero or its last inner job did not succeed; then ``job_info`` has no
``sse_log``, but ``execution_time`` is set. stdout+stderr become ``sse_log.zip`` (entry
``sse_runtime.log``) on success, and are always kept, for local reading, as
``{job_id}/program_output.log`` in object storage (``GET /local/jobs/{job_id}/program_output``).
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Protocol

from ..errors import JobFailure
from ..repository import JobRecord, Repository
from ..settings import ServerSettings
from ..storage import ObjectStore
from .circuits import DEFAULT_TRANSPILER_INFO
from .outcome import Cancelled, Outcome
from .pipeline import load_input
from .sandbox import Sandbox, SandboxUnavailable, unavailable

LOG_ENTRY = "sse_runtime.log"
OUTPUT_ITEM = "program_output.log"
RUNTIME_DIR = Path(__file__).resolve().parents[2] / "sse_runtime"
#: With ``test_hooks``, an SSE job of this name is refused as if the kernel had no sandbox.
NO_SANDBOX_HOOK = "test-hook:no-sandbox"
MAX_OUTPUT = 16 * 1024 * 1024  # bytes of stdout (and of stderr) kept; the rest is cut
_FINAL = ("succeeded", "failed", "cancelled")


class SseHost(Protocol):
    """What the SSE runner needs of the engine (so that it never imports the pool)."""

    @property
    def settings(self) -> ServerSettings:
        """The server's settings."""

    @property
    def repo(self) -> Repository:
        """The database."""

    @property
    def store(self) -> ObjectStore:
        """Object storage."""

    @property
    def stopping(self) -> threading.Event:
        """Set when the server shuts down."""


def interpreter(engine: SseHost) -> str:
    """Return the Python that runs SSE programs (``settings.sse_python`` or the server's)."""
    return engine.settings.sse_python or sys.executable


@functools.lru_cache(maxsize=8)
def has_official_client(python: str, pythonpath: str | None) -> bool:
    """Whether ``python`` imports the real ``quri_parts_oqtopus`` (probed once per interpreter)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    try:
        probe = subprocess.run(
            [python, "-c", "import quri_parts_oqtopus.backend"],
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def _environment(engine: SseHost, home: Path, token: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "OQTOPUS_URL": engine.settings.public_url,
        "OQTOPUS_API_TOKEN": token,
    }
    # Set only when this server itself runs from a source tree; the program needs the same.
    paths = [os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []
    if not has_official_client(interpreter(engine), env.get("PYTHONPATH") or None):
        paths.append(str(RUNTIME_DIR))
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def refusal(engine: SseHost, record: JobRecord) -> str | None:
    """The failure message of an SSE job this machine cannot confine, or ``None`` (probed once)."""
    if engine.settings.test_hooks and record.name == NO_SANDBOX_HOOK:
        return refused("forced by the test hook")
    reason = unavailable(interpreter(engine))
    return None if reason is None else refused(reason)


def refused(reason: str) -> str:
    """The message of an SSE job refused because the sandbox is unavailable for ``reason``."""
    return (
        "SSE programs are refused on this server: the sandbox that confines them is not "
        f"available ({reason}). It needs Linux with unprivileged user namespaces "
        "(user.max_user_namespaces > 0) and a process-count limit (a writable pids cgroup, or a "
        "server that does not run as root); see the SSE page of the local server's documentation"
    )


def _kill(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.wait()


def _supervise(engine: SseHost, job_id: str, process: subprocess.Popen[bytes]) -> str | None:
    """Wait for the program; return why it was stopped (timeout/cancel/shutdown) or ``None``."""
    deadline = time.monotonic() + engine.settings.sse_timeout_s
    while process.poll() is None:
        reason = None
        if time.monotonic() > deadline:
            reason = "timeout"
        elif engine.stopping.is_set():
            reason = "shutdown"
        else:
            record = engine.repo.get_job(job_id)
            if record is None or record.status != "running":
                reason = "cancelled"
        if reason is not None:
            _kill(process)
            return reason
        time.sleep(0.1)
    return None


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])[-2000:]


def _read(handle: IO[bytes]) -> str:
    """Read back an output file through the server's own descriptor (never by its path)."""
    size = handle.seek(0, os.SEEK_END)
    handle.seek(max(0, size - MAX_OUTPUT))
    cut = f"[first {size - MAX_OUTPUT} bytes cut]\n" if size > MAX_OUTPUT else ""
    return cut + handle.read().decode("utf-8", errors="replace")


def _run_program(
    engine: SseHost, record: JobRecord, source: str, token: str, mark_running: Callable[[], None]
) -> tuple[int, str, str, float]:
    settings = engine.settings
    hidden = [settings.data_dir]
    with (
        Sandbox(settings.public_url, hidden, settings.sse_max_processes) as box,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        program = box.home / "userprogram.py"
        program.write_text(source, encoding="utf-8")
        env = _environment(engine, box.home, token)
        mark_running()
        start = time.perf_counter()
        argv = [interpreter(engine), str(program)]
        process = box.start(argv, env, settings.sse_memory_bytes, out, err)
        stopped = _supervise(engine, record.job_id, process)
        elapsed = max(time.perf_counter() - start, 1e-6)
        stdout, stderr = _read(out), _read(err)
        problem, at_limit = box.setup_error(), box.reached_process_limit(stdout + stderr)
    engine.store.put(f"{record.job_id}/{OUTPUT_ITEM}", (stdout + stderr).encode())
    if problem is not None:
        raise JobFailure(
            f"the SSE sandbox could not be set up, so the program did not run: {problem}"
        )
    if stopped == "timeout":
        engine.repo.update_job(record.job_id, execution_time=elapsed)
        raise JobFailure(
            f"user program execution error: time limit of {settings.sse_timeout_s:g} s exceeded"
        )
    if stopped is not None:
        raise Cancelled(record.job_id)
    if at_limit and process.returncode != 0:
        stderr += (
            f"\n[the program reached its limit of {settings.sse_max_processes} processes and "
            "threads (sse_max_processes): starting more failed]"
        )
    return process.returncode, stdout, stderr, elapsed


def _wait_inner(engine: SseHost, job_id: str, timeout: float) -> JobRecord | None:
    deadline = time.monotonic() + timeout
    while True:
        last = _last_inner(engine, job_id)
        if last is None:
            return None
        if last.status in _FINAL or time.monotonic() > deadline or engine.stopping.is_set():
            return last
        time.sleep(0.1)


def _last_inner(engine: SseHost, job_id: str) -> JobRecord | None:
    submitted = [job for job in engine.repo.children(job_id) if job.status != "registered"]
    return submitted[-1] if submitted else None


def _report_transpiler(engine: SseHost, record: JobRecord, last: JobRecord | None) -> None:
    """Show on the SSE job what its inner jobs used (upstream), else the engine default."""
    if last is not None and last.transpiler_info:
        info: dict[str, Any] = last.transpiler_info
    else:
        info = record.transpiler_info or dict(DEFAULT_TRANSPILER_INFO)
    engine.repo.update_job(record.job_id, transpiler_info=info)


def run_sse_job(engine: SseHost, record: JobRecord, mark_running: Callable[[], None]) -> Outcome:
    """Execute an SSE job; return its outcome (the last inner job's result)."""
    source = load_input(engine.store, record.job_id).get("sse_program")
    if not isinstance(source, str) or not source.strip():
        raise JobFailure("an sse job needs a non-empty 'sse_program' in input.json")
    message = refusal(engine, record)
    if message is not None:
        raise JobFailure(message)
    token = secrets.token_urlsafe(32)
    engine.repo.add_token(record.owner, token, scope_job_id=record.job_id)
    try:
        code, stdout, stderr, elapsed = _run_program(engine, record, source, token, mark_running)
        last = _last_inner(engine, record.job_id) if code else None
        if code == 0:
            last = _wait_inner(engine, record.job_id, engine.settings.sse_timeout_s)
    except SandboxUnavailable as exc:
        raise JobFailure(refused(str(exc))) from exc
    finally:
        engine.repo.revoke_scoped_tokens(record.job_id)
    _report_transpiler(engine, record, last)
    if code != 0 or (last is not None and last.status != "succeeded"):
        engine.repo.update_job(record.job_id, execution_time=elapsed)
        raise JobFailure(_failure(record.job_id, code, stderr, last))
    engine.store.put_entry(record.job_id, "sse_log", LOG_ENTRY, (stdout + stderr).encode())
    objects: dict[str, Any] = {}
    transpiled = None if last is None else engine.store.read_entry(last.job_id, "transpile_result")
    if transpiled is not None:
        objects["transpile_result"] = json.loads(transpiled)
    return Outcome(_inner_result(engine, last), elapsed, objects)


def _failure(job_id: str, code: int, stderr: str, last: JobRecord | None) -> str:
    where = f"full output: GET /local/jobs/{job_id}/program_output"
    if code != 0:
        return f"user program execution error (exit code {code}; {where}):\n{_tail(stderr)}"
    assert last is not None
    reason = f": {last.message}" if last.message else ""
    return f"inner job {last.job_id} {last.status}{reason} ({where})"


def _inner_result(engine: SseHost, last: JobRecord | None) -> dict[str, Any]:
    empty: dict[str, Any] = {"sampling": None, "estimation": None}
    if last is None:
        return empty
    data = engine.store.read_entry(last.job_id, "result")
    return empty if data is None else dict(json.loads(data))
