"""The ``demo`` command: a Bell circuit from QURI Parts, Qiskit and PennyLane on a local server."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from oqtopus_bridge.cli.exit_codes import ExitCode, describe_error
from oqtopus_bridge.config import OqtopusConfig
from oqtopus_bridge.plotting import counts_as_keys, text_histogram

__all__ = ["add_parser", "run"]

Runner = Callable[[OqtopusConfig, str, int, float], dict[str, int]]


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register the ``demo`` command.

    Args:
        subparsers: The top-level subparsers.
        parents: Parsers holding the global options (unused: the demo makes its own server).
    """
    parser = subparsers.add_parser(
        "demo",
        help="run a Bell circuit through QURI Parts, Qiskit and PennyLane on the embedded server",
        description=(
            "Start the embedded OQTOPUS-compatible server (no account or config file needed) and "
            "sample a Bell circuit from each installed framework, printing the counts and a text "
            "histogram. A framework whose extra is not installed is skipped with a hint."
        ),
    )
    parser.add_argument("--shots", type=int, default=1000, help="shots per framework [1000]")
    parser.add_argument("--device", default="qulacs", help="device of the local server [qulacs]")
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for each job [120]"
    )
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo.

    Args:
        args: Parsed arguments.

    Returns:
        0 when every installed framework ran; otherwise the code of the first failure.
    """
    try:
        from oqtopus_bridge.local import LocalServer
    except ImportError as exc:
        raise ImportError(
            'the demo needs the local server: pip install ".[server]" in a clone of '
            f"oqtopus-bridge ({exc})"
        ) from exc
    if args.shots < 1:
        raise ValueError(f"--shots must be a positive integer, not {args.shots}")
    outcomes: dict[str, Any] = {}
    codes: list[int] = []
    with LocalServer() as server:
        if not args.json:
            print(
                f"Local OQTOPUS server at {server.url}; Bell circuit, {args.shots} shots on "
                f"'{args.device}'\n"
            )
        for name, runner, extra in _FRAMEWORKS:
            outcome, code = _run_framework(name, runner, extra, server.config, args)
            outcomes[name] = outcome
            codes.append(code)
    if args.json:
        print(json.dumps(outcomes, indent=2))
    else:
        _print_summary(outcomes)
    return next((code for code in codes if code != ExitCode.OK), ExitCode.OK)


def _run_framework(
    name: str, runner: Runner, extra: str | None, config: OqtopusConfig, args: argparse.Namespace
) -> tuple[dict[str, Any], int]:
    """Run one framework; an uninstalled extra is a skip, any other error a failure."""
    start = time.perf_counter()
    try:
        counts = runner(config, args.device, args.shots, args.timeout)
    except ImportError as exc:
        hint = (
            f'pip install ".[{extra}]" in a clone of oqtopus-bridge'
            if extra
            else "reinstall oqtopus-bridge"
        )
        if not args.json:
            print(f"== {name}: skipped, not installed ({hint}; {exc})\n")
        return {"skipped": f"not installed: {hint}"}, ExitCode.OK
    except Exception as exc:
        code, message = describe_error(exc, (config.api_token,))
        if not args.json:
            print(f"== {name}: FAILED: {message}\n")
        return {"error": message}, code
    seconds = time.perf_counter() - start
    if not args.json:
        print(f"== {name} ({seconds:.1f} s)")
        print(f"counts: {json.dumps(counts)}")
        print(text_histogram(counts, width=30) + "\n")
    return {"counts": counts, "seconds": round(seconds, 3)}, ExitCode.OK


def _print_summary(outcomes: dict[str, Any]) -> None:
    ran = [name for name, outcome in outcomes.items() if "counts" in outcome]
    keys = sorted({key for name in ran for key in outcomes[name]["counts"]})
    skipped = [name for name, outcome in outcomes.items() if "skipped" in outcome]
    failed = [name for name, outcome in outcomes.items() if "error" in outcome]
    print(f"Ran {len(ran)} of {len(outcomes)} frameworks; outcomes seen: {', '.join(keys) or '-'}")
    if skipped:
        print(f"Skipped (extra not installed): {', '.join(skipped)}")
    if failed:
        print(f"Failed: {', '.join(failed)}")


def _quri_parts(config: OqtopusConfig, device: str, shots: int, timeout: float) -> dict[str, int]:
    from quri_parts.circuit import QuantumCircuit

    from oqtopus_bridge import OqtopusSamplingBackend

    circuit = QuantumCircuit(2)
    circuit.add_H_gate(0)
    circuit.add_CNOT_gate(0, 1)
    job = OqtopusSamplingBackend(config).sample(circuit, device, shots)
    return counts_as_keys(job.result(timeout=timeout, wait=1.0))


def _qiskit(config: OqtopusConfig, device: str, shots: int, timeout: float) -> dict[str, int]:
    from qiskit import QuantumCircuit

    from oqtopus_bridge.qiskit import OqtopusProvider

    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure_all()
    job = OqtopusProvider(config).get_backend(device).run(circuit, shots=shots)
    return counts_as_keys(job.result().get_counts())


def _pennylane(config: OqtopusConfig, device: str, shots: int, timeout: float) -> dict[str, int]:
    import pennylane as qml

    dev = qml.device("oqtopus.sampler", wires=2, device_id=device, oqtopus_config=config)

    @qml.set_shots(shots)  # type: ignore[untyped-decorator]
    @qml.qnode(dev)  # type: ignore[untyped-decorator]
    def bell() -> Any:
        qml.Hadamard(0)
        qml.CNOT([0, 1])
        return qml.counts()

    return counts_as_keys(bell())


# (name shown, runner, extra that provides it)
_FRAMEWORKS: tuple[tuple[str, Runner, str | None], ...] = (
    ("QURI Parts", _quri_parts, None),
    ("Qiskit", _qiskit, "qiskit"),
    ("PennyLane", _pennylane, "pennylane"),
)
