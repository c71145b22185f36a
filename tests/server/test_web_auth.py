"""Login codes, sessions and form tokens of the web view: the pieces, then over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from local_testkit import Api

from oqtopus_bridge.local import LocalServer
from oqtopus_bridge.local.repository import Repository
from oqtopus_bridge.local.web.auth import CODE_LIFETIME_S, COOKIE, SESSION_LIFETIME_S, UiAuth


def test_a_login_code_works_once(tmp_path: Path) -> None:
    auth = UiAuth(tmp_path)
    code = auth.new_code("user-1")
    assert auth.redeem(code) == "user-1"
    assert auth.redeem(code) is None
    assert UiAuth(tmp_path).redeem(auth.new_code("user-2")) == "user-2"  # shared by processes


def test_an_expired_or_unknown_code_is_refused(tmp_path: Path) -> None:
    now = [1000.0]
    auth = UiAuth(tmp_path, clock=lambda: now[0])
    code = auth.new_code("user-1")
    now[0] += CODE_LIFETIME_S + 1
    assert auth.redeem(code) is None
    assert auth.redeem("made-up") is None
    assert auth.redeem("") is None
    assert list((tmp_path / "ui-codes").iterdir()) == []  # nothing left behind


def test_a_session_is_kept_on_the_server_and_cannot_be_forged(tmp_path: Path) -> None:
    now = [1000.0]
    auth, repo = UiAuth(tmp_path, clock=lambda: now[0]), Repository(tmp_path / "db.sqlite3")
    cookie = auth.open_session(repo, "user-1")
    assert auth.session_user(repo, cookie) == "user-1"
    assert auth.session_user(repo, cookie[:-1] + ("A" if cookie[-1] != "A" else "B")) is None
    assert auth.session_user(Repository(tmp_path / "other.sqlite3"), cookie) is None
    assert auth.session_user(repo, None) is None
    assert auth.session_user(repo, "garbage") is None
    assert auth.session_user(repo, "x" * 10_000) is None
    now[0] += SESSION_LIFETIME_S + 1
    assert auth.session_user(repo, cookie) is None  # expired


def test_the_form_token_is_bound_to_the_session(tmp_path: Path) -> None:
    auth, repo = UiAuth(tmp_path), Repository(tmp_path / "db.sqlite3")
    one, two = auth.open_session(repo, "user-1"), auth.open_session(repo, "user-2")
    assert auth.check_csrf(one, auth.csrf_token(one))
    assert not auth.check_csrf(one, auth.csrf_token(two))
    assert not auth.check_csrf(one, None)
    assert not auth.check_csrf(one, "")


# -- over HTTP (issue 21 item 10, issue 24 item 5) ---------------------------------------------


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with LocalServer(tmp_path_factory.mktemp("web")) as server:
        yield server


def _logged_in(server: LocalServer) -> requests.Session:
    """A browser that opened a fresh login link."""
    browser = requests.Session()
    assert browser.get(server.ui_url, timeout=30).status_code == 200
    assert browser.get(f"{server.url}/ui/jobs", timeout=30).status_code == 200
    return browser


def _with_token(server: LocalServer, token: str) -> requests.Session:
    """A browser that typed ``token`` into the login form."""
    browser = requests.Session()
    answer = browser.post(f"{server.url}/ui/login", data={"token": token}, timeout=30)
    assert answer.status_code == 200 and answer.url.endswith("/ui/jobs"), answer.text
    return browser


def _cookie(browser: requests.Session) -> str:
    value = browser.cookies.get(COOKIE, path="/ui")
    assert value
    return str(value)


def _replay(server: LocalServer, browser: requests.Session | str) -> int:
    """Status of the jobs page for a new client that sends a session cookie by hand."""
    cookie = browser if isinstance(browser, str) else _cookie(browser)
    headers = {"Cookie": f"{COOKIE}={cookie}"}
    return requests.get(f"{server.url}/ui/jobs", headers=headers, timeout=30).status_code


def _log_out(server: LocalServer, browser: requests.Session) -> None:
    page = browser.get(f"{server.url}/ui/jobs", timeout=30).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = browser.post(f"{server.url}/ui/logout", data={"csrf": csrf}, timeout=30)
    assert answer.url.endswith("/ui/login")


def test_a_cookie_is_refused_after_logout(web: LocalServer) -> None:
    browser, other = _logged_in(web), _logged_in(web)
    kept = _cookie(browser)  # a copy of the cookie (stolen, or kept by a careless client)
    _log_out(web, browser)
    assert _replay(web, kept) == 401
    assert _replay(web, other) == 200  # another browser's session is untouched


def test_a_cookie_is_refused_after_its_token_is_revoked(web: LocalServer) -> None:
    token, kept = web.add_user("revoked-web-user"), web.add_user("kept-web-user")
    browser, bystander = _with_token(web, token), _with_token(web, kept)
    linked = _logged_in(web)
    assert _replay(web, browser) == 200
    assert Api(web.url, token).delete("/api-token").status_code == 200
    assert _replay(web, browser) == 401
    assert browser.get(f"{web.url}/ui/jobs", timeout=30).status_code == 401
    assert _replay(web, bystander) == 200 and _replay(web, linked) == 200


def test_a_logged_in_browser_reopening_a_used_link_goes_straight_in(web: LocalServer) -> None:
    link = web.ui_url
    browser = requests.Session()
    assert browser.get(link, timeout=30).status_code == 200  # uses the code
    again = browser.get(link, timeout=30)
    assert again.status_code == 200 and again.url == f"{web.url}/ui/jobs", again.url
    fresh = web.ui_url
    assert browser.get(fresh, timeout=30).url == f"{web.url}/ui/jobs"
    assert requests.get(fresh, timeout=30).status_code == 200  # ...and left its code unused


def test_a_used_link_without_a_session_says_so_and_names_the_real_paths(web: LocalServer) -> None:
    link = web.ui_url
    requests.get(link, timeout=30)
    # A browser that sends no cookie may be one whose SameSite=Strict cookie was held back (a
    # link opened from another site): a page of our own looks once more, sending it.
    first = requests.get(link, timeout=30)
    refresh = re.search(r'http-equiv="refresh" content="0;url=([^"]+)"', first.text)
    assert first.status_code == 200 and refresh, first.text
    target = refresh.group(1).replace("&amp;", "&")
    assert target.endswith("&checked=1")
    answer = requests.get(web.url + target, timeout=30)
    assert answer.status_code == 401, answer.text
    assert "already used or has expired" in answer.text
    assert str(web.data_dir / "api_token") in answer.text
    assert f"oqtopus-bridge ui --data-dir {web.data_dir}" in answer.text
    assert "&lt;data dir&gt;" not in answer.text
