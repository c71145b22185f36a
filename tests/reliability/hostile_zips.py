"""Malformed and hostile ``input.zip`` files, each made by hand from a good zip (issue 21)."""

from __future__ import annotations

import io
import json
import zipfile

from raw_client import BELL, input_zip

MIB = 1024 * 1024
_LOCAL, _CENTRAL = b"PK\x03\x04", b"PK\x01\x02"


def _zip(data: bytes, name: str = "input.json") -> bytearray:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return bytearray(buffer.getvalue())


def _patch(data: bytearray, local_offset: int, central_offset: int, value: bytes) -> bytes:
    """Write ``value`` at a field of both the local header and the central directory record."""
    local, central = data.find(_LOCAL), data.find(_CENTRAL)
    data[local + local_offset : local + local_offset + len(value)] = value
    data[central + central_offset : central + central_offset + len(value)] = value
    return bytes(data)


def encrypted() -> bytes:
    """A good zip whose entry claims to be encrypted (general purpose flag bit 0)."""
    good = _zip(json.dumps({"program": [BELL]}).encode())
    flags = good[good.find(_LOCAL) + 6] | 1
    return _patch(good, 6, 8, bytes([flags]))


def unknown_method() -> bytes:
    """A good zip whose entry names compression method 99."""
    return _patch(_zip(json.dumps({"program": [BELL]}).encode()), 8, 10, (99).to_bytes(2, "little"))


def corrupt_deflate() -> bytes:
    """A zip whose deflate stream is damaged."""
    data = _zip(json.dumps({"program": [BELL] * 20}).encode())
    start = data.find(_LOCAL) + 30 + len("input.json")
    data[start : start + 4] = b"\xff\xff\xff\xff"
    return bytes(data)


def deep_json(levels: int = 100_000) -> bytes:
    """``input.json`` nesting arrays ``levels`` deep."""
    return bytes(_zip(b"[" * levels + b"]" * levels))


def nan_json() -> bytes:
    """``input.json`` holding NaN (Python's decoder accepts it; JSON does not)."""
    return bytes(_zip(b'{"program": [NaN]}'))


def bomb(inflated: int = 600 * MIB) -> bytes:
    """A zip of well under 1 MiB that inflates to ``inflated`` bytes; its header says so."""
    return bytes(_zip(b" " * inflated))


def lying_bomb(inflated: int = 600 * MIB) -> bytes:
    """`bomb` whose headers claim 100 bytes: the reader must stop whatever the header says."""
    return _patch(bytearray(bomb(inflated)), 22, 24, (100).to_bytes(4, "little"))


#: name -> (zip, a word of the job's failure message)
MALFORMED: dict[str, tuple[bytes, str]] = {
    "encrypted": (encrypted(), "encrypted"),
    "unknown-method": (unknown_method(), "compression method 99"),
    "corrupt-deflate": (corrupt_deflate(), "corrupt"),
    "deep-json": (deep_json(), "deeper than"),
    "nan": (nan_json(), "NaN"),
    "empty": (b"", "empty"),
    "not-a-zip": (b"just some text", "not a valid zip"),
    "two-files": (b"", "exactly one file"),
}


def _two_files() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("input.json", json.dumps({"program": [BELL]}))
        archive.writestr("extra.json", "{}")
    return buffer.getvalue()


MALFORMED["two-files"] = (_two_files(), "exactly one file")
GOOD = input_zip({"program": [BELL]})
