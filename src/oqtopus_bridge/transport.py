"""HTTP transport for the OQTOPUS API: one keep-alive session, retries, timeouts, error mapping.

Every ``requests`` exception is translated to this package's errors in `map_requests_errors`,
the one place that does so (``raise ... from exc``). The retry policy is a mounted ``urllib3.Retry``
(`default_retry`): separate connect/read/status budgets, capped exponential backoff,
``Retry-After`` honoured, statuses 429/502/503/504, and POST retried only on connection errors (the
server never saw the request), never after the server may have acted.
"""

from __future__ import annotations

import contextlib
import email.utils
import errno
import ipaddress
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3.exceptions
from urllib3.util.retry import Retry

from oqtopus_bridge._version import __version__
from oqtopus_bridge.adapter import ClientAdapter
from oqtopus_bridge.config import OqtopusConfig
from oqtopus_bridge.deadline import Deadline, current_deadline, request_deadline
from oqtopus_bridge.errors import (
    APIError,
    BackendError,
    ConfigError,
    ConnectError,
    RequestTimeout,
    ResultError,
    TransportError,
)
from oqtopus_bridge.preparation import PlainPreparer

__all__ = [
    "TOKEN_HEADER",
    "USER_AGENT",
    "Transport",
    "UnreachableError",
    "FastFailRetry",
    "build_session",
    "check_base_url",
    "connection_hint",
    "default_retry",
    "map_requests_errors",
]

logger = logging.getLogger(__name__)

TOKEN_HEADER = "q-api-token"
USER_AGENT = f"oqtopus-bridge/{__version__}"
#: Statuses after which a request the server did not act on is sent again. 500 is included, as in
#: the AWS SDKs' standard retry mode: OQTOPUS answers 500 for transient faults behind its gateway.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

# Most specific first: the first isinstance match wins. Every class of requests.exceptions that is
# an exception appears here (a unit test enforces it), so no foreign error escapes our hierarchy.
_EXCEPTION_MAP: tuple[tuple[type[Exception], type[BackendError], str], ...] = (
    (requests.exceptions.ConnectTimeout, ConnectError, "timed out connecting to"),
    (requests.exceptions.ReadTimeout, RequestTimeout, "no response in time from"),
    (requests.exceptions.Timeout, RequestTimeout, "timed out talking to"),
    (requests.exceptions.ProxyError, ConnectError, "the proxy failed for"),
    (requests.exceptions.SSLError, ConnectError, "TLS failed for"),
    (requests.exceptions.ConnectionError, ConnectError, "could not connect to"),
    (requests.exceptions.RetryError, TransportError, "retries exhausted for"),
    (requests.exceptions.TooManyRedirects, TransportError, "too many redirects for"),
    (requests.exceptions.ChunkedEncodingError, TransportError, "truncated response from"),
    (requests.exceptions.ContentDecodingError, TransportError, "undecodable response from"),
    (requests.exceptions.StreamConsumedError, TransportError, "stream already consumed for"),
    (requests.exceptions.UnrewindableBodyError, TransportError, "cannot resend the body to"),
    (requests.exceptions.JSONDecodeError, TransportError, "invalid JSON from"),
    (requests.exceptions.InvalidJSONError, ConfigError, "cannot encode the request body for"),
    (requests.exceptions.MissingSchema, ConfigError, "the URL lacks http(s):// in"),
    (requests.exceptions.InvalidSchema, ConfigError, "unsupported URL scheme in"),
    (requests.exceptions.InvalidProxyURL, ConfigError, "invalid proxy URL for"),
    (requests.exceptions.InvalidURL, ConfigError, "invalid URL in"),
    (requests.exceptions.InvalidHeader, ConfigError, "invalid header value for"),
    (requests.exceptions.URLRequired, ConfigError, "no URL given for"),
    (requests.exceptions.HTTPError, TransportError, "HTTP error from"),
    (requests.exceptions.RequestException, TransportError, "request failed:"),
)


@contextlib.contextmanager
def map_requests_errors(context: str) -> Iterator[None]:
    """Translate any ``requests`` exception raised inside the block into a `BackendError`.

    Args:
        context: What was being done, e.g. ``"GET /jobs/abc"``; it starts the error message.

    Raises:
        BackendError: The most specific subclass for the ``requests`` error, chained with ``from``.
    """
    try:
        yield
    except requests.exceptions.RequestException as exc:
        refined = _exhausted_read_error(exc)
        if refined is not None:
            raise refined(f"{context}: {_describe(exc)}") from exc
        hint = connection_hint(exc)
        if hint is not None:
            raise UnreachableError(f"could not connect to {context}: {hint}") from exc
        for foreign, ours, what in _EXCEPTION_MAP:
            if isinstance(exc, foreign):
                raise ours(f"{what} {context}: {_describe(exc)}") from exc
        raise TransportError(f"{context}: {_describe(exc)}") from exc  # pragma: no cover


def _exhausted_read_error(exc: BaseException) -> type[BackendError] | None:
    """Refine requests' ``ConnectionError`` raised when read retries ran out.

    requests reports a ``MaxRetryError`` as ``ConnectionError`` even when the cause was a read
    timeout or a dropped response, which are not connection failures.
    """
    if not isinstance(exc, requests.exceptions.ConnectionError) or isinstance(
        exc,
        (requests.exceptions.Timeout, requests.exceptions.ProxyError, requests.exceptions.SSLError),
    ):
        return None
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(reason, urllib3.exceptions.ReadTimeoutError):
        return RequestTimeout
    if isinstance(reason, urllib3.exceptions.ProtocolError):
        return TransportError
    return None


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, its ``reason`` (urllib3's MaxRetryError), its args and its cause/context chain."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        item = pending.pop(0)
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        reason = getattr(item, "reason", None)
        pending.append(reason if isinstance(reason, BaseException) else None)
        pending.extend(arg for arg in item.args if isinstance(arg, BaseException))
        pending.extend((item.__cause__, item.__context__))


def _failed_url(exc: BaseException) -> str:
    """The scheme://host:port the failed request went to, from urllib3's connection, or ''."""
    for item in _causes(exc):
        conn = getattr(item, "conn", None) or getattr(item, "pool", None)
        host = getattr(conn, "host", None)
        if host:
            scheme = getattr(conn, "scheme", None) or (
                "https" if "HTTPS" in type(conn).__name__ else "http"
            )
            port = getattr(conn, "port", None)
            default = {"http": 80, "https": 443}.get(scheme)
            return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None)
    if url:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"
    return ""


class UnreachableError(ConnectError):
    """No connection could be made, for a reason that asking again at once does not change.

    A refused connection, a host name that does not resolve, or TLS spoken to a plain-HTTP server.
    urllib3's connect budget was already spent (or skipped, see `FastFailRetry`), so the layers
    above do not retry it. Other connection failures, such as a connection dropped mid-request,
    stay plain `ConnectError`s and keep their retries.
    """


#: What to do when the server cannot be reached; every "could not connect" message ends with it.
CONNECT_ADVICE = (
    "is the server running? Start a local one with 'oqtopus-bridge serve', or check the URL "
    "(--url, OQTOPUS_URL or url= in ~/.oqtopus)"
)


def connection_hint(exc: BaseException) -> str | None:
    """A plain-language explanation of a connection failure, or None if it is not a known kind.

    Recognizes a refused connection (nothing listens on that port), a host name that does not
    resolve, and TLS spoken to a plain-HTTP server, and names the URL and what to check.

    Args:
        exc: A ``requests`` exception (or anything with urllib3 errors in its chain).

    Returns:
        One sentence naming the URL and the next step, or None.
    """
    url = _failed_url(exc) or "the server"
    for item in _causes(exc):
        if isinstance(item, ConnectionRefusedError) or (
            isinstance(item, OSError) and item.errno == errno.ECONNREFUSED
        ):
            return f"connection refused by {url}: nothing is listening there; {CONNECT_ADVICE}"
        if isinstance(item, (socket.gaierror, urllib3.exceptions.NameResolutionError)):
            host = urlsplit(url).hostname or url
            return (
                f"the host name {host!r} of {url} does not resolve; check the URL for a typo "
                "(--url, OQTOPUS_URL or url= in ~/.oqtopus) and your network or proxy settings"
            )
        if "WRONG_VERSION_NUMBER" in str(item) or "wrong version number" in str(item):
            plain = url.replace("https://", "http://", 1)
            return (
                f"TLS failed with {url}: the server does not speak https there; if it is a plain "
                f"HTTP server such as 'oqtopus-bridge serve', use {plain}"
            )
    return None


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(
        ".localhost"
    ):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class FastFailRetry(Retry):
    """``urllib3.Retry`` that gives up at once when retrying cannot help.

    A refused connection to a loopback host (the local server is not running, or the port is
    wrong) and a host name that does not exist fail the same way every time, so waiting through the
    backoff only delays the message. Every other failure follows the normal budget.
    """

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Retry:
        """Give up at once when `_gives_up_at_once` or the request's deadline has passed."""
        if error is not None and _gives_up_at_once(error, getattr(_pool, "host", None)):
            raise urllib3.exceptions.MaxRetryError(_pool, url or "", error) from error
        deadline = current_deadline()
        if deadline is not None and deadline.expired:
            raise urllib3.exceptions.MaxRetryError(_pool, url or "", error) from error
        return super().increment(method, url, response, error, _pool, _stacktrace)


def _gives_up_at_once(error: BaseException, host: str | None) -> bool:
    for item in _causes(error):
        if isinstance(item, ConnectionRefusedError) and _is_loopback(host):
            return True
        if isinstance(item, socket.gaierror) and item.errno == socket.EAI_NONAME:
            return True
    return False


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:500]


_T = TypeVar("_T")

#: Methods whose request can be sent again without changing anything on the server.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

#: Extra attempts, on top of urllib3's budget, for an idempotent request that failed fast (a
#: dropped connection, a body cut short). Fast failures cost little time, and a lost result can
#: cost hours of queue, so the budget is generous; a timeout is never retried by this layer.
BODY_RETRIES = 5


class TruncatedBodyError(TransportError):
    """The response headers arrived but the body was cut short or could not be decoded."""


def retry_truncated(
    action: Callable[[], _T],
    *,
    retries: int = BODY_RETRIES,
    sleep: Callable[[float], None] = time.sleep,
) -> _T:
    """Run an idempotent ``action`` again after a fast transport failure.

    urllib3's ``Retry`` covers connection errors and statuses within its budget, but not a body
    that breaks off after the headers (a dropped connection mid-response, a proxy that truncates):
    requests raises that while reading the content, after the retry machinery has returned. This
    adds a few attempts for such failures and for a dropped connection that outlasted urllib3's
    budget. A timeout or an unreachable server is not retried here (a timeout already cost the full
    read timeout; an unreachable server already had urllib3's connect budget). Only idempotent
    reads may be repeated this way.

    Raises:
        TransportError: If every attempt failed.
    """
    for attempt in range(retries + 1):
        try:
            return action()
        except TransportError as exc:
            # An unreachable server already had urllib3's connect budget (or failed for good,
            # e.g. refused on loopback): repeating it would only delay the message.
            if attempt == retries or isinstance(exc, (RequestTimeout, UnreachableError)):
                raise
            logger.info("%s; retrying (%d/%d)", exc, attempt + 1, retries)
            sleep(min(0.1 * 2**attempt, 1.0))
    raise AssertionError("unreachable")  # pragma: no cover


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


#: Largest response body read from the API or storage. Job and device answers are kilobytes and
#: result zips are capped at 10 MiB by OQTOPUS engines; a larger body is refused, not buffered.
MAX_BODY_BYTES = 64 * 2**20


def read_capped(response: requests.Response, context: str) -> bytes:
    """Read a streamed response body, refusing more than `MAX_BODY_BYTES`; close it.

    Raises:
        ResultError: If the body (declared or actual) is larger than the cap. Not a transport
            failure: asking again would fetch the same oversized body, so nothing retries it.
    """
    too_big = ResultError(
        f"{context}: the response is larger than {MAX_BODY_BYTES // 2**20} MiB; refusing it "
        "(raise oqtopus_bridge.transport.MAX_BODY_BYTES if such answers are expected)"
    )
    try:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise too_big
        if declared.isdigit() and not response.headers.get("Content-Encoding"):
            return _read_declared(response)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=2**20):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise too_big
        return b"".join(chunks)
    finally:
        response.close()


def _read_declared(response: requests.Response) -> bytes:
    """The body of an unencoded answer with a ``Content-Length`` (at most the cap), in one read.

    ``iter_content`` would read it in one chunk too, through two generators (issue 23: 8% of a
    status poll's client CPU). The errors are mapped as ``Response.iter_content`` maps them, so a
    body cut short is still requests' ``ChunkedEncodingError``.
    """
    try:
        content: bytes = response.raw.read()  # bounded by the Content-Length, checked first
    except urllib3.exceptions.ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from exc
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from exc
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.exceptions.ConnectionError(exc) from exc
    except urllib3.exceptions.SSLError as exc:
        raise requests.exceptions.SSLError(exc) from exc
    return content


@contextlib.contextmanager
def flag_truncated_body(context: str) -> Iterator[None]:
    """Turn requests' errors for a broken-off body into `TruncatedBodyError`."""
    try:
        yield
    except (
        requests.exceptions.ChunkedEncodingError,
        requests.exceptions.ContentDecodingError,
    ) as exc:
        raise TruncatedBodyError(f"truncated response from {context}: {_describe(exc)}") from exc


def default_retry(
    *, connect: int = 3, read: int = 2, status: int = 3, backoff_factor: float = 0.25
) -> Retry:
    """Return the retry policy mounted on every session.

    Args:
        connect: Retries after connection errors (safe for every method: the server saw nothing).
        read: Retries after read errors, idempotent methods only.
        status: Retries after 429/500/502/503/504 answers, idempotent methods only.
        backoff_factor: First backoff in seconds, doubling per retry and capped at 10 s.

    Returns:
        A ``urllib3.Retry`` value object.
    """
    return FastFailRetry(
        total=None,
        connect=connect,
        read=read,
        status=status,
        other=0,
        redirect=5,
        allowed_methods=Retry.DEFAULT_ALLOWED_METHODS,  # excludes POST: see module docstring
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        backoff_max=10.0,
        respect_retry_after_header=True,
        retry_after_max=60,
        raise_on_status=False,  # the final error response becomes an APIError with its body
    )


def deadline_error(context: str, deadline: Deadline) -> RequestTimeout:
    """The error of a request that outlived its deadline (issue 21: a server that drips bytes)."""
    return RequestTimeout(
        f"{context}: no complete answer within the deadline of {deadline.seconds:g} s (the server "
        "sent too slowly, or stopped sending without closing the connection); try again later, or "
        "allow more time with OqtopusConfig(deadline=...)"
    )


@contextlib.contextmanager
def deadline_errors(context: str, deadline: Deadline | None) -> Iterator[None]:
    """Turn the outcome of a request whose deadline passed into `deadline_error`.

    Also when no error surfaced: a connection cut while the headers arrived can look like a
    complete, empty answer to ``http.client``.
    """
    try:
        yield
    except BackendError as exc:
        if deadline is not None and deadline.expired:
            raise deadline_error(context, deadline) from exc
        raise
    if deadline is not None and deadline.expired:
        raise deadline_error(context, deadline)


class _NoAuth(requests.auth.AuthBase):
    """Leaves a request as it is: what a host without a ``~/.netrc`` entry gets."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


_NO_AUTH = _NoAuth()


def _merge(request: Any, session: Any) -> Any:
    """``requests.sessions.merge_setting`` for the plain values the transport passes.

    The same result; requests' own checks each value against runtime protocols, which cost more
    than the merge. Anything but plain dicts and scalars goes to requests' function.
    """
    if session is None:
        return request
    if request is None:
        return session
    if type(request) is dict and type(session) is dict:
        merged = {**session, **request}
        return {key: value for key, value in merged.items() if value is not None}
    if isinstance(request, (bool, str)) and isinstance(session, (bool, str)):
        return request
    merge: Callable[[Any, Any], Any] = requests.sessions.merge_setting  # untyped in requests
    return merge(request, session)


class _TokenSession(requests.Session):
    """A session that drops the API token on cross-host redirects and reads the environment once.

    ``requests`` looks up proxy variables (``HTTP_PROXY``, ``NO_PROXY``, ...) and CA bundles
    (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``) in ``os.environ`` on every request, walking the
    whole environment twice: 0.15-0.25 ms of CPU per request, a fifth of a status poll (issue 23).
    This session reads them once per scheme and host, the first time (the API host when the client
    is created), with the same precedence as ``requests``: explicit per-request proxies, then the
    environment, then ``session.proxies``. ``trust_env = False`` turns the environment off as usual.
    """

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[tuple[str, str, str | None], tuple[dict[str, str], Any]] = {}
        self._netrc: dict[tuple[str, str], Any] = {}
        self._plain = PlainPreparer()

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle (or copy) with empty caches: requests pickles only its own attributes."""
        super().__setstate__(state)  # type: ignore[misc]  # exists at runtime, not in the stubs
        self._environment = {}
        self._netrc = {}
        self._plain = PlainPreparer()

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        """``requests.Session.prepare_request`` with ``~/.netrc`` read once per host, not per call.

        ``requests`` stats ``~/.netrc`` and ``~/_netrc`` on every request; the answer for a host
        is kept here, and a host without an entry gets a do-nothing auth so requests skips its
        own look-up (the prepared request is the same). A plain request (no cookies, auth, hooks,
        params or per-request headers; see `oqtopus_bridge.preparation`) is then prepared from
        what is the same for every request to its host, as requests would prepare it.
        """
        if self.trust_env and not request.auth and not self.auth and request.url:
            parts = urlsplit(str(request.url))
            key = (parts.scheme, parts.netloc)
            if key not in self._netrc:
                self._netrc[key] = requests.utils.get_netrc_auth(str(request.url)) or _NO_AUTH
            # Without a ~/.netrc entry, requests takes the URL's own user:password@ (if any).
            if self._netrc[key] is not _NO_AUTH or "@" not in parts.netloc:
                request.auth = self._netrc[key]
        prepared = self._plain.prepare(self, request, no_auth=_NO_AUTH)
        return prepared if prepared is not None else super().prepare_request(request)

    def environment_for(self, url: str, no_proxy: str | None = None) -> tuple[dict[str, str], Any]:
        """The environment's proxies for ``url`` and its CA bundle, read once per host."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, no_proxy)
        found = self._environment.get(key)
        if found is None:
            proxies = requests.utils.get_environ_proxies(url, no_proxy=no_proxy)
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            found = self._environment[key] = (proxies, bundle)
        return found

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        """``requests.Session.merge_environment_settings`` with the environment read once."""
        if not self.trust_env:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        no_proxy = proxies.get("no_proxy") if proxies is not None else None
        env_proxies, bundle = self.environment_for(url, no_proxy)
        if proxies is not None:
            for scheme, proxy in env_proxies.items():
                proxies.setdefault(scheme, proxy)
        if (verify is True or verify is None) and bundle:
            verify = bundle
        return {
            "proxies": _merge(proxies, self.proxies),
            "stream": _merge(stream, self.stream),
            "verify": _merge(verify, self.verify),
            "cert": _merge(cert, self.cert),
        }

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: Any) -> None:
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]
        old = urlsplit(response.request.url).netloc
        new = urlsplit(prepared_request.url).netloc
        if old != new:
            prepared_request.headers.pop(TOKEN_HEADER, None)


def build_session(retry: Retry | None = None, *, token: str | None = None) -> requests.Session:
    """Return a keep-alive session with ``retry`` mounted on http and https and our User-Agent.

    Args:
        retry: The retry policy; `default_retry` when None.
        token: API token to send as ``q-api-token``; None for storage sessions.

    Returns:
        A configured ``requests.Session``.
    """
    session = _TokenSession()
    adapter = ClientAdapter(
        max_retries=retry or default_retry(), pool_connections=4, pool_maxsize=32
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    if token:
        session.headers[TOKEN_HEADER] = token
    return session


#: API paths that exist on every OQTOPUS server: a 404 on one of them means a wrong base URL.
_COLLECTIONS = frozenset({"/devices", "/jobs"})


def check_base_url(url: str) -> None:
    """Refuse a base URL without ``http://`` or ``https://``, saying what to write instead.

    Args:
        url: The configured base URL.

    Raises:
        ConfigError: If the URL has no http(s) scheme or no host.
    """
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return
    if parts.scheme in ("http", "https"):
        raise ConfigError(f"the OQTOPUS URL {url!r} has no host; write it as http://HOST:PORT")
    bare = url.split("://", 1)[-1]
    raise ConfigError(
        f"the OQTOPUS URL {url!r} does not start with http:// or https://; write it as "
        f"http://{bare} (a local server) or https://{bare} (--url, OQTOPUS_URL or url= in "
        "~/.oqtopus)"
    )


def wrong_base_hint(base_url: str, path: str) -> str:
    """The hint added to a 404 on a path every OQTOPUS API has: the base URL is probably wrong."""
    parts = urlsplit(base_url)
    root = f"{parts.scheme}://{parts.netloc}"
    extra = (
        f"; try dropping the path {parts.path!r} (e.g. {root})"
        if parts.path not in ("", "/")
        else ""
    )
    return (
        f" (no OQTOPUS API at {base_url}: every OQTOPUS server answers {path}, so the base URL "
        f"is probably wrong{extra}; check --url, OQTOPUS_URL or url= in ~/.oqtopus)"
    )


class Transport:
    """Sends requests to the OQTOPUS user API and returns parsed JSON.

    Thread-safe for concurrent requests (``requests.Session`` connection pools are), so one
    transport can serve a thread pool of submissions.

    Args:
        config: The connection settings.
        retry: Retry policy; `default_retry` when None.
    """

    def __init__(self, config: OqtopusConfig, *, retry: Retry | None = None) -> None:
        if not config.url:
            raise ConfigError(
                "the OQTOPUS url is empty; set url in ~/.oqtopus, OQTOPUS_URL, "
                "or OqtopusConfig(url=...)"
            )
        check_base_url(config.url)
        self.base_url = config.url.rstrip("/")
        self.session = build_session(retry, token=config.api_token)
        self.session.headers["Accept"] = "application/json"
        self.timeout = (config.connect_timeout, config.read_timeout)
        self.deadline = config.deadline
        # Passed per request: requests lets environment proxies override session.proxies.
        self.proxies = {"http": config.proxy, "https": config.proxy} if config.proxy else {}
        if isinstance(self.session, _TokenSession):
            self.session.environment_for(self.base_url)  # the environment as it is now

    def url_for(self, path: str) -> str:
        """Return the absolute URL of an API ``path`` such as ``/jobs``."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """Send one request and return its parsed JSON body (None for an empty body).

        Args:
            method: HTTP method.
            path: API path relative to the base URL.
            json_body: JSON-serializable body, or None for no body.
            params: Query parameters.

        Returns:
            The decoded JSON, or None when the body is empty.

        Raises:
            APIError: The server answered with HTTP >= 400 (subclass by status).
            TransportError: No usable answer (connection, timeout, malformed body).
            ConfigError: The URL or proxy is unusable.
        """
        return self.exchange(method, path, json_body=json_body, params=params)[0]

    def exchange(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[Any, Mapping[str, str]]:
        """`request` with extra request headers, returning the answer's headers too.

        Returns:
            The decoded JSON (None for an empty body) and the response headers.
        """
        context = f"{method} {path}"
        kwargs: dict[str, Any] = {"timeout": self.timeout, "params": params}
        if self.proxies:
            kwargs["proxies"] = self.proxies
        if json_body is not None:
            kwargs["json"] = json_body
        if headers:
            kwargs["headers"] = headers

        with request_deadline(self.deadline) as deadline:

            def once() -> tuple[Any, Mapping[str, str]]:
                with deadline_errors(context, deadline):
                    return self._request_once(method, path, context, kwargs)

            if method.upper() in IDEMPOTENT_METHODS:
                return retry_truncated(once)
            return once()

    def _request_once(
        self, method: str, path: str, context: str, kwargs: dict[str, Any]
    ) -> tuple[Any, Mapping[str, str]]:
        with map_requests_errors(context), flag_truncated_body(context):
            response = self.session.request(method, self.url_for(path), stream=True, **kwargs)
            content = read_capped(response, context)
        logger.debug("%s -> %s", context, response.status_code)
        if response.status_code >= 400:
            error = APIError.from_response(
                response.status_code,
                content,
                context=context,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
            if response.status_code == 404 and path.rstrip("/") in _COLLECTIONS:
                # A collection is never missing on an OQTOPUS API: the base URL is wrong.
                error = type(error)(
                    error.status_code,
                    f"{error.message}{wrong_base_hint(self.base_url, path)}",
                    error.body,
                    context=context,
                    retry_after=error.retry_after,
                )
            raise error
        if not content.strip():
            return None, response.headers
        try:
            return json.loads(content), response.headers
        except RecursionError as exc:
            raise ResultError(
                f"{context}: HTTP {response.status_code} but the JSON body is nested too deeply to "
                "decode; the server (or a proxy in front of it) sent a malformed answer"
            ) from exc
        except ValueError as exc:
            declared = response.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) != len(content):
                raise TruncatedBodyError(f"truncated response from {context}") from exc
            raise TransportError(
                f"{context}: HTTP {response.status_code} but the body is not JSON "
                f"({content[:80]!r}); is the url pointing at the OQTOPUS API?"
            ) from exc

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()
