"""Every README snippet and command runs against a local server, so the README cannot go stale."""

from __future__ import annotations

import ast
import contextlib
import io
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def _run(source: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, str(README), "exec"), {"__name__": "__readme__"})  # noqa: S102
    return out.getvalue()


PYTHON_BLOCKS = _blocks("python")


def test_the_readme_has_a_snippet_per_framework_and_for_the_local_server() -> None:
    joined = "\n".join(PYTHON_BLOCKS)
    for needle in (
        "OqtopusSamplingBackend",
        "oqtopus_bridge.qiskit",
        "oqtopus.sampler",
        "LocalServer",
    ):
        assert needle in joined


@pytest.mark.parametrize("source", PYTHON_BLOCKS, ids=lambda s: s.splitlines()[0][:40])
def test_python_snippet_runs_against_the_local_server(
    source: str, local_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OQTOPUS_URL", local_server.url)
    monkeypatch.setenv("OQTOPUS_API_TOKEN", local_server.token)
    printed = _run(source)
    # Each snippet prints a Bell or basis-state result: check it is well formed and right.
    values = [
        ast.literal_eval(re.sub(r"^Counter\((.*)\)$", r"\1", line))
        for line in printed.split("\n")
        if line.startswith(("Counter(", "{"))
    ]
    assert values, f"the snippet printed no counts:\n{printed}"
    for counts in values:
        keys = {str(key).replace(" ", "") for key in counts}
        assert keys <= {"0", "3", "00", "11", "1"}, counts
    for line in printed.split("\n"):
        if re.fullmatch(r"-?\d+\.\d+(e-?\d+)?", line.strip()):
            assert abs(float(line) - 1.5) < 0.2  # the estimation snippet's <Z0Z1> + 0.5 <X0X1>


def test_every_oqtopus_bridge_command_in_the_readme_exists(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from oqtopus_bridge.cli import main

    commands = [
        line.split("#")[0].split("&&")[-1].strip()
        for block in _blocks("bash")
        for line in block.splitlines()
        if "oqtopus-bridge" in line
    ]
    assert commands
    for command in commands:
        argv = shlex.split(command)[1:]
        subcommand = [arg for arg in argv if not arg.startswith("-")][:1]
        assert main([*subcommand, "--help"]) == 0, command
        assert "usage: oqtopus-bridge" in capsys.readouterr().out
