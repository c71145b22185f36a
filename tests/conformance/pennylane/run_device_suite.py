"""Run PennyLane's device conformance suite (``pl-device-test``) on both OQTOPUS devices.

The suite builds devices with ``qml.device(name, wires=..., shots=..., **device_kwargs)`` and
takes its keywords on the command line, so the devices find the server the way a user's would: this
script starts a :class:`~oqtopus_bridge.local.LocalServer`, exports ``OQTOPUS_URL`` and
``OQTOPUS_API_TOKEN`` for it, and runs the suite once per device, both suites at the same time (one
pytest process each), against that one server::

    python tests/conformance/pennylane/run_device_suite.py            # both devices
    python tests/conformance/pennylane/run_device_suite.py --device oqtopus.sampler -- -x -k expval

Each run is the command pennylane-qiskit uses, plus the server from the environment::

    pl-device-test --device oqtopus.sampler --shots 10000 --skip-ops \
        --device-kwargs device_id=qulacs

The exit status is 0 only if every suite reports no failure and no error. Needs ``pytest-mock`` and
``flaky`` (the ``test`` extra) besides the ``pennylane`` and ``server`` extras.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEVICES = ("oqtopus.sampler", "oqtopus.estimator")


def suite_command(device: str, shots: int, extra: list[str]) -> list[str]:
    """The pytest command that ``pl-device-test`` runs for ``device``.

    ``pl-device-test`` calls the ``pytest`` found on ``PATH``; running ``python -m pytest`` on the
    suite's directory with the same options uses this interpreter's environment instead.
    """
    from pennylane.devices.tests import get_device_tests

    return [
        sys.executable,
        "-m",
        "pytest",
        get_device_tests(),
        f"--device={device}",
        f"--shots={shots}",
        "--skip-ops",
        "--no-flaky-report",
        "-p",
        "no:cacheprovider",
        "-q",
        "--device-kwargs",
        "device_id=qulacs",
        *extra,
    ]


def main(argv: list[str] | None = None) -> int:
    """Start a LocalServer, run the suite for the chosen devices, return the worst exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=DEVICES, action="append", help="default: both")
    parser.add_argument("--shots", type=int, default=10000)
    parser.add_argument(
        "--log-dir", type=Path, help="keep each suite's output in DEVICE.log [a temporary dir]"
    )
    parser.add_argument("pytest_args", nargs="*", help="further pytest arguments (after --)")
    args = parser.parse_args(argv)
    devices = args.device or list(DEVICES)

    from oqtopus_bridge.local import LocalServer

    with LocalServer() as server:
        env = dict(os.environ)
        env.update(
            OQTOPUS_URL=server.url,
            OQTOPUS_API_TOKEN=server.token,
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
        )
        for name in ("OQTOPUS_PROXY", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
            env.pop(name, None)
        started = time.monotonic()
        log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="pl-device-test-"))
        log_dir.mkdir(parents=True, exist_ok=True)
        procs: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
        for device in devices:
            log = log_dir / f"{device}.log"
            cmd = suite_command(device, args.shots, args.pytest_args)
            print("+", " ".join(cmd), flush=True)
            with log.open("wb") as out:
                proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
            procs[device] = (proc, log)
        status = 0
        for device, (proc, log) in procs.items():
            code = proc.wait()
            lines = log.read_text(errors="replace").splitlines()
            # A failing suite is shown whole; a passing one by its summary line.
            shown = lines if code else lines[-1:]
            print(f"--- {device}: exit {code}, output in {log}", *shown, sep="\n", flush=True)
            status = max(status, code)
        print(f"pl-device-test on {', '.join(devices)}: {time.monotonic() - started:.0f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
