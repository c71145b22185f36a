"""What one circuit job produces: the seam between the engine's work and where it is stored.

`~oqtopus_bridge.local.engine.pipeline.run_circuit_job` returns an `Outcome` and
touches neither the repository nor FastAPI, so it can run in a worker process; whoever runs it
stores the objects, then moves the job to its final status with the outcome's message.
"""

from __future__ import annotations

import dataclasses
from typing import Any


class Cancelled(Exception):
    """The job left the expected status (cancelled by its owner) while the engine worked on it."""


@dataclasses.dataclass
class Outcome:
    """The products of one successful circuit job.

    Attributes:
        result: The ``result.json`` document (``sampling`` and ``estimation`` members).
        execution_time: Seconds of simulation (what ``execution_time`` reports; > 0).
        objects: Further job objects to store, by item name: a JSON document is stored as
            ``{item}.zip`` holding ``{item}.json``; ``bytes`` as ``{item}.zip`` holding an entry
            named ``item`` (e.g. ``combined_program``).
        message: A note for ``job_info.message`` on success (e.g. an option that was ignored),
            or ``None``.
    """

    result: dict[str, Any]
    execution_time: float
    objects: dict[str, Any] = dataclasses.field(default_factory=dict)
    message: str | None = None
