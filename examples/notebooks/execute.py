"""Execute getting_started.ipynb against a fresh local server and save it with its outputs.

Run from the repository root: ``python examples/notebooks/execute.py``. The notebook starts its
own ``LocalServer`` (no ``OQTOPUS_URL`` set), plots render inline as PNG, and the saved file keeps
the HTML displays and plots so GitHub shows them. The executed copy goes to
``build/notebooks/getting_started.ipynb`` (or ``--output PATH``), so a clone stays clean;
maintainers refresh the committed notebook with ``--in-place``. Progress bars are not saved: in a
kernel without ``ipywidgets`` none is shown (``oqtopus_bridge.progress``), so no stderr block
lands in the file.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).with_name("getting_started.ipynb")
DEFAULT_OUTPUT = Path("build") / "notebooks" / NOTEBOOK.name


def _output() -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to save it")
    where.add_argument("--in-place", action="store_true", help="overwrite the committed notebook")
    args = parser.parse_args()
    return NOTEBOOK if args.in_place else args.output


def main() -> None:
    output = _output()
    for name in ("OQTOPUS_URL", "OQTOPUS_API_TOKEN", "CI"):
        os.environ.pop(name, None)
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    ).execute()
    streams = [
        out
        for cell in notebook.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream" and out.get("name") == "stderr"
    ]
    if streams:
        raise SystemExit(f"the notebook wrote to stderr, not saving it: {streams[0]['text'][:300]}")
    output.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, output)
    print(f"saved {output} with its outputs")


if __name__ == "__main__":
    main()
