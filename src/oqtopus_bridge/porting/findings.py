"""Findings: constructs the porting tool cannot rewrite safely and a person must look at."""

from __future__ import annotations

from dataclasses import dataclass

# One code per kind of construct, with the advice printed next to it. Codes are stable: scripts may
# filter on them.
PRIVATE_ATTRIBUTE = "private-attribute"
BROKEN_SAMPLER = "broken-sampler"
SAMPLER_DEVICE_ID = "sampler-device-id"
LEGACY_ESTIMATION_RESULT = "legacy-estimation-result"
LEGACY_JSON_STRING = "legacy-json-string"
OQTOPUS_CLIENT = "oqtopus-client"
UNKNOWN_NAME = "unknown-name"
UNKNOWN_MODULE = "unknown-module"
MIXED_IMPORT = "mixed-import"
INSTALL_COMMAND = "install-command"
UNPARSABLE = "unparsable"

ADVICE: dict[str, str] = {
    PRIVATE_ATTRIBUTE: (
        "private attribute {name!r}: oqtopus_bridge objects do not carry quri-parts-oqtopus "
        "internals; use the public properties "
        "(job.status, job.job_info, job.to_json(), device.device_info)"
    ),
    BROKEN_SAMPLER: (
        "quri_parts_oqtopus.sampler never worked (KeyError on import without a config, "
        "TypeError on use); it now points to "
        "oqtopus_bridge.quri_parts.create_oqtopus_concurrent_sampler(device_id=...)"
    ),
    SAMPLER_DEVICE_ID: (
        "create_oqtopus_concurrent_sampler needs the target device: "
        "call it as create_oqtopus_concurrent_sampler(device_id=..., ...)"
    ),
    LEGACY_ESTIMATION_RESULT: (
        "1.0.x result.estimation[...]: an estimation result exposes "
        "result.exp_value and result.stds"
    ),
    LEGACY_JSON_STRING: (
        "json.loads on {name!r}: it was a JSON string in 1.0.x and is already a dict now; "
        "drop the json.loads call"
    ),
    OQTOPUS_CLIENT: (
        "direct use of oqtopus_client: oqtopus_bridge does not use it; "
        "use the oqtopus_bridge backends and jobs instead"
    ),
    UNKNOWN_NAME: (
        "{name!r} is not part of the documented API that oqtopus_bridge provides; "
        "replace it with a documented class or remove it"
    ),
    UNKNOWN_MODULE: (
        "module {name!r} has no counterpart in oqtopus_bridge; port this import by hand"
    ),
    MIXED_IMPORT: (
        "this import mixes modules and names of quri_parts_oqtopus; split it into two imports "
        "and run the tool again"
    ),
    INSTALL_COMMAND: "this installs quri-parts-oqtopus; install oqtopus-bridge instead",
    UNPARSABLE: "could not parse this code ({name}); it was left unchanged, port it by hand",
}


@dataclass(frozen=True)
class Finding:
    """One construct that needs a human, with where it is and what to do.

    Attributes:
        line: 1-based line number (within the cell for notebooks).
        code: A stable identifier of the kind of construct, e.g. ``"private-attribute"``.
        message: What was found and what to do about it.
        path: The file, as given on the command line or found by walking a directory.
        cell: 0-based index of the notebook cell (counting all cells), ``None`` for a ``.py`` file.
    """

    line: int
    code: str
    message: str
    path: str = "<string>"
    cell: int | None = None

    @property
    def location(self) -> str:
        """Return ``path:line`` for scripts and ``path:cell N:line`` for notebooks."""
        if self.cell is None:
            return f"{self.path}:{self.line}"
        return f"{self.path}:cell {self.cell}:{self.line}"

    def __str__(self) -> str:
        return f"{self.location}: {self.code}: {self.message}"


def make_finding(line: int, code: str, name: str = "") -> Finding:
    """Build a finding with the standard advice for its code.

    Args:
        line: 1-based line of the construct.
        code: One of the codes defined in this module.
        name: The offending name or detail, substituted into the advice.

    Returns:
        The finding, with ``path`` and ``cell`` left for the caller to fill in.
    """
    return Finding(line=line, code=code, message=ADVICE[code].format(name=name))
