"""Bounded, fault-tolerant reading of the service's single-entry zips (issue 21).

Every zip the server opens (a user's ``input.zip`` in the engine and the web view, the cloud's
``device_info.zip`` in the mirror) goes through `read_single_entry`. It never inflates more than
``max_bytes``: the entry's declared size is checked first, and the read itself stops at the cap
whatever the header says. Every way a zip can be broken (not a zip, empty, encrypted, an unknown
compression method, corrupt deflate data, a wrong CRC) and every way its JSON can be (not UTF-8,
malformed, NaN, nested too deep) raises `ArchiveError`, whose message names the problem and what
to do; nothing else escapes, so a bad upload fails its own job and nothing more.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from typing import Any

from . import safejson

MIB = 1024 * 1024
#: Largest entry inflated when the caller names no cap (the engine's default, `ServerSettings`).
DEFAULT_MAX_BYTES = 256 * MIB
_CHUNK = 1 * MIB
#: Largest central directory read: one entry's record is 46 bytes plus its name, extra field and
#: comment (each at most 64 KiB). A bigger one lists thousands of entries, each a Python object.
_MAX_DIRECTORY = 256 * 1024
_END_RECORD = b"PK\x05\x06"


class ArchiveError(ValueError):
    """A zip (or the JSON inside it) cannot be read; the message says why and what to do."""


def _mib(size: int) -> str:
    return f"{size / MIB:.1f} MiB" if size >= MIB else f"{size} bytes"


def _check_directory(data: bytes, what: str) -> None:
    # The end record is in the last 22 bytes plus a comment of at most 64 KiB.
    end = data.rfind(_END_RECORD, max(0, len(data) - 22 - 0xFFFF))
    if end < 0 or len(data) < end + 22:
        raise ArchiveError(f"{what} is not a valid zip file (no end record): upload a zip again")
    directory_size = int.from_bytes(data[end + 12 : end + 16], "little")
    if directory_size > _MAX_DIRECTORY:
        raise ArchiveError(
            f"{what} has a {_mib(directory_size)} list of files: it must contain exactly one file"
        )


def _open_entry(archive: zipfile.ZipFile, what: str, max_bytes: int) -> zipfile.ZipInfo:
    files = [info for info in archive.infolist() if not info.is_dir()]
    if len(files) != 1:
        raise ArchiveError(f"{what} must contain exactly one file, found {len(files)}")
    info = files[0]
    if info.flag_bits & 0x1:
        raise ArchiveError(f"{what} is encrypted: make the zip without a password")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ArchiveError(
            f"{what} uses compression method {info.compress_type}, which is not supported: "
            "make the zip with deflate (the default of every zip tool) or no compression"
        )
    if info.file_size > max_bytes:
        raise ArchiveError(
            f"{what} inflates to {_mib(info.file_size)}, over the {_mib(max_bytes)} limit: "
            "send less data per job"
        )
    return info


def _bounded_read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, what: str, cap: int) -> bytes:
    data = bytearray()
    with archive.open(info) as entry:
        while chunk := entry.read(min(_CHUNK, cap + 1 - len(data))):
            data += chunk
            if len(data) > cap:
                raise ArchiveError(
                    f"{what} inflates to more than the {_mib(cap)} limit (its header says "
                    f"{_mib(info.file_size)}): send less data per job"
                )
    return bytes(data)


def read_single_entry(
    data: bytes, what: str = "the zip", max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[str, bytes]:
    """Return ``(name, content)`` of the only file of the zip ``data``, inflating <= ``max_bytes``.

    Args:
        data: The zip's bytes.
        what: How messages name the zip (``"input.zip"``).
        max_bytes: Largest content accepted.

    Raises:
        ArchiveError: Not a zip, not exactly one file, encrypted, an unsupported or corrupt
            compression, a content over ``max_bytes``.
    """
    if not data:
        raise ArchiveError(f"{what} is empty: upload the zip again")
    _check_directory(data, what)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = _open_entry(archive, what, max_bytes)
            return info.filename, _bounded_read(archive, info, what, max_bytes)
    except ArchiveError:
        raise
    except zipfile.BadZipFile as exc:
        raise ArchiveError(f"{what} is not a valid zip file ({exc}): upload a zip again") from None
    except (zlib.error, EOFError) as exc:
        raise ArchiveError(f"{what} holds corrupt compressed data ({exc}): zip it again") from None
    except (RuntimeError, NotImplementedError, ValueError, OSError, OverflowError) as exc:
        # zipfile's other refusals (a password, a method or ZIP64 layout it cannot read).
        raise ArchiveError(f"{what} cannot be read ({exc}): zip it again with deflate") from None


def read_json_entry(data: bytes, what: str = "the zip", max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Return the JSON value of the only file of the zip ``data``.

    Raises:
        ArchiveError: The zip cannot be read (see `read_single_entry`), or its entry is not UTF-8,
            not JSON, holds NaN/Infinity or nests deeper than `safejson.MAX_DEPTH`.
    """
    name, content = read_single_entry(data, what, max_bytes)
    try:
        return safejson.loads(content, f"{name} in {what}")
    except safejson.JsonRefused as exc:
        raise ArchiveError(str(exc)) from None
