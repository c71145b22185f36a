"""Fixtures for the PennyLane devices against the session's LocalServer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pennylane as qml
import pytest
import requests

from oqtopus_bridge import OqtopusConfig


@pytest.fixture
def make_device(oqtopus_config: OqtopusConfig) -> Callable[..., Any]:
    """Build an OQTOPUS PennyLane device on the local "qulacs" device, with a fixed seed."""

    def make(kind: str = "sampler", wires: Any = 2, **kwargs: Any) -> Any:
        kwargs.setdefault("oqtopus_config", oqtopus_config)
        kwargs.setdefault("simulator_info", {"seed_simulation": 1234})
        return qml.device(f"oqtopus.{kind}", wires=wires, device_id="qulacs", **kwargs)

    return make


@pytest.fixture
def fresh_user(local_server: Any) -> Callable[[str], OqtopusConfig]:
    """A new server user (empty job list), so a test can count the jobs it caused."""

    def make(name: str) -> OqtopusConfig:
        return OqtopusConfig(url=local_server.url, api_token=local_server.add_user(name))

    return make


def _submitted_jobs(config: OqtopusConfig) -> list[dict[str, Any]]:
    """The caller's jobs that were submitted (POST /jobs/{id}/submit), read from GET /jobs."""
    response = requests.get(
        f"{config.url}/jobs", headers={"q-api-token": config.api_token}, timeout=30
    )
    response.raise_for_status()
    return [job for job in response.json() if job.get("status") != "registered"]


def _normalize(result: Any) -> Any:
    """Make results comparable: counts keys as str/float, arrays as numpy arrays."""
    if isinstance(result, dict):
        return {(k if isinstance(k, str) else float(k)): int(v) for k, v in result.items()}
    if isinstance(result, tuple):
        return tuple(_normalize(r) for r in result)
    if isinstance(result, (list, np.ndarray)) and any(
        isinstance(r, dict) for r in np.ravel(result)
    ):
        # Broadcast counts: default.qubit returns a list of dicts, broadcast_expand an object array.
        return tuple(_normalize(r) for r in result)
    return np.asarray(result)


def _assert_same(actual: Any, expected: Any) -> None:
    """Exact equality of (nested) PennyLane results, including types and shapes."""
    actual, expected = _normalize(actual), _normalize(expected)
    assert type(actual) is type(expected), (actual, expected)
    if isinstance(expected, tuple):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            _assert_same(a, e)
    elif isinstance(expected, dict):
        assert actual == expected
    else:
        assert actual.shape == expected.shape, (actual, expected)
        np.testing.assert_allclose(actual, expected, atol=1e-12)


@pytest.fixture
def submitted_jobs() -> Callable[[OqtopusConfig], list[dict[str, Any]]]:
    """See :func:`_submitted_jobs`."""
    return _submitted_jobs


@pytest.fixture
def assert_same() -> Callable[[Any, Any], None]:
    """See :func:`_assert_same`."""
    return _assert_same
