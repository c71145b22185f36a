"""The server's bounded zip reader and its JSON decoder (`local/archive.py`, `local/safejson.py`).

The hostile zips themselves are tried against the real server in
``tests/reliability/test_hostile_zips.py``; these are the reader's own edges, without sockets.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from oqtopus_bridge.local import safejson
from oqtopus_bridge.local.archive import ArchiveError, read_json_entry, read_single_entry


def _zip(*entries: tuple[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_stored_or_deflated_entry_is_read() -> None:
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        assert read_single_entry(_zip(("a.json", b"[1]"), method=method)) == ("a.json", b"[1]")


def test_the_cap_is_inclusive() -> None:
    assert read_single_entry(_zip(("a", b"x" * 100)), max_bytes=100)[1] == b"x" * 100
    with pytest.raises(ArchiveError, match="over the 100 bytes limit"):
        read_single_entry(_zip(("a", b"x" * 101)), max_bytes=100)


def test_a_zip_listing_thousands_of_entries_is_refused_before_it_is_listed() -> None:
    many = _zip(*((f"{i:05d}-{'n' * 200}", b"") for i in range(2000)))
    with pytest.raises(ArchiveError, match="exactly one file"):
        read_single_entry(many)


def test_other_compression_methods_are_named() -> None:
    with pytest.raises(ArchiveError, match="compression method 12"):
        read_single_entry(_zip(("a", b"x" * 1000), method=zipfile.ZIP_BZIP2))


def test_json_errors_are_archive_errors() -> None:
    for data, word in [(b"\xff", "UTF-8"), (b"{", "not JSON"), (b"[" * 65 + b"]" * 65, "64")]:
        with pytest.raises(ArchiveError, match=word):
            read_json_entry(_zip(("input.json", data)))
    assert read_json_entry(_zip(("input.json", b"[" * 64 + b"]" * 64))) is not None


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}'])
def test_nan_and_infinity_are_refused(text: str) -> None:
    with pytest.raises(safejson.JsonRefused, match="not a JSON number"):
        safejson.loads(text)
    assert safejson.refusal(text.encode()) is not None


def test_refusal_leaves_malformed_json_to_the_caller() -> None:
    assert safejson.refusal(b"{oops") is None
    assert safejson.refusal(b'{"name": "NaN"}') is None
    assert "deeper than 64" in str(safejson.refusal(b"[" * 100_000 + b"]" * 100_000))


def test_depth_is_iterative_and_counts_objects_and_arrays() -> None:
    value: object = 1
    for level in range(10_000):
        value = [value] if level % 2 else {"k": value}
    assert safejson.depth(value, limit=20_000) == 10_000
    assert safejson.depth("text") == 0
