"""Every ``oqtopus_bridge`` import shown in the docs and README resolves.

So a rename cannot leave the documentation pointing at names that no longer exist. (The README's
snippets are also run in full by tests/integration/test_readme.py.)
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])


def _import_nodes(block: str) -> list[ast.stmt]:
    """The import statements of a code block (a fragment is read line by line instead)."""
    try:
        return [node for node in ast.walk(ast.parse(block)) if isinstance(node, ast.stmt)]
    except SyntaxError:
        nodes: list[ast.stmt] = []
        for line in block.splitlines():
            if line.startswith(("from oqtopus_bridge", "import oqtopus_bridge")):
                with contextlib.suppress(SyntaxError):
                    nodes.extend(ast.parse(line).body)
        return nodes


def _imports(page: Path) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for block in re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S):
        for node in _import_nodes(block):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "oqtopus_bridge"
            ):
                found.extend((str(node.module), alias.name) for alias in node.names)
            elif isinstance(node, ast.Import):
                found.extend(
                    (alias.name, None)
                    for alias in node.names
                    if alias.name.startswith("oqtopus_bridge")
                )
    return found


CASES = [(page, module, name) for page in PAGES for module, name in _imports(page)]


def test_the_docs_show_imports_at_all() -> None:
    assert len(CASES) > 20


@pytest.mark.parametrize(
    ("page", "module", "name"),
    CASES,
    ids=[f"{p.name}:{m}.{n or ''}" for p, m, n in CASES],
)
def test_documented_import_resolves(page: Path, module: str, name: str | None) -> None:
    adapter = module.split(".")[1] if module.count(".") else ""
    if adapter in ("pennylane", "qiskit"):
        # An adapter needs its framework: the Python 3.10 environment has no PennyLane (0.44+
        # needs 3.11), and there the adapter's pages are checked by the 3.11 run instead.
        pytest.importorskip(adapter, reason=f"the {adapter} extra is not installed")
    imported = importlib.import_module(module)
    if name is not None and not hasattr(imported, name):
        importlib.import_module(f"{module}.{name}")  # a submodule imported by name
