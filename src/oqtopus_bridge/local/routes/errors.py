"""The API's error bodies: every refusal in the spec's shape, ``{"message": ...}``."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ..errors import ServerError

# Starlette's own text for a body it cannot decode (e.g. bytes that are not UTF-8).
_UNPARSABLE_BODY = "There was an error parsing the body"


def server_error_response(exc: ServerError) -> JSONResponse:
    """Return the response of a domain error: its status and ``{"message"}``."""
    return JSONResponse({"message": exc.message}, status_code=exc.status)


def http_error_response(exc: HTTPException) -> JSONResponse:
    """Return a framework error (unknown path, wrong method, undecodable body) as ``{"message"}``.

    Schema errors are not these: they stay FastAPI's 422 ``{"detail": [...]}``.
    """
    message = str(exc.detail)
    if exc.status_code == 400 and message == _UNPARSABLE_BODY:
        message = "the request body could not be read: send a JSON object encoded as UTF-8"
    return JSONResponse({"message": message}, status_code=exc.status_code, headers=exc.headers)
