"""Benchmark 4: a parameter-shift gradient on oqtopus.sampler vs default.qubit, same shots."""

from __future__ import annotations

from typing import Any

from benchmarks.harness import (
    Row,
    Run,
    Target,
    client_split,
    cpu_split,
    interleaved,
    median,
    paired_ratio,
    set_ratios,
    timed,
)

BENCH = "4 gradient"
SUBMIT = "POST /jobs/{id}/submit"
WAITING = ("GET /jobs/{id}/status", "GET /jobs/{id}")


def _qnode(device: Any, params: int, wires: int, shots: int) -> Any:
    import pennylane as qml

    @qml.set_shots(shots)
    @qml.qnode(device, diff_method="parameter-shift")
    def circuit(theta: Any) -> Any:
        for i in range(params):
            qml.RY(theta[i], wires=i % wires)
            qml.CNOT(wires=[i % wires, (i + 1) % wires])
        return qml.expval(qml.Z(0) @ qml.Z(1))

    return circuit


def largest_wave(sequence: list[str]) -> int:
    """The most jobs submitted between two waits: how many tapes were in flight together."""
    largest = current = 0
    for route in sequence:
        if route == SUBMIT:
            current += 1
            largest = max(largest, current)
        elif route in WAITING:
            current = 0
    return largest


def _packed_row(run: Run, theta: Any, shape: tuple[int, int, int], what: str) -> Row:
    """The same gradient with ``multiprogramming=True``: tapes packed into multi_manual jobs."""
    import pennylane as qml

    params, wires, shots = shape
    device = qml.device(
        "oqtopus.sampler",
        wires=wires,
        device_id="qulacs",
        oqtopus_config=run.server.config(),
        multiprogramming=True,
    )
    gradient = qml.grad(_qnode(device, params, wires, shots))
    gradient(theta)  # warm-up
    with run.server.counting() as traffic:
        times = timed(lambda: gradient(theta), run.sizes.gradient_reps)
    jobs = traffic["routes"].get(SUBMIT, 0) / run.sizes.gradient_reps
    return Row(
        BENCH,
        "oqtopus.sampler, multiprogramming",
        median(times),
        requests_per_job=traffic["requests"] / max(1, traffic["routes"].get(SUBMIT, 1)),
        note=f"{what}; {jobs:.0f} multi_manual jobs per gradient (option, not the default)",
        cpu_ms=cpu_split(traffic, jobs * run.sizes.gradient_reps),
        extra={"times": times, "submissions": jobs},
    )


def run(run: Run) -> tuple[list[Row], list[Target]]:
    """Time ``qml.grad`` of a ``gradient_params``-parameter circuit on both devices."""
    import pennylane as qml
    from pennylane import numpy as pnp

    sizes = run.sizes
    params, shots = sizes.gradient_params, sizes.gradient_shots
    wires = min(4, params)
    theta = pnp.array([0.1 * (i + 1) for i in range(params)], requires_grad=True)
    ours_dev = qml.device(
        "oqtopus.sampler", wires=wires, device_id="qulacs", oqtopus_config=run.server.config()
    )
    ours = qml.grad(_qnode(ours_dev, params, wires, shots))
    reference = qml.grad(_qnode(qml.device("default.qubit", wires=wires), params, wires, shots))
    assert len(ours(theta)) == params and len(reference(theta)) == params  # warm-up
    reps = sizes.gradient_reps
    with run.server.counting() as traffic:
        cpu: list[list[float]] = []
        ours_times, default_times = interleaved(
            [lambda: ours(theta), lambda: reference(theta)], reps, cpu
        )
    submissions = traffic["routes"].get(SUBMIT, 0) / reps
    wave = largest_wave(traffic["sequence"])
    what = f"{params} parameters on {wires} wires, {shots} shots"
    rows = [
        Row(
            BENCH,
            "oqtopus.sampler",
            median(ours_times),
            requests_per_job=traffic["requests"] / max(1, traffic["routes"].get(SUBMIT, 1)),
            note=f"{what}; {submissions:.0f} jobs per gradient, up to {wave} in flight together",
            cpu_ms=cpu_split(traffic, submissions * reps, sum(cpu[0])),
            extra={"times": ours_times, "submissions": submissions, "wave": wave},
        ),
        Row(
            BENCH,
            "default.qubit",
            median(default_times),
            note=what,
            cpu_ms=client_split(cpu[1]),
            extra={"times": default_times},
        ),
    ]
    rows.insert(1, _packed_row(run, theta, (params, wires, shots), what))
    set_ratios(rows, rows[2])
    paired_ratio(rows[0], rows[2])
    ratio = rows[0].ratio or 0.0
    shifted = 2 * params
    return rows, [
        Target(
            BENCH,
            f"all {shifted} shifted tapes in flight together",
            f"{wave} jobs in flight together, {submissions:.0f} per gradient",
            wave >= shifted,
        ),
        Target(BENCH, "wall time <= 3x default.qubit", f"{ratio:.2f}x", ratio <= 3.0),
    ]
