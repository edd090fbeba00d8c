"""Evaluate value constraints (``min``, ``one_of``, ``matches`` ...) against a value."""

from __future__ import annotations

from linter.policy.expr_functions import words
from linter.policy.model import Constraints
from linter.policy.regex import searcher
from linter.policy.templates import show

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _same(value: Any, expected: Any, raw: str | None = None) -> bool:
    """Equal as typed (``yes`` == true, ``10`` == 10, lists item by item), or as written."""
    if raw is not None and isinstance(expected, str) and raw.strip() == expected:
        return True
    return _same_typed(value, expected)


def _same_typed(value: Any, expected: Any) -> bool:
    if isinstance(value, bool):
        if isinstance(expected, bool):
            return value is expected
        return str(expected).strip().lower() in (("yes", "true", "y", "1") if value else ("no", "false", "n", "0"))
    if isinstance(value, tuple):
        return value == (tuple(expected) if isinstance(expected, (list, tuple)) else words(expected))
    if isinstance(value, (int, float)) and not isinstance(expected, bool):
        try:
            return value == (expected if isinstance(expected, (int, float)) else int(str(expected)))
        except ValueError:
            return False
    return str(value) == show(expected)


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def violations(c: Constraints, value: Any, raw: str | None) -> list[str]:
    """Why ``value`` (typed and expanded) breaks ``c``; empty when it satisfies all.

    ``matches``, ``not_matches``, ``octal``, ``absolute`` and ``empty`` judge ``raw``, the
    value as written (``$myhostname`` unexpanded): they are about how it is written.
    """
    out: list[str] = []
    if c.min is not None or c.max is not None:
        number = _number(value)
        if number is None:
            out.append(f"{show(value)!r} is not a number")
        else:
            if c.min is not None and number < c.min:
                out.append(f"{number} < {c.min}")
            if c.max is not None and number > c.max:
                out.append(f"{number} > {c.max}")
    if c.equals is not None and not _same(value, c.equals, raw):
        out.append(f"not {show(c.equals)}")
    if c.not_equals is not None and _same(value, c.not_equals, raw):
        out.append(f"is {show(c.not_equals)}")
    if c.one_of is not None and not any(_same(value, e, raw) for e in c.one_of):
        out.append("not one of " + ", ".join(map(show, c.one_of)))
    if c.not_one_of is not None and any(_same(value, e, raw) for e in c.not_one_of):
        out.append("one of " + ", ".join(map(show, c.not_one_of)))
    if c.contains is None and c.contains_any is None and c.excludes is None:
        lowered: set[str] = set()  # (no constraint on the items: not worked out)
    else:
        lowered = {str(i).lower() for i in words(value)}
    if c.contains is not None:
        missing = [x for x in c.contains if str(x).lower() not in lowered]
        if missing:
            out.append("lacks " + ", ".join(map(show, missing)))
    if c.contains_any is not None and not any(str(x).lower() in lowered for x in c.contains_any):
        out.append("has none of " + ", ".join(map(show, c.contains_any)))
    if c.excludes is not None:
        present = [x for x in c.excludes if str(x).lower() in lowered]
        if present:
            out.append("has " + ", ".join(map(show, present)))
    if c.matches is None and c.not_matches is None and c.octal is None and c.absolute is None and c.empty is None:
        return out  # (nothing judges the text as written)
    text = raw if raw is not None else show(value)
    if c.matches is not None or c.not_matches is not None:
        if c.matches is not None and not searcher(c.matches)(text):
            out.append(f"does not match {c.matches!r}")
        if c.not_matches is not None and searcher(c.not_matches)(text):
            out.append(f"matches {c.not_matches!r}")
    if c.octal is not None and (text.strip().startswith("0") and text.strip().isdigit()) != c.octal:
        out.append("not written in octal with a leading 0" if c.octal else "written in octal")
    if c.absolute is not None and text.strip().startswith("/") != c.absolute:
        out.append("not an absolute path" if c.absolute else "an absolute path")
    if c.empty is not None and (not text.strip()) != c.empty:
        out.append("not empty" if c.empty else "empty")
    return out
