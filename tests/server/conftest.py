"""Fixtures of the local-server tests: a module-scoped LocalServer and an HTTP driver."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The helpers live next to this file; importlib import mode does not put test dirs on sys.path.
sys.path.insert(0, str(Path(__file__).parent))

from local_testkit import Api  # noqa: E402

from oqtopus_bridge.local import LocalServer  # noqa: E402


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(sse_timeout_s=60) as running:
        yield running


@pytest.fixture(scope="module")
def api(server: LocalServer) -> Api:
    return Api(server.url, server.token)
