"""The server's repository and engine never import FastAPI (DESIGN.md, layer 3).

That the server imports nothing from the client side is checked with the other layer rules, in
``tests/unit/test_layers.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import oqtopus_bridge.local as local

ROOT = Path(local.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_repository_and_engine_do_not_import_fastapi() -> None:
    paths = [
        ROOT / "repository.py",
        ROOT / "storage.py",
        ROOT / "service.py",
        *(ROOT / "engine").glob("*.py"),
    ]
    for path in paths:
        assert not any(n.split(".")[0] in ("fastapi", "starlette") for n in _imports(path)), path
