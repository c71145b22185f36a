"""Domain errors of the local server; one FastAPI handler turns them into ``{"message"}`` bodies."""

from __future__ import annotations


class ServerError(Exception):
    """A request the service refuses, with the HTTP status the real service uses.

    Args:
        status: HTTP status code (400, 401, 403, 404, 409, 413, ...).
        message: Human-readable explanation, returned as ``{"message": message}``.
    """

    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class BadRequest(ServerError):
    """400: the request is well-formed but not acceptable in this state."""

    status = 400


class Unauthorized(ServerError):
    """401: missing or unknown ``q-api-token``."""

    status = 401


class Forbidden(ServerError):
    """403: a valid user who may not use this resource, or a refused storage signature."""

    status = 403


class NotFound(ServerError):
    """404: no such job or device for this user."""

    status = 404


class Conflict(ServerError):
    """409: a state transition the service does not allow."""

    status = 409


class TooLarge(ServerError):
    """413: an upload over the size limit."""

    status = 413


class JobFailure(Exception):
    """Raised inside the engine: the job ends ``failed`` with this message (never an HTTP error)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
