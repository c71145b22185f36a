from __future__ import annotations

from typing import Any

import pytest
from quri_parts.circuit import QuantumCircuit

from oqtopus_bridge import OqtopusSamplingBackend


@pytest.fixture
def sampling_backend(oqtopus_config: Any) -> OqtopusSamplingBackend:
    return OqtopusSamplingBackend(oqtopus_config)


@pytest.fixture
def bell() -> QuantumCircuit:
    circuit = QuantumCircuit(2)
    circuit.add_H_gate(0)
    circuit.add_CNOT_gate(0, 1)
    return circuit


class RequestCounter:
    """Counts every HTTP response seen by a backend's API and storage sessions."""

    def __init__(self, backend: Any) -> None:
        self.urls: list[str] = []
        for session in (backend.api.transport.session, backend.api.storage.session):
            session.hooks["response"].append(self._hook)

    def _hook(self, response: Any, *args: Any, **kwargs: Any) -> None:
        self.urls.append(f"{response.request.method} {response.request.url}")

    def __len__(self) -> int:
        return len(self.urls)
