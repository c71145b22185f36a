"""The connection adapter of the client's sessions: requests' ``HTTPAdapter``, less work per call.

`ClientAdapter` is a `~oqtopus_bridge.deadline.WatchedAdapter` (per-request deadlines) that skips
two steps of ``requests.adapters.HTTPAdapter`` whose answer is known in advance (issue 23):

- without proxies, ``select_proxy`` parses the URL twice per request to find none; for a plain URL
  (`oqtopus_bridge.preparation.is_plain_url`) the adapter goes straight to requests' own
  no-proxy branch;
- an answer without ``Set-Cookie``/``Set-Cookie2`` headers gives an empty cookie jar, so
  ``build_response`` does not run the cookie parser on it.

Any proxy, any other URL and any answer that sets a cookie goes through ``requests`` unchanged.
``tests/integration/core/test_adapter.py`` checks both shortcuts against ``HTTPAdapter``'s answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import requests
from requests.structures import CaseInsensitiveDict
from urllib3.connectionpool import HTTPConnectionPool

from oqtopus_bridge.deadline import WatchedAdapter
from oqtopus_bridge.preparation import is_plain_url

__all__ = ["ClientAdapter"]

_COOKIE_HEADERS = ("set-cookie", "set-cookie2")


class ClientAdapter(WatchedAdapter):
    """The adapter mounted on every session `build_session` makes; see the module docstring."""

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: Any,
        proxies: Mapping[str, str] | None = None,
        cert: Any = None,
    ) -> HTTPConnectionPool:
        """The connection pool for ``request``, as requests finds it."""
        if proxies or not is_plain_url(request.url):
            return cast(
                HTTPConnectionPool,
                super().get_connection_with_tls_context(request, verify, proxies, cert),
            )
        # No proxy can apply: requests' own branch for that case.
        try:
            host, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        except ValueError as exc:
            raise requests.exceptions.InvalidURL(exc, request=request) from exc
        pool = self.poolmanager.connection_from_host(**host, pool_kwargs=pool_kwargs)
        return cast(HTTPConnectionPool, pool)

    def request_url(self, request: requests.PreparedRequest, proxies: Any) -> str:
        """The URL sent on the request line: the path, since no proxy applies (as requests)."""
        if proxies or not is_plain_url(request.url):
            return super().request_url(request, proxies)
        return str(request.path_url)

    def build_response(self, req: requests.PreparedRequest, resp: Any) -> requests.Response:
        """Requests' ``build_response``, without the cookie parser for an answer with no cookie."""
        headers = getattr(resp, "headers", None)
        if headers is None or any(name in headers for name in _COOKIE_HEADERS):
            return super().build_response(req, resp)
        response = requests.Response()
        response.status_code = getattr(resp, "status", None)  # type: ignore[assignment]
        response.headers = CaseInsensitiveDict(headers)
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        response.raw = resp
        response.reason = resp.reason
        response.url = req.url.decode("utf-8") if isinstance(req.url, bytes) else req.url  # type: ignore[assignment]
        response.request = req
        response.connection = self
        return response
