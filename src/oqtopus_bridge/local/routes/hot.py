"""The requests of a small job, answered without FastAPI's per-request machinery (issue 16).

A small job makes about six requests: register, upload, submit, one or two status polls, the job
and its result zip. Through FastAPI (routing over every route, dependency solving, request and
response validation) each cost the API process about 0.9 ms of CPU, six times what uvicorn spends
on it. `HotRoutes` answers exactly these requests itself, with the handlers the FastAPI routes
call, the same response bytes and the same ``{"message"}`` errors. Every other request, and every
one whose answer FastAPI words itself (a body its validation refuses with a 422, a content type
it does not read as JSON), goes on to the FastAPI app unchanged. The routes stay declared there,
so the OpenAPI document does not change.

``GET /jobs/{id}`` and its ``/status`` honour ``Prefer: wait=N`` (RFC 7240; `..watch`): the answer
is held until the job has ended or N seconds have passed, so a waiting client needs neither a
poll interval nor a separate status request (issue 23).

The handlers run on the event loop: each does an SQLite read or a one-statement write, a stat or
an HMAC, well under a millisecond; an object over `INLINE_BYTES` is read or written in a thread.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ..context import ServerContext
from ..errors import ServerError
from ..schemas import SubmitJobRequest
from ..service import TERMINAL
from ..settings import Protocol
from ..storage import DOWNLOAD_PREFIX, UPLOAD_PATH
from ..watch import requested_wait
from . import jobs, storage
from .deps import identify
from .errors import http_error_response, server_error_response
from .limits import caller_token, replay_body

#: FastAPI serialises a route's ``dict`` with pydantic; the same adapter gives the same bytes.
_JSON = TypeAdapter(dict[str, Any])
_JOB_ID = "([^/]+)"  # Starlette's pattern of a ``{job_id}`` path parameter


class _Decline(Exception):
    """The request is for FastAPI to answer (its own wording of a refusal)."""


Handler = Callable[[ServerContext, Request, tuple[str, ...]], Awaitable[Response]]


def _json(content: dict[str, Any]) -> Response:
    return Response(_JSON.dump_json(content), media_type="application/json")


async def _status(context: ServerContext, request: Request, params: tuple[str, ...]) -> Response:
    who = identify(context, caller_token(request.scope))
    answer = jobs.job_status(context, who, params[0])
    wait = requested_wait(request.headers.get("prefer"))
    if wait is None:
        return _json(answer)
    if answer["status"] not in TERMINAL:
        await _held(context, params[0], wait)
        answer = jobs.job_status(context, who, params[0])  # a job deleted meanwhile: 404
    return _applied(_json(answer), wait)


async def _job(context: ServerContext, request: Request, params: tuple[str, ...]) -> Response:
    who = identify(context, caller_token(request.scope))
    wait = requested_wait(request.headers.get("prefer"))
    if wait is None:
        return _json(jobs.job(context, who, params[0]))
    if context.service.owned_status(who, params[0]) not in TERMINAL:  # 404 before any wait
        await _held(context, params[0], wait)
    return _applied(_json(jobs.job(context, who, params[0])), wait)


async def _held(context: ServerContext, job_id: str, wait: float) -> None:
    """Hold the request until the job ends or ``wait`` seconds pass (``Prefer: wait``, issue 23)."""

    def ended() -> bool:
        row = context.repo.job_status(job_id)
        return row is None or row[1] in TERMINAL

    if wait > 0:
        await context.watch.hold(job_id, wait, ended)


def _applied(response: Response, wait: float) -> Response:
    response.headers["Preference-Applied"] = f"wait={wait:g}"
    response.headers["Vary"] = "Prefer"
    return response


async def _register(context: ServerContext, request: Request, params: tuple[str, ...]) -> Response:
    who = identify(context, caller_token(request.scope))
    return _json(jobs.register(context, who))


def _is_json(content_type: str) -> bool:
    # Only the plain spelling every client sends; FastAPI reads other spellings itself.
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


async def _submit(context: ServerContext, request: Request, params: tuple[str, ...]) -> Response:
    # BodyLimits checked the token before the body and capped it (issue 21); then FastAPI's order:
    # parse the JSON (malformed: 422), then the token (401), then validate (422).
    body = await request.body()
    if not body or not _is_json(request.headers.get("content-type", "")):
        raise _Decline
    try:
        payload = json.loads(body)  # BodyLimits refused deep nesting and NaN already (issue 21)
    except (ValueError, RecursionError):
        raise _Decline from None
    who = identify(context, caller_token(request.scope))
    try:
        submission = SubmitJobRequest.model_validate(payload)
    except ValidationError:
        raise _Decline from None
    return _json(jobs.submit(context, who, params[0], submission))


async def _upload(context: ServerContext, request: Request, params: tuple[str, ...]) -> Response:
    return await storage.accept_upload(request, context)


async def _download(context: ServerContext, request: Request, params: tuple[str, ...]) -> Response:
    query = QueryParams(request.scope["query_string"])
    expires, signature = query.get("expires", ""), query.get("signature", "")
    return await storage.object_response(context, params[0], expires, signature)


def _routes(protocol: Protocol) -> dict[str, list[tuple[re.Pattern[str], Handler]]]:
    """The hot routes of ``protocol``, by method (the legacy protocol shares only the status)."""
    get: list[tuple[re.Pattern[str], Handler]] = [
        (re.compile(f"/jobs/{_JOB_ID}/status"), _status),
        (re.compile(re.escape(DOWNLOAD_PREFIX) + "(.*)"), _download),
    ]
    post: list[tuple[re.Pattern[str], Handler]] = [(re.compile(re.escape(UPLOAD_PATH)), _upload)]
    if protocol == "storage":
        get.append((re.compile(f"/jobs/{_JOB_ID}"), _job))
        post += [
            (re.compile("/jobs"), _register),
            (re.compile(f"/jobs/{_JOB_ID}/submit"), _submit),
        ]
    return {"GET": get, "POST": post}


class HotRoutes:
    """ASGI middleware answering a small job's requests; every other request goes to ``app``.

    Args:
        app: The rest of the application (FastAPI's routing and exception handlers).
        protocol: The server's protocol, which decides the routes of ``/jobs``.
    """

    def __init__(self, app: ASGIApp, protocol: Protocol) -> None:
        self.app = app
        self._routes = _routes(protocol)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a hot request, or pass the request on."""
        if scope["type"] == "http" and not scope.get("root_path"):
            for pattern, handler in self._routes.get(scope["method"], ()):
                match = pattern.fullmatch(scope["path"])
                if match is not None:
                    await self._answer(handler, match.groups(), scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def _answer(
        self, handler: Handler, params: tuple[str, ...], scope: Scope, receive: Receive, send: Send
    ) -> None:
        request = Request(scope, receive)
        context: ServerContext = scope["app"].state.ctx
        try:
            response = await handler(context, request, params)
        except ServerError as exc:
            response = server_error_response(exc)
        except HTTPException as exc:
            response = http_error_response(exc)
        except _Decline:
            await self.app(scope, replay_body(await request.body(), receive), send)
            return
        await response(scope, receive, send)
