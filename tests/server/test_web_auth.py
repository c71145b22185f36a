"""Login codes, session cookies and form tokens of the web view (no HTTP)."""

from __future__ import annotations

from pathlib import Path

from oqtopus_bridge.local.web.auth import CODE_LIFETIME_S, UiAuth


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


def test_a_session_cookie_cannot_be_forged_or_reused_by_another_server(tmp_path: Path) -> None:
    auth = UiAuth(tmp_path / "a")
    cookie = auth.session("user-1")
    assert auth.session_user(cookie) == "user-1"
    user, expires, signature = cookie.split(".")
    assert auth.session_user(f"user-2.{expires}.{signature}") is None
    assert auth.session_user(f"{user}.9999999999.{signature}") is None
    assert UiAuth(tmp_path / "b").session_user(cookie) is None
    assert auth.session_user(None) is None
    assert auth.session_user("garbage") is None


def test_the_form_token_is_bound_to_the_session(tmp_path: Path) -> None:
    auth = UiAuth(tmp_path)
    one, two = auth.session("user-1"), auth.session("user-2")
    assert auth.check_csrf(one, auth.csrf_token(one))
    assert not auth.check_csrf(one, auth.csrf_token(two))
    assert not auth.check_csrf(one, None)
    assert not auth.check_csrf(one, "")
