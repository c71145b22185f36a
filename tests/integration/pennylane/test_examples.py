"""The PennyLane example scripts run against LocalServer and make progress."""

from __future__ import annotations

import re
import runpy
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_vqe_example_lowers_the_energy(
    local_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OQTOPUS_URL", local_server.url)
    monkeypatch.setenv("OQTOPUS_API_TOKEN", local_server.token)
    script = EXAMPLES / "pennylane_vqe.py"
    monkeypatch.setattr(sys, "argv", [str(script), "--steps", "3", "--shots", "1000"])
    runpy.run_path(str(script), run_name="__main__")
    output = capsys.readouterr().out
    energies = [float(value) for value in re.findall(r"energy ([+-]\d\.\d+) \+-", output)]
    final = float(re.search(r"final energy \(estimator\): ([+-]\d\.\d+)", output).group(1))
    assert len(energies) == 3
    # Three steps from the start take the energy from about +0.77 to about -0.45 (exact descent);
    # the bound leaves room for shot noise (stds ~ 0.02).
    assert final < energies[0] - 0.5
    assert "estimation jobs submitted: 21" in output  # 3 x (1 forward + 6 shifted tapes)
    assert local_server.token not in output
