"""Docstrings render well in the API reference (issue 17.4).

mkdocstrings reads Google-style docstrings as Markdown: a Sphinx role (``:class:`X```) shows as
literal text, and a ``>>>`` example under a singular ``Example:`` heading became nested
blockquotes. Every docstring of the package is checked here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "oqtopus_bridge"
FILES = sorted(SRC.rglob("*.py"))
SPHINX_ROLE = re.compile(r":(?:py:)?[a-z]+:`")


def _docstrings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                found.append((getattr(node, "lineno", 1), doc))
    # Attribute docstrings (a string statement after an assignment) render too.
    for node in ast.walk(tree):
        for body in (getattr(node, "body", None),):
            if not isinstance(body, list):
                continue
            for before, after in zip(body, body[1:], strict=False):
                if (
                    isinstance(before, (ast.Assign, ast.AnnAssign))
                    and isinstance(after, ast.Expr)
                    and isinstance(after.value, ast.Constant)
                    and isinstance(after.value.value, str)
                ):
                    found.append((after.lineno, after.value.value))
    return found


DOCSTRINGS = [
    (f"{path.relative_to(SRC)}:{line}", doc) for path in FILES for line, doc in _docstrings(path)
]


def _section(title: str) -> str:
    """A regex for a Google-style section: its heading, then its indented (or blank) lines."""
    return rf"^([ \t]*){title}:[ \t]*\n((?:\1[ \t]+.*\n|[ \t]*\n)*)"


def test_the_package_has_docstrings_to_check() -> None:
    assert len(DOCSTRINGS) > 300


@pytest.mark.parametrize("where", [w for w, d in DOCSTRINGS if SPHINX_ROLE.search(d)] or ["none"])
def test_no_docstring_holds_a_sphinx_role(where: str) -> None:
    assert where == "none", f"{where}: a Sphinx role renders as literal text; use `Name` instead"


def test_examples_are_fenced_code_under_an_examples_section() -> None:
    bad = [where for where, doc in DOCSTRINGS if ">>>" in doc]
    assert bad == [], "write examples as a fenced ```python block under 'Examples:'"
    # A singular "Example:" is an admonition in mkdocstrings: fine for a sentence, not for code.
    for where, doc in DOCSTRINGS:
        for section in re.finditer(_section("Example"), doc, re.M):
            assert "```" not in section.group(2), f"{where}: put code under 'Examples:'"
    for where, doc in DOCSTRINGS:
        for section in re.finditer(_section("Examples"), doc, re.M):
            assert "```" in section.group(2), f"{where}: an Examples section without a code fence"
