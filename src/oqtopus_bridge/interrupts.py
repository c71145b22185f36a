"""What Ctrl-C while waiting for jobs says: they keep running on the server, and how to cancel them.

Interrupting ``job.result()`` (or a Qiskit, PennyLane or QURI Parts call waiting on jobs) stops the
waiting only: the jobs stay queued or running on the server, using its time (and, on a real
device, the user's budget). The `KeyboardInterrupt` is re-raised as it was, with a note naming
the jobs and how to cancel them: `add_note` on Python 3.11+ (shown under the traceback), a line on
stderr before that (issue 24, item 6).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence

__all__ = ["SHOWN_IDS", "note_running_jobs", "running_jobs_note"]

#: How many job ids the note lists before it says "and N more".
SHOWN_IDS = 5
_NOTED = "_oqtopus_noted"


def running_jobs_note(job_ids: Sequence[str]) -> str:
    """The note for jobs that were being waited for when Ctrl-C came.

    Args:
        job_ids: The unfinished jobs (at least one).

    Returns:
        One paragraph naming the jobs and the ways to cancel them.
    """
    shown = ", ".join(job_ids[:SHOWN_IDS])
    more = f" and {len(job_ids) - SHOWN_IDS} more" if len(job_ids) > SHOWN_IDS else ""
    if len(job_ids) == 1:
        (job_id,) = job_ids
        return (
            f"Interrupted while waiting: job {job_id} keeps running on the server. Cancel it "
            f"with job.cancel() in Python, or 'oqtopus-bridge jobs cancel {job_id}'; its result "
            f"stays available otherwise ('oqtopus-bridge jobs status {job_id}')."
        )
    return (
        f"Interrupted while waiting: {len(job_ids)} jobs keep running on the server ({shown}"
        f"{more}). Cancel each with job.cancel() in Python, or 'oqtopus-bridge jobs cancel ID'; "
        "their results stay available otherwise ('oqtopus-bridge jobs list --status running')."
    )


@contextlib.contextmanager
def note_running_jobs(job_ids: Callable[[], Sequence[str]]) -> Iterator[None]:
    """On `KeyboardInterrupt` in the block, say which jobs keep running, then re-raise it.

    Args:
        job_ids: Called when the interrupt comes: the jobs still unfinished at that moment. An
            empty answer adds no note.

    Yields:
        Nothing; the block runs as is.
    """
    try:
        yield
    except KeyboardInterrupt as interrupt:
        # Nested waits (result() around wait_for_completion()) note the interrupt once.
        if not getattr(interrupt, _NOTED, False):
            pending = list(job_ids())
            if pending:
                _attach(interrupt, running_jobs_note(pending))
        raise


def _attach(interrupt: KeyboardInterrupt, note: str) -> None:
    setattr(interrupt, _NOTED, True)
    if sys.version_info >= (3, 11):
        interrupt.add_note(note)
    else:  # pragma: no cover - Python 3.10 has no add_note
        print(note, file=sys.stderr, flush=True)
