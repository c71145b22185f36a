"""The counts fast paths of issue 23 give exactly what the key-by-key paths give, for any input.

`bits.uniform_wire_width` lets `normalize_counts`, `counts_to_int` and the result decoding skip the
per-key work when every key is already a plain wire key. Each property runs the same input through
the fast function and through the general path (the fast path switched off), and checks that the
answers, or the errors, are the same; `uniform_wire_width` itself is checked against a definition
written from its docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from oqtopus_bridge import bits, results
from oqtopus_bridge.errors import ResultError

# Keys near the edge of the fast path: plain bitstrings of a few widths, and look-alikes that
# the general path must handle (separators, prefixes, commas, other characters, empty keys).
plain_keys = st.integers(1, 6).flatmap(
    lambda width: st.text(alphabet="01", min_size=width, max_size=width)
)
odd_keys = st.one_of(
    st.text(alphabet="01 _,b2x\u00e9", max_size=6),
    plain_keys.map(lambda key: "0b" + key),
    st.integers(-3, 40).map(str),
)
any_keys = st.one_of(plain_keys, plain_keys, odd_keys, st.integers(0, 40), st.booleans())
any_values = st.one_of(
    st.integers(0, 50), st.integers(0, 50), st.integers(-2, -1), st.booleans(), st.floats(0, 9)
)
same_width_counts = st.integers(1, 6).flatmap(
    lambda width: st.dictionaries(
        st.text(alphabet="01", min_size=width, max_size=width), st.integers(0, 50), min_size=1
    )
)
counts_maps = st.one_of(
    same_width_counts,
    st.dictionaries(any_keys, any_values, max_size=8),
    st.dictionaries(plain_keys, st.integers(0, 50), max_size=8),
)


def _outcome(function: Callable[[], Any]) -> Any:
    """The value, or the type and message of the error, of ``function()``."""
    try:
        return ("value", function())
    except (ResultError, ValueError, TypeError, AttributeError) as exc:
        return ("error", type(exc), str(exc))


def _typed(value: Any) -> Any:
    """``value`` with every dict key and value paired with its type (``True == 1`` hides a bool)."""
    if isinstance(value, dict):
        return [(type(key), key, _typed(item)) for key, item in value.items()]
    if isinstance(value, tuple):
        return tuple(_typed(item) for item in value)
    return (type(value), value)


def _general(function: Callable[[], Any]) -> Any:
    """``function()`` with the fast paths switched off: every key goes through the general code."""
    with mock.patch.object(bits, "uniform_wire_width", lambda keys: None):
        return _outcome(function)


@given(st.lists(st.one_of(plain_keys, odd_keys, st.integers(0, 3)), max_size=6))
def test_uniform_wire_width_matches_its_definition(keys: list[Any]) -> None:
    plain = bool(keys) and all(type(key) is str and key and set(key) <= {"0", "1"} for key in keys)
    widths = {len(key) for key in keys} if plain else set()
    expected = widths.pop() if len(widths) == 1 else None
    assert bits.uniform_wire_width(keys) == expected


@given(counts_maps)
def test_normalize_counts_fast_path_equals_the_general_path(counts: dict[Any, Any]) -> None:
    fast = _outcome(lambda: bits.normalize_counts(counts))
    assert _typed(fast) == _typed(_general(lambda: bits.normalize_counts(counts)))


@given(counts_maps)
def test_counts_to_int_fast_path_equals_the_general_path(counts: dict[Any, Any]) -> None:
    fast = _outcome(lambda: bits.counts_to_int(counts))
    assert _typed(fast) == _typed(_general(lambda: bits.counts_to_int(counts)))


@given(counts_maps)
def test_result_decoding_fast_path_equals_the_general_path(counts: dict[Any, Any]) -> None:
    def decode() -> Any:
        result = results.OqtopusSamplingResult({"counts": counts})
        return result.raw_counts, result.bit_width, dict(result.counts)

    assert _typed(_outcome(decode)) == _typed(_general(decode))


def test_a_server_sized_result_takes_the_fast_path() -> None:
    counts = {bits.int_to_key(value, 20): 1 + value % 3 for value in range(0, 2**20, 97)}
    assert bits.uniform_wire_width(counts) == 20
    result = results.OqtopusSamplingResult({"counts": counts})
    assert result.raw_counts == counts
    assert result.counts == {value: 1 + value % 3 for value in range(0, 2**20, 97)}


def test_counts_is_converted_once_and_each_answer_is_the_callers_own() -> None:
    result = results.OqtopusSamplingResult({"counts": {"01": 3, "10": 1}})
    first = result.counts
    first[1] = 100
    del first[2]
    assert result.counts == {1: 3, 2: 1}
    assert result.counts is not result.counts
