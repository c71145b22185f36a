"""``serve --mirror`` sends the cloud's API token to the cloud only (issue 21, item 8).

The "cloud" is a stub that redirects ``GET /devices/anemone`` elsewhere; the stub it redirects to
records what it receives. requests itself drops only ``Authorization`` on such redirects.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from stub_http import Reply, StubServer

from oqtopus_bridge.local.mirror import fetch_device

TOKEN = "cloud-token-never-elsewhere"
DEVICE = {
    "device_id": "anemone",
    "device_type": "QPU",
    "device_info": json.dumps({"qubits": [{"id": 0}], "couplings": []}),
}


def _device(method: str, path: str, body: bytes) -> Reply:
    return Reply(200, json.dumps(DEVICE).encode())


def _redirect_to(target: Callable[[], str]) -> Callable[[str, str, bytes], Reply]:
    def handler(method: str, path: str, body: bytes) -> Reply:
        return Reply(302, headers={"Location": f"{target()}/devices/anemone"})

    return handler


def _tokens(stub: StubServer) -> list[str | None]:
    return [
        next((v for k, v in headers.items() if k.lower() == "q-api-token"), None)
        for _, _, headers in stub.received
    ]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"], ids=["port-change", "host-change"])
def test_a_redirect_to_another_origin_never_carries_the_token(host: str, tmp_path: Path) -> None:
    with StubServer({"GET /devices/*": _device}) as elsewhere:
        other = elsewhere.url.replace("127.0.0.1", host)
        with StubServer({"GET /devices/*": _redirect_to(lambda: other)}) as cloud:
            entry = fetch_device(cloud.url, TOKEN, "anemone")
            assert _tokens(cloud) == [TOKEN]  # the cloud itself gets it
        assert elsewhere.received, "the redirect was not followed"
        assert _tokens(elsewhere) == [None]
        assert TOKEN not in json.dumps(elsewhere.received)
    assert entry["device_id"] == "anemone"


def test_a_redirect_within_the_cloud_keeps_the_token() -> None:
    routes: dict[str, Callable[[str, str, bytes], Reply]] = {"GET /v2/devices/*": _device}
    with StubServer(routes) as cloud:
        routes["GET /devices/*"] = lambda m, p, b: Reply(
            302, headers={"Location": f"{cloud.url}/v2/devices/anemone"}
        )
        fetch_device(cloud.url, TOKEN, "anemone")
        assert [path for _, path, _ in cloud.received] == [
            "/devices/anemone",
            "/v2/devices/anemone",
        ]
        assert _tokens(cloud) == [TOKEN, TOKEN]


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("https://cloud.example/devices/anemone", False),  # scheme change, even an upgrade
        ("http://cloud.example:8080/devices/anemone", False),  # port change
        ("http://CLOUD.example:80/v2/devices/anemone", True),  # the same origin, spelled out
    ],
)
def test_any_scheme_host_or_port_change_drops_the_token(target: str, kept: bool) -> None:
    from oqtopus_bridge.local.mirror import _CloudSession

    session = _CloudSession("http://cloud.example", TOKEN)
    previous = requests.Response()
    previous.request = requests.Request("GET", "http://cloud.example/devices/anemone").prepare()
    redirected = requests.Request("GET", target, headers={"q-api-token": TOKEN}).prepare()
    session.rebuild_auth(redirected, previous)
    assert ("q-api-token" in redirected.headers) is kept
