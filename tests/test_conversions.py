"""Number, size and time readers (linter/conversions.py) against the patterns that define them.

The readers scan with string methods (no regex to compile on the check path); these tests
hold them to the regular expressions they implement, written here as the reference, on
generated text: the same value, or the same error.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linter.conversions import DOVECOT, POSTFIX, parse_int, parse_octal, parse_size, parse_time

TEXT = st.text(alphabet=list("0123456789 \t-+bBkKmMgGtTiIsShHdDwWxyz٣²\n."), max_size=10)


def _outcome(function, *args):
    try:
        return "value", function(*args)
    except ValueError as e:
        return "error", str(e)


def _reference_int(text: str, fmt: str) -> tuple:
    if fmt == DOVECOT:
        if re.fullmatch(r"-[0-9]+", text):
            return "error", f"Invalid number {text}: Number too small"
        if not re.fullmatch(r"[0-9]+", text):
            return "error", f"Invalid number {text}: Not a valid number"
        if int(text) > 2**32 - 1:
            return "error", f"Invalid number {text}: Number too large"
        return "value", int(text)
    if not re.fullmatch(r"[ \t]*[-+]?[0-9]+", text):
        return "error", f"bad numerical configuration: n = {text}"
    return "value", int(text)


def _reference_size(text: str) -> tuple:
    match = re.fullmatch(r"([0-9]+) *(?:([bBkKmMgGtT])(?:[iI]?[bB])?)?", text)
    if not match:
        return "error", f"Invalid size: {text}"
    unit = {"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[(match.group(2) or "b").lower()]
    return "value", int(match.group(1)) * unit


def _reference_time_split(text: str, fmt: str) -> tuple | None:
    """What the patterns split a time into (number, unit word or character), or None."""
    if fmt == DOVECOT:
        match = re.fullmatch(r"([0-9]+) *([a-zA-Z]*)", text)
        return (int(match.group(1)), match.group(2)) if match else None
    match = re.fullmatch(r"([0-9]+)(.?)(.*)", text, re.DOTALL)
    return (int(match.group(1)), match.group(2)) if match else None


def _reference_octal(text: str) -> tuple:
    if not re.fullmatch(r"[0-9]+", text) or (text.startswith("0") and not re.fullmatch(r"[0-7]+", text)):
        return "error", f"Invalid number {text}: Not a valid number"
    return "value", int(text, 8) if text.startswith("0") else int(text)


@settings(max_examples=2000, deadline=None)
@given(text=TEXT)
def test_numbers_sizes_and_modes_read_as_their_patterns_say(text: str) -> None:
    for fmt in (POSTFIX, DOVECOT):
        assert _outcome(parse_int, text, fmt, "n") == _reference_int(text, fmt), (text, fmt)
    assert _outcome(parse_size, text, DOVECOT) == _reference_size(text), text
    assert _outcome(parse_octal, text) == _reference_octal(text), text


@settings(max_examples=2000, deadline=None)
@given(text=TEXT)
def test_times_split_as_their_patterns_say(text: str) -> None:
    for fmt in (POSTFIX, DOVECOT):
        split = _reference_time_split(text, fmt)
        outcome = _outcome(parse_time, text, "s", fmt, "t")
        if split is None:
            assert outcome[0] == "error", (text, fmt)
        elif fmt == POSTFIX:
            number, unit = split
            units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
            expected = ("value", number * units[unit or "s"]) if (unit or "s") in units else \
                ("error", f"parameter t: bad time value or unit: {text}")
            assert outcome == expected, text
        else:
            assert outcome[0] == "value" or "missing units" in outcome[1] or "Invalid time interval" in outcome[1] \
                or "Milliseconds" in outcome[1], (text, outcome)


@pytest.mark.parametrize(("text", "seconds"), [("5m", 300), ("5 mins", 300), ("0", 0), ("2 hours", 7200),
                                                ("1 week", 604800), ("3000 ms", 3)])
def test_dovecot_times(text: str, seconds: float) -> None:
    assert parse_time(text, "s", DOVECOT) == seconds
