"""The import rules of DESIGN.md ("Layers and who may import whom"), checked statically."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "oqtopus_bridge"
FRAMEWORKS = ("qiskit", "qiskit_aer", "pennylane", "fastapi", "uvicorn", "starlette", "matplotlib")
SUBPACKAGES = ("local", "qiskit", "pennylane", "cli", "porting", "quri_parts")
# Core modules the adapters may use besides the top-level public names.
ADAPTER_VISIBLE_CORE = {
    "oqtopus_bridge",
    "oqtopus_bridge.bits",
    "oqtopus_bridge.errors",
    "oqtopus_bridge.folding",
    "oqtopus_bridge.concurrency",
    "oqtopus_bridge.jobs",
    "oqtopus_bridge.progress",
    "oqtopus_bridge.plotting",
}


def _imports(path: Path, *, module_level_only: bool = False) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    names: list[str] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.If):  # TYPE_CHECKING blocks are not runtime imports
            continue
    return names


def _files(*parts: str) -> list[Path]:
    return sorted(PACKAGE.joinpath(*parts).rglob("*.py"))


def _core_files() -> list[Path]:
    return sorted(p for p in PACKAGE.glob("*.py"))


def _top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: p.name)
def test_core_imports_no_framework_and_no_subpackage(path: Path) -> None:
    for name in _imports(path, module_level_only=True):
        assert _top(name) not in FRAMEWORKS, f"{path.name} imports {name}"
        for sub in SUBPACKAGES:
            assert not name.startswith(f"oqtopus_bridge.{sub}"), f"{path.name} imports {name}"


# Modules the local server shares with the client: presentation with no wire knowledge, so no
# protocol bug can hide in both (DESIGN.md, Layers). Each imports the standard library only.
SHARED_WITH_SERVER = {"oqtopus_bridge.svg"}


@pytest.mark.parametrize("path", _files("local"), ids=lambda p: p.name)
def test_local_server_is_independent_of_the_client(path: Path) -> None:
    for name in _imports(path):  # lazy imports too
        if not name.startswith("oqtopus_bridge") or name.startswith("oqtopus_bridge.local"):
            continue
        if name in SHARED_WITH_SERVER:
            continue
        # The one other exception, lazy imports of the client's config: LocalServer.config builds
        # one, and the examples' fallback (config_or_local_server) reads the user's.
        assert path.name in ("server.py", "fallback.py") and name == "oqtopus_bridge.config", (
            f"local/{path.name} imports {name}"
        )


@pytest.mark.parametrize("module", sorted(SHARED_WITH_SERVER))
def test_modules_shared_with_the_server_use_only_the_standard_library(module: str) -> None:
    path = PACKAGE / f"{module.split('.', 1)[1]}.py"
    for name in _imports(path):
        assert _top(name) in sys.stdlib_module_names, f"{path.name} imports {name}"


@pytest.mark.parametrize("adapter", ["qiskit", "pennylane"])
def test_adapters_use_only_public_core_names_and_never_each_other(adapter: str) -> None:
    other = {"qiskit": "pennylane", "pennylane": "qiskit"}[adapter]
    for path in _files(adapter):
        for name in _imports(path):
            if not name.startswith("oqtopus_bridge"):
                assert _top(name) != other, f"{adapter}/{path.name} imports {name}"
                continue
            if name.startswith(f"oqtopus_bridge.{adapter}"):
                continue
            assert name in ADAPTER_VISIBLE_CORE, f"{adapter}/{path.name} imports {name}"


def test_bare_bitstring_reversal_appears_only_in_the_bits_module_and_server_engine() -> None:
    allowed = {PACKAGE / "bits.py"}
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path not in allowed
        and "local" not in path.relative_to(PACKAGE).parts
        and "[::-1]" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_importing_the_package_loads_no_framework() -> None:
    code = (
        "import sys, oqtopus_bridge; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({FRAMEWORKS!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
