"""Run Qiskit's own primitives tests against our primitives on both simulated OQTOPUS devices.

The four test files come from Qiskit's source distribution on the package index, at the installed
Qiskit version (never copied into this repository)::

    test/python/primitives/
        test_statevector_sampler.py     StatevectorSampler   -> OqtopusSamplerV2
        test_statevector_estimator.py   StatevectorEstimator -> OqtopusEstimatorV2
        test_backend_sampler_v2.py      BackendSamplerV2 on our OqtopusBackend
        test_backend_estimator_v2.py    BackendEstimatorV2 on our OqtopusBackend

This script downloads the sdist (``pip download --no-deps --no-binary :all:``), extracts its
``test/`` package helpers and the four files into a temporary directory, starts one
:class:`~oqtopus_bridge.local.LocalServer`, and runs pytest on them for each device (``qulacs``,
ideal; ``anemone``, noisy), with the plugin `primitives_shim` swapping the primitive under test::

    python tests/conformance/qiskit/run_primitives_suite.py
    python tests/conformance/qiskit/run_primitives_suite.py --device qulacs -- -k seed -x

Both devices run at the same time (one pytest each, ``-n 2`` workers each by default). A test
is skipped only where it is about something OQTOPUS cannot have; every skip and its reason
is in `SKIPS` (and in ``docs/qiskit.md``). The exit status is 0 only if no test fails or errors.
Needs ``ddt`` (the ``test`` extra) besides the ``qiskit`` and ``server`` extras.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
DEVICES = ("qulacs", "anemone")
FILES = (
    "test_statevector_sampler.py",
    "test_statevector_estimator.py",
    "test_backend_sampler_v2.py",
    "test_backend_estimator_v2.py",
)
#: Parts of the sdist's ``test/`` tree the four files import (``from test import QiskitTestCase``,
#: ``from ..legacy_cmaps import LAGOS_CMAP``).
_NEEDED = re.compile(
    r"test/(__init__\.py|utils/[^/]+\.py|python/__init__\.py|python/legacy_cmaps\.py"
    r"|python/primitives/__init__\.py|python/primitives/(" + "|".join(map(re.escape, FILES)) + r"))"
)


class Skip(NamedTuple):
    """One skipped test: its file, a regular expression its name must match, and why."""

    file: str
    name: str
    reason: str
    devices: tuple[str, ...] = DEVICES


SKIPS: tuple[Skip, ...] = (
    Skip(
        "test_statevector_sampler.py",
        "test_seed",
        "a class's own attribute: StatevectorSampler.seed (an int or a numpy Generator); ours is "
        "options.seed_simulator, an int sent to the device",
    ),
    Skip(
        "test_statevector_sampler.py",
        "test_circuit_with_aliased_cregs",
        "control flow (if_test): OQTOPUS runs static circuits only (ours refuses it, naming it)",
    ),
    Skip(
        "test_backend_sampler_v2.py",
        "test_circuit_with_aliased_cregs",
        "control flow (if_test): OQTOPUS runs static circuits only (ours refuses it, naming it)",
    ),
    Skip(
        "test_backend_sampler_v2.py",
        "test_run_level1",
        "level-1 (kerneled) data: meas_level=1/meas_return need pulse-level readout, and OQTOPUS "
        "returns counts only",
    ),
    Skip(
        "test_backend_sampler_v2.py",
        "test_job_size_limit_backend_v2",
        "a backend class's own attribute: it is about a GenericBackendV2 subclass with "
        "max_circuits=1; OqtopusBackend.max_circuits is None (on ours it would pass untested)",
    ),
    Skip(
        "test_backend_estimator_v2.py",
        "test_job_size_limit_backend_v2",
        "a backend class's own attribute: it counts run() calls of a GenericBackendV2 subclass "
        "with max_circuits=1 (patched with a mock); OqtopusBackend.max_circuits is None",
    ),
    Skip(
        "test_statevector_estimator.py",
        "test_run_single_circuit_observable",
        "exactness: asserts metadata target_precision == 0, StatevectorEstimator's exact default; "
        "a sampling estimator has a positive precision (ours refuses 0)",
    ),
    Skip(
        "test_statevector_estimator.py",
        "test_precision_seed",
        "exactness: asserts the value StatevectorEstimator's own generator draws for seed=1 at "
        "precision 1.0 (1.9011, the exact value is 1.5556), then runs precision=0 (exact), which "
        "no sampling estimator can",
    ),
    Skip(
        "test_statevector_estimator.py",
        "test_metadata",
        "a class's own attribute: asserts PUB metadata equals {target_precision, "
        "circuit_metadata}; ours also has 'shots', as BackendEstimatorV2's (whose test_metadata "
        "runs here)",
    ),
    Skip(
        "test_statevector_estimator.py",
        "test_reset",
        "reset: anemone does not list reset in its supported_instructions (it runs on qulacs)",
        ("anemone",),
    ),
)


def sdist_tests(work: Path, version: str, sdist: Path | None) -> Path:
    """Download (unless given) Qiskit's sdist and extract the test files; return their root."""
    if sdist is None:
        download = work / "download"
        subprocess.run(
            [
                *(sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"),
                *("--no-binary", ":all:", "--dest", str(download), f"qiskit=={version}"),
            ],
            check=True,
        )
        (sdist,) = download.glob("qiskit-*.tar.gz")
    root = work / "suite"
    prefix = f"qiskit-{version}/"
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            inner = member.name[len(prefix) :] if member.name.startswith(prefix) else ""
            if member.isfile() and _NEEDED.fullmatch(inner):
                target = root / inner
                target.parent.mkdir(parents=True, exist_ok=True)
                source = archive.extractfile(member)
                assert source is not None
                target.write_bytes(source.read())
    missing = [f for f in FILES if not (root / "test/python/primitives" / f).is_file()]
    if missing:
        raise SystemExit(f"qiskit {version}'s sdist has no {', '.join(missing)}")
    return root


def suite_command(
    root: Path, files: list[str], workers: int, junit: Path, extra: list[str]
) -> list[str]:
    """The pytest command for one device (the shim comes from ``PYTHONPATH``)."""
    paths = [str(root / "test/python/primitives" / f) for f in files]
    parallel = ["-n", str(workers)] if workers > 1 else []
    return [
        *(sys.executable, "-m", "pytest", *paths, "-p", "primitives_shim"),
        *("-p", "no:cacheprovider", "-q", "-rs", "--rootdir", str(root)),
        *(f"--junitxml={junit}", *parallel, *extra),
    ]


def file_counts(junit: Path) -> dict[str, Counter[str]]:
    """``{file: Counter(passed=, failed=, skipped=)}`` from a pytest JUnit XML report."""
    counts: dict[str, Counter[str]] = {}
    if not junit.is_file():
        return counts
    for case in ET.parse(junit).iter("testcase"):
        module = case.get("classname", "").split(".")
        name = next((f"{part}.py" for part in module if f"{part}.py" in FILES), "other")
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
            elif child.tag == "skipped" and outcome == "passed":
                outcome = "skipped"
        counts.setdefault(name, Counter())[outcome] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    """Fetch the tests, start a LocalServer, run the devices at once, return the worst status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=DEVICES, action="append", help="default: both")
    parser.add_argument("--file", choices=FILES, action="append", help="default: all four")
    parser.add_argument("--sdist", type=Path, help="a downloaded qiskit-X.tar.gz to use")
    parser.add_argument(
        "-n", "--workers", type=int, default=2, help="pytest-xdist workers per device [2]"
    )
    parser.add_argument("--log-dir", type=Path, help="keep each device's output [a temp dir]")
    parser.add_argument("pytest_args", nargs="*", help="further pytest arguments (after --)")
    args = parser.parse_args(argv)
    import qiskit

    from oqtopus_bridge.local import LocalServer

    work = Path(tempfile.mkdtemp(prefix="qiskit-primitives-"))
    root = sdist_tests(work, qiskit.__version__, args.sdist)
    log_dir = args.log_dir or work / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with LocalServer(data_dir=work / "server") as server:
        runs = {}
        for device in args.device or DEVICES:  # one pytest per device, all at the same time
            env = _environment(server.url, server.token, device)
            junit, log = log_dir / f"{device}.xml", log_dir / f"{device}.log"
            cmd = suite_command(
                root, args.file or list(FILES), args.workers, junit, args.pytest_args
            )
            print("+", " ".join(cmd), flush=True)
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    cmd, env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT
                )
            runs[device] = (proc, log, junit)
        status = max(_report(device, *run) for device, run in runs.items())
    print(f"Qiskit {qiskit.__version__} primitives suite: {time.monotonic() - started:.0f} s")
    return status


def _report(device: str, proc: subprocess.Popen[bytes], log: Path, junit: Path) -> int:
    """Wait for one device's run; print its failures (or skips) and its counts per file."""
    code = proc.wait()
    lines = log.read_text(errors="replace").splitlines()
    shown = lines if code else [line for line in lines if line.startswith("SKIPPED")]
    print(f"--- {device}: exit {code}, output in {log}", *shown, sep="\n")
    for name, counts in sorted(file_counts(junit).items()):
        summary = ", ".join(f"{counts[k]} {k}" for k in ("passed", "failed", "skipped"))
        print(f"{device:8} {name:32} {summary}")
    print(lines[-1] if lines else "(no output)", flush=True)
    return code


def _environment(url: str, token: str, device: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        OQTOPUS_URL=url,
        OQTOPUS_API_TOKEN=token,
        OQTOPUS_CONFORMANCE_DEVICE=device,
        PYTHONPATH=os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH", "")])),
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    for name in ("OQTOPUS_PROXY", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    return env


if __name__ == "__main__":
    sys.exit(main())
