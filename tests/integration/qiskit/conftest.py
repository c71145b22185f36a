"""Fixtures for the Qiskit adapter against the session's LocalServer."""

from __future__ import annotations

from typing import Any

import pytest
from qiskit import QuantumCircuit
from qiskit_layouts import REGISTER_LAYOUTS

from oqtopus_bridge.qiskit import OqtopusBackend, OqtopusProvider


@pytest.fixture(scope="module")
def provider(local_server: Any) -> OqtopusProvider:
    return OqtopusProvider(local_server.config)


@pytest.fixture(scope="module")
def qulacs(provider: OqtopusProvider) -> OqtopusBackend:
    return provider.get_backend("qulacs")


@pytest.fixture(scope="module")
def anemone(provider: OqtopusProvider) -> OqtopusBackend:
    return provider.get_backend("anemone")


@pytest.fixture(scope="module")
def register_layouts() -> dict[str, QuantumCircuit]:
    """Deterministic (classical) circuits covering every register layout issue 5 names."""
    return {name: build() for name, build in REGISTER_LAYOUTS.items()}
