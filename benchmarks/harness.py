"""Shared machinery: the server subprocess, traffic counters, timing, rows and targets."""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
NOT_INSTALLED = "not measured: reference client not installed"
#: Ideal device the 20-qubit benchmark runs on (the default catalog stops at 16 qubits).
WIDE_DEVICE = "bench-wide"


@dataclasses.dataclass(frozen=True)
class Sizes:
    """Problem sizes of one run (full or smoke)."""

    latency_reps: int = 20
    #: Small jobs run back to back for benchmark 1's CPU split: /proc counts in 10 ms ticks.
    cpu_jobs: int = 200
    batch_circuits: int = 200
    batch_qubits: int = 4
    batch_shots: int = 100
    wide_qubits: int = 20
    wide_shots: int = 10_000
    wide_depth: int = 10
    wide_reps: int = 9
    gradient_params: int = 10
    gradient_shots: int = 1000
    gradient_reps: int = 5
    throughput_clients: int = 8
    throughput_jobs_per_client: int = 25
    import_reps: int = 9
    noisy_shots: int = 2500
    first_settle: float = 3.0


FULL = Sizes()
SMOKE = Sizes(
    latency_reps=2,
    cpu_jobs=2,
    batch_circuits=3,
    batch_shots=20,
    wide_qubits=3,
    wide_shots=50,
    wide_depth=2,
    wide_reps=1,
    gradient_params=2,
    gradient_shots=20,
    gradient_reps=1,
    throughput_clients=8,
    throughput_jobs_per_client=1,
    import_reps=1,
    noisy_shots=20,
    first_settle=0.5,
)


@dataclasses.dataclass
class Row:
    """One measured (or skipped) line of the results table.

    Attributes:
        bench: Benchmark id, e.g. ``"1 latency"``.
        client: What ran, e.g. ``"oqtopus-bridge"``, ``"reference 1.1.5"``, ``"Aer in-process"``.
        seconds: The headline time in seconds (median unless the note says otherwise), or None
            when not measured.
        ratio: ``seconds`` divided by the ``seconds`` of the row named ``baseline``.
        baseline: The client the ratio is relative to.
        requests_per_job: HTTP requests seen by the server per job (None in-process).
        bytes_per_job: HTTP bytes (both directions) per job.
        note: What was measured, or why nothing was.
        cpu_ms: CPU milliseconds per job of the client, the API process and the engine workers
            (issue 23); None where a process took no part (in-process rows have only a client).
        extra: Further numbers (all timings, per-route counts, ...).
    """

    bench: str
    client: str
    seconds: float | None
    ratio: float | None = None
    baseline: str = ""
    requests_per_job: float | None = None
    bytes_per_job: float | None = None
    note: str = ""
    cpu_ms: tuple[float | None, float | None, float | None] | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Target:
    """One target of issues 10 and 23 and what this run reached.

    Attributes:
        bench: Benchmark id.
        goal: The target in words.
        reached: The measured value in words.
        met: True/False, or None when it could not be measured.
    """

    bench: str
    goal: str
    reached: str
    met: bool | None


def median(values: Sequence[float]) -> float:
    """Median of non-empty ``values``."""
    return float(statistics.median(values))


def timed(call: Callable[[], Any], reps: int, cpu: list[float] | None = None) -> list[float]:
    """Run ``call`` ``reps`` times and return each wall time in seconds.

    Args:
        call: What to time.
        reps: How many times.
        cpu: If given, each run's CPU seconds in this process (all threads) are appended to it.
    """
    times = []
    for _ in range(reps):
        cpu_start, start = client_cpu_seconds(), time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
        if cpu is not None:
            cpu.append(client_cpu_seconds() - cpu_start)
    return times


def client_cpu_seconds() -> float:
    """CPU seconds of the benchmark process and of its finished children (the reference client)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def cpu_split(
    traffic: dict[str, Any], jobs: float, client_s: float | None = None
) -> tuple[float | None, float | None, float | None]:
    """CPU ms per job of the client, API process and workers from a `ServerProcess.counting` block.

    Args:
        traffic: What ``counting`` filled in.
        jobs: The jobs the block ran.
        client_s: The client's CPU seconds when the block also ran something else (interleaved
            baselines); by default the whole process's.
    """
    cpu = traffic["cpu"]
    client = cpu["client"] if client_s is None else client_s
    jobs = max(jobs, 1)
    return (1000 * client / jobs, 1000 * cpu["api"] / jobs, 1000 * cpu["workers"] / jobs)


def client_split(cpu: Sequence[float]) -> tuple[float | None, float | None, float | None]:
    """The split of an in-process row: the client's median CPU ms per run, no server."""
    return (1000 * median(cpu), None, None)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    """Live child processes of ``pid`` (the engine workers of issue 16)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _children_cpu_seconds(pid: int) -> float:
    total = 0.0
    for child in _children(pid):
        try:
            total += _cpu_seconds(child)
        except OSError:
            continue  # a worker replaced between listing and reading
    return total


class ServerProcess:
    """The one LocalServer of a run, in its own process behind a traffic counter.

    A separate process keeps the server's CPU time measurable and its threads off the clients' GIL.

    Args:
        wide_qubits: Qubits of the extra ideal device :data:`WIDE_DEVICE`.
    """

    def __init__(self, wide_qubits: int) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="oqtopus-bench-")
        data_dir = Path(self._tmp.name)
        _write_catalog(data_dir, wide_qubits)
        self._proc = subprocess.Popen(
            [sys.executable, str(HERE / "server.py"), "--data-dir", str(data_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=clean_env(),
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the benchmark server did not start (see its stderr above)")
        ready = json.loads(line)
        self.url: str = ready["url"]
        self.token: str = ready["token"]
        self.pid: int = ready["pid"]
        self.workers: int = ready.get("workers", 1)
        self._http = requests.Session()
        self._http.trust_env = False

    def config(self) -> Any:
        """An ``OqtopusConfig`` for this server."""
        from oqtopus_bridge import OqtopusConfig

        return OqtopusConfig(url=self.url, api_token=self.token)

    def reset(self) -> None:
        """Zero the traffic counters."""
        self._http.post(self.url + "/__bench/reset", timeout=10).raise_for_status()

    def stats(self) -> dict[str, Any]:
        """Requests, bytes and per-route counts since the last reset."""
        response = self._http.get(self.url + "/__bench/stats", timeout=10)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def cpu_seconds(self) -> float:
        """CPU seconds the server's API process has used so far."""
        return _cpu_seconds(self.pid)

    def worker_cpu_seconds(self) -> float:
        """CPU seconds its live engine worker processes have used so far (0 before issue 16)."""
        return _children_cpu_seconds(self.pid)

    @contextmanager
    def counting(self) -> Iterator[dict[str, Any]]:
        """Reset the counters, run the block, then fill the yielded dict with the traffic."""
        traffic: dict[str, Any] = {}
        self.reset()
        client, api, workers = client_cpu_seconds(), self.cpu_seconds(), self.worker_cpu_seconds()
        yield traffic
        traffic["cpu"] = {
            "client": client_cpu_seconds() - client,
            "api": self.cpu_seconds() - api,
            "workers": self.worker_cpu_seconds() - workers,
        }
        traffic.update(self.stats())

    def stop(self) -> None:
        """Stop the server and remove its data."""
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._http.close()
        self._tmp.cleanup()


def _write_catalog(data_dir: Path, wide_qubits: int) -> None:
    """Write the default device catalog plus an ideal all-to-all device of ``wide_qubits``."""
    from oqtopus_bridge.local.devices import CATALOG_NAME, default_catalog

    catalog = default_catalog()
    ideal = next(entry for entry in catalog if entry["device_id"] == "qulacs")
    template = ideal["device_info"]["qubits"][0]
    qubits = [
        {**template, "id": i, "physical_id": i, "position": {"x": float(i % 5), "y": float(i // 5)}}
        for i in range(wide_qubits)
    ]
    couplings = [
        {"control": c, "target": t, "fidelity": 1.0, "gate_duration": {"cx": 224}}
        for c in range(wide_qubits)
        for t in range(wide_qubits)
        if c != t
    ]
    info = {**ideal["device_info"], "name": WIDE_DEVICE, "device_id": WIDE_DEVICE}
    info.update(qubits=qubits, couplings=couplings)
    wide = {**ideal, "device_id": WIDE_DEVICE, "device_info": info}
    wide["description"] = f"Ideal simulator, {wide_qubits} qubits (benchmarks)"
    (data_dir / CATALOG_NAME).write_text(json.dumps([*catalog, wide]))


def clean_env() -> dict[str, str]:
    """The environment for subprocesses: no proxy and no OQTOPUS settings leak in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().endswith("_PROXY") and not k.startswith("OQTOPUS_")
    }
    env["NO_PROXY"] = "127.0.0.1,localhost"
    return env


def per_job(traffic: dict[str, Any], jobs: int) -> tuple[float, float]:
    """Requests and bytes per job from a traffic snapshot."""
    total_bytes = traffic["bytes_in"] + traffic["bytes_out"]
    return traffic["requests"] / jobs, total_bytes / jobs


def reference_python(explicit: str | None) -> tuple[str | None, str]:
    """Find the reference client's interpreter: ``explicit``, else ``$OQTOPUS_REFERENCE_PYTHON``.

    Returns:
        ``(path, version)`` when it imports ``quri_parts_oqtopus``, else ``(None, reason)``.
    """
    path = explicit or os.environ.get("OQTOPUS_REFERENCE_PYTHON")
    if not path:
        return None, NOT_INSTALLED + " (set OQTOPUS_REFERENCE_PYTHON)"
    probe = "import importlib.metadata as m; print(m.version('quri-parts-oqtopus'))"
    try:
        out = subprocess.run(
            [path, "-c", probe], capture_output=True, text=True, timeout=60, env=clean_env()
        )
    except OSError as exc:
        return None, f"{NOT_INSTALLED} ({path}: {exc})"
    if out.returncode != 0:
        return None, f"{NOT_INSTALLED} (quri-parts-oqtopus not importable by {path})"
    return path, out.stdout.strip()


def reference_versions(python: str) -> dict[str, str]:
    """Python and key package versions of the reference environment (for the results)."""
    probe = (
        "import importlib.metadata as m, json, sys\n"
        "names = ('quri-parts-oqtopus', 'oqtopus-client', 'quri-parts-core', 'aiohttp')\n"
        "print(json.dumps({'python': sys.version.split()[0], **{n: m.version(n) for n in names}}))"
    )
    out = subprocess.run(
        [python, "-c", probe], capture_output=True, text=True, timeout=60, env=clean_env()
    )
    if out.returncode != 0:
        return {}
    versions: dict[str, str] = json.loads(out.stdout)
    return versions


def run_reference(python: str, task: dict[str, Any]) -> dict[str, Any]:
    """Run one :mod:`benchmarks.reference` task in the reference interpreter."""
    out = subprocess.run(
        [python, str(HERE / "reference.py")],
        input=json.dumps(task),  # on stdin: 200 programs exceed the argument size limit
        capture_output=True,
        text=True,
        timeout=600,
        env=clean_env(),
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"reference client task failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@dataclasses.dataclass
class Run:
    """What every benchmark gets: the server, the sizes, and the reference interpreter.

    Attributes:
        server: The shared server process.
        sizes: Problem sizes.
        reference: Path of the reference interpreter, or None.
        reference_note: Its version, or why it is missing.
    """

    server: ServerProcess
    sizes: Sizes
    reference: str | None
    reference_note: str


def set_ratios(rows: Sequence[Row], baseline: Row) -> None:
    """Set every measured row's ratio to its time over ``baseline``'s."""
    for row in rows:
        if row.seconds is not None and baseline.seconds:
            row.ratio = row.seconds / baseline.seconds
            row.baseline = baseline.client


def interleaved(
    calls: Sequence[Callable[[], Any]], reps: int, cpu: list[list[float]] | None = None
) -> list[list[float]]:
    """Time each call ``reps`` times, alternating between them, so load spikes hit all alike.

    ``cpu``, if given, receives one list per call of each run's CPU seconds in this process.
    """
    times: list[list[float]] = [[] for _ in calls]
    if cpu is not None:
        cpu[:] = [[] for _ in calls]
    for _ in range(reps):
        for index, call in enumerate(calls):
            times[index] += timed(call, 1, None if cpu is None else cpu[index])
    return times


def failed_note(exc: BaseException) -> str:
    """The note of a row whose client crashed (also printed, so the traceback is not lost)."""
    print(f"reference client failed: {exc}", file=sys.stderr, flush=True)
    last = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return f"not measured: reference client failed ({last[:200]})"


def paired_ratio(row: Row, baseline: Row) -> None:
    """Set ``row.ratio`` to the median of its per-rep ratios to ``baseline`` (interleaved reps).

    A load spike that slows one rep of either side makes one outlying pair, not the median.
    """
    pairs = zip(row.extra["times"], baseline.extra["times"], strict=True)
    row.ratio = median([ours / base for ours, base in pairs])
    row.baseline = baseline.client
    row.note += "; ratio = median of per-rep ratios"
