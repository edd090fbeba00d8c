"""Sizes and times as a policy author writes them (``10M``, ``1h``, ``2 days``).

Policies may use units even where Postfix itself does not (``message_size_limit`` is
plain bytes), so that a constraint reads like the documentation; both become plain
ints (bytes, seconds) before any comparison.
"""

from __future__ import annotations

import re

_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3,
               "t": 1024**4, "tb": 1024**4}
_TIME_UNITS = {
    "": 1, "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
    "ms": 0,  # rejected below: sub-second values have no place in these settings
}
_NUMBER_UNIT = re.compile(r"\s*(\d+)\s*([A-Za-z]*)\s*")


def parse_size(text: str | int) -> int:
    """Bytes in ``text`` (``10M`` = 10 MiB); raises ValueError with a short reason."""
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a size")
    if isinstance(text, int):
        return text
    m = _NUMBER_UNIT.fullmatch(str(text))
    unit = m.group(2).lower() if m else None
    if not m or unit not in _SIZE_UNITS:
        raise ValueError(f"{text!r} is not a size (a number with an optional unit k, M, G)")
    return int(m.group(1)) * _SIZE_UNITS[unit]


def parse_seconds(text: str | int) -> int:
    """Seconds in ``text`` (``1h`` = 3600); raises ValueError with a short reason."""
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a time")
    if isinstance(text, int):
        return text
    m = _NUMBER_UNIT.fullmatch(str(text))
    unit = m.group(2).lower() if m else None
    if not m or unit not in _TIME_UNITS or unit == "ms":
        raise ValueError(f"{text!r} is not a time (a number with an optional unit s, m, h, d, w)")
    return int(m.group(1)) * _TIME_UNITS[unit]
