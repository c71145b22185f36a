"""The web view in a real headless Chromium: login, every page, a filter, cancel and delete.

Screenshots of the pages are written on every run (to a temporary directory, or to
``docs/images/web-*.png`` with ``OQTOPUS_WRITE_SCREENSHOTS=1``, which is how the docs' images are
made).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from oqtopus_bridge.local import LocalServer

REPO = Path(__file__).parents[2]


@pytest.fixture
def shots_dir(tmp_path: Path) -> Path:
    if os.environ.get("OQTOPUS_WRITE_SCREENSHOTS") == "1":
        return REPO / "docs" / "images"
    return tmp_path


def _job_ids_on(page: Any) -> list[str]:
    return [row.get_attribute("data-job-id") for row in page.locator("tr[data-job-id]").all()]


def test_an_anonymous_browser_sees_only_the_login_page(
    anonymous: Any, server: LocalServer, jobs: dict[str, str]
) -> None:
    for path in ("/ui/jobs", f"/ui/jobs/{jobs['sampling']}", "/ui/devices", "/ui/devices/anemone"):
        response = anonymous.goto(server.url + path)
        assert response.status == 401
        assert anonymous.locator("#login").is_visible()
        body = anonymous.content()
        assert jobs["sampling"] not in body
        assert "anemone" not in body
    # The server root sends a browser to the web view, which asks it to log in.
    anonymous.goto(server.url + "/")
    assert anonymous.locator("#login h1").inner_text() == "Log in to the web view"


def test_the_login_link_sets_an_httponly_cookie_and_lands_on_a_clean_url(
    anonymous: Any, browser: Any, server: LocalServer, jobs: dict[str, str]
) -> None:
    link = server.ui_url
    assert server.token not in link
    anonymous.goto(link)
    anonymous.wait_for_url(server.url + "/ui/jobs")
    assert "code=" not in anonymous.url
    assert jobs["sampling"] in _job_ids_on(anonymous)
    (cookie,) = anonymous.context.cookies()
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert server.token not in cookie["value"]
    assert server.token not in anonymous.content()
    # The code worked once: a second browser with the same link is refused (after a page of
    # ours has looked for a session cookie once more).
    other = browser.new_context()
    try:
        again = other.new_page()
        again.goto(link)
        again.wait_for_url("**checked=1")
        assert "already used" in again.content()
        assert str(server.data_dir / "api_token") in again.content()
    finally:
        other.close()


def test_a_logged_in_browser_reopening_a_login_link_goes_straight_in(
    page: Any, server: LocalServer
) -> None:
    """Issue 24: the used link said "already used" to a browser whose session was valid."""
    used = server.ui_url
    assert requests.get(used, timeout=30).status_code == 200  # another client uses the code
    page.goto(used)  # typed or pasted: the cookie is sent
    page.wait_for_url(server.url + "/ui/jobs")
    assert page.locator("h1").inner_text() == "Jobs"
    # From a link on another site (localhost is another site than 127.0.0.1), the browser holds
    # the SameSite=Strict cookie back; our own page looks once more, and sends it.
    elsewhere = server.url.replace("127.0.0.1", "localhost")
    page.goto(elsewhere + "/ui/login")
    page.set_content(f'<a id="go" href="{used}">the printed link</a>')
    page.click("#go")
    page.wait_for_url(server.url + "/ui/jobs")
    assert page.locator("h1").inner_text() == "Jobs"


def test_the_api_token_form_logs_in_and_a_wrong_token_is_refused(
    anonymous: Any, server: LocalServer
) -> None:
    anonymous.goto(server.url + "/ui/login")
    anonymous.fill("#token", "not-the-token")
    anonymous.click("#login button")
    assert "not valid" in anonymous.locator("#login .error").inner_text()
    anonymous.fill("#token", server.token)
    anonymous.click("#login button")
    anonymous.wait_for_url(server.url + "/ui/jobs")
    assert anonymous.locator("h1").inner_text() == "Jobs"


def test_jobs_list_shows_the_columns_and_filters_by_text_and_status(
    page: Any, server: LocalServer, jobs: dict[str, str], shots_dir: Path
) -> None:
    headers = page.locator("table.jobs thead th").all_inner_texts()
    assert headers[:5] == ["Job ID", "Name", "Device", "Status", "Submitted at"]
    ids = _job_ids_on(page)
    assert set(jobs.values()) <= set(ids)
    assert ids.index(jobs["sse"]) < ids.index(jobs["sampling"])  # newest first
    status = page.locator(f'tr[data-job-id="{jobs["sampling"]}"] .status')
    assert status.inner_text() == "succeeded"
    assert "status-succeeded" in (status.get_attribute("class") or "")
    page.screenshot(path=str(shots_dir / "web-jobs.png"))

    page.fill('input[name="q"]', "bell")
    page.click('#job-filters button[type="submit"]')
    page.wait_for_url(re.compile(r".*q=bell.*"))
    assert sorted(_job_ids_on(page)) == sorted([jobs["sampling"], jobs["mitigated"]])

    page.select_option('select[name="status"]', "failed")
    page.click('#job-filters button[type="submit"]')
    assert _job_ids_on(page) == []
    page.select_option('select[name="status"]', "succeeded")
    page.select_option('select[name="window"]', "today")
    page.fill('input[name="q"]', "")
    page.click('#job-filters button[type="submit"]')
    assert set(jobs.values()) <= set(_job_ids_on(page))
    page.fill('input[name="since"]', "2099-01-01T00:00:00")
    page.select_option('select[name="window"]', "")
    page.click('#job-filters button[type="submit"]')
    assert _job_ids_on(page) == []  # nothing was submitted after 2099


def test_sampling_job_page_shows_fields_sorted_histogram_and_transpile_result(
    page: Any, server: LocalServer, jobs: dict[str, str], shots_dir: Path
) -> None:
    page.goto(f"{server.url}/ui/jobs/{jobs['mitigated']}")
    info = page.locator("#basic-info").inner_text()
    for text in (jobs["mitigated"], "bell on anemone, mitigated", "sampling", "anemone", "1000"):
        assert text in info
    assert "pseudo_inverse" in info
    title = page.locator("#histogram h2").inner_text()
    assert title == "Histogram after the mitigation"
    assert "classical bit 0 rightmost" in page.locator("#histogram .hint").inner_text()
    keys = page.locator("#histogram svg.histogram rect title").all_text_contents()
    names = [k.split(":")[0] for k in keys]
    assert names == sorted(names) and names
    assert all(not k.endswith(": 0") for k in keys)
    assert "OPENQASM 3" in page.locator("#input-program").inner_text()
    transpile = page.locator("#transpile-result").inner_text()
    assert "qubit_mapping" in transpile and "Transpiled program" in transpile
    page.screenshot(path=str(shots_dir / "web-job.png"), full_page=True)

    page.goto(f"{server.url}/ui/jobs/{jobs['sampling']}")
    assert page.locator("#histogram h2").inner_text() == "Histogram"
    bars = page.locator("#histogram svg.histogram rect title").all_text_contents()
    assert [b.split(":")[0] for b in bars] == ["00", "11"]  # an ideal Bell state: no 01, 10


def test_multi_manual_job_page_has_a_histogram_per_program(
    page: Any, server: LocalServer, jobs: dict[str, str]
) -> None:
    page.goto(f"{server.url}/ui/jobs/{jobs['multi_manual']}")
    titles = page.locator("#histogram .panel h3").all_inner_texts()
    assert titles == ["Program index 0", "Program index 1", "Combined program"]
    second = page.locator('[data-panel="Program index 1"] svg rect title').all_text_contents()
    assert [b.split(":")[0] for b in second] == ["10"]  # x q[1]: classical bit 1 set
    assert "OPENQASM" in page.locator("#combined-program").inner_text()
    assert "(Combined)" in page.locator("#transpile-result h2").inner_text()


def test_estimation_job_page_shows_the_value_and_its_standard_deviation(
    page: Any, server: LocalServer, jobs: dict[str, str]
) -> None:
    page.goto(f"{server.url}/ui/jobs/{jobs['estimation']}")
    text = page.locator("#estimation").inner_text()
    value, std = re.search(r"exp_value\s+(\S+) ± (\S+)", text).groups()  # type: ignore[union-attr]
    assert abs(float(value) - 1.0) < 1e-9  # <Z0 Z1> of a Bell state
    assert float(std) >= 0
    assert "standard deviation" in text


def test_sse_job_page_shows_the_log(page: Any, server: LocalServer, jobs: dict[str, str]) -> None:
    page.goto(f"{server.url}/ui/jobs/{jobs['sse']}")
    assert "hello from the SSE program" in page.locator("#sse-log pre").inner_text()
    with page.expect_download() as download:
        page.click("#sse-log a.button")
    assert "hello from the SSE program" in Path(download.value.path()).read_text()


def test_devices_table_and_device_topology(page: Any, server: LocalServer, shots_dir: Path) -> None:
    page.click("header nav >> text=Devices")
    headers = page.locator("table.devices thead th").all_inner_texts()
    assert headers[:5] == ["Device ID", "Status", "Qubits", "Type", "Pending jobs"]
    assert page.locator("tr[data-device-id]").count() == 3
    page.screenshot(path=str(shots_dir / "web-devices.png"))
    page.click("table.devices thead th >> text=Qubits")  # sortable, like the frontend's table
    qubits = page.locator("tr[data-device-id] td:nth-child(3)").all_inner_texts()
    assert qubits == sorted(qubits, key=int)
    assert page.locator("tr[data-device-id]").first.get_attribute("data-device-id") == "kawasaki"
    page.click('tr[data-device-id="anemone"] a')
    page.wait_for_url("**/ui/devices/anemone")
    assert page.locator("#device-info").inner_text().count("anemone") >= 1
    topology = page.locator("#topology svg.topology")
    assert topology.locator("g.qubit").count() == 16
    assert topology.locator("line.coupling").count() == 24  # a 4x4 grid
    legends = topology.locator("g.legend text").all_text_contents()
    assert any("readout error" in t for t in legends)
    assert any("2-qubit error" in t for t in legends)
    fills = {c.get_attribute("fill") for c in topology.locator("circle").all()}
    assert len(fills) > 1  # coloured by calibration, not uniform
    page.screenshot(path=str(shots_dir / "web-device.png"), full_page=True)
    page.click("text=1-qubit error")
    assert any("1-qubit error" in t for t in page.locator("g.legend text").all_text_contents())
    page.goto(f"{server.url}/ui/devices/qulacs")
    assert "no topology" in page.locator("#topology").inner_text()
    assert page.goto(f"{server.url}/ui/devices/nope").status == 404


def test_cancel_then_delete_from_the_jobs_list(
    page: Any, server: LocalServer, jobs: dict[str, str]
) -> None:
    held = requests.post(
        f"{server.url}/jobs", headers={"q-api-token": server.token}, timeout=30
    ).json()["job_id"]  # registered and never submitted: it stays cancellable
    page.goto(f"{server.url}/ui/jobs")
    row = page.locator(f'tr[data-job-id="{held}"]')
    assert row.locator("button.danger").count() == 0  # not deletable while unfinished
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button.warn").click()
    page.wait_for_url(re.compile(r".*notice=.*"))
    assert "cancelled" in page.locator(".notice").inner_text()
    assert row.locator(".status").inner_text() == "cancelled"
    page.once("dialog", lambda dialog: dialog.dismiss())  # asking first: dismiss keeps it
    row.locator("button.danger").click()
    assert row.count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button.danger").click()
    page.wait_for_url(re.compile(r".*deleted.*"))
    assert row.count() == 0
    status = requests.get(
        f"{server.url}/jobs/{held}", headers={"q-api-token": server.token}, timeout=30
    ).status_code
    assert status == 404


def test_forged_cancel_requests_are_refused(
    page: Any, server: LocalServer, jobs: dict[str, str]
) -> None:
    target = f"{server.url}/ui/jobs/{jobs['sampling']}/delete"
    # The browser's cookie but no form token (what a cross-site form could send at most).
    assert page.request.post(target, form={"next": "/ui/jobs"}).status == 403
    token = page.locator('input[name="csrf"]').first.get_attribute("value")
    forged = page.request.post(
        target, form={"csrf": token, "next": "/ui/jobs"}, headers={"Origin": "http://evil.test"}
    )
    assert forged.status == 403
    assert jobs["sampling"] in _job_ids_on(page)
