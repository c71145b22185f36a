"""The ``submit`` command: send OpenQASM 3 files as a sampling or estimation job."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from oqtopus_bridge import bits
from oqtopus_bridge.cli.config import resolve_connection
from oqtopus_bridge.cli.exit_codes import ExitCode
from oqtopus_bridge.cli.jobs import add_wait_options, wait_and_report
from oqtopus_bridge.cli.output import print_json

__all__ = ["add_parser", "parse_operator", "run"]


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register the ``submit`` command.

    Args:
        subparsers: The top-level subparsers.
        parents: Parsers holding the global options.
    """
    parser = subparsers.add_parser(
        "submit",
        parents=parents,
        help="submit OpenQASM 3 programs as a sampling or estimation job",
        description=(
            "Submit OpenQASM 3 files. Several files make one multi_manual sampling job. "
            "Estimation takes one file and one or more --operator terms."
        ),
    )
    parser.add_argument("files", nargs="+", metavar="FILE.qasm", help="program file ('-' = stdin)")
    parser.add_argument("--device", required=True, help="device id, e.g. qulacs")
    parser.add_argument("--shots", type=int, required=True, help="number of shots")
    parser.add_argument("--type", choices=("sampling", "estimation"), default="sampling")
    parser.add_argument(
        "--operator",
        action="append",
        default=[],
        metavar="'PAULI[:COEFF]'",
        help="estimation term, e.g. 'X0 Z1:0.5' or 'Z0' (coefficient 1); repeat to add terms",
    )
    parser.add_argument("--name", help="job name")
    parser.add_argument("--description", help="job description")
    for kind in ("transpiler", "mitigation", "simulator"):
        parser.add_argument(
            f"--{kind}-info",
            metavar="JSON",
            type=_json_object,
            help=f"{kind}_info as a JSON object",
        )
    parser.add_argument("--wait", action="store_true", help="wait for the job and print its result")
    add_wait_options(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=run)


def parse_operator(terms: list[str]) -> list[tuple[str, float]]:
    """Parse ``--operator`` terms into ``(service Pauli label, coefficient)`` pairs.

    Args:
        terms: Terms like ``"X0 Z1:0.5"``, ``"Z0"`` (coefficient 1) or ``"I:-0.2"``.

    Returns:
        Pairs in the service's label form (``"X0 Z1"``, identity ``"I"``).

    Raises:
        ValueError: If a term is not a Pauli product or its coefficient is not a number.
    """
    pairs = []
    for term in terms:
        label, _, coeff = term.partition(":")
        try:
            value = float(coeff) if coeff.strip() else 1.0
        except ValueError:
            raise ValueError(
                f"--operator {term!r}: coefficient {coeff!r} is not a number"
            ) from None
        try:
            ops = bits.parse_service_pauli(label.strip())
        except ValueError as exc:
            raise ValueError(f"--operator {term!r}: {exc}") from None
        pairs.append((bits.pauli_to_service(ops), value))
    return pairs


def run(args: argparse.Namespace) -> int:
    """Submit the job, print its id, and with ``--wait`` its result.

    Args:
        args: Parsed arguments.

    Returns:
        The exit code.
    """
    programs = [_read_program(name) for name in args.files]
    options = {
        "name": args.name,
        "description": args.description,
        "transpiler_info": args.transpiler_info,
        "simulator_info": args.simulator_info,
        "mitigation_info": args.mitigation_info,
    }
    job = _submit(args, programs, options)
    if not args.wait:
        if args.json:
            print_json({"job_id": job.job_id, "status": job.status})
        else:
            print(job.job_id)
        return ExitCode.OK
    if not args.json:
        print(f"submitted job {job.job_id}", file=sys.stderr)
    return wait_and_report(job, args, show_result=True)


def _submit(args: argparse.Namespace, programs: list[str], options: dict[str, Any]) -> Any:
    from oqtopus_bridge import OqtopusEstimationBackend, OqtopusSamplingBackend

    if args.shots < 1:
        raise ValueError(f"--shots must be a positive integer, not {args.shots}")
    config = resolve_connection(args).config
    if args.type == "sampling":
        if args.operator:
            raise ValueError("--operator is only for --type estimation")
        program: str | list[str] = programs[0] if len(programs) == 1 else programs
        return OqtopusSamplingBackend(config).sample_qasm(
            program, args.device, args.shots, **options
        )
    if len(programs) != 1:
        raise ValueError("estimation takes exactly one program file")
    if not args.operator:
        raise ValueError("estimation needs at least one --operator term, e.g. --operator 'Z0 Z1'")
    operator = parse_operator(args.operator)
    backend = OqtopusEstimationBackend(config)
    return backend.estimate_qasm(programs[0], operator, args.device, args.shots, **options)


def _read_program(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    path = Path(name)
    if not path.is_file():
        raise ValueError(f"program file {name} not found")
    return path.read_text(encoding="utf-8")


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object, e.g. '{\"transpiler_lib\": null}'")
    return value
