"""SSE jobs: run the uploaded Python program in a limited subprocess that talks back to this server.

The program gets a scrubbed environment (``PATH``, ``HOME`` = its temporary directory,
``OQTOPUS_URL`` and a job-scoped ``OQTOPUS_API_TOKEN``), a wall-clock limit and an address-space
limit. Where Linux allows unprivileged mount namespaces (probed once with ``unshare``), it also
runs in a private mount namespace in which the server's data directory is an empty tmpfs, so it
cannot read the database, the signing key or other users' objects; elsewhere a warning says it is
not isolated. It runs under ``settings.sse_python`` (default: the server's interpreter); when that
interpreter cannot import ``quri_parts_oqtopus``, the ``sse_runtime`` shim is put on its
``PYTHONPATH`` so programs written for the real service run unchanged.

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
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import JobFailure
from ..repository import JobRecord
from .circuits import DEFAULT_TRANSPILER_INFO
from .outcome import Outcome
from .pipeline import load_input

if TYPE_CHECKING:
    from .pool import Engine

logger = logging.getLogger(__name__)

LOG_ENTRY = "sse_runtime.log"
OUTPUT_ITEM = "program_output.log"
RUNTIME_DIR = Path(__file__).resolve().parents[2] / "sse_runtime"

# Runs "$@" after mounting an empty tmpfs over "$0" inside the new mount namespace; the shell's own
# variables are dropped so the program's environment stays exactly the scrubbed one.
_HIDE_AND_EXEC = (
    'mount -t tmpfs -o size=1m,mode=0700 tmpfs "$0" && unset PWD OLDPWD SHLVL && exec "$@"'
)
_FINAL = ("succeeded", "failed", "cancelled")


def _limit_memory(limit: int) -> Callable[[], None]:
    def apply() -> None:
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ImportError, ValueError, OSError):
            pass  # not enforceable on this platform; the time limit still applies

    return apply


def _namespace_prefix(hidden: Path) -> list[str]:
    unshare = shutil.which("unshare") or "unshare"
    return [unshare, "--mount", "--map-root-user", "--", "sh", "-c", _HIDE_AND_EXEC, str(hidden)]


@functools.lru_cache(maxsize=8)
def isolation_available(hidden: Path) -> bool:
    """Whether SSE programs can run with ``hidden`` (the data directory) masked; probed once.

    Needs util-linux ``unshare`` and unprivileged user and mount namespaces (or root).
    """
    if sys.platform != "linux" or shutil.which("unshare") is None:
        reason = "the unshare tool is not available"
    else:
        try:
            probe = subprocess.run(
                [*_namespace_prefix(hidden), "true"], capture_output=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            reason = f"unshare failed: {exc}"
        else:
            if probe.returncode == 0:
                return True
            reason = f"unshare failed: {probe.stderr.decode(errors='replace').strip()[:200]}"
    logger.warning(
        "SSE programs are NOT isolated from the server's files (%s): a program can read %s. "
        "Run the server where unprivileged mount namespaces are allowed to isolate them.",
        reason,
        hidden,
    )
    return False


def interpreter(engine: Engine) -> str:
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


def _command(engine: Engine, program: Path) -> list[str]:
    command = [interpreter(engine), str(program)]
    hidden = engine.settings.data_dir.resolve()
    return [*_namespace_prefix(hidden), *command] if isolation_available(hidden) else command


def _environment(engine: Engine, home: str, token: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
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


def _kill(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.wait()


def _supervise(engine: Engine, job_id: str, process: subprocess.Popen[bytes]) -> str | None:
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


def _run_program(
    engine: Engine, record: JobRecord, source: str, token: str, mark_running: Callable[[], None]
) -> tuple[int, str, str, float]:
    with tempfile.TemporaryDirectory(prefix="oqtopus-sse-") as home:
        program = Path(home) / "userprogram.py"
        program.write_text(source, encoding="utf-8")
        out_path, err_path = Path(home) / ".stdout", Path(home) / ".stderr"
        env = _environment(engine, home, token)
        mark_running()
        start = time.perf_counter()
        with out_path.open("wb") as out, err_path.open("wb") as err:
            process = subprocess.Popen(
                _command(engine, program),
                cwd=home,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
                preexec_fn=_limit_memory(engine.settings.sse_memory_bytes),
            )
            stopped = _supervise(engine, record.job_id, process)
        elapsed = max(time.perf_counter() - start, 1e-6)
        stdout = out_path.read_text("utf-8", errors="replace")
        stderr = err_path.read_text("utf-8", errors="replace")
    engine.store.put(f"{record.job_id}/{OUTPUT_ITEM}", (stdout + stderr).encode())
    if stopped == "timeout":
        engine.repo.update_job(record.job_id, execution_time=elapsed)
        raise JobFailure(
            f"user program execution error: time limit of {engine.settings.sse_timeout_s:g} s "
            "exceeded"
        )
    if stopped is not None:
        from .pool import Cancelled

        raise Cancelled(record.job_id)
    return process.returncode, stdout, stderr, elapsed


def _wait_inner(engine: Engine, job_id: str, timeout: float) -> JobRecord | None:
    deadline = time.monotonic() + timeout
    while True:
        last = _last_inner(engine, job_id)
        if last is None:
            return None
        if last.status in _FINAL or time.monotonic() > deadline or engine.stopping.is_set():
            return last
        time.sleep(0.1)


def _last_inner(engine: Engine, job_id: str) -> JobRecord | None:
    submitted = [job for job in engine.repo.children(job_id) if job.status != "registered"]
    return submitted[-1] if submitted else None


def _report_transpiler(engine: Engine, record: JobRecord, last: JobRecord | None) -> None:
    """Show on the SSE job what its inner jobs used (upstream), else the engine default."""
    if last is not None and last.transpiler_info:
        info: dict[str, Any] = last.transpiler_info
    else:
        info = record.transpiler_info or dict(DEFAULT_TRANSPILER_INFO)
    engine.repo.update_job(record.job_id, transpiler_info=info)


def run_sse_job(engine: Engine, record: JobRecord, mark_running: Callable[[], None]) -> Outcome:
    """Execute an SSE job; return its outcome (the last inner job's result)."""
    source = load_input(engine.store, record.job_id).get("sse_program")
    if not isinstance(source, str) or not source.strip():
        raise JobFailure("an sse job needs a non-empty 'sse_program' in input.json")
    token = secrets.token_urlsafe(32)
    engine.repo.add_token(record.owner, token, scope_job_id=record.job_id)
    try:
        code, stdout, stderr, elapsed = _run_program(engine, record, source, token, mark_running)
        last = _last_inner(engine, record.job_id) if code else None
        if code == 0:
            last = _wait_inner(engine, record.job_id, engine.settings.sse_timeout_s)
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


def _inner_result(engine: Engine, last: JobRecord | None) -> dict[str, Any]:
    empty: dict[str, Any] = {"sampling": None, "estimation": None}
    if last is None:
        return empty
    data = engine.store.read_entry(last.job_id, "result")
    return empty if data is None else dict(json.loads(data))
