"""The server is an independent implementation: it imports nothing from the client side, and its
repository and engine never import FastAPI (DESIGN.md, layer 3)."""

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


def test_local_imports_nothing_from_the_client() -> None:
    for path in ROOT.rglob("*.py"):
        for name in _imports(path):
            if name.startswith("oqtopus_bridge") and not name.startswith("oqtopus_bridge.local"):
                # The one allowed exception: LocalServer.config builds the client's config.
                assert (path.name, name) == ("server.py", "oqtopus_bridge.config"), (path, name)


def test_repository_and_engine_do_not_import_fastapi() -> None:
    paths = [
        ROOT / "repository.py",
        ROOT / "storage.py",
        ROOT / "service.py",
        *(ROOT / "engine").glob("*.py"),
    ]
    for path in paths:
        assert not any(n.split(".")[0] in ("fastapi", "starlette") for n in _imports(path)), path
