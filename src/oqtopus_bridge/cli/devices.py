"""The ``devices`` command: list devices as a table or JSON, show one, or draw its coupling map."""

from __future__ import annotations

import argparse
from typing import Any

from oqtopus_bridge.cli.config import resolve_connection
from oqtopus_bridge.cli.exit_codes import ExitCode
from oqtopus_bridge.cli.output import print_json, print_table

__all__ = ["add_parser", "device_to_dict", "run"]

_COLUMNS = (
    ("device_id", "DEVICE"),
    ("device_type", "TYPE"),
    ("status", "STATUS"),
    ("n_qubits", "QUBITS"),
    ("n_pending_jobs", "PENDING"),
    ("calibrated_at", "CALIBRATED"),
    ("description", "DESCRIPTION"),
)
_FIELDS = (
    "device_id",
    "device_type",
    "status",
    "n_qubits",
    "n_pending_jobs",
    "available_at",
    "calibrated_at",
    "basis_gates",
    "supported_instructions",
    "description",
)


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register the ``devices`` command.

    Args:
        subparsers: The top-level subparsers.
        parents: Parsers holding the global options.
    """
    parser = subparsers.add_parser(
        "devices",
        parents=parents,
        help="list devices (or show one with its calibration)",
        description="List the devices of the server, or show one device in detail.",
    )
    parser.add_argument("device_id", nargs="?", help="show only this device, with device_info")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--plot",
        metavar="FILE.png",
        help="with DEVICE_ID: save its coupling map coloured by fidelity (needs the plot extra)",
    )
    parser.set_defaults(func=run)


def device_to_dict(device: Any, *, with_info: bool = False) -> dict[str, Any]:
    """Return the documented properties of an ``OqtopusDevice`` as a dict.

    Args:
        device: An ``OqtopusDevice``.
        with_info: Include the (possibly large) ``device_info`` calibration dict.

    Returns:
        The properties, JSON-ready apart from datetimes.
    """
    view = {name: getattr(device, name, None) for name in _FIELDS}
    if with_info:
        view["device_info"] = device.device_info
    return view


def run(args: argparse.Namespace) -> int:
    """List devices or show one.

    Args:
        args: Parsed arguments.

    Returns:
        The exit code.
    """
    from oqtopus_bridge import OqtopusDeviceBackend

    backend = OqtopusDeviceBackend(resolve_connection(args).config)
    if args.device_id is None:
        if args.plot:
            raise ValueError("--plot needs a DEVICE_ID")
        rows = [device_to_dict(device) for device in backend.get_devices()]
        if args.json:
            print_json(rows)
        else:
            print_table(rows, _COLUMNS)
        return ExitCode.OK
    device = backend.get_device(args.device_id)
    view = device_to_dict(device, with_info=True)
    if args.plot:
        _save_plot(device, args.plot)
    if args.json:
        print_json(view)
    else:
        for key in _FIELDS:
            print(f"{key + ':':<24}{_text(view[key])}")
        print(f"{'device_info:':<24}{_summary(view['device_info'])}")
    if args.plot:
        print(f"coupling map saved to {args.plot}")
    return ExitCode.OK


def _save_plot(device: Any, path: str) -> None:
    from oqtopus_bridge.plotting import plot_device

    figure = plot_device(device)
    figure.savefig(path, dpi=120, bbox_inches="tight")


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "-"
    return str(value)


def _summary(info: Any) -> str:
    if not isinstance(info, dict) or not info:
        return "-"
    qubits, couplings = info.get("qubits"), info.get("couplings")
    if isinstance(qubits, list):
        return f"{len(qubits)} qubits, {len(couplings or [])} couplings (use --json for all of it)"
    return f"keys: {', '.join(sorted(info))} (use --json for all of it)"
