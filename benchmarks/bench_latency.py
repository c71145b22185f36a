"""Benchmark 1: latency of one small sampling job, submit to counts, and HTTP spent per job."""

from __future__ import annotations

from benchmarks.harness import (
    Row,
    Run,
    Target,
    client_split,
    cpu_split,
    failed_note,
    median,
    per_job,
    run_reference,
    set_ratios,
    timed,
)
from benchmarks.workloads import BELL, to_qasm, to_qiskit

BENCH = "1 latency"
SHOTS = 100
MAX_REQUESTS = 8


def _ours(run: Run, program: str) -> Row:
    from oqtopus_bridge import OqtopusSamplingBackend

    backend = OqtopusSamplingBackend(run.server.config())

    def job() -> None:
        job = backend.sample_qasm(program, device_id="qulacs", shots=SHOTS, name="bench")
        assert sum(job.result().counts.values()) == SHOTS

    job()  # warm-up: first connection, lazy imports
    reps = run.sizes.latency_reps
    with run.server.counting() as traffic:
        times = timed(job, reps)
    requests, size = per_job(traffic, reps)
    jobs = run.sizes.cpu_jobs
    with run.server.counting() as cpu_traffic:  # enough jobs for /proc's 10 ms ticks
        for _ in range(jobs):
            job()
    return Row(
        BENCH,
        "oqtopus-bridge",
        median(times),
        requests_per_job=requests,
        bytes_per_job=size,
        note=(
            f"median of {reps}; default wait (one GET held until the job ends: Prefer: wait); "
            f"CPU over {jobs} more jobs"
        ),
        cpu_ms=cpu_split(cpu_traffic, jobs),
        extra={"times": times, "routes": traffic["routes"]},
    )


def poll_floor() -> float:
    """Our client's first poll interval where a server holds nothing: the reference's ``wait``.

    Against the local server our client sends no timed polls at all (its wait is one request held
    until the job ends); the reference client still gets the floor it would have elsewhere.
    """
    from oqtopus_bridge.polling import DEFAULT_POLICY

    return DEFAULT_POLICY.first


def _reference(run: Run, program: str) -> Row:
    if run.reference is None:
        return Row(BENCH, "quri-parts-oqtopus", None, note=run.reference_note)
    client = f"quri-parts-oqtopus {run.reference_note}"
    task = {
        "url": run.server.url,
        "token": run.server.token,
        "device_id": "qulacs",
        "shots": SHOTS,
        "wait": poll_floor(),
        "programs": [program],
        "reps": run.sizes.latency_reps,
    }
    try:
        with run.server.counting() as traffic:
            out = run_reference(run.reference, task)
    except RuntimeError as exc:
        return Row(BENCH, client, None, note=failed_note(exc))
    assert all(s == SHOTS for s in out["shots"])
    requests, size = per_job(traffic, len(out["times"]))
    return Row(
        BENCH,
        client,
        median(out["times"]),
        requests_per_job=requests,
        bytes_per_job=size,
        note=f"median of {len(out['times'])}; wait={poll_floor()} s (our poll floor)",
        cpu_ms=cpu_split(traffic, len(out["times"]), out.get("cpu")),
        extra={"times": out["times"], "routes": traffic["routes"]},
    )


def _aer(run: Run) -> Row:
    from qiskit_aer import AerSimulator

    circuit = to_qiskit(BELL, 2)
    simulator = AerSimulator()

    def job() -> None:
        counts = simulator.run(circuit, shots=SHOTS).result().get_counts()
        assert sum(counts.values()) == SHOTS

    job()
    cpu: list[float] = []
    times = timed(job, run.sizes.latency_reps, cpu)
    note = f"median of {len(times)}; same circuit, warm simulator"
    return Row(
        BENCH,
        "Aer in-process",
        median(times),
        note=note,
        cpu_ms=client_split(cpu),
        extra={"times": times},
    )


def run(run: Run) -> tuple[list[Row], list[Target]]:
    """Measure ours, the reference client and Aer on a 2-qubit Bell circuit of 100 shots."""
    program = to_qasm(BELL, 2)
    ours, reference, aer = _ours(run, program), _reference(run, program), _aer(run)
    set_ratios([ours, reference, aer], ours)
    targets = []
    if reference.ratio is not None:
        speedup = f"{reference.ratio:.2f}x lower latency than the reference"
        targets.append(
            Target(BENCH, ">= 10x lower latency than the reference", speedup, reference.ratio >= 10)
        )
    else:
        targets.append(
            Target(BENCH, ">= 10x lower latency than the reference", reference.note, None)
        )
    seconds = ours.seconds or 0.0
    targets.append(
        Target(BENCH, "<= 12 ms per small job", f"{1000 * seconds:.1f} ms", seconds <= 0.012)
    )
    cpu = [value or 0.0 for value in ours.cpu_ms or ()]
    targets.append(
        Target(
            BENCH,
            "<= 10 ms of CPU per small job, client + API + workers",
            " + ".join(f"{value:.1f}" for value in cpu) + f" = {sum(cpu):.1f} ms",
            bool(cpu) and sum(cpu) <= 10.0,
        )
    )
    requests = ours.requests_per_job or 0.0
    targets.append(
        Target(
            BENCH,
            f"<= {MAX_REQUESTS} HTTP requests per job",
            f"{requests:.1f} requests per job",
            requests <= MAX_REQUESTS,
        )
    )
    return [ours, reference, aer], targets
