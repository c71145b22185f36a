"""What one circuit job produces: the seam between the engine's work and where it is stored.

`~oqtopus_bridge.local.engine.pipeline.run_circuit_job` returns an `Outcome` and
touches neither the repository nor FastAPI, so it can run in a worker process. The worker writes
the outcome's objects into the object store itself (`store_outcome`), as OQTOPUS engines write to
object storage, and reports only what the API process needs to move the job to its final status
(issue 23: storing them cost the API process 1.2-2.3 ms per job).
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

from ..storage import ObjectStore


class Zipped(bytes):
    """A job object already in its stored form: the bytes of ``{item}.zip`` (see `Outcome`)."""


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
            named ``item`` (e.g. ``combined_program``); `Zipped` bytes as ``{item}.zip`` itself
            (a prepared program's ``transpile_result``, zipped once for all its jobs).
        message: A note for ``job_info.message`` on success (e.g. an option that was ignored),
            or ``None``.
        written: The items already in the object store (then ``result`` and ``objects`` are
            empty): what `store_outcome` returns.
    """

    result: dict[str, Any]
    execution_time: float
    objects: dict[str, Any] = dataclasses.field(default_factory=dict)
    message: str | None = None
    written: tuple[str, ...] = ()


def store_outcome(store: ObjectStore, job_id: str, outcome: Outcome) -> Outcome:
    """Write an outcome's objects, then its ``result``; return it without them, as `written`.

    ``result`` comes last, so a job never shows a result without the objects that go with it.
    """
    for item, value in outcome.objects.items():
        if isinstance(value, Zipped):
            store.put(f"{job_id}/{item}.zip", value)
        elif isinstance(value, bytes):
            store.put_entry(job_id, item, item, value)
        else:
            store.put_json(job_id, item, value)
    store.put_json(job_id, "result", outcome.result)
    return Outcome(
        {}, outcome.execution_time, {}, outcome.message, written=(*outcome.objects, "result")
    )


#: Every object the engine may write for a job (`store_outcome`), removed again on a cancel.
ENGINE_OBJECTS = ("combined_program", "transpile_result", "result")


def remove_outputs(store: ObjectStore, job_id: str) -> None:
    """Delete whatever the engine wrote, or was writing, for a job that was cancelled meanwhile.

    A cancel can land at any point of the write (it kills the worker) or between the write and
    the job's move to ``succeeded``: every path that ends in `Cancelled` calls this, so a
    cancelled job never shows a result link.
    """
    for item in ENGINE_OBJECTS:
        for name in (f"{item}.zip", f"{item}.zip.part"):
            with contextlib.suppress(OSError):
                store.path(f"{job_id}/{name}").unlink(missing_ok=True)
