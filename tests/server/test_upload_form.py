"""The presigned form split whole (`upload._whole_form`) equals python-multipart's reading of it.

`read_form` splits a body that arrived in one piece itself when it has the plain shape clients
send, and hands every other body to python-multipart. The property: for any body (well formed,
oddly spelled or broken), in one piece or in chunks, `read_form` gives the same fields and file,
or the same refusal, as the parser alone (issue 23).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from starlette.requests import Request

from oqtopus_bridge.local.errors import Forbidden, ServerError
from oqtopus_bridge.local.routes import upload

BOUNDARY = "b0undary-7d1e"


def _request(body: bytes, chunks: int, content_type: str) -> Request:
    size = max(1, -(-len(body) // chunks))
    pieces = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages = [
        {"type": "http.request", "body": piece, "more_body": i < len(pieces) - 1}
        for i, piece in enumerate(pieces)
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    headers = [(b"content-type", content_type.encode())]
    return Request({"type": "http", "method": "POST", "headers": headers}, receive)


def _authorize(cap: int) -> upload.Authorize:
    def authorize(fields: dict[str, str]) -> int:
        if fields.get("signature") == "forged":
            raise Forbidden("signature does not match the policy: use the form from POST /jobs")
        return cap

    return authorize


def _read(body: bytes, chunks: int, cap: int, *, whole: bool) -> Any:
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    original = upload._whole_form
    if not whole:
        upload._whole_form = lambda body, boundary: None  # type: ignore[assignment]
    try:
        request = _request(body, chunks, content_type)
        # On a thread of its own: an earlier test of the session may leave an event loop marked
        # running on this one, where asyncio.run refuses to start.
        with ThreadPoolExecutor(1) as pool:
            read = pool.submit(lambda: asyncio.run(upload.read_form(request, _authorize(cap))))
            return read.result()
    except ServerError as exc:
        return (type(exc).__name__, exc.status, exc.message)
    finally:
        upload._whole_form = original  # type: ignore[assignment]


def _part(name: str, data: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    head = f"Content-Disposition: {disposition}\r\n"
    if filename is not None:
        head += "Content-Type: application/zip\r\n"
    return f"--{BOUNDARY}\r\n{head}\r\n".encode() + data + b"\r\n"


def _form(fields: dict[str, str], file: bytes, after: bytes = b"") -> bytes:
    body = b"".join(_part(name, value.encode()) for name, value in fields.items())
    return body + _part("file", file, "input.zip") + after + f"--{BOUNDARY}--\r\n".encode()


FIELDS = {"key": "0192/input.zip", "policy": "eyJrZXkiOiAiMDE5MiJ9", "signature": "c2ln"}

names = st.sampled_from(
    ["key", "policy", "signature", "file", "x-amz-date", "key", "x.y_z", "", "ké y", "a b"]
)
datas = st.one_of(
    st.binary(max_size=64),
    st.sampled_from(
        [b"", b"\r\n", b"--", f"\r\n--{BOUNDARY}".encode(), f"--{BOUNDARY}\r\n".encode()]
    ),
    st.binary(min_size=16 * 1024 - 2, max_size=16 * 1024 + 2),
)
header_lines = st.sampled_from(
    [
        'Content-Disposition: form-data; name="{n}"',
        'content-disposition: form-data; name="{n}"',
        'Content-Disposition:form-data; name="{n}"',
        'Content-Disposition:  form-data; name="{n}"',
        "Content-Disposition: form-data; name={n}",
        'Content-Disposition: form-data; name="{n}"; filename="input.zip"',
        'Content-Disposition: form-data; filename="in;name=x.zip"; name="{n}"',
        'Content-Disposition: form-data; name="{n}" ',
        'Content-Disposition: Form-Data; name="{n}"',
        "Content-Disposition: form-data; name*=utf-8''{n}",
        "Content-Type: application/zip",
        "Content-Type : application/zip",
        "X-Bad Header: 1",
        "",
    ]
)


@st.composite
def parts(draw: st.DrawFn) -> bytes:
    name = draw(names)
    lines = draw(st.lists(header_lines, min_size=0, max_size=3))
    head = "".join(line.replace("{n}", name) + "\r\n" for line in lines)
    return f"--{BOUNDARY}\r\n{head}\r\n".encode() + draw(datas) + b"\r\n"


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    plain = draw(st.booleans())  # the shape clients send, or any sequence of parts
    if plain:
        fields = draw(st.dictionaries(names, st.text(max_size=20), max_size=3))
        after = draw(st.sampled_from([b"", b"", _part("x", b"1")]))
        body = _form({**FIELDS, **fields}, draw(datas), after)
    else:
        body = b"".join(draw(st.lists(parts(), max_size=5))) + f"--{BOUNDARY}--".encode()
    prefix = draw(st.sampled_from([b"", b"", b"", b"\r\n", b"preamble\r\n"]))
    suffix = draw(st.sampled_from([b"", b"\r\n", b"\r\n", b"\r\n\r\n", b"epilogue"]))
    body = prefix + body + suffix
    if draw(st.integers(0, 3)) == 0:  # a mutation anywhere
        at = draw(st.integers(0, len(body)))
        body = body[:at] + draw(st.binary(max_size=3)) + body[at + draw(st.integers(0, 3)) :]
    return body


@given(body=bodies(), chunks=st.sampled_from([1, 1, 1, 2, 7]), cap=st.sampled_from([0, 5, 1 << 20]))
def test_read_form_equals_the_parser(body: bytes, chunks: int, cap: int) -> None:
    assert _read(body, chunks, cap, whole=True) == _read(body, chunks, cap, whole=False)


@pytest.mark.parametrize("signature", ["c2ln", "forged"])
def test_the_plain_form_is_split_whole(signature: str) -> None:
    fields = {**FIELDS, "signature": signature}
    body = _form(fields, b"PK\x03\x04 zip bytes \r\n-- not a boundary")
    split = upload._whole_form(body, BOUNDARY.encode())
    assert split == (fields, b"PK\x03\x04 zip bytes \r\n-- not a boundary")
    assert _read(body, 1, 1 << 20, whole=True) == _read(body, 1, 1 << 20, whole=False)


def test_a_form_missing_a_field_or_over_its_cap_is_refused_alike() -> None:
    missing = _form({"key": "0192/input.zip"}, b"zip")
    assert _read(missing, 1, 100, whole=True)[0] == "BadRequest"
    assert _read(missing, 1, 100, whole=True) == _read(missing, 1, 100, whole=False)
    large = _form(FIELDS, b"z" * 11)
    assert _read(large, 1, 10, whole=True)[0] == "TooLarge"
    assert _read(large, 1, 10, whole=True) == _read(large, 1, 10, whole=False)


simple_names = st.sampled_from(["key", "policy", "signature", "x-amz-date", "x.y_z", "file"])


@given(
    fields=st.dictionaries(simple_names, st.text(max_size=30), max_size=4),
    file=datas,
    cap=st.sampled_from([0, 5, 1 << 20]),
)
def test_plain_forms_are_split_whole_as_the_parser_reads_them(
    fields: dict[str, str], file: bytes, cap: int
) -> None:
    assume(f"\r\n--{BOUNDARY}".encode() not in b"\r\n" + file)  # else a part ends early
    body = _form({**FIELDS, **fields}, file)
    assert upload._whole_form(body, BOUNDARY.encode()) is not None  # the fast path is taken
    assert _read(body, 1, cap, whole=True) == _read(body, 1, cap, whole=False)
