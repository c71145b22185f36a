"""The FastAPI application factory: routes, authentication, and the one domain-error handler."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from starlette.exceptions import HTTPException

from .context import ServerContext
from .errors import ServerError
from .routes import account, devices, histories, jobs, legacy, local_only, storage
from .routes.errors import http_error_response, server_error_response
from .routes.hot import HotRoutes
from .routes.limits import BodyLimits
from .settings import ServerSettings
from .web import install as install_web_view
from .web.routes import PREFIX as WEB_PREFIX
from .web.routes import error_page as web_error_page

log = logging.getLogger("oqtopus_bridge.local")

_NO_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


def create_app(settings: ServerSettings, context: ServerContext | None = None) -> FastAPI:
    """Build the user-API application for ``settings``.

    Args:
        settings: Server settings (protocol, data directory, limits).
        context: An already built context (the runner passes one so it can close it); built and
            started by the app's lifespan when omitted.

    Returns:
        The application; nothing is opened until it starts (or ``context`` is given).
    """
    owned = context is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if owned:
            ctx = ServerContext.build(settings)
            ctx.start()
            app.state.ctx = ctx
        try:
            yield
        finally:
            if owned:
                app.state.ctx.close()

    app = FastAPI(
        title="OQTOPUS local server",
        version="1.0",
        lifespan=lifespan,
        # No OpenTelemetry: asking for its providers cost every request ~70 us (issue 16).
        telemetry=_NO_TELEMETRY,
    )
    if context is not None:
        app.state.ctx = context
    app.add_exception_handler(ServerError, _server_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected_error)
    # Before the log middleware, so that it wraps (and logs) the hot routes too.
    app.add_middleware(HotRoutes, protocol=settings.protocol)
    # Around the hot routes, so they too read no body before its token and past its cap (issue 21).
    app.add_middleware(BodyLimits, settings=settings)
    if settings.log_requests:
        app.middleware("http")(_log_request)
    app.include_router(storage.router)
    app.include_router(devices.router)
    if settings.protocol == "legacy":
        app.include_router(legacy.router)
    else:
        app.include_router(jobs.router)
    app.include_router(jobs.common_router)
    app.include_router(account.router)
    app.include_router(histories.router)
    app.include_router(local_only.router)
    install_web_view(app, settings)  # the browser pages under /ui/ (issue 18)
    return app


async def _server_error(request: Request, exc: ServerError) -> JSONResponse:
    return server_error_response(exc)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    return http_error_response(exc)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    # Never expected: every known failure is a ServerError. Log it and answer like the real service;
    # a web-view page still gets its security headers (issue 21: defence in depth).
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    if request.url.path.startswith(WEB_PREFIX + "/"):
        return web_error_page(request, 500, "Something went wrong on the server: see its log.")
    return JSONResponse({"message": "internal server error"}, status_code=500)


async def _log_request(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    start = time.perf_counter()
    response = await call_next(request)
    elapsed = (time.perf_counter() - start) * 1000
    log.info("%s %s %d %.1fms", request.method, request.url.path, response.status_code, elapsed)
    return response
