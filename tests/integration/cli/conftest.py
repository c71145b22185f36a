"""Helpers to drive ``oqtopus-bridge`` in-process against the session's local server."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from oqtopus_bridge.cli import main

BELL = """OPENQASM 3;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
h q[0];
cx q[0], q[1];
c[0] = measure q[0];
c[1] = measure q[1];
"""


@dataclasses.dataclass
class Outcome:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Any:
    """Run ``main(argv)`` and return its exit code and captured output."""

    def run(*argv: str) -> Outcome:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def cli_user(local_server: Any) -> list[str]:
    """Connection options for a user of its own, so job listings see only this module's jobs."""
    return ["--url", local_server.url, "--token", local_server.add_user("cli-tests")]


@pytest.fixture
def bell_file(tmp_path: Any) -> str:
    path = tmp_path / "bell.qasm"
    path.write_text(BELL)
    return str(path)
