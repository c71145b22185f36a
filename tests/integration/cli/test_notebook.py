"""The getting-started notebook runs top to bottom against a local server, with no cell in error."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient


def test_getting_started_notebook_runs_without_errors(
    repo_root, local_server, monkeypatch, tmp_path
):
    path = repo_root / "examples" / "notebooks" / "getting_started.ipynb"
    notebook = nbformat.read(path, as_version=4)
    # The kernel inherits this environment: the notebook uses the server given by these variables.
    monkeypatch.setenv("OQTOPUS_URL", local_server.url)
    monkeypatch.setenv("OQTOPUS_API_TOKEN", local_server.token)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    client = NotebookClient(
        notebook,
        timeout=240,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    errors = [out for cell in code_cells for out in cell.outputs if out.output_type == "error"]
    assert errors == []
    assert all(cell.execution_count for cell in code_cells)
    text = "\n".join(
        out.get("text", "")
        for cell in code_cells
        for out in cell.outputs
        if out.output_type == "stream"
    )
    assert "qulacs" in text  # the device list
    images = [
        out for cell in code_cells for out in cell.outputs if "image/png" in out.get("data", {})
    ]
    assert len(images) >= 3  # histograms (and the device map), rendered to PNG
    assert local_server.token not in str(notebook)  # the token is never displayed
    outputs = [out for cell in code_cells for out in cell.outputs]
    html = [out for out in outputs if "text/html" in out.get("data", {})]
    assert len(html) >= 4  # the device, the job, the result and the estimation display themselves
    stderr = [out for out in outputs if out.get("name") == "stderr"]
    assert stderr == []  # no progress line (or warning) saved as a stderr block (issue 17)


def test_committed_notebook_has_its_outputs(repo_root):
    """GitHub shows the committed file: it must hold the plots and displays, and no stderr."""
    notebook = nbformat.read(repo_root / "examples/notebooks/getting_started.ipynb", as_version=4)
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert sum("image/png" in out.get("data", {}) for out in outputs) >= 3
    assert sum("text/html" in out.get("data", {}) for out in outputs) >= 4
    assert not [out for out in outputs if out.get("name") == "stderr"]
