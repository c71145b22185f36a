"""Which primitive made a job, stored with the job, so ``retrieve_job`` can rebuild its result.

The first OQTOPUS job of a primitive's run carries one comment line in its program,
``// oqtopus-bridge-primitive: {json}``, next to the layout comment every program has
(`oqtopus_bridge.qiskit._convert.LAYOUT_TAG`). The JSON names the primitive (``"kind"``:
``"sampler"``, ``"estimator"`` or ``"sampled-estimator"``), the number of jobs, and each PUB's
shape, shots and which jobs its elements read: enough to compute the ``PrimitiveResult`` again
from the jobs' results in any later session (issue 24). The service ignores comments; the job's
name and description stay the user's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from oqtopus_bridge.qiskit._convert import representable_metadata

__all__ = [
    "PRIMITIVE_TAG",
    "RECORD_VERSION",
    "pub_records",
    "pubs_from_record",
    "read_record",
    "tag_program",
]

PRIMITIVE_TAG = "// oqtopus-bridge-primitive: "
"""Prefix of the comment line that records a primitive run in its first job's program."""

RECORD_VERSION = 1


def tag_program(program: str, record: Mapping[str, Any]) -> str:
    """``program`` with the record's comment line after its first line (``OPENQASM 3.0;``)."""
    head, _, rest = program.partition("\n")
    payload = {"v": RECORD_VERSION, **record}
    line = PRIMITIVE_TAG + json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    return f"{head}\n{line}\n{rest}"


def read_record(programs: Sequence[str]) -> dict[str, Any] | None:
    """The primitive record of a job's programs, or ``None`` (not a primitive's first job)."""
    for program in programs:
        for line in program.splitlines():
            if line.startswith(PRIMITIVE_TAG):
                try:
                    record = json.loads(line[len(PRIMITIVE_TAG) :])
                except ValueError:
                    return None
                if isinstance(record, dict) and record.get("v") == RECORD_VERSION:
                    return record
                return None
    return None


def pub_records(pubs: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Estimator PUBs ``(shape, precision, shots, metadata, reads)`` as JSON data."""
    return [
        {
            "shape": list(shape),
            "precision": precision,
            "shots": shots,
            "metadata": representable_metadata(metadata)[0],
            "reads": reads,
        }
        for shape, precision, shots, metadata, reads in pubs
    ]


def pubs_from_record(record: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """The inverse of `pub_records`: ``(shape, precision, shots, metadata, reads)`` per PUB."""
    return [
        (
            tuple(int(n) for n in pub["shape"]),
            float(pub["precision"]),
            int(pub["shots"]),
            dict(pub.get("metadata") or {}),
            pub["reads"],
        )
        for pub in record["pubs"]
    ]
