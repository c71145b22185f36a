from __future__ import annotations

import copy
import inspect
import pickle
from typing import Any

import pytest
import requests
import requests.exceptions
import urllib3.exceptions
from urllib3.util.retry import Retry

from oqtopus_bridge import OqtopusConfig
from oqtopus_bridge.errors import (
    BackendError,
    ConfigError,
    ConnectError,
    RequestTimeout,
    TransportError,
)
from oqtopus_bridge.storage import Storage
from oqtopus_bridge.transport import (
    _EXCEPTION_MAP,
    RETRY_STATUSES,
    TOKEN_HEADER,
    USER_AGENT,
    Transport,
    default_retry,
    map_requests_errors,
)

REQUESTS_EXCEPTIONS = [
    cls
    for _, cls in inspect.getmembers(requests.exceptions, inspect.isclass)
    if issubclass(cls, requests.exceptions.RequestException)
]


def test_every_requests_exception_has_an_explicit_mapping() -> None:
    mapped = {foreign for foreign, _, _ in _EXCEPTION_MAP}
    assert set(REQUESTS_EXCEPTIONS) <= mapped


@pytest.mark.parametrize("cls", REQUESTS_EXCEPTIONS, ids=lambda c: c.__name__)
def test_every_requests_exception_is_translated(cls: type[Exception]) -> None:
    args = ("boom", "doc", 0) if cls is requests.exceptions.JSONDecodeError else ("boom",)
    original = cls(*args)
    with pytest.raises(BackendError) as info, map_requests_errors("GET /x"):
        raise original
    assert info.value.__cause__ is original
    expected = next(ours for foreign, ours, _ in _EXCEPTION_MAP if isinstance(original, foreign))
    assert type(info.value) is expected
    assert "GET /x" in str(info.value)


def test_specific_mappings() -> None:
    cases = {
        requests.exceptions.ConnectTimeout: ConnectError,
        requests.exceptions.ReadTimeout: RequestTimeout,
        requests.exceptions.ConnectionError: ConnectError,
        requests.exceptions.MissingSchema: ConfigError,
        requests.exceptions.ChunkedEncodingError: TransportError,
    }
    for foreign, ours in cases.items():
        with pytest.raises(ours), map_requests_errors("x"):
            raise foreign("e")


def test_exhausted_read_retries_are_timeouts_not_connect_errors() -> None:
    reason = urllib3.exceptions.ReadTimeoutError(None, "/x", "read timed out")  # type: ignore[arg-type]
    wrapped = requests.exceptions.ConnectionError(
        urllib3.exceptions.MaxRetryError(None, "/x", reason)
    )  # type: ignore[arg-type]
    with pytest.raises(RequestTimeout), map_requests_errors("GET /x"):
        raise wrapped
    dropped = urllib3.exceptions.ProtocolError("aborted")
    wrapped = requests.exceptions.ConnectionError(
        urllib3.exceptions.MaxRetryError(None, "/x", dropped)
    )  # type: ignore[arg-type]
    with pytest.raises(TransportError) as info, map_requests_errors("GET /x"):
        raise wrapped
    assert not isinstance(info.value, ConnectError)


def _increment(retry: Retry, method: str, **kw: object) -> Retry:
    return retry.increment(method=method, url="/jobs", **kw)  # type: ignore[arg-type]


def test_retry_policy_budgets_and_statuses() -> None:
    retry = default_retry()
    assert retry.connect == 3 and retry.read == 2 and retry.status == 3
    assert set(retry.status_forcelist or ()) == {429, 500, 502, 503, 504} == set(RETRY_STATUSES)
    assert retry.respect_retry_after_header
    assert not retry.raise_on_status
    assert retry.backoff_max == 10.0


def test_post_retried_on_connect_errors_only() -> None:
    retry = default_retry()
    connect_error = urllib3.exceptions.NewConnectionError(None, "refused")  # type: ignore[arg-type]
    assert _increment(retry, "POST", error=connect_error).connect == 2
    read_error = urllib3.exceptions.ReadTimeoutError(None, "/jobs", "slow")  # type: ignore[arg-type]
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):  # re-raised, not retried
        _increment(retry, "POST", error=read_error)
    assert not retry.is_retry("POST", 503)
    assert retry.is_retry("GET", 503)
    assert retry.is_retry("GET", 429)
    assert retry.is_retry("GET", 500)  # AWS standard mode retries 500 too
    assert not retry.is_retry("GET", 501)


def test_get_read_errors_exhaust_the_read_budget() -> None:
    retry = default_retry()
    read_error = urllib3.exceptions.ReadTimeoutError(None, "/jobs", "slow")  # type: ignore[arg-type]
    retry = _increment(retry, "GET", error=read_error)
    retry = _increment(retry, "GET", error=read_error)
    with pytest.raises(urllib3.exceptions.MaxRetryError):
        _increment(retry, "GET", error=read_error)


def test_backoff_grows_and_is_capped() -> None:
    retry = default_retry(backoff_factor=4.0)
    error = urllib3.exceptions.NewConnectionError(None, "refused")  # type: ignore[arg-type]
    backoffs = []
    for _ in range(3):
        retry = _increment(retry, "GET", error=error)
        backoffs.append(retry.get_backoff_time())
    assert backoffs == sorted(backoffs)
    assert max(backoffs) <= 10.0


def test_retry_after_is_honoured() -> None:
    retry = default_retry()
    response = urllib3.HTTPResponse(status=503, headers={"Retry-After": "7"})
    assert retry.get_retry_after(response) == 7


def test_session_headers_timeouts_and_proxy() -> None:
    config = OqtopusConfig("https://api.example/", "tok", "http://proxy:3128", read_timeout=12)
    transport = Transport(config)
    assert transport.session.headers[TOKEN_HEADER] == "tok"
    assert transport.session.headers["User-Agent"] == USER_AGENT
    assert transport.timeout == (10.0, 12.0)
    assert transport.proxies == {"http": "http://proxy:3128", "https": "http://proxy:3128"}
    assert transport.url_for("/jobs") == "https://api.example/jobs"
    storage = Storage(config, transport.base_url)
    assert TOKEN_HEADER not in storage.session.headers
    assert storage.proxies == transport.proxies
    assert "POST" in (storage.session.get_adapter("https://x").max_retries.allowed_methods or ())
    assert "POST" not in (
        transport.session.get_adapter("https://x").max_retries.allowed_methods or ()
    )


def test_credentials_in_the_url_are_sent_when_netrc_has_no_entry(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # requests sends a URL's user:password@ as Basic auth when ~/.netrc has no entry for the host;
    # the session's cached netrc answer must not hide it (issue 23's property test found it).
    netrc = tmp_path / "netrc"
    netrc.write_text("machine other.example login a password b\n")
    monkeypatch.setenv("NETRC", str(netrc))
    session = Transport(OqtopusConfig("http://user:pw@api.example", "tok")).session
    for _ in range(2):  # the first request fills the cache, the second one reads it
        prepared = session.prepare_request(requests.Request("GET", "http://user:pw@api.example/x"))
        assert prepared.headers["Authorization"] == "Basic dXNlcjpwdw=="


@pytest.mark.parametrize(
    "clone", [copy.copy, copy.deepcopy, lambda s: pickle.loads(pickle.dumps(s))]
)
def test_a_copied_or_pickled_session_still_prepares_requests(clone: Any) -> None:
    session = Transport(OqtopusConfig("http://127.0.0.1:9", "tok")).session
    request = requests.Request("GET", "http://127.0.0.1:9/jobs")
    copied = clone(session)
    assert copied.prepare_request(request).headers == session.prepare_request(request).headers


def test_empty_url_is_config_error() -> None:
    with pytest.raises(ConfigError, match="url is empty"):
        Transport(OqtopusConfig("", "t"))
