"""A header-read timeout for uvicorn's HTTP protocol (issue 21: half-open connections).

uvicorn times out a connection that idles between requests (keep-alive), but not one that sends
half a request line and then nothing: 2,000 such connections were all held open. `guarded_protocol`
returns uvicorn's own protocol class with one addition: from the moment a connection opens, or a
new request starts arriving on it, the request line and headers must be complete within
``timeout_s``, else the server closes it. A request whose headers arrived is not timed (its body
may stream for as long as an upload needs).
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from typing import Any

log = logging.getLogger("oqtopus_bridge.local")


def _base_protocol() -> type[Any]:
    """The class uvicorn's ``http="auto"`` picks: httptools when installed, else h11."""
    if importlib.util.find_spec("httptools") is not None:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        return HttpToolsProtocol
    from uvicorn.protocols.http.h11_impl import H11Protocol

    return H11Protocol


def guarded_protocol(timeout_s: float) -> type[asyncio.Protocol]:
    """Return uvicorn's HTTP protocol class closing connections slow to send their headers.

    Args:
        timeout_s: Time allowed for a request line and headers, from the connection's start or
            from the first byte of a later request on the same connection.

    Returns:
        A class to pass as ``uvicorn.Config(http=...)``.
    """
    base = _base_protocol()

    class HeaderTimeout(base):  # type: ignore[valid-type,misc]
        """uvicorn's protocol with a deadline for each request's headers."""

        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            self._watch_headers()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._watch_headers()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_watching()
            super().connection_lost(exc)

        def _awaiting_headers(self) -> bool:
            # uvicorn makes a request's cycle once its headers are parsed.
            cycle = self.cycle
            return cycle is None or bool(cycle.response_complete)

        def _watch_headers(self) -> None:
            if not self._awaiting_headers():
                self._stop_watching()
            elif self._header_timer is None:
                self._header_timer = self.loop.call_later(timeout_s, self._headers_late)

        def _stop_watching(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_late(self) -> None:
            self._header_timer = None
            if self._awaiting_headers() and not self.transport.is_closing():
                log.debug("closing a connection that sent no complete headers in %gs", timeout_s)
                self.transport.close()

    return HeaderTimeout
