r"""Port scripts and notebooks written for quri-parts-oqtopus to oqtopus-bridge.

The tool rewrites every ``quri_parts_oqtopus`` import (the 1.0.x flat layout, the 1.1.x layout,
and the ``sampler`` module) to this package, leaves everything else byte-for-byte, and reports each
construct it cannot port safely (private attributes, 1.0.x-only calls, the broken sampler helper,
direct ``oqtopus_client`` use) with its file and line. Python is handled with libcst (a lossless
syntax tree), notebooks with nbformat plus a splice of the changed cell sources into the original
JSON text.

Examples:
    ```python
    from oqtopus_bridge.porting import port_source
    print(port_source("from quri_parts_oqtopus.backend import OqtopusSamplingBackend\\n").code)
    # from oqtopus_bridge import OqtopusSamplingBackend
    ```

Requires the ``port`` extra (``pip install ".[port]"`` in a clone of oqtopus-bridge) for libcst
and nbformat.
"""

from __future__ import annotations

from oqtopus_bridge.porting.command import main_port
from oqtopus_bridge.porting.files import FileResult, port_file, write_result
from oqtopus_bridge.porting.findings import Finding
from oqtopus_bridge.porting.notebook import NotebookError, PortedNotebook, port_notebook
from oqtopus_bridge.porting.python import PortedSource, port_source
from oqtopus_bridge.porting.report import PortReport, port_paths

__all__ = [
    "FileResult",
    "Finding",
    "NotebookError",
    "PortReport",
    "PortedNotebook",
    "PortedSource",
    "main_port",
    "port_file",
    "port_notebook",
    "port_paths",
    "port_source",
    "write_result",
]
