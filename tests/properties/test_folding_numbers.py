"""Hypothesis: the folding check reads a plain number with ``float`` exactly as its parser reads it.

``folding._number`` tries ``float`` first (issue 23) and falls back to ``_expression`` (Python's
parser over numbers, ``pi`` and + - * /). On generated texts (floats as exporters write them,
integers, exponents, signs, underscores, spaces, non-ASCII digits, names, expressions) both must
give the same value, or both refuse with ``ValueError``.
"""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from oqtopus_bridge.folding import _expression, _number

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(allow_nan=False).map(lambda x: f"{x:#}"),
    st.floats(allow_nan=False).map(lambda x: f"{x:.17g}"),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(
        [
            "01",
            "0_1",
            "01.5",
            "01e5",
            "1_000",
            "1__0",
            "_1",
            "1e5",
            "1E-3",
            "+2",
            "-0",
            "- 1",
            " 3.5 ",
            "0x10",
            "1.5j",
            "inf",
        ]
        + ["nan", "-infinity", "1e999", "\u0661\u0662", "١.٥", "pi", "2*pi", "-pi/4", "1/0", ""]
    ),
    st.text(alphabet="0123456789.eE+-_ pi*/x()", max_size=12),
    st.text(max_size=8),
)


def _outcome(read: object, text: str) -> object:
    try:
        value = read(text)  # type: ignore[operator]
    except ValueError:
        return ValueError
    return ("nan",) if math.isnan(value) else (value, math.copysign(1.0, value))


@given(text=NUMBERS)
def test_float_first_reads_what_the_parser_reads(text: str) -> None:
    assert _outcome(_number, text) == _outcome(_expression, text)
