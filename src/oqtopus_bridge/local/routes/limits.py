"""Limits before reading (issue 21): the token before the body, and every body capped as it streams.

`BodyLimits` wraps the whole app (the hot routes too). A request with a body to the user API is
refused with 401 before one byte of its body is read unless its ``q-api-token`` is known; then its
body is read up to ``max_body_bytes`` (413 past it, counted as it arrives, so a chunked body is
capped too), and a JSON body that nests too deep or holds NaN is refused with 400 before any route
decodes it. The presigned upload has no token: its own route checks the form's signature before the
file's bytes (`routes.upload`); here it is only capped at the largest upload plus the form. Web-view
forms are small and capped small. A refusal sent before the body was read closes the connection, so
the rest of the body is never drained.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import safejson
from ..context import ServerContext
from ..errors import ServerError, TooLarge
from ..settings import ServerSettings
from ..storage import DOWNLOAD_PREFIX, UPLOAD_PATH
from .deps import identify
from .errors import server_error_response

MIB = 1024 * 1024
#: Room for a presigned form's fields and multipart framing around the file.
FORM_OVERHEAD = 64 * 1024
#: Largest body of a web-view form (login with a token, cancel, delete, logout).
WEB_FORM_BYTES = 64 * 1024
_TOKEN_HEADER = b"q-api-token"
_NO_TOKEN_PATHS = (UPLOAD_PATH, DOWNLOAD_PREFIX, "/ui", "/docs", "/redoc", "/openapi.json")


def _header(scope: Scope, name: bytes) -> str | None:
    # The first header of that name, decoded as Starlette's Headers.get (FastAPI's Header()) does.
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def caller_token(scope: Scope) -> str | None:
    """Return the request's ``q-api-token``, as the routes' ``Header()`` reads it."""
    return _header(scope, _TOKEN_HEADER)


def _has_body(scope: Scope) -> bool:
    length = _header(scope, b"content-length")
    return _header(scope, b"transfer-encoding") is not None or (length or "0").strip() != "0"


def _is_json(scope: Scope) -> bool:
    # FastAPI decodes a body as JSON when it has no content type or a (+)json one.
    kind = (_header(scope, b"content-type") or "").split(";", 1)[0].strip().lower()
    return not kind or kind == "application/json" or kind.endswith("+json")


def _size(limit: int) -> str:
    return f"{limit / MIB:g} MiB" if limit >= MIB else f"{limit // 1024} KiB"


def too_large(limit: int, what: str = "the request body") -> TooLarge:
    """The 413 of a body over ``limit`` bytes (an upload's limit is named without its form)."""
    shown = limit - FORM_OVERHEAD if what == "the upload" else limit
    return TooLarge(f"{what} is over the {_size(shown)} limit: send less data per request")


class _Body:
    """The request's ``receive``, counting body bytes; raises `TooLarge` past ``limit``."""

    def __init__(self, receive: Receive, limit: int, what: str) -> None:
        self._receive, self.limit, self._what = receive, limit, what
        self.received = 0
        self.complete = False

    async def __call__(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.complete = not message.get("more_body", False)
            if self.received > self.limit:
                raise too_large(self.limit, self._what)
        return message

    async def read_all(self) -> bytes:
        """Read the whole body (at most ``limit`` bytes, else `TooLarge`)."""
        chunks = []
        while not self.complete:
            message = await self()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
        return b"".join(chunks)


class BodyLimits:
    """ASGI middleware enforcing the token-before-body rule and the body caps.

    Args:
        app: The application (hot routes, then FastAPI).
        settings: The server's settings (``max_body_bytes``, ``max_upload_bytes``).
    """

    def __init__(self, app: ASGIApp, settings: ServerSettings) -> None:
        self.app = app
        self._settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse or cap a request with a body; pass every other request on unchanged."""
        if scope["type"] != "http" or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == UPLOAD_PATH:
            limit, what = self._settings.max_upload_bytes + FORM_OVERHEAD, "the upload"
        elif path.startswith(_NO_TOKEN_PATHS) or path == "/":
            limit, what = WEB_FORM_BYTES, "the form"
        else:
            await self._api(scope, receive, send)
            return
        body = _Body(receive, limit, what)
        declared = _header(scope, b"content-length") or ""
        try:
            if declared.strip().isdigit() and int(declared) > limit:
                raise too_large(limit, what)
            await self.app(scope, body, _closing(send, body))
        except ServerError as exc:  # over the cap before the app answered
            await server_error_response(exc)(scope, body, _closing(send, body))

    async def _api(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The user API: token first, then the capped body, then the JSON checks; then the app."""
        limit = self._settings.max_body_bytes
        body = _Body(receive, limit, "the request body")
        try:
            context: ServerContext = scope["app"].state.ctx
            identify(context, caller_token(scope))
            declared = _header(scope, b"content-length") or ""
            if declared.strip().isdigit() and int(declared) > limit:
                raise too_large(limit)
            data = await body.read_all()
            if _is_json(scope) and safejson.needs_check(data):
                problem = safejson.refusal(data, "the request body")
                if problem is not None:
                    raise ServerError(problem, 400)
        except ServerError as exc:
            await server_error_response(exc)(scope, receive, _closing(send, body))
            return
        await self.app(scope, replay_body(data, receive), send)


def _closing(send: Send, body: _Body) -> Send:
    """``send`` that asks to close the connection when answering before the body was all read."""

    async def closing(message: Message) -> None:
        if message["type"] == "http.response.start" and not body.complete:
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
            message = {**message, "headers": [*headers, (b"connection", b"close")]}
        await send(message)

    return closing


def replay_body(body: bytes, receive: Receive) -> Receive:
    """Return a ``receive`` that yields the already read ``body``, then ``receive``'s messages."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replay
