"""Fixtures of the browser tests: Debian's chromium driven by Playwright, and a seeded server.

The system browser is used (``/usr/bin/chromium``, installed by ``.ci/run``); Playwright's own
browser download is never used. Without chromium the tests skip, unless
``OQTOPUS_REQUIRE_BROWSER=1`` (set by CI), which makes them fail instead.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "server"))

from local_testkit import BELL, Api  # noqa: E402

from oqtopus_bridge.local import LocalServer  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = _chromium()
    if executable is None:
        reason = "chromium is not installed (apt-get install chromium); .ci/run installs it"
        if os.environ.get("OQTOPUS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"OQTOPUS_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def anonymous(browser: Any) -> Iterator[Any]:
    """A page in a fresh browser context (no cookies)."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    yield context.new_page()
    context.close()


@pytest.fixture
def page(anonymous: Any, server: LocalServer) -> Any:
    """A page of a browser that opened a fresh login link."""
    anonymous.goto(server.ui_url)
    anonymous.wait_for_url("**/ui/jobs")
    return anonymous


SSE_PROGRAM = 'print("hello from the SSE program")\n'
ESTIMATE = BELL.replace("c = measure q;", "")


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(sse_timeout_s=60) as running:
        yield running


@pytest.fixture(scope="module")
def jobs(server: LocalServer) -> dict[str, str]:
    """One finished job of each kind, plus one held in ``registered`` (never submitted)."""
    api = Api(server.url, server.token)
    made = {
        "sampling": api.create({"program": [BELL]}, name="bell sampling", shots=1000),
        "mitigated": api.create(
            {"program": [BELL]},
            name="bell on anemone, mitigated",
            device_id="anemone",
            shots=1000,
            mitigation_info={"ro_error_mitigation": "pseudo_inverse"},
            simulator_info={"seed": 7},
        ),
        "multi_manual": api.create(
            {"program": [BELL, BELL.replace("h q[0];", "x q[1];")]},
            name="two programs",
            job_type="multi_manual",
            shots=500,
        ),
        "estimation": api.create(
            {"program": [ESTIMATE], "operator": [{"pauli": "Z0 Z1", "coeff": 1.0}]},
            name="zz estimation",
            job_type="estimation",
            shots=2000,
        ),
        "sse": api.create({"sse_program": SSE_PROGRAM}, name="sse hello", job_type="sse", shots=1),
    }
    for job_id in made.values():
        assert api.wait(job_id)["status"] == "succeeded", job_id
    return made
