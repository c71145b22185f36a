"""The Qiskit example script runs end to end on its own local server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_qiskit_tour_runs_offline(repo_root: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OQTOPUS_")}
    done = subprocess.run(
        [sys.executable, str(repo_root / "examples" / "qiskit_tour.py")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Bell counts: {" in done.stdout
    assert "<ZZ> = +1.000" in done.stdout
