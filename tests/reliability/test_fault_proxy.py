"""The fault proxy itself: each fault has the effect the other reliability tests rely on."""

from __future__ import annotations

import json
import time

import pytest
import requests
from fault_proxy import FaultPlan, FaultProxy
from stub_http import Reply, StubServer


def _echo(method: str, path: str, body: bytes) -> Reply:
    payload = {"method": method, "path": path, "size": len(body)}
    return Reply(200, json.dumps(payload).encode())


@pytest.fixture
def upstream():
    routes = {
        "GET /url": lambda m, p, b: Reply(200, json.dumps({"u": stub.url}).encode()),
        "* *": _echo,
    }
    with StubServer(routes) as stub:
        yield stub


def _proxy(upstream: StubServer, *faults: str, **plan: object) -> FaultProxy:
    return FaultProxy(upstream.url, FaultPlan(script={"*": list(faults)}, **plan), lifetime_s=30)


def test_pass_forwards_and_rewrites_upstream_urls(upstream: StubServer) -> None:
    with _proxy(upstream) as proxy:
        response = requests.post(f"{proxy.url}/jobs?x=1", data=b"abc", timeout=5)
        assert response.json()["size"] == 3
        assert response.json()["path"] == "/jobs?x=1"
        assert requests.get(f"{proxy.url}/url", timeout=5).json() == {"u": proxy.url}


@pytest.mark.parametrize("fault", ["drop_before", "reset_upload"])
def test_faults_before_forwarding_never_reach_upstream(upstream: StubServer, fault: str) -> None:
    with _proxy(upstream, fault) as proxy, pytest.raises(requests.ConnectionError):
        requests.post(f"{proxy.url}/jobs", data=b"x" * 200_000, timeout=5)
    assert upstream.requests == []


def test_drop_after_reaches_upstream_but_loses_the_answer(upstream: StubServer) -> None:
    with _proxy(upstream, "drop_after") as proxy, pytest.raises(requests.ConnectionError):
        requests.post(f"{proxy.url}/jobs/1/submit", data=b"{}", timeout=5)
    assert upstream.requests == [("POST", "/jobs/1/submit")]


def test_truncate_cuts_the_body_short(upstream: StubServer) -> None:
    error = requests.exceptions.ChunkedEncodingError
    with _proxy(upstream, "truncate") as proxy, pytest.raises(error):
        requests.get(f"{proxy.url}/jobs/1", timeout=5)


def test_status_faults_answer_without_forwarding(upstream: StubServer) -> None:
    with _proxy(upstream, "status_429", "status_503", "status_500", retry_after_s=7) as proxy:
        first = requests.get(f"{proxy.url}/a", timeout=5)
        second = requests.get(f"{proxy.url}/a", timeout=5)
        third = requests.get(f"{proxy.url}/a", timeout=5)
        fourth = requests.get(f"{proxy.url}/a", timeout=5)
    assert (first.status_code, first.headers["Retry-After"]) == (429, "7")
    assert (second.status_code, third.status_code, fourth.status_code) == (503, 500, 200)
    assert upstream.requests == [("GET", "/a")]


def test_delay_is_bounded_and_forwards(upstream: StubServer) -> None:
    with _proxy(upstream, "delay", delay_s=(0.3, 0.3)) as proxy:
        start = time.monotonic()
        assert requests.get(f"{proxy.url}/a", timeout=5).status_code == 200
        # At least the injected delay (a lower bound holds on any machine; no upper bound does).
        assert time.monotonic() - start >= 0.3


def test_random_plan_is_seeded_and_counted(upstream: StubServer) -> None:
    draws = []
    for _ in range(2):
        plan = FaultPlan(probabilities={"status_503": 0.5}, seed=42)
        with FaultProxy(upstream.url, plan, lifetime_s=30) as proxy:
            draws.append([requests.get(f"{proxy.url}/a", timeout=5).status_code for _ in range(20)])
            assert proxy.injected() == draws[-1].count(503)
    assert draws[0] == draws[1]
    assert 3 < draws[0].count(503) < 17


def test_proxy_stops_by_itself(upstream: StubServer) -> None:
    proxy = FaultProxy(upstream.url, lifetime_s=0.3).__enter__()
    url = proxy.url
    assert proxy._timer is not None
    proxy._timer.join()  # the lifetime timer has fired and closed the proxy
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/a", timeout=2)


def test_retry_after_gaps_measure_the_wait(upstream: StubServer) -> None:
    with _proxy(upstream, "status_429") as proxy:
        requests.get(f"{proxy.url}/jobs/7/status", timeout=5)
        time.sleep(0.4)
        requests.get(f"{proxy.url}/jobs/7/status", timeout=5)
        [(label, gap)] = proxy.retry_after_gaps()
    assert label == "GET /jobs/7/status"
    assert gap >= 0.35
