"""`ClientAdapter`'s shortcuts give what requests' ``HTTPAdapter`` gives (issue 23).

Real answers from a scripted server (with and without ``Set-Cookie``) are turned into responses by
both adapters; the connection pool and request line are compared for plain and unusual URLs, with
and without proxies. A sticky-session cookie set by a gateway is sent back on the next request.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import requests.adapters

from oqtopus_bridge.adapter import ClientAdapter
from oqtopus_bridge.transport import build_session

from .stub import Reply, Request, StubServer

URLS = [
    "http://127.0.0.1:8080/jobs/abc/status",
    "https://api.example.com/jobs?x=1",
    "http://host.example//double",
    "http://h.example/a%2Fb",
    "http://user:pw@h.example/x",
    "https://[::1]:9000/",
]
PROXIES: list[dict[str, str]] = [{}, {"http": "http://proxy:3128"}, {"all": "http://proxy:3128"}]


def _reply(request: Request) -> Reply:
    if request.path.startswith("/cookie"):
        return Reply(body={"ok": 1}, headers={"Set-Cookie": "node=n1; Path=/"})
    if request.path.startswith("/echo"):
        return Reply(body={"cookie": request.headers.get("Cookie")})
    return Reply(body={"status": "running"}, headers={"Content-Type": "application/json"})


def _response_parts(response: requests.Response) -> dict[str, Any]:
    parts = dict(vars(response))
    parts["cookies"] = sorted((c.name, c.value, c.domain, c.path) for c in response.cookies)
    parts["headers"] = list(response.headers.items())
    parts.pop("elapsed", None)  # set by the session, not the adapter
    return parts


@pytest.mark.parametrize("path", ["/jobs/x/status", "/cookie", "/echo"])
def test_built_responses_equal_requests_own(path: str) -> None:
    with StubServer(_reply) as server:
        adapter = ClientAdapter()
        prepared = requests.Request("GET", server.url + path).prepare()
        ours = adapter.send(prepared, stream=True, timeout=5)
        theirs = requests.adapters.HTTPAdapter.build_response(adapter, prepared, ours.raw)
        assert _response_parts(ours) == _response_parts(theirs)
        ours.close()


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("proxies", PROXIES)
def test_pools_and_request_lines_equal_requests_own(url: str, proxies: dict[str, str]) -> None:
    adapter = ClientAdapter()
    reference = requests.adapters.HTTPAdapter
    prepared = requests.Request("GET", url).prepare()
    assert adapter.request_url(prepared, proxies) == reference.request_url(
        adapter, prepared, proxies
    )
    ours = adapter.get_connection_with_tls_context(prepared, True, proxies)
    theirs = reference.get_connection_with_tls_context(adapter, prepared, True, proxies)
    assert ours is theirs  # the same pool of the same manager


def test_a_gateway_cookie_is_kept_and_sent_back() -> None:
    with StubServer(_reply) as server:
        session = build_session(token="t")
        session.get(server.url + "/cookie", timeout=5).close()
        assert session.cookies.get("node") == "n1"
        assert session.get(server.url + "/echo", timeout=5).json() == {"cookie": "node=n1"}
