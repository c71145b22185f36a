"""Walking directories, diff and write modes, backups, and the command's output and exit codes."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from oqtopus_bridge.porting import main_port, port_paths
from oqtopus_bridge.porting.files import iter_files

FIXTURES = Path(__file__).parent / "fixtures"
OLD = "from quri_parts_oqtopus.backend import OqtopusConfig\n"
NEW = "from oqtopus_bridge import OqtopusConfig\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES, tmp_path / "project")
    return tmp_path / "project"


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def run(paths: list[str | Path], write: bool = False, backup: bool = True) -> tuple[int, str]:
    out = io.StringIO()
    code = main_port([str(p) for p in paths], write=write, backup=backup, out=out)
    return code, out.getvalue()


def test_walk_skips_tool_directories(tmp_path: Path) -> None:
    for relative in (
        "a.py",
        "nb.ipynb",
        "notes.txt",
        "pkg/b.py",
        ".git/hooks/c.py",
        "__pycache__/d.py",
        ".ipynb_checkpoints/nb-checkpoint.ipynb",
        "venv/lib/e.py",
        "myenv/lib/f.py",
        "myenv/pyvenv.cfg",
        ".tox/py/g.py",
    ):
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    found = [(str(p.relative_to(tmp_path)), error) for p, error in iter_files([tmp_path])]
    assert found == [("a.py", None), ("nb.ipynb", None), ("pkg/b.py", None)]


def test_diff_mode_writes_nothing_and_exits_1(tree: Path) -> None:
    before = snapshot(tree)
    code, output = run([tree / "examples_1_1"])
    assert code == 1
    assert snapshot(tree) == before
    assert output.count("--- ") == 19 and output.count("+++ ") == 19
    assert (
        "-from quri_parts_oqtopus.backend import OqtopusConfig, OqtopusSamplingBackend\n" in output
    )
    assert "+from oqtopus_bridge import OqtopusConfig, OqtopusSamplingBackend\n" in output
    assert output.endswith("19 files examined, 19 to port (run with --write to apply)\n")


def test_write_keeps_backups_and_a_second_run_has_nothing_to_do(tree: Path) -> None:
    before = snapshot(tree)
    code, output = run([tree], write=True)
    assert code == 1  # findings in the 1.0.x, third-party and notebook fixtures still need a human
    ported = sorted(p for p in tree.rglob("*") if p.suffix in (".py", ".ipynb"))
    assert len(ported) == 24
    for path in ported:
        relative = str(path.relative_to(tree))
        backup = path.with_name(path.name + ".orig")
        assert backup.read_bytes() == before[relative]
        assert f"ported {path} (original kept as {backup})" in output
        assert b"quri_parts_oqtopus" not in path.read_bytes()
    after_first = snapshot(tree)

    report = port_paths([tree], write=True)
    assert report.changed == ()
    assert snapshot(tree) == after_first  # no new backups, no rewrites
    assert [(Path(f.path).name, f.line, f.code) for f in report.findings] == [
        ("get_devices.py", 9, "legacy-json-string"),
        ("get_job.py", 13, "legacy-json-string"),
        ("get_job.py", 18, "legacy-estimation-result"),
        # the notebook's install cell names quri-parts-oqtopus in a magic, not in code
        ("getting_started.ipynb", 1, "install-command"),
        ("polling_backend.py", 23, "private-attribute"),
        ("polling_backend.py", 29, "sampler-device-id"),
    ]


def test_an_existing_backup_is_never_overwritten(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(OLD)
    (tmp_path / "run.py.orig").write_text("the user's own backup\n")
    assert run([script], write=True)[0] == 0
    assert (tmp_path / "run.py.orig").read_text() == "the user's own backup\n"
    assert (tmp_path / "run.py.orig.1").read_text() == OLD
    assert script.read_text() == NEW


def test_write_without_backup(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(OLD)
    script.chmod(0o750)
    code, output = run([script], write=True, backup=False)
    assert (code, script.read_text()) == (0, NEW)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.py"]
    assert script.stat().st_mode & 0o777 == 0o750
    assert output == f"ported {script}\n1 file examined, 1 ported\n"


def test_nothing_to_do_exits_0(tmp_path: Path) -> None:
    (tmp_path / "clean.py").write_text(NEW)
    assert run([tmp_path]) == (0, "1 file examined, 0 to port\n")


def test_errors_exit_2_and_other_files_are_still_ported(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("from quri_parts_oqtopus.backend import (\n")
    (tmp_path / "bad.ipynb").write_text("{not json")
    (tmp_path / "good.py").write_text(OLD)
    (tmp_path / "data.txt").write_text("")
    code, output = run([tmp_path, tmp_path / "missing.py", tmp_path / "data.txt"], write=True)
    assert code == 2
    assert (tmp_path / "good.py").read_text() == NEW
    assert f"{tmp_path / 'broken.py'}: error: not valid Python" in output
    assert f"{tmp_path / 'bad.ipynb'}: error: not a readable notebook" in output
    assert f"{tmp_path / 'missing.py'}: error: no such file or directory" in output
    assert f"{tmp_path / 'data.txt'}: error: not a .py or .ipynb file" in output


def test_no_paths_is_an_error() -> None:
    assert run([])[0] == 2


def test_findings_are_printed_with_file_cell_and_line(tree: Path) -> None:
    notebook = tree / "notebooks" / "getting_started.ipynb"
    code, output = run([notebook, tree / "third_party"])
    assert code == 1
    assert f"{notebook}:cell 1:1: install-command: " in output
    assert f"{tree / 'third_party' / 'polling_backend.py'}:23: private-attribute: " in output
    assert output.endswith(
        "2 files examined, 2 to port, 4 constructs need a human (run with --write to apply)\n"
    )
