"""Masks IPython magics and shell escapes in a cell so libcst can parse the rest; restores them."""

from __future__ import annotations

import re
from dataclasses import dataclass

# `%pip install x`, `!ls`, `files = !ls`, `t = %timeit -o f()`, `obj?`, `obj??`.
_LINE_MAGIC = re.compile(r"^\s*[%!]")
_ASSIGNED_MAGIC = re.compile(r"^\s*[\w.]+(\s*,\s*[\w.]+)*\s*=\s*[%!]")
_HELP = re.compile(r"^\s*[\w.]+\?{1,2}\s*$|^\s*\?{1,2}[\w.]+\s*$")
# Cell magics whose body is Python; any other `%%` cell (bash, html, writefile...) is not Python.
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
_MARKER = "oqtopus-bridge-masked-line-{}"
_MARKER_PATTERN = re.compile(r"oqtopus-bridge-masked-line-(\d+)")


@dataclass(frozen=True)
class MaskedCell:
    """A cell's code with its magic lines replaced by placeholders.

    Attributes:
        code: Parseable Python (if the rest of the cell is), one placeholder line per magic line.
        lines: The original magic lines, by placeholder number, without their line endings.
        line_numbers: The 1-based line in the cell of each masked line, by placeholder number.
    """

    code: str
    lines: tuple[str, ...]
    line_numbers: tuple[int, ...]


def is_python_cell(source: str) -> bool:
    """Tell whether a code cell holds Python (it does unless a non-Python ``%%`` magic opens it)."""
    first = source.lstrip().split("\n", 1)[0]
    if not first.startswith("%%"):
        return True
    name = first[2:].split(maxsplit=1)[0] if len(first) > 2 else ""
    return name in _PYTHON_CELL_MAGICS


def mask(source: str) -> MaskedCell:
    """Replace every magic, shell escape and help line (and continuations) by a placeholder.

    A placeholder is ``pass`` at the line's own indentation plus a numbered comment (a bare comment
    for continuation lines), so the cell's block structure and line count stay the same.

    Args:
        source: The cell source.

    Returns:
        The masked cell.
    """
    out: list[str] = []
    lines: list[str] = []
    numbers: list[int] = []
    continuing = False
    for number, raw in enumerate(source.splitlines(keepends=True), start=1):
        body = raw.rstrip("\r\n")
        ending = raw[len(body) :]
        magic = continuing or bool(
            _LINE_MAGIC.match(body) or _ASSIGNED_MAGIC.match(body) or _HELP.match(body)
        )
        if magic:
            # A continuation line becomes a bare comment: Python ignores its indentation.
            indent = "" if continuing else body[: len(body) - len(body.lstrip())] + "pass  "
            out.append(f"{indent}# {_MARKER.format(len(lines))}{ending}")
            lines.append(body)
            numbers.append(number)
            continuing = body.endswith("\\")
        else:
            out.append(raw)
    return MaskedCell("".join(out), tuple(lines), tuple(numbers))


def unmask(code: str, cell: MaskedCell) -> str:
    """Put the original magic lines back in place of their placeholders.

    Args:
        code: The (possibly rewritten) masked code.
        cell: The masking that produced it.

    Returns:
        The code with every placeholder line replaced by the magic line it stood for.
    """
    out = []
    for raw in code.splitlines(keepends=True):
        found = _MARKER_PATTERN.search(raw)
        if found is None:
            out.append(raw)
            continue
        body = raw.rstrip("\r\n")
        out.append(cell.lines[int(found.group(1))] + raw[len(body) :])
    return "".join(out)
