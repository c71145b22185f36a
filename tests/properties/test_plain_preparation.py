"""The transport's session prepares every request exactly as ``requests`` does (issue 23).

`oqtopus_bridge.preparation.PlainPreparer` builds plain requests from cached pieces; anything
else goes to ``requests``. Each example sends the same request through our session's
``prepare_request`` and through ``requests.Session.prepare_request`` on the same session, and
compares every part of the two prepared requests (or the two errors), over plain and unusual URLs,
bodies, session headers, cookies, auth, params, hooks and a ``~/.netrc`` entry.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any
from unittest import mock

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from oqtopus_bridge.transport import TOKEN_HEADER, build_session

_NETRC_HOST = "netrc.example"

origins = st.sampled_from(
    [
        "http://127.0.0.1:8080",
        "https://api.example.com",
        "http://API.Example.COM:80",
        "http://[::1]:9000",
        "https://a-b.example:443",
        "http://" + _NETRC_HOST,
        "http://user:pw@host.example",
        "HTTP://upper.example",
        "http://host..example",
        "http://.dot.example",
        "http://host.example:99999",
        " http://space.example",
    ]
)
segments = st.one_of(
    st.text(alphabet="abcXYZ019-_~.", min_size=1, max_size=8),
    st.sampled_from([".", "..", "", "a b", "%41", "%7e", "caf\u00e9", "a?b", "a#b", "x;y", "@"]),
)
paths = st.lists(segments, max_size=4).map(lambda parts: "".join("/" + part for part in parts))
queries = st.one_of(
    st.just(""),
    st.text(alphabet="az09=&-_.~", max_size=10).map(lambda query: "?" + query),
    st.sampled_from(["?a=%2F", "?a b", "?x=\u00e9", "?#f"]),
)
bodies = st.one_of(
    st.none(),
    st.dictionaries(st.text(max_size=4), st.integers() | st.text(max_size=4), max_size=3),
    st.lists(st.integers(), max_size=3),
    st.just({"bad": float("nan")}),
    st.just("a string"),
)
methods = st.sampled_from(["GET", "POST", "DELETE", "PUT", "HEAD", "get"])
extra_headers = st.sampled_from(
    [
        {},
        {"X-Extra": "1"},
        {"Content-Type": "text/plain"},
        {"Content-Length": "5"},
        {"Accept": None},
        {"X-Bad": "a\nb"},
        {"X-Bytes": b"v"},
    ]
)
session_states = st.fixed_dictionaries(
    {
        "headers": extra_headers,
        "cookie": st.booleans(),
        "auth": st.booleans(),
        "params": st.booleans(),
        "hook": st.booleans(),
        "trust_env": st.booleans(),
        "token": st.sampled_from([None, "secret"]),
    }
)
request_extras = st.fixed_dictionaries(
    {
        "headers": st.sampled_from(
            [
                None,
                {"X-Req": "1"},
                {"Prefer": "wait=1"},  # the client's held wait
                {"accept": "text/plain"},  # over the session's Accept, in another case
                {"X-Bad": "a\nb"},
                {"X-None": None},
                {"X-Bytes": b"v"},
            ]
        ),
        "params": st.sampled_from([None, {"q": "1"}]),
        "data": st.sampled_from([None, b"raw", {"f": "v"}, [("a", "1"), ("b", "2")]]),
        "files": st.sampled_from([None, {"file": ("f.zip", b"PK", "application/zip")}]),
        "cookies": st.sampled_from([None, {"c": "1"}]),
        "auth": st.sampled_from([None, ("u", "p")]),
    }
)


_NONE: dict[str, Any] = {
    "headers": None,
    "params": None,
    "data": None,
    "cookies": None,
    "auth": None,
    "hooks": None,
    "files": None,
}
_NONE_KEYS = tuple(_NONE)
_REQUEST_EXTRA: dict[str, Any] = {
    "headers": {"X-Req": "1"},
    "params": {"q": "1"},
    "data": [("key", "jobs/x/input.zip"), ("policy", "e30=")],
    "files": {"file": ("input.zip", b"PK\x03\x04 zip bytes", "application/zip")},
    "cookies": {"c": "1"},
    "auth": ("u", "p"),
    "hooks": {"response": [lambda response, **_: response]},
}


@pytest.fixture(autouse=True, scope="module")
def _netrc() -> Any:
    """A ``~/.netrc`` with an entry for one host, so the netrc branch is drawn too."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "netrc")
        with open(path, "w") as file:
            file.write(f"machine {_NETRC_HOST} login someone password secret\n")
        os.chmod(path, 0o600)
        old = os.environ.get("NETRC")
        os.environ["NETRC"] = path
        yield
        if old is None:
            os.environ.pop("NETRC", None)
        else:
            os.environ["NETRC"] = old


def _session(state: dict[str, Any]) -> requests.Session:
    session = build_session(token=state["token"])
    session.headers["Accept"] = "application/json"
    session.headers.update(state["headers"])
    session.trust_env = state["trust_env"]
    if state["cookie"]:
        session.cookies.set("sticky", "node-1")
    if state["auth"]:
        session.auth = ("user", "pass")
    if state["params"]:
        session.params = {"p": "1"}
    if state["hook"]:
        session.hooks["response"].append(lambda response, **_: response)
    return session


def _request(method: str, url: str, body: Any, extras: dict[str, Any]) -> requests.Request:
    """A request as ``Session.request`` builds it (``data or {}``, ``params or {}``)."""
    return requests.Request(
        method=method.upper(),
        url=url,
        headers=extras["headers"],
        data=extras["data"] or {},
        json=body,
        params=extras["params"] or {},
        auth=extras["auth"],
        cookies=extras["cookies"],
        hooks=extras.get("hooks"),
        files=extras.get("files"),
    )


def _parts(prepare: Any) -> Any:
    try:
        # A fixed multipart boundary: urllib3 draws a random one for every upload.
        with mock.patch("urllib3.filepost.choose_boundary", return_value="fixed-boundary"):
            prepared = prepare()
    except Exception as exc:  # noqa: BLE001 - compared, not hidden: both sides must raise alike
        return ("error", type(exc), str(exc))
    cookies = sorted((c.name, c.value, c.domain, c.path) for c in prepared._cookies)
    return (
        prepared.method,
        prepared.url,
        list(prepared.headers.items()),
        prepared.body,
        {event: len(hooks) for event, hooks in prepared.hooks.items()},
        cookies,
        type(prepared._cookies),
        prepared._body_position,
    )


def _compare(
    state: dict[str, Any], method: str, url: str, body: Any, extras: dict[str, Any]
) -> None:
    session = _session(state)
    ours = _parts(lambda: session.prepare_request(_request(method, url, body, extras)))
    reference = _parts(
        lambda: requests.Session.prepare_request(session, _request(method, url, body, extras))
    )
    assert ours == reference


@given(session_states, methods, origins, paths, queries, bodies)
def test_plain_requests_are_prepared_as_requests_does(
    state: dict[str, Any], method: str, origin: str, path: str, query: str, body: Any
) -> None:
    _compare(state, method, origin + path + query, body, _NONE)


@given(session_states, methods, origins, paths, bodies, request_extras)
def test_requests_with_their_own_settings_are_prepared_as_requests_does(
    state: dict[str, Any], method: str, origin: str, path: str, body: Any, extras: dict[str, Any]
) -> None:
    _compare(state, method, origin + path, body, extras)


plain_origins = st.sampled_from(
    [
        "http://127.0.0.1:8080",
        "https://api.example.com",
        "http://[::1]:9000",
        "http://" + _NETRC_HOST,
    ]
)
plain_paths = st.lists(st.text(alphabet="abc019-_~.", min_size=1, max_size=6), max_size=3).map(
    lambda parts: "".join("/" + part.lstrip(".") for part in parts) or "/"
)
#: One thing that makes a request or its session not plain; each is tried with plain URLs.
DEVIATIONS = ["none", "cookie", "auth", "params", "hook", "header", "bad-header", "trust-env"]


@pytest.mark.parametrize("deviation", [*DEVIATIONS, *_NONE_KEYS])
@given(method=methods, origin=plain_origins, path=plain_paths, query=queries, body=bodies)
def test_each_deviation_from_plain_is_prepared_as_requests_does(
    deviation: str, method: str, origin: str, path: str, query: str, body: Any
) -> None:
    state = {"headers": {}, "cookie": False, "auth": False, "params": False, "hook": False}
    state.update(trust_env=deviation == "trust-env", token="secret")
    state["cookie"], state["auth"] = deviation == "cookie", deviation == "auth"
    state["params"], state["hook"] = deviation == "params", deviation == "hook"
    if deviation in ("header", "bad-header"):
        state["headers"] = {"X-Extra": "1"} if deviation == "header" else {"X-Bad": " a"}
    extras = {**_NONE, **({deviation: _REQUEST_EXTRA[deviation]} if deviation in _NONE else {})}
    _compare(state, method, origin + path + query, body, extras)


def test_the_api_requests_of_a_job_take_the_plain_path() -> None:
    session = build_session(token="secret")
    session.trust_env = False
    for method, url, body in [
        ("POST", "http://127.0.0.1:8080/jobs", None),
        ("POST", "http://127.0.0.1:8080/jobs/01a2-b3/submit", {"device_id": "qulacs"}),
        ("GET", "http://127.0.0.1:8080/jobs/01a2-b3/status", None),
        (
            "GET",
            "http://127.0.0.1:8080/_storage/objects/01a2/result.zip?expires=1&signature=a-b_c",
            None,
        ),
    ]:
        request = _request(method, url, body, _NONE)
        prepared = session._plain.prepare(session, request)  # type: ignore[attr-defined]
        assert prepared is not None, url
        assert prepared.headers[TOKEN_HEADER] == "secret"
    held = _request("GET", "http://127.0.0.1:8080/jobs/01a2-b3", None, _NONE)
    held.headers = {"Prefer": "wait=1"}  # the wait for a job: its only request header
    prepared = session._plain.prepare(session, held)  # type: ignore[attr-defined]
    assert prepared is not None and prepared.headers["Prefer"] == "wait=1"
    upload = _request("POST", "http://127.0.0.1:8080/_storage/upload", None, _REQUEST_EXTRA)
    upload.headers = upload.params = upload.cookies = {}
    upload.auth, upload.hooks = None, {"response": []}
    assert session._plain.prepare(session, upload) is not None  # type: ignore[attr-defined]
