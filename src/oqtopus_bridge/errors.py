"""The exception hierarchy of oqtopus-bridge: every error this package raises is one of these.

The root is `BackendError`, a subclass of ``quri_parts.backend.BackendError``, so code
written for the documented OQTOPUS API (``except BackendError``) keeps catching everything::

    BackendError                      (quri_parts.backend.BackendError)
    ├── ConfigError                   also a ValueError: bad/missing url, token, file, section, key
    ├── TransportError                no usable HTTP response after the retry budget
    │   ├── ConnectError              the server could not be reached
    │   └── RequestTimeout            the server did not answer in time
    ├── APIError                      HTTP status >= 400 (.status_code, .message, .body)
    │   ├── AuthenticationError       401 / 403: missing, wrong or expired token, or access denied
    │   ├── NotFoundError             404: no such job or device (or not yours)
    │   ├── BadRequestError           400 / 409 / 422: the request was refused as invalid
    │   └── ServerError               5xx
    ├── StorageError                  presigned upload/download failed, or a malformed object
    ├── JobError                      about one job (.job_id)
    │   ├── JobFailedError            the job ended ``failed`` (.message from the server)
    │   ├── JobCancelledError         the job ended ``cancelled``
    │   └── JobTimeoutError           also a TimeoutError: waiting exceeded the caller's timeout
    ├── ResultError                   a result is missing, malformed or of an unexpected shape
    └── ConversionError               also a ValueError: a program/observable has no OQTOPUS form

Every exception pickles (for process pools and ``concurrent.futures``) and none ever contains the
API token: messages are built from server messages and request paths, never from headers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from quri_parts.backend import BackendError as _QuriPartsBackendError

__all__ = [
    "APIError",
    "AuthenticationError",
    "BackendError",
    "BadRequestError",
    "ConfigError",
    "ConnectError",
    "ConversionError",
    "JobCancelledError",
    "JobError",
    "JobFailedError",
    "JobTimeoutError",
    "NotFoundError",
    "RequestTimeout",
    "ResultError",
    "ServerError",
    "StorageError",
    "TransportError",
]


class BackendError(_QuriPartsBackendError):
    """Root of every error raised by oqtopus-bridge."""


class ConfigError(BackendError, ValueError):
    """The configuration (url, token, config file, section or key) is missing or invalid."""


class TransportError(BackendError):
    """No usable HTTP response was obtained, even after retrying."""


class ConnectError(TransportError):
    """The server could not be reached (DNS, refused connection, TLS or proxy failure)."""


class RequestTimeout(TransportError):
    """The server did not answer within the configured timeout."""


class APIError(BackendError):
    """The OQTOPUS API answered with an HTTP error status.

    Attributes:
        status_code: The HTTP status code.
        message: The server's message (``message``, or FastAPI's ``detail``), or the reason.
        body: The parsed JSON body when there was one, else the raw text (possibly truncated).
    """

    def __init__(
        self,
        status_code: int,
        message: str,
        body: Any = None,
        *,
        context: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.status_code = status_code
        self.message = message
        self.body = body
        self.context = context
        self.retry_after = retry_after
        prefix = f"{context}: " if context else ""
        super().__init__(f"{prefix}HTTP {status_code}: {message}{_advice(status_code)}")

    def __reduce__(self) -> tuple[Any, ...]:
        state = (self.status_code, self.message, self.body, self.context, self.retry_after)
        return (_rebuild_api_error, (type(self), *state))

    @classmethod
    def from_response(
        cls, status_code: int, body: Any, *, context: str = "", retry_after: float | None = None
    ) -> APIError:
        """Build the most specific `APIError` subclass for an HTTP error response.

        Args:
            status_code: The HTTP status code (>= 400).
            body: The response body, as text or already-parsed JSON.
            context: What the client was doing, e.g. ``"GET /jobs/abc"``, prefixed to the message.
            retry_after: Seconds the server asked to wait (its ``Retry-After`` header), if any.

        Returns:
            An `AuthenticationError`, `NotFoundError`, `BadRequestError`,
            `ServerError`, or a plain `APIError` for other statuses.
        """
        parsed = _parse_body(body)
        message = _extract_message(parsed) or f"HTTP status {status_code}"
        return _class_for_status(status_code)(
            status_code, message, parsed, context=context, retry_after=retry_after
        )


class AuthenticationError(APIError):
    """401 or 403: the token is missing, wrong or expired, or the resource is not yours to use."""


class NotFoundError(APIError):
    """404: no such job or device, or it belongs to another user."""


class BadRequestError(APIError):
    """400, 409 or 422: the server refused the request as invalid for the job's current state."""


class ServerError(APIError):
    """5xx: the server failed; retrying later may help."""


class StorageError(BackendError):
    """A presigned storage upload or download failed, or the downloaded object is malformed."""


class JobError(BackendError):
    """An error about one job.

    Attributes:
        job_id: The id of the job concerned.
    """

    def __init__(self, message: str, job_id: str = "") -> None:
        self.job_id = job_id
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.job_id))


class JobFailedError(JobError):
    """The job ended with status ``failed``.

    Attributes:
        server_message: The server's ``job_info.message`` explaining the failure, if it gave one.
    """

    def __init__(self, message: str, job_id: str = "", server_message: str | None = None) -> None:
        self.server_message = server_message
        super().__init__(message, job_id)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.job_id, self.server_message))


class JobCancelledError(JobError):
    """The job ended with status ``cancelled``, so it has no result."""


class JobTimeoutError(JobError, TimeoutError):
    """Waiting exceeded the caller's timeout; the job itself is still alive on the server."""


class ResultError(BackendError):
    """A job result is missing, malformed, or not of the shape the caller asked for."""


class ConversionError(BackendError, ValueError):
    """A circuit, program or observable cannot be expressed in the form OQTOPUS accepts."""


def _rebuild_api_error(
    cls: type[APIError],
    status_code: int,
    message: str,
    body: Any,
    context: str,
    retry_after: float | None = None,
) -> APIError:
    return cls(status_code, message, body, context=context, retry_after=retry_after)


def _class_for_status(status_code: int) -> type[APIError]:
    if status_code in (401, 403):
        return AuthenticationError
    if status_code == 404:
        return NotFoundError
    if status_code in (400, 409, 422):
        return BadRequestError
    if status_code >= 500:
        return ServerError
    return APIError


def _parse_body(body: Any) -> Any:
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if isinstance(body, str):
        try:
            return json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: nested too deeply
            return body[:2000]
    return body


def _extract_message(body: Any) -> str:
    """Read the server's message: OQTOPUS ``message``, FastAPI ``detail``, gateways ``error``."""
    if isinstance(body, str):
        return body.strip()
    if not isinstance(body, Mapping):
        return ""
    for key in ("message", "detail", "error"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, Mapping) and isinstance(value.get("message"), str):
            return str(value["message"])
        if isinstance(value, list) and value:
            return "; ".join(_describe_validation_item(item) for item in value)
    return ""


def join_message(head: str, tail: str, separator: str = ": ") -> str:
    """Join a message and its detail without doubled punctuation.

    Server messages often end a sentence (``device_id=x is not found.``); a detail appended with
    ``": "`` then read ``is not found.: no device`` (issue 24). The head's closing period (one,
    not an ellipsis) and trailing spaces are dropped before the separator.

    Args:
        head: The message.
        tail: The detail to append.
        separator: What goes between them.

    Returns:
        ``head`` + ``separator`` + ``tail``, or the one that is not empty.

    Examples:
        ```python
        join_message("device_id=x is not found.", "no device 'x'")
        # "device_id=x is not found: no device 'x'"
        ```
    """
    head = head.rstrip()
    if not tail:
        return head
    if head.endswith(".") and not head.endswith(".."):
        head = head[:-1]
    return f"{head}{separator}{tail}" if head else tail


def _describe_validation_item(item: Any) -> str:
    """Render one FastAPI validation error item as ``field.path: what is wrong``."""
    if not isinstance(item, Mapping):
        return str(item)
    loc = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
    msg = str(item.get("msg", item))
    return f"{loc}: {msg}" if loc else msg


def _advice(status_code: int) -> str:
    if status_code == 401:
        return " (check the API token: OQTOPUS_API_TOKEN or api_token in ~/.oqtopus)"
    if status_code == 403:
        return " (your account may not be allowed to use this device or resource)"
    if status_code >= 500:
        return " (the server failed; retry later, and report it if it persists)"
    return ""
