"""The benchmark harness (``python -m benchmarks --smoke``) produces every row and its JSON.

Checks the harness only: tiny sizes, no timing assertions (speed is reported, never asserted).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXPECTED = {
    "1 latency": {"oqtopus-bridge", "quri-parts-oqtopus", "Aer in-process"},
    "2 batch": {
        "Qiskit backend.run(list)",
        "Qiskit OqtopusSamplerV2",
        "PennyLane oqtopus.sampler",
        "PennyLane oqtopus.sampler, multiprogramming",
        "QURI Parts concurrent sampler",
        "quri-parts-oqtopus sequential loop",
        "Aer in-process",
    },
    "3 wide circuit": {"oqtopus-bridge", "Aer in-process"},
    "4 gradient": {"oqtopus.sampler", "oqtopus.sampler, multiprogramming", "default.qubit"},
    "5 throughput": {"oqtopus-bridge, 8 clients"},
    "6 import": {"oqtopus-bridge", "quri-parts-oqtopus"},
    "7 responsiveness": {"status during a noisy job"},
    "8 sampling shortcuts": {
        "ideal, 20 shots",
        "ideal, 200 shots",
        "anemone, 5 of 16 qubits",
        "anemone, 5-qubit program",
        "Aer, 5 qubits",
    },
    "9 first job": {
        "first job, sent at once",
        "tenth job, sent at once",
        "first job, sent after warm-up",
        "tenth job, sent after warm-up",
    },
}


def _client(name: str) -> str:
    # The reference row carries its version when installed: "quri-parts-oqtopus 1.1.5".
    return "quri-parts-oqtopus" if name.startswith("quri-parts-oqtopus 1.") else name


def test_smoke_run_produces_every_row_and_the_json(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--json", str(output)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    results = json.loads(output.read_text())
    assert results["errors"] == []
    assert results["smoke"] is True
    assert results["nproc"] >= 1 and results["cpu_model"]
    seen: dict[str, set[str]] = {}
    for row in results["rows"]:
        seen.setdefault(row["bench"], set()).add(_client(row["client"]))
        measured = row["seconds"] is not None and row["seconds"] > 0
        assert measured or row["note"].startswith("not measured"), row
        assert row["client"] in done.stdout  # the printed table has every row
    assert seen == EXPECTED
    benches_with_targets = {target["bench"] for target in results["targets"]}
    assert benches_with_targets == set(EXPECTED)
    for row in results["rows"]:
        if row["bench"] != "6 import" and row["requests_per_job"] is not None:
            assert 4 <= row["requests_per_job"] < 50, row  # the traffic counter saw the jobs
            if row["seconds"] is not None:
                client, api, workers = row["cpu_ms"]  # the CPU split per process (issue 23)
                assert client is not None and api is not None and workers is not None, row
