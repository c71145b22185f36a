"""The presigned POST form read as it streams: the fields are checked before the file is read.

As for S3, the form's fields (``key``, ``policy``, ``signature``) come before the ``file`` part.
`read_form` parses the multipart body as it arrives and, when the file part begins, hands the
fields to ``authorize``, which checks the signature, expiry and policy and returns the size the
policy grants. A forged, expired or reused form is so refused before one byte of the file is read,
and a file over its grant is refused as soon as it passes it, chunked or not; nothing is spooled
to disk (issue 21: a forged 500 MiB upload was spooled whole before its signature was checked).

A body that arrives in one piece (every small job's ``input.zip``) and has the plain shape every
client sends is split by `_whole_form` instead, about ten times faster than the parser's callbacks
(issue 23); anything else in it, down to a header's spelling, goes to the parser, so both give the
same fields, file and refusals (`tests/server/test_upload_form.py`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable

import python_multipart
from python_multipart.multipart import parse_options_header
from starlette.requests import ClientDisconnect, Request

from ..errors import BadRequest, TooLarge

#: Checks the fields of a form and returns the largest file they allow (raises `ServerError`).
Authorize = Callable[[dict[str, str]], int]
REQUIRED = ("key", "policy", "signature")
_FIELD_BYTES = 16 * 1024  # a policy is a few hundred bytes
#: The most bytes of one part's headers (S3 allows 8 KiB of request headers).
_HEADER_BYTES = 8 * 1024
_MAX_FIELDS = 32
MIB = 1024 * 1024
#: The part headers `_whole_form` reads itself; any other line sends the form to the parser.
_HEADER_LINE = re.compile(rb"([A-Za-z0-9-]{1,64}): ([^\s][^\r\n]{0,255})")
_DISPOSITION = re.compile(
    rb'form-data; name="([A-Za-z0-9_.-]{1,64})"(?:; filename="[^"\\\r\n;=]*")?'
)


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


async def _chunks(request: Request) -> AsyncIterator[tuple[bytes, bool]]:
    """The body's chunks as they arrive, each with whether more follow (`Request.stream`'s)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        if message["type"] == "http.request":
            more = bool(message.get("more_body", False))
            yield message.get("body", b""), more
            if not more:
                return


async def read_form(request: Request, authorize: Authorize) -> tuple[dict[str, str], bytes]:
    """Return the fields and the file of a presigned POST, checked by ``authorize`` first.

    Raises:
        ServerError: Not a multipart form, a missing field or file, a form ``authorize``
            refuses, or a file over the size it grants.
    """
    boundary = _boundary(request)
    form = _Form(authorize)
    parser: python_multipart.MultipartParser | None = None
    try:
        async for chunk, more in _chunks(request):
            if parser is None:
                whole = None if more else _whole_form(chunk, boundary)
                if whole is not None:
                    return _checked(whole, authorize)
                callbacks = {
                    name: getattr(form, name) for name in dir(form) if name.startswith("on_")
                }
                parser = python_multipart.MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
            parser.write(chunk)
        if parser is not None:
            parser.finalize()
    except python_multipart.exceptions.FormParserError as exc:
        raise BadRequest(f"the upload is not a valid multipart form ({exc})") from None
    if form.file is None:
        raise missing_fields(form.fields) or BadRequest(
            "missing form part 'file' (it must come last, as for S3)"
        )
    return form.fields, bytes(form.file)


def _checked(
    whole: tuple[dict[str, str], bytes], authorize: Authorize
) -> tuple[dict[str, str], bytes]:
    """The checks the parser's callbacks make, in their order, on a form split whole."""
    fields, file = whole
    refusal = missing_fields(fields)
    if refusal is not None:
        raise refusal
    cap = authorize(fields)
    if len(file) > cap:
        raise TooLarge(f"upload exceeds the {cap / MIB:g} MiB limit of its form")
    return fields, file


def _whole_form(body: bytes, boundary: bytes) -> tuple[dict[str, str], bytes] | None:
    """Split a whole multipart body of the plain shape into its fields (before the file) and file.

    Returns ``None`` for anything else (a preamble, a header other than ``Name: value``, an
    unquoted or unusual disposition, a part with no disposition, a field over its limit, too many
    fields, no file, a boundary not followed by CRLF or ``--``, an epilogue): the parser then
    reads the form and words the refusal, if any.
    """
    dash = b"--" + boundary
    delimiter = b"\r\n" + dash
    if not body.startswith(dash + b"\r\n"):
        return None
    fields: dict[str, str] = {}
    file: bytes | None = None
    start = len(dash) + 2
    while True:
        name = _part_name(body, start)
        if name is None:
            return None
        data_start = body.index(b"\r\n\r\n", start) + 4
        stop = body.find(delimiter, data_start)
        after = body[stop + len(delimiter) : stop + len(delimiter) + 2]
        if stop < 0 or after not in (b"\r\n", b"--"):
            return None
        data = body[data_start:stop]
        if file is None and name == "file":
            file = data
        elif file is None:
            if len(fields) >= _MAX_FIELDS or len(data) > _FIELD_BYTES:
                return None
            fields[name] = data.decode("utf-8", "replace")
        start = stop + len(delimiter) + 2
        if after == b"--":
            break
    if file is None or body[start:] not in (b"", b"\r\n"):
        return None
    return fields, file


def _part_name(body: bytes, start: int) -> str | None:
    """The ``name`` of the part whose headers begin at ``start``, if they have the plain shape."""
    end = body.find(b"\r\n\r\n", start, start + 1024)
    if end <= start:
        return None
    name = None
    for line in body[start:end].split(b"\r\n"):
        header = _HEADER_LINE.fullmatch(line)
        if header is None:
            return None
        if header[1].lower() == b"content-disposition":
            disposition = _DISPOSITION.fullmatch(header[2])
            if disposition is None or name is not None:
                return None
            name = disposition[1].decode("ascii")
    return name
