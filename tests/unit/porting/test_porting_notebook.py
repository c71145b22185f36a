"""Notebook porting: only code-cell sources change; outputs, metadata, ids and other bytes stay."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from oqtopus_bridge.porting import NotebookError, port_notebook
from oqtopus_bridge.porting.notebook import source_spans

NOTEBOOK = Path(__file__).parent / "fixtures" / "notebooks" / "getting_started.ipynb"


def cell_sources(text: str) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(text)["cells"]]


def test_getting_started_changes_only_the_two_import_lines() -> None:
    text = NOTEBOOK.read_text(encoding="utf-8")
    ported = port_notebook(text)
    before, after = cell_sources(text), cell_sources(ported.text)
    changed = {
        (index, old_line, new_line)
        for index, (old, new) in enumerate(zip(before, after, strict=True))
        for old_line, new_line in zip(old.splitlines(), new.splitlines(), strict=True)
        if old_line != new_line
    }
    assert changed == {
        (
            5,
            "from quri_parts_oqtopus.backend import OqtopusSamplingBackend",
            "from oqtopus_bridge import OqtopusSamplingBackend",
        ),
        (
            13,
            "from quri_parts_oqtopus.backend import OqtopusEstimationBackend",
            "from oqtopus_bridge import OqtopusEstimationBackend",
        ),
    }


def test_getting_started_keeps_outputs_metadata_and_ids() -> None:
    text = NOTEBOOK.read_text(encoding="utf-8")
    old, new = json.loads(text), json.loads(port_notebook(text).text)
    assert new["metadata"] == old["metadata"]
    assert (new["nbformat"], new["nbformat_minor"]) == (old["nbformat"], old["nbformat_minor"])
    for old_cell, new_cell in zip(old["cells"], new["cells"], strict=True):
        old_cell.pop("source")
        new_cell.pop("source")
        assert new_cell == old_cell
    nbformat.validate(nbformat.reads(port_notebook(text).text, as_version=4))


def test_only_source_lines_differ_in_the_file_text() -> None:
    text = NOTEBOOK.read_text(encoding="utf-8")
    new_text = port_notebook(text).text
    old_lines, new_lines = text.splitlines(), new_text.splitlines()
    assert len(old_lines) == len(new_lines)
    differing = [(o, n) for o, n in zip(old_lines, new_lines, strict=True) if o != n]
    assert [(o.strip(), n.strip()) for o, n in differing] == [
        (
            '"from quri_parts_oqtopus.backend import OqtopusSamplingBackend\\n",',
            '"from oqtopus_bridge import OqtopusSamplingBackend\\n",',
        ),
        (
            '"from quri_parts_oqtopus.backend import OqtopusEstimationBackend\\n",',
            '"from oqtopus_bridge import OqtopusEstimationBackend\\n",',
        ),
    ]


def test_getting_started_report_is_the_install_cell_only() -> None:
    ported = port_notebook(NOTEBOOK.read_text(encoding="utf-8"))
    assert [(f.cell, f.line, f.code) for f in ported.findings] == [(1, 1, "install-command")]


def test_porting_is_idempotent_and_an_unchanged_notebook_is_byte_identical() -> None:
    once = port_notebook(NOTEBOOK.read_text(encoding="utf-8")).text
    assert port_notebook(once).text == once


def test_nbformat_would_rewrite_this_layout_so_the_text_is_patched_instead() -> None:
    # Two-space indent, unsorted keys, sources as single strings, non-ASCII kept raw: nbformat's
    # writer would change all of that.
    original = {
        "nbformat_minor": 5,
        "nbformat": 4,
        "metadata": {"zeta": 1, "alpha": "é"},
        "cells": [
            {
                "source": "from quri_parts_oqtopus.backend import OqtopusConfig\nx = 'é'",
                "cell_type": "code",
                "outputs": [{"output_type": "stream", "name": "stdout", "text": "é\n"}],
                "metadata": {"collapsed": False},
                "id": "b",
                "execution_count": 3,
            },
            {"source": "plain text", "cell_type": "markdown", "metadata": {}, "id": "a"},
        ],
    }
    text = json.dumps(original, indent=2, ensure_ascii=False)
    assert nbformat.writes(nbformat.reads(text, as_version=4)) != text
    assert port_notebook(port_notebook(text).text).text == port_notebook(text).text
    expected = text.replace("quri_parts_oqtopus.backend", "oqtopus_bridge")
    assert port_notebook(text).text == expected


def test_escaped_non_ascii_stays_escaped() -> None:
    cell = {"cell_type": "code", "execution_count": None, "id": "c", "metadata": {}, "outputs": []}
    cell["source"] = ["from quri_parts_oqtopus.backend import OqtopusConfig\n", "s = 'é'"]
    text = json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    assert "\\u00e9" in text
    assert port_notebook(text).text == text.replace("quri_parts_oqtopus.backend", "oqtopus_bridge")


def notebook_text(*sources: str) -> str:
    cells = [nbformat.v4.new_code_cell(source) for source in sources]
    for index, cell in enumerate(cells):
        cell.id = f"cell-{index}"
    return nbformat.writes(nbformat.v4.new_notebook(cells=cells))


def test_magics_are_masked_and_restored() -> None:
    text = notebook_text(
        "!pip install quri-parts-oqtopus\n%load_ext autoreload\nfrom quri_parts_oqtopus.backend "
        "import OqtopusConfig",
        "for name in names:\n    !echo {name}\nfiles = !ls\nOqtopusConfig?\n"
        "import quri_parts_oqtopus.backend as qpb",
        "%%time\nimport quri_parts_oqtopus.backend.config as config",
        "%%bash\nimport quri_parts_oqtopus.backend",
        "%timeit x = 1 \\\n  + 2\n"
        "from quri_parts_oqtopus.sampler import create_oqtopus_concurrent_sampler",
    )
    ported = port_notebook(text)
    assert cell_sources(ported.text) == [
        "!pip install quri-parts-oqtopus\n%load_ext autoreload\n"
        "from oqtopus_bridge import OqtopusConfig",
        "for name in names:\n    !echo {name}\nfiles = !ls\nOqtopusConfig?\n"
        "import oqtopus_bridge as qpb",
        "%%time\nimport oqtopus_bridge as config",
        "%%bash\nimport quri_parts_oqtopus.backend",  # not Python: left alone
        "%timeit x = 1 \\\n  + 2\n"
        "from oqtopus_bridge.quri_parts import create_oqtopus_concurrent_sampler",
    ]
    assert [(f.cell, f.line, f.code) for f in ported.findings] == [
        (0, 1, "install-command"),
        (4, 3, "broken-sampler"),
    ]


def test_cells_share_one_namespace() -> None:
    text = notebook_text(
        "import quri_parts_oqtopus.backend",
        "config = quri_parts_oqtopus.backend.OqtopusConfig.from_file()",
    )
    assert cell_sources(port_notebook(text).text) == [
        "import oqtopus_bridge",
        "config = oqtopus_bridge.OqtopusConfig.from_file()",
    ]


def test_an_unparsable_cell_is_reported_and_the_rest_ported() -> None:
    text = notebook_text(
        "from quri_parts_oqtopus.backend import OqtopusConfig",
        "from quri_parts_oqtopus.backend import (\n    OqtopusConfig",
        "x = (1,",
    )
    ported = port_notebook(text)
    assert cell_sources(ported.text)[0] == "from oqtopus_bridge import OqtopusConfig"
    assert cell_sources(ported.text)[1:] == cell_sources(text)[1:]
    assert [(f.cell, f.code) for f in ported.findings] == [(1, "unparsable")]


def test_source_spans_locate_each_cell_source() -> None:
    text = NOTEBOOK.read_text(encoding="utf-8")
    spans = source_spans(text)
    cells = json.loads(text)["cells"]
    assert sorted(spans) == list(range(len(cells)))
    for index, (start, end) in spans.items():
        assert json.loads(text[start:end]) == cells[index]["source"]


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}),
    ],
)
def test_unreadable_notebooks_raise(text: str) -> None:
    with pytest.raises(NotebookError):
        port_notebook(text)
