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


def _engine_imports(path: Path) -> set[str]:
    """The ``engine`` modules ``path`` imports, at any depth of the file (lazy imports count)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                names.add(node.module.split(".")[0])
            else:
                names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "oqtopus_bridge.local.engine."
        ):
            names.add((node.module or "").split(".")[3])
    return names


def test_the_engine_has_no_import_cycle() -> None:
    # issue 21: pool.py <-> sse.py was the one cycle; the SSE runner now takes a narrow Protocol.
    modules = {path.stem: path for path in (ROOT / "engine").glob("*.py")}
    graph = {name: _engine_imports(path) & set(modules) for name, path in modules.items()}
    assert "pool" not in graph["sse"]

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(graph[start])
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(graph[name])
        return seen

    cycles = sorted(name for name in graph if name in reach(name))
    assert cycles == [], f"modules on an import cycle: {cycles}"
