"""Shared fixtures: an isolated environment per test and one local OQTOPUS server per session."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Helpers shared across test directories (importlib import mode puts no test folder on sys.path).
sys.path.insert(0, str(Path(__file__).parent / "helpers"))

# Hypothesis profiles: "ci" (default) keeps the property suite within minutes;
# OQTOPUS_HYPOTHESIS=thorough runs many more examples locally.
settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "thorough",
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("OQTOPUS_HYPOTHESIS", "ci"))

_CLEARED_ENV = (
    "OQTOPUS_URL",
    "OQTOPUS_API_TOKEN",
    "OQTOPUS_PROXY",
    "OQTOPUS_ENV",
    "OQTOPUS_BASE_URL",
    "XDG_CONFIG_HOME",  # the official SDK's config.ini lives under it (issue 15)
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
)


@pytest.fixture(autouse=True)
def isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No test reads the developer's ~/.oqtopus, OQTOPUS_* variables or proxy settings."""
    for name in _CLEARED_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(scope="session")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A running LocalServer speaking the current (storage-offload) protocol, for the session.

    Its test hooks are on: a job named ``test-hook:hold`` stays running until it is cancelled, so a
    test that cancels a running job never races the job's end.
    """
    from oqtopus_bridge.local import LocalServer

    with LocalServer(data_dir=tmp_path_factory.mktemp("server"), test_hooks=True) as server:
        yield server


@pytest.fixture(scope="session")
def legacy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A running LocalServer speaking the legacy inline protocol."""
    from oqtopus_bridge.local import LocalServer

    with LocalServer(data_dir=tmp_path_factory.mktemp("legacy"), protocol="legacy") as server:
        yield server


@pytest.fixture
def oqtopus_config(local_server: Any) -> Any:
    """An OqtopusConfig pointing at the session's local server."""
    return local_server.config


@pytest.fixture
def repo_root() -> Path:
    """The repository root (for examples and docs)."""
    return Path(__file__).resolve().parents[1]
