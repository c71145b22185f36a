"""Times on the command line: ISO 8601 (``2026-12-01T09:30Z``) or a time ago (``30m``, ``2d``)."""

from __future__ import annotations

import argparse
import datetime as dt
import re

__all__ = ["parse_time"]

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_HELP = (
    "use ISO 8601 (2026-12-01, 2026-12-01T09:30, 2026-12-01T09:30:00Z, 2026-12-01T18:30+09:00; "
    "no offset means local time) or a time ago: a number and s, m, h, d or w, such as 30m, 1h, 2d"
)


def parse_time(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """Parse ``--since``/``--until``: an ISO 8601 time, or a duration meaning that long ago.

    Args:
        text: The option's value.
        now: The present (injectable for tests); the current time when None.

    Returns:
        An aware datetime, or a naive one (local time) for an ISO time without an offset.

    Raises:
        argparse.ArgumentTypeError: If ``text`` is neither form, saying which forms work.
    """
    match = _RELATIVE.match(text)
    if match:
        amount, unit = float(match.group(1)), match.group(2).lower()
        present = now or dt.datetime.now(dt.timezone.utc)
        return present - dt.timedelta(**{_UNITS[unit]: amount})
    iso = text.strip()
    if iso[-1:] in ("Z", "z"):
        iso = iso[:-1] + "+00:00"  # Python 3.10's parser refuses the Z suffix
    try:
        return dt.datetime.fromisoformat(iso)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid time {text!r}: {_HELP}") from None
