"""Ports the code cells of a Jupyter notebook, patching only their ``source`` in the JSON text."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from json.decoder import scanstring  # type: ignore[attr-defined]

import libcst as cst
import nbformat

from oqtopus_bridge.porting import findings as fnd
from oqtopus_bridge.porting import magics
from oqtopus_bridge.porting.context import collect_context
from oqtopus_bridge.porting.findings import Finding
from oqtopus_bridge.porting.python import port_module

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class NotebookError(ValueError):
    """The notebook cannot be ported: it is not valid JSON or not in nbformat 4."""


@dataclass(frozen=True)
class PortedNotebook:
    """The outcome of porting one notebook.

    Attributes:
        text: The notebook's JSON text; only the ``source`` of rewritten code cells differs from the
            input, so an untouched notebook comes back byte-identical.
        findings: Constructs that need a human, with ``cell`` set, sorted by cell and line.
    """

    text: str
    findings: tuple[Finding, ...]


@dataclass
class _Cell:
    index: int
    source: str
    masked: magics.MaskedCell
    module: cst.Module


def port_notebook(text: str) -> PortedNotebook:
    """Port the code cells of a notebook given as its JSON text.

    Outputs, metadata, cell ids and formatting are left exactly as they are: rather than writing
    the notebook out again with nbformat (which may reorder keys or re-indent), the new ``source``
    of each changed cell is spliced into the original text. All code cells share one namespace, as
    in a kernel, so an import in one cell governs the names used in the others.

    Args:
        text: The ``.ipynb`` file's contents.

    Returns:
        The ported notebook text and its findings.

    Raises:
        NotebookError: If the text is not an nbformat 4 notebook.
    """
    notebook = _read(text)
    cells, found = _parse_cells(notebook)
    context = collect_context([c.module for c in cells], [c.source for c in cells])
    new_sources: dict[int, str] = {}
    for cell in cells:
        new_module, cell_findings = port_module(cell.module, context)
        found.extend(replace(f, cell=cell.index) for f in cell_findings)
        new_source = magics.unmask(new_module.code, cell.masked)
        if new_source != cell.source:
            new_sources[cell.index] = new_source
    if context.relevant:
        found.extend(_install_findings(cells))
    new_text = _splice_sources(text, new_sources) if new_sources else text
    found.sort(key=lambda f: (f.cell or 0, f.line, f.code))
    return PortedNotebook(text=new_text, findings=tuple(found))


def _read(text: str) -> nbformat.NotebookNode:
    try:
        notebook: nbformat.NotebookNode = nbformat.reads(  # type: ignore[no-untyped-call]
            text, as_version=nbformat.NO_CONVERT
        )
    except Exception as exc:  # nbformat raises several unrelated types for unreadable input
        raise NotebookError(f"not a readable notebook ({exc})") from exc
    if notebook.get("nbformat") != 4:
        raise NotebookError(
            f"nbformat {notebook.get('nbformat')} notebook; open and save it in Jupyter to upgrade "
            "it to nbformat 4, then port it"
        )
    return notebook


def _parse_cells(notebook: nbformat.NotebookNode) -> tuple[list[_Cell], list[Finding]]:
    cells: list[_Cell] = []
    found: list[Finding] = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not magics.is_python_cell(cell.source):
            continue
        masked = magics.mask(cell.source)
        try:
            module = cst.parse_module(masked.code)
        except cst.ParserSyntaxError as exc:
            if any(m in cell.source for m in ("quri_parts_oqtopus", "oqtopus_bridge")):
                finding = fnd.make_finding(exc.raw_line, fnd.UNPARSABLE, "syntax error")
                found.append(replace(finding, cell=index))
            continue
        cells.append(_Cell(index, cell.source, masked, module))
    return cells, found


def _install_findings(cells: list[_Cell]) -> list[Finding]:
    found = []
    for cell in cells:
        for line, number in zip(cell.masked.lines, cell.masked.line_numbers, strict=True):
            if "install" in line and ("quri-parts-oqtopus" in line or "quri_parts_oqtopus" in line):
                finding = fnd.make_finding(number, fnd.INSTALL_COMMAND)
                found.append(replace(finding, cell=cell.index))
    return found


def _splice_sources(text: str, new_sources: dict[int, str]) -> str:
    """Replace the JSON values of ``cells[i].source`` in ``text``, keeping their layout style."""
    spans = source_spans(text)
    pieces = []
    position = 0
    for index in sorted(new_sources):
        start, end = spans[index]
        pieces.append(text[position:start])
        pieces.append(_encode_source(new_sources[index], text[start:end]))
        position = end
    pieces.append(text[position:])
    new_text = "".join(pieces)
    _check_splice(text, new_text, new_sources)
    return new_text


def _encode_source(source: str, original: str) -> str:
    """Encode ``source`` like the original value: a string, or a list of lines laid out alike."""
    ensure_ascii = "\\u" in original
    if not original.startswith("[") or original.replace(" ", "") == "[]":
        return json.dumps(source, ensure_ascii=ensure_ascii)
    lead = re.match(r"\[\s*", original)
    tail = re.search(r"\s*\]$", original)
    assert lead is not None and tail is not None
    separator = _separator(original, lead.end())
    items = [json.dumps(line, ensure_ascii=ensure_ascii) for line in source.splitlines(True)]
    return lead.group(0) + separator.join(items) + tail.group(0)


def _separator(original: str, first_item: int) -> str:
    """Return the text between the first two items of a JSON list of strings, or a guess for it."""
    end = int(scanstring(original, first_item + 1)[1])
    found = re.match(r"\s*,\s*", original[end:])
    if found is not None:
        return found.group(0)
    indent = original[1:first_item]
    return "," + indent if indent else ", "


def _check_splice(old_text: str, new_text: str, new_sources: dict[int, str]) -> None:
    """Verify the spliced text differs from the original in the intended sources only."""
    old, new = json.loads(old_text), json.loads(new_text)
    for index, source in new_sources.items():
        value = new["cells"][index]["source"]
        if ("".join(value) if isinstance(value, list) else value) != source:
            raise AssertionError(f"spliced source of cell {index} does not read back")
        new["cells"][index]["source"] = old["cells"][index]["source"]
    if old != new:
        raise AssertionError("splicing changed more than the cell sources")


def source_spans(text: str) -> dict[int, tuple[int, int]]:
    """Locate the JSON value of every ``cells[i].source`` in a notebook's text.

    Args:
        text: The notebook's JSON text.

    Returns:
        ``{cell index: (start, end)}`` character offsets of each source value.
    """
    spans: dict[int, tuple[int, int]] = {}
    _scan_value(text, 0, (), spans)
    return spans


def _skip(text: str, index: int) -> int:
    match = _WHITESPACE.match(text, index)
    assert match is not None
    return match.end()


def _scan_value(
    text: str, index: int, path: tuple[str | int, ...], spans: dict[int, tuple[int, int]]
) -> int:
    """Scan one JSON value starting at ``index``; return the offset just past it."""
    index = _skip(text, index)
    char = text[index]
    if char == "{":
        return _scan_container(text, index, "}", path, spans)
    if char == "[":
        return _scan_container(text, index, "]", path, spans)
    if char == '"':
        return int(scanstring(text, index + 1)[1])
    return int(_DECODER.raw_decode(text, index)[1])


def _scan_container(
    text: str,
    index: int,
    closer: str,
    path: tuple[str | int, ...],
    spans: dict[int, tuple[int, int]],
) -> int:
    index = _skip(text, index + 1)
    position = 0
    while text[index] != closer:
        key: str | int = position
        if closer == "}":
            key, index = scanstring(text, index + 1)
            index = _skip(text, index) + 1  # past the colon
        start = _skip(text, index)
        end = _scan_value(text, start, (*path, key), spans)
        if len(path) == 2 and path[0] == "cells" and key == "source":
            spans[int(path[1])] = (start, end)
        index = _skip(text, end)
        if text[index] == ",":
            index = _skip(text, index + 1)
        position += 1
    return index + 1
