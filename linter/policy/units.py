"""Sizes and times as a policy author writes them (``10M``, ``1h``, ``2 days``).

Policies may use units even where Postfix itself does not (``message_size_limit`` is
plain bytes, ``10M`` is fatal there), so that a constraint reads like the
documentation.  The grammar is Dovecot's (1024-based ``k M G T``, ``s m h d w`` and
the spelled-out words), read by :mod:`linter.values`, the one implementation of unit
parsing; a bare number is bytes or seconds.
"""

from __future__ import annotations

from linter import values


def _literal(text: str | int, what: str) -> int | str:
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a {what}")
    if isinstance(text, int):
        return text
    stripped = str(text).strip()
    return int(stripped) if stripped.isdigit() else stripped


def parse_size(text: str | int) -> int:
    """Bytes in ``text`` (``10M`` = 10 MiB); raises ValueError with a short reason."""
    value = _literal(text, "size")
    if isinstance(value, int):
        return value
    try:
        return values.parse_size(value, values.DOVECOT)
    except ValueError:
        raise ValueError(f"{text!r} is not a size (a number with an optional unit k, M, G)") from None


def parse_seconds(text: str | int) -> int:
    """Seconds in ``text`` (``1h`` = 3600); raises ValueError with a short reason."""
    value = _literal(text, "time")
    if isinstance(value, int):
        return value
    try:
        seconds = values.parse_time(value, "s", values.DOVECOT)
    except ValueError:
        seconds = None
    if seconds is None or seconds != int(seconds):
        raise ValueError(f"{text!r} is not a time (a number with an optional unit s, m, h, d, w)")
    return int(seconds)
