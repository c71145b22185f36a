"""Cheap preparation of a session's plain requests, equal to what ``requests`` prepares (issue 23).

``requests.Session.prepare_request`` merges the session's settings into every request: it copies
and validates the headers, parses, checks and re-quotes the URL, builds and merges cookie jars and
merges the hooks, about a fifth of the client's CPU per API call. For the requests this client
sends (a known origin, a path of plain characters, no params, cookies or auth, at most a plain
string header of its own such as ``Prefer``), most of that work gives the same answer every time.
`PlainPreparer` keeps those answers (the prepared origin, the validated session headers) and
builds the ``PreparedRequest`` from them, calling ``requests``' own ``prepare_method`` and
``prepare_body`` for the rest (so a JSON body, a form or a multipart upload is encoded by
``requests`` itself).

Anything else goes to ``requests``: a session with cookies, auth, params or hooks, a request with
params, cookies, auth or hooks of its own or with headers that are not plain strings, a URL with
characters that ``requests`` might quote or normalize.
A Hypothesis property (``tests/properties/test_plain_preparation.py``) checks that the prepared
request equals the one ``requests`` prepares, for plain and unusual requests and sessions alike.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

import requests
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict
from requests.utils import check_header_validity

__all__ = ["PlainPreparer", "is_plain_url"]

#: An origin whose prepared form is reused: scheme, host (name, IPv4 or bracketed IPv6), port.
_ORIGIN = re.compile(r"https?://(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
#: A path and query that ``requests`` (and urllib3's parser) leave exactly as they are: unreserved
#: characters only, no segment starting with a dot (no ``.`` or ``..`` to resolve), no escapes.
_PLAIN_TAIL = re.compile(r"(?:/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*)?)+(?:\?[A-Za-z0-9._~=&-]+)?")
#: The hooks of a request or session that has none registered.
_NO_HOOKS: dict[str, list[Any]] = {"response": []}


def is_plain_url(url: Any) -> bool:
    """Whether ``url`` is an http(s) origin and a path (and query) of only unreserved characters.

    requests and urllib3 leave such a URL as it is (nothing to quote, normalize or resolve), and
    ``urlparse`` reads it without error.
    """
    if type(url) is not str:
        return False
    match = _ORIGIN.match(url)
    return match is not None and _PLAIN_TAIL.fullmatch(url, match.end()) is not None


class PlainPreparer:
    """Prepares a session's plain requests from what is the same for every one of them.

    One per session; safe to share between threads (each cached value is replaced whole).
    """

    def __init__(self) -> None:
        self._origins: dict[str, str | None] = {}
        self._headers: tuple[tuple[Any, ...], list[tuple[str, Any]] | None] | None = None
        self._lock = threading.Lock()

    def prepare(
        self, session: requests.Session, request: requests.Request, no_auth: Any = None
    ) -> requests.PreparedRequest | None:
        """The prepared ``request``, or None if it is not plain (``requests`` must prepare it).

        Args:
            session: The session whose settings apply.
            request: The request, as ``Session.request`` builds it.
            no_auth: An auth object that prepares nothing (the session's answer for a host
                without a ``~/.netrc`` entry), taken as no auth.

        Returns:
            The same ``PreparedRequest`` as ``session.prepare_request`` gives, or None.
        """
        if not (_plain_request(request, no_auth) and _plain_session(session)):
            return None
        url = self._url(request.url)
        headers = self._session_headers(session.headers)
        if url is None or headers is None or not isinstance(request.method, str):
            return None
        prepared = requests.PreparedRequest()
        prepared.prepare_method(request.method)
        prepared.url = url
        prepared.headers = CaseInsensitiveDict(headers)
        for name, value in request.headers.items():  # requests' merge: the request's win
            check_header_validity((name, value))
            prepared.headers[name] = value
        # What requests' merge of empty jars gives: an empty jar, and no Cookie header.
        prepared._cookies = RequestsCookieJar()  # type: ignore[attr-defined]  # untyped in stubs
        prepared.prepare_body(request.data, request.files, request.json)
        return prepared

    def _url(self, url: Any) -> str | None:
        """The prepared form of a plain ``url`` (origin and plain tail), or None."""
        if type(url) is not str:
            return None
        match = _ORIGIN.match(url)
        if match is None or not _PLAIN_TAIL.fullmatch(url, match.end()):
            return None
        origin = match.group()
        prepared = self._origins.get(origin, "")
        if prepared == "":
            prepared = self._prepare_origin(origin)
        return None if prepared is None else prepared + url[match.end() :]

    def _prepare_origin(self, origin: str) -> str | None:
        """``origin`` as requests prepares it (host lowercased, IDNA), without the final slash."""
        probe = requests.PreparedRequest()
        try:
            probe.prepare_url(origin + "/", None)
        except (requests.exceptions.RequestException, ValueError):
            result = None  # let requests raise its own error on the real request
        else:
            url = str(probe.url)
            result = url[:-1] if url.endswith("/") and "@" not in url else None
        with self._lock:
            if len(self._origins) >= 64:
                self._origins.clear()  # a bounded cache: a client talks to a few hosts
            self._origins[origin] = result
        return result

    def _session_headers(self, headers: Any) -> list[tuple[str, Any]] | None:
        """The session headers as requests merges and validates them, kept until they change."""
        if not isinstance(headers, Mapping):
            return None
        key = tuple(headers.items())
        cached = self._headers
        if cached is not None and cached[0] == key:
            return cached[1]
        probe = requests.PreparedRequest()
        try:
            merge: Any = requests.sessions.merge_setting  # untyped in requests
            probe.prepare_headers(merge({}, headers, dict_class=CaseInsensitiveDict))
        except (requests.exceptions.RequestException, ValueError, TypeError):
            items = None  # an invalid header: requests raises its own error
        else:
            items = list(probe.headers.items())
        self._headers = (key, items)
        return items


def _plain_request(request: requests.Request, no_auth: Any) -> bool:
    """No params, cookies, auth or hooks of its own, headers (if any) as plain strings.

    Any body is plain: requests prepares it. A header such as ``Prefer`` (the client's held wait)
    is merged over the session's as requests merges it: a value that is not a string, or None
    (which removes a session header), is left to requests.
    """
    headers = request.headers
    return (
        (not headers or (type(headers) is dict and _str_items(headers)))
        and not request.params
        and not request.cookies
        and (request.auth is None or (no_auth is not None and request.auth is no_auth))
        and request.hooks == _NO_HOOKS
    )


def _str_items(headers: dict[Any, Any]) -> bool:
    return all(type(k) is str and type(v) is str for k, v in headers.items())


def _plain_session(session: requests.Session) -> bool:
    """No session params, auth, hooks or cookies (``~/.netrc`` is the caller's concern)."""
    return (
        not session.params
        and session.auth is None
        and session.hooks == _NO_HOOKS
        and not session.cookies
    )
