"""Ctrl-C while waiting in Python names the jobs that keep running (issue 24, item 6).

The jobs are held running by the server's test hook, and the interrupt comes from the wait's
first request (a held ``GET /jobs/{id}``, answered at once here), as a Ctrl-C during the wait
would: no race, no real sleep.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from oqtopus_bridge import OqtopusSamplingBackend, OqtopusSamplingJob
from oqtopus_bridge.jobs import wait_all
from oqtopus_bridge.polling import PollPolicy

HOLD = "test-hook:hold"
PROGRAM = 'OPENQASM 3; include "stdgates.inc"; qubit[1] q; bit[1] c; c = measure q;'


def _ctrl_c(seconds: float) -> None:
    raise KeyboardInterrupt


def _ctrl_c_while_waiting(response: Any, *args: Any, **kwargs: Any) -> None:
    if "Prefer" in response.request.headers or response.request.url.endswith("/status"):
        response.close()  # its connection, which a real Ctrl-C would leave to the collector
        raise KeyboardInterrupt


def _held(backend: OqtopusSamplingBackend) -> OqtopusSamplingJob:
    job = backend.sample_qasm(PROGRAM, device_id="qulacs", shots=10, name=HOLD)
    job.poll_policy = PollPolicy(sleep=_ctrl_c)
    hooks = backend.api.transport.session.hooks["response"]
    if _ctrl_c_while_waiting not in hooks:
        hooks.append(_ctrl_c_while_waiting)
    return job


def _note(excinfo: pytest.ExceptionInfo[KeyboardInterrupt], capsys: Any) -> str:
    if sys.version_info >= (3, 11):
        return "\n".join(getattr(excinfo.value, "__notes__", []))
    return str(capsys.readouterr().err)  # pragma: no cover - 3.10 prints it on stderr


def test_ctrl_c_in_result_names_the_job_and_how_to_cancel_it(
    oqtopus_config: Any, capsys: Any
) -> None:
    job = _held(OqtopusSamplingBackend(oqtopus_config))
    try:
        with pytest.raises(KeyboardInterrupt) as excinfo:
            job.result(progress=False)
        assert type(excinfo.value) is KeyboardInterrupt  # the same interrupt, re-raised
        note = _note(excinfo, capsys)
        assert f"job {job.job_id} keeps running on the server" in note
        assert "job.cancel()" in note and f"oqtopus-bridge jobs cancel {job.job_id}" in note
        assert note.count("keeps running") == 1  # result() and the wait inside it: one note
    finally:
        job.cancel()


def test_ctrl_c_in_wait_all_names_the_unfinished_jobs(oqtopus_config: Any, capsys: Any) -> None:
    backend = OqtopusSamplingBackend(oqtopus_config)
    jobs = [_held(backend) for _ in range(7)]
    try:
        with pytest.raises(KeyboardInterrupt) as excinfo:
            wait_all(jobs, progress=False)
        note = _note(excinfo, capsys)
        assert "7 jobs keep running on the server" in note
        assert all(job.job_id in note for job in jobs[:5]) and "and 2 more" in note
        assert "job.cancel()" in note and "oqtopus-bridge jobs cancel ID" in note
    finally:
        for job in jobs:
            job.cancel()
