"""The presigned POST form read as it streams: the fields are checked before the file is read.

As for S3, the form's fields (``key``, ``policy``, ``signature``) come before the ``file`` part.
`read_form` parses the multipart body as it arrives and, when the file part begins, hands the
fields to ``authorize``, which checks the signature, expiry and policy and returns the size the
policy grants. A forged, expired or reused form is so refused before one byte of the file is read,
and a file over its grant is refused as soon as it passes it, chunked or not; nothing is spooled
to disk (issue 21: a forged 500 MiB upload was spooled whole before its signature was checked).
"""

from __future__ import annotations

from collections.abc import Callable

import python_multipart
from python_multipart.multipart import parse_options_header
from starlette.requests import Request

from ..errors import BadRequest, TooLarge

#: Checks the fields of a form and returns the largest file they allow (raises `ServerError`).
Authorize = Callable[[dict[str, str]], int]
REQUIRED = ("key", "policy", "signature")
_FIELD_BYTES = 16 * 1024  # a policy is a few hundred bytes
#: The most bytes of one part's headers (S3 allows 8 KiB of request headers).
_HEADER_BYTES = 8 * 1024
_MAX_FIELDS = 32
MIB = 1024 * 1024


def missing_fields(fields: dict[str, str]) -> BadRequest | None:
    """The refusal of a form without every presigned field, or ``None``."""
    missing = [name for name in REQUIRED if name not in fields]
    if not missing:
        return None
    return BadRequest(
        f"missing form field(s) {missing}: forward every presigned field, before the file"
    )


class _Form:
    """The parser's callbacks: fields kept, the file checked at its first header and capped."""

    def __init__(self, authorize: Authorize) -> None:
        self._authorize = authorize
        self.fields: dict[str, str] = {}
        self.file: bytearray | None = None
        self._cap = 0
        self._header = [bytearray(), bytearray()]
        self._disposition = b""
        self._kind = "field"  # of the current part: "field", "file" or "after" (ignored)
        self._name = ""
        self._value = bytearray()

    def on_part_begin(self) -> None:
        self._disposition, self._value = b"", bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_bytes(end - start)
        self._header[0] += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_bytes(end - start)
        self._header[1] += data[start:end]

    def _header_bytes(self, count: int) -> None:
        # python-multipart does not bound a part's headers: held in memory before the signature
        # is checked, they would let an unauthenticated form keep the whole body cap in RAM.
        if len(self._header[0]) + len(self._header[1]) + count > _HEADER_BYTES:
            raise BadRequest(f"a part's headers of the form are over {_HEADER_BYTES} bytes")

    def on_header_end(self) -> None:
        if bytes(self._header[0]).lower() == b"content-disposition":
            self._disposition = bytes(self._header[1])
        self._header = [bytearray(), bytearray()]

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        if self.file is not None:
            self._kind = "after"  # S3 ignores what follows the file
        elif self._name == "file":
            refusal = missing_fields(self.fields)
            if refusal is not None:
                raise refusal
            self._cap = self._authorize(self.fields)  # before one byte of the file is read
            self._kind, self.file = "file", bytearray()
        elif len(self.fields) >= _MAX_FIELDS:
            raise BadRequest(f"the form has more than {_MAX_FIELDS} fields")
        else:
            self._kind = "field"

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._kind == "file" and self.file is not None:
            if len(self.file) + end - start > self._cap:
                raise TooLarge(f"upload exceeds the {self._cap / MIB:g} MiB limit of its form")
            self.file += data[start:end]
        elif self._kind == "field":
            if len(self._value) + end - start > _FIELD_BYTES:
                raise BadRequest(f"form field {self._name!r} is over {_FIELD_BYTES} bytes")
            self._value += data[start:end]

    def on_part_end(self) -> None:
        if self._kind == "field":
            self.fields[self._name] = self._value.decode("utf-8", "replace")


def _boundary(request: Request) -> bytes:
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise BadRequest(
            "the upload must be a multipart/form-data POST: forward every presigned field "
            f"{list(REQUIRED)}, then the file"
        )
    return bytes(boundary)


async def read_form(request: Request, authorize: Authorize) -> tuple[dict[str, str], bytes]:
    """Return the fields and the file of a presigned POST, checked by ``authorize`` first.

    Raises:
        ServerError: Not a multipart form, a missing field or file, a form ``authorize``
            refuses, or a file over the size it grants.
    """
    form = _Form(authorize)
    callbacks = {name: getattr(form, name) for name in dir(form) if name.startswith("on_")}
    parser = python_multipart.MultipartParser(_boundary(request), callbacks)  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except python_multipart.exceptions.FormParserError as exc:
        raise BadRequest(f"the upload is not a valid multipart form ({exc})") from None
    if form.file is None:
        raise missing_fields(form.fields) or BadRequest(
            "missing form part 'file' (it must come last, as for S3)"
        )
    return form.fields, bytes(form.file)
