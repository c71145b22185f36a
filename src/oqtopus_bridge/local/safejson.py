"""JSON decoding that refuses what would hurt the server later: deep nesting, NaN and Infinity.

Python's decoder accepts ``NaN`` and ``Infinity`` (not JSON, RFC 8259 section 6), which then fail
where a response is encoded; and it recurses once per nesting level, so a 100k-deep document
raises a bare `RecursionError`, and a 900-deep one that it still accepts makes every later
recursive walk (validation, rendering, re-encoding) fail the same way (issue 21). `loads` caps
the nesting at `MAX_DEPTH`, far below the interpreter's recursion limit, and raises one error type
with a message that says what to change.
"""

from __future__ import annotations

import json
from typing import Any

#: Deepest nesting of arrays and objects accepted. The service's documents nest four or five
#: levels (a result's ``sampling.divided_counts["0"]``); a user's free-form ``*_info`` a few more.
MAX_DEPTH = 64


class JsonRefused(ValueError):
    """A JSON document is malformed, nested too deep, or holds NaN/Infinity (the message says)."""


class _Constant(Exception):
    """Python's decoder met NaN, Infinity or -Infinity."""


def _no_constants(name: str) -> Any:
    raise _Constant(f"{name}, which is not a JSON number: send finite numbers only")


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """Return the nesting depth of ``value`` (a scalar is 0), counting up to ``limit + 1`` only.

    Iterative, so it never recurses however deep ``value`` is.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        stack.extend((child, level) for child in children if isinstance(child, dict | list))
    return deepest


def loads(text: str | bytes, what: str = "the JSON document", max_depth: int = MAX_DEPTH) -> Any:
    """Decode ``text`` like `json.loads`, refusing NaN, Infinity and nesting over ``max_depth``.

    Args:
        text: The document (bytes must be UTF-8).
        what: How messages name the document (``"input.json"``, ``"the request body"``).
        max_depth: Deepest nesting of arrays and objects accepted.

    Returns:
        The decoded value.

    Raises:
        JsonRefused: Malformed JSON, bytes that are not UTF-8, NaN/Infinity, or nesting deeper than
            ``max_depth``.
    """
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")  # strictly: json.loads would also guess UTF-16 and -32
        value = json.loads(text, parse_constant=_no_constants)
    except _Constant as exc:
        raise JsonRefused(f"{what} holds {exc}") from None
    except RecursionError:
        raise _too_deep(what, max_depth) from None
    except UnicodeDecodeError:
        raise JsonRefused(f"{what} is not UTF-8 text: encode it as UTF-8") from None
    except ValueError as exc:
        raise JsonRefused(f"{what} is not JSON ({exc})") from None
    if depth(value, max_depth) > max_depth:
        raise _too_deep(what, max_depth)
    return value


def _too_deep(what: str, max_depth: int) -> JsonRefused:
    return JsonRefused(
        f"{what} nests arrays/objects deeper than {max_depth} levels: flatten the structure"
    )


def needs_check(body: bytes, max_depth: int = MAX_DEPTH) -> bool:
    """Whether ``body`` could be refused by `loads` for depth or constants (a quick byte scan).

    A body with at most ``max_depth`` opening brackets cannot nest deeper, and one without the
    words ``NaN`` and ``Infinity`` holds neither; most request bodies are both, so they are decoded
    once only, by the route.
    """
    brackets = body.count(b"[") + body.count(b"{")
    return brackets > max_depth or b"NaN" in body or b"Infinity" in body


def refusal(body: bytes, what: str = "the request body") -> str | None:
    """Why `loads` would refuse ``body`` for its nesting or a NaN/Infinity, or ``None``.

    Malformed JSON is not a refusal here: the caller's own decoder words that (FastAPI's 422).
    """
    try:
        value = json.loads(body, parse_constant=_no_constants)
    except _Constant as exc:
        return f"{what} holds {exc}"
    except RecursionError:
        return str(_too_deep(what, MAX_DEPTH))
    except ValueError:
        return None
    return str(_too_deep(what, MAX_DEPTH)) if depth(value) > MAX_DEPTH else None
