"""``provider.jobs()``: qiskit-ibm-runtime's filter names over every page of the job list."""

from __future__ import annotations

from typing import Any

import pytest
from qiskit import QuantumCircuit
from quri_parts.core.operator import pauli_label

from oqtopus_bridge import OqtopusConfig, OqtopusEstimationBackend, OqtopusJobBackendBase
from oqtopus_bridge.qiskit import OqtopusProvider

QASM = 'OPENQASM 3; include "stdgates.inc"; qubit[1] q; bit[1] c; x q[0]; c[0] = measure q[0];'


def _circuit() -> QuantumCircuit:
    qc = QuantumCircuit(1, 1)
    qc.x(0)
    qc.measure(0, 0)
    return qc


@pytest.fixture
def user(local_server: Any, request: pytest.FixtureRequest) -> OqtopusConfig:
    return OqtopusConfig(local_server.url, local_server.add_user(f"qjobs-{request.node.name}"))


@pytest.fixture
def history(user: OqtopusConfig) -> list[str]:
    """Sampling jobs on qulacs, anemone, qulacs, qulacs (oldest first), then an estimation job."""
    provider = OqtopusProvider(user)
    ids = []
    for device in ("qulacs", "anemone", "qulacs", "qulacs"):
        ids.append(provider.get_backend(device).run(_circuit(), shots=10).job_id())
    OqtopusEstimationBackend(user).estimate_qasm(QASM, pauli_label("Z0"), "qulacs", 10)
    return ids


def test_jobs_counts_only_sampling_jobs_across_pages(
    user: OqtopusConfig, history: list[str]
) -> None:
    provider = OqtopusProvider(user)
    newest = history[::-1]
    # The newest job is an estimation job: limit still means "this many sampling jobs".
    assert [job.job_id() for job in provider.jobs(limit=1)] == newest[:1]
    assert [job.job_id() for job in provider.jobs()] == newest
    assert [job.job_id() for job in provider.jobs(limit=2, skip=1)] == newest[1:3]
    assert [job.job_id() for job in provider.jobs(limit=None, descending=False)] == history
    assert provider.jobs(limit=0) == []
    with pytest.raises(ValueError, match="skip"):
        provider.jobs(skip=-1)


def test_jobs_filters_by_backend_status_and_creation_time(
    user: OqtopusConfig, history: list[str]
) -> None:
    provider = OqtopusProvider(user)
    assert [job.job_id() for job in provider.jobs(backend_name="anemone")] == [history[1]]
    assert [job.job_id() for job in provider.jobs(backend_name="qulacs", limit=2)] == [
        history[3],
        history[2],
    ]
    summaries = OqtopusJobBackendBase(user).list_jobs(size=10, fields=["job_id", "submitted_at"])
    times = {str(s["job_id"]): str(s["submitted_at"]) for s in summaries}
    middle = times[history[1]]  # the server's own record: no sleeps, no local clock
    after = [job_id for job_id in history[::-1] if times[job_id] >= middle]
    before = [job_id for job_id in history[::-1] if times[job_id] <= middle]
    assert [job.job_id() for job in provider.jobs(created_after=middle)] == after
    assert [job.job_id() for job in provider.jobs(created_before=middle)] == before
    assert provider.jobs(status="cancelled") == []
    with pytest.raises(ValueError, match="ISO 8601"):
        provider.jobs(created_after="last tuesday")
