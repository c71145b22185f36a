"""Web pages never answer 500 to odd data or URLs, and keep their security headers (issue 21).

The catalog is a file anyone may edit: a device whose qubit id is not an integer gets its page with
a notice instead of a topology. A hand-edited jobs URL (a 40-digit or non-numeric ``page_number``)
shows a page. The checks go through a logged-in browser session over HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from oqtopus_bridge.local import LocalServer
from oqtopus_bridge.local.devices import default_catalog

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Cache-Control")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    data_dir: Path = tmp_path_factory.mktemp("web-pages")
    catalog = default_catalog()
    bad = json.loads(json.dumps(next(e for e in catalog if e["device_type"] == "QPU")))
    bad["device_id"] = "bad-qubit-ids"
    bad["device_info"]["qubits"][0]["id"] = "zero"
    (data_dir / "devices.json").write_text(json.dumps([*catalog, bad]))
    with LocalServer(data_dir, workers=1) as running:
        yield running


@pytest.fixture(scope="module")
def browser(server: LocalServer) -> requests.Session:
    session = requests.Session()
    response = session.post(f"{server.url}/ui/login", data={"token": server.token}, timeout=30)
    assert response.status_code == 200 and "/ui/jobs" in response.url
    return session


@pytest.mark.parametrize(
    "path",
    [
        "/ui/devices/bad-qubit-ids",
        "/ui/devices",
        "/ui/jobs?page_number=" + "9" * 40,
        "/ui/jobs?page_number=abc",
        "/ui/jobs?page_number=-3",
    ],
)
def test_a_page_with_odd_data_answers_with_its_headers(
    server: LocalServer, browser: requests.Session, path: str
) -> None:
    response = browser.get(server.url + path, timeout=30)
    assert response.status_code == 200, response.text[:300]
    assert all(header in response.headers for header in SECURITY_HEADERS)
    assert response.headers["content-type"].startswith("text/html")


def test_a_device_that_cannot_be_drawn_says_why(
    server: LocalServer, browser: requests.Session
) -> None:
    text = browser.get(f"{server.url}/ui/devices/bad-qubit-ids", timeout=30).text
    assert "cannot be drawn" in text and "devices.json" in text


def test_an_unexpected_error_on_a_page_keeps_the_security_headers(
    server: LocalServer, browser: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Defence in depth: a bug no test foresaw still answers an HTML page with the headers.
    from oqtopus_bridge.local.web import content

    def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(content, "device_detail", broken)
    response = browser.get(f"{server.url}/ui/devices/qulacs", timeout=30)
    assert response.status_code == 500
    assert all(header in response.headers for header in SECURITY_HEADERS)
    assert "a bug" not in response.text and "server" in response.text
