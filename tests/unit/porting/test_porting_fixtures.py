"""Porting the example workflows (1.1.x, 1.0.x styles) changes only imports and reports the rest."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from oqtopus_bridge.porting import port_file, port_paths

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES_1_1 = sorted((FIXTURES / "examples_1_1").glob("*.py"))


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new)
    return [(o, n) for o, n in zip(old, new, strict=True) if o != n]


def test_every_public_workflow_has_a_fixture() -> None:
    names = {path.stem for path in EXAMPLES_1_1}
    assert len(names) == 19
    assert {"get_job", "get_devices", "cancel_job", "download_log"} <= names


@pytest.mark.parametrize("path", EXAMPLES_1_1, ids=lambda p: p.stem)
def test_1_1_examples_change_only_import_lines(path: Path) -> None:
    result = port_file(path)
    before, after = result.original.decode(), result.ported.decode()
    changes = changed_lines(before, after)
    assert changes, "every example imports quri_parts_oqtopus"
    for old, new in changes:
        assert old.startswith(("from quri_parts_oqtopus", "import quri_parts_oqtopus"))
        assert new.startswith(("from oqtopus_bridge ", "import oqtopus_bridge "))
    assert "quri_parts_oqtopus" not in after
    assert result.findings == ()
    compile(after, str(path), "exec")


@pytest.mark.parametrize("path", EXAMPLES_1_1, ids=lambda p: p.stem)
def test_1_1_examples_keep_their_syntax_tree_apart_from_module_names(path: Path) -> None:
    result = port_file(path)

    def normalized(code: bytes) -> str:
        tree = ast.parse(code)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                node.module = "M"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    alias.name = "M"
        return ast.dump(tree)

    assert normalized(result.ported) == normalized(result.original)


def located(paths: list[Path]) -> list[tuple[str, int, str]]:
    report = port_paths(paths)
    return [(Path(f.path).name, f.line, f.code) for f in report.findings]


def test_1_0_examples_report_exactly_the_legacy_calls() -> None:
    assert located([FIXTURES / "examples_1_0"]) == [
        ("get_devices.py", 9, "legacy-json-string"),
        ("get_job.py", 13, "legacy-json-string"),
        ("get_job.py", 18, "legacy-estimation-result"),
    ]


def test_1_0_flat_layout_imports_are_rewritten() -> None:
    result = port_file(FIXTURES / "examples_1_0" / "get_job.py")
    assert changed_lines(result.original.decode(), result.ported.decode()) == [
        (
            "from quri_parts_oqtopus.backend.config import OqtopusConfig",
            "from oqtopus_bridge import OqtopusConfig",
        ),
        (
            "from quri_parts_oqtopus.backend.estimation import OqtopusEstimationBackend",
            "from oqtopus_bridge import OqtopusEstimationBackend",
        ),
        (
            "from quri_parts_oqtopus.backend.sampling import OqtopusSamplingBackend",
            "from oqtopus_bridge import OqtopusSamplingBackend",
        ),
    ]


def test_third_party_wrapper_gets_chains_rewritten_and_private_state_reported() -> None:
    path = FIXTURES / "third_party" / "polling_backend.py"
    result = port_file(path)
    assert [
        (old.strip(), new.strip())
        for old, new in changed_lines(result.original.decode(), result.ported.decode())
    ] == [
        ("import quri_parts_oqtopus.backend", "import oqtopus_bridge"),
        (
            "from quri_parts_oqtopus.sampler import create_oqtopus_concurrent_sampler",
            "from oqtopus_bridge.quri_parts import create_oqtopus_concurrent_sampler",
        ),
        (
            "self.backend = quri_parts_oqtopus.backend.OqtopusSamplingBackend(",
            "self.backend = oqtopus_bridge.OqtopusSamplingBackend(",
        ),
        (
            "quri_parts_oqtopus.backend.OqtopusConfig.from_file()",
            "oqtopus_bridge.OqtopusConfig.from_file()",
        ),
    ]
    assert located([path]) == [
        ("polling_backend.py", 6, "broken-sampler"),
        ("polling_backend.py", 23, "private-attribute"),
        ("polling_backend.py", 29, "sampler-device-id"),
    ]


def test_ported_imports_name_only_documented_classes() -> None:
    report = port_paths([FIXTURES / "examples_1_1"])
    imported = set()
    for result in report.files:
        for node in ast.walk(ast.parse(result.ported)):
            if isinstance(node, ast.ImportFrom) and node.module == "oqtopus_bridge":
                imported.update(alias.name for alias in node.names)
    assert imported == {
        "OqtopusConfig",
        "OqtopusDeviceBackend",
        "OqtopusEstimationBackend",
        "OqtopusJobBackendBase",
        "OqtopusSamplingBackend",
        "OqtopusSseBackend",
        "OqtopusSseJob",
    }
