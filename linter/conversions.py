"""Typed conversion of config values, as the daemons read them.

Postfix and Dovecot spell booleans, numbers, sizes, times and lists differently; each
function takes the *product* whose syntax applies (:data:`POSTFIX` or :data:`DOVECOT`,
the keys of ``linter.catalog.VERSIONS`` and ``Format.product``).  :data:`UNKNOWN` stands
for a value the tool cannot know (a template expression, a host-dependent default); a
conversion of it is UNKNOWN.  Conversions raise
``ValueError`` worded like the daemon that would reject the value (``bad boolean
configuration: ...``, ``Invalid size: ...``).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

    from linter.catalog import Param

class _Unknown:
    """The type of :data:`UNKNOWN`; a falsy singleton that survives copy/pickle."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self):
        return (_Unknown, ())


UNKNOWN: Final = _Unknown()


# The products whose value syntax differs (Format.product names them too).
POSTFIX = "postfix"
DOVECOT = "dovecot"


# --- typed conversion ---------------------------------------------------------------


def parse_bool(text: str, fmt: str = POSTFIX, name: str = "") -> bool:
    """Postfix: yes/no (any case).  Dovecot (settings-parser.c get_bool): yes/y (any
    case) or 1 for true, only no (any case) for false."""
    low = text.lower()
    if fmt == DOVECOT:
        if low in ("yes", "y") or text == "1":
            return True
        if low == "no":
            return False
        raise ValueError(f"Invalid boolean value: {text} (use yes or no)")
    if low == "yes":
        return True
    if low == "no":
        return False
    raise ValueError(f"bad boolean configuration: {name or 'value'} = {text}")


def _digits(text: str) -> bool:
    """``[0-9]+``: ASCII digits only (``str.isdigit`` alone also takes '٣' and '²')."""
    return text.isascii() and text.isdigit()


def _leading_digits(text: str) -> int:
    """How many ASCII digits ``text`` starts with."""
    return len(text) - len(text.lstrip("0123456789"))


_OCTAL_DIGITS = frozenset("01234567")
_SIZE_TAILS = ("", "b", "B", "ib", "iB", "Ib", "IB")  # after a Dovecot size unit: [iI]?[bB] or nothing


def _postfix_number(text: str, name: str) -> int:
    # mail_conf_int/long: strtol with no trailing characters and no suffixes.
    rest = text.lstrip(" \t")
    if not _digits(rest[1:] if rest[:1] in ("-", "+") else rest):  # [ \t]*[-+]?[0-9]+
        raise ValueError(f"bad numerical configuration: {name or 'value'} = {text}")
    return int(text)


def _check_range(value: int, name: str, minimum: int | None, maximum: int | None) -> int:
    if minimum is not None and value < minimum:
        raise ValueError(f"invalid {name or 'value'} parameter value {value} < {minimum}")
    if maximum is not None and value > maximum:
        raise ValueError(f"invalid {name or 'value'} parameter value {value} > {maximum}")
    return value


def parse_int(
    text: str, fmt: str = POSTFIX, name: str = "", minimum: int | None = None, maximum: int | None = None
) -> int:
    """A plain decimal integer (Dovecot: unsigned 32-bit, leading zeros still decimal)."""
    if fmt == DOVECOT:
        if text[:1] == "-" and _digits(text[1:]):
            raise ValueError(f"Invalid number {text}: Number too small")
        if not _digits(text):
            raise ValueError(f"Invalid number {text}: Not a valid number")
        if int(text) > _UINT_MAX:
            raise ValueError(f"Invalid number {text}: Number too large")
        return _check_range(int(text), name, minimum, maximum)
    return _check_range(_postfix_number(text, name), name, minimum, maximum)


_UINT_MAX = 2**32 - 1
_DOVECOT_SIZE_UNITS = {"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(
    text: str, fmt: str = POSTFIX, name: str = "", minimum: int | None = None, maximum: int | None = None
) -> int:
    """Bytes.  Postfix allows no unit suffix at all; Dovecot accepts B/k/M/G/T in any
    case, optionally after a space and followed by ``B`` or ``iB`` (``2 kB``, ``2KiB``)."""
    if fmt == DOVECOT:
        # ([0-9]+) *(?:([bBkKmMgGtT])(?:[iI]?[bB])?)?
        digits = _leading_digits(text)
        rest = text[digits:].lstrip(" ")
        if not digits or (rest and (rest[0] not in "bBkKmMgGtT" or rest[1:] not in _SIZE_TAILS)):
            raise ValueError(f"Invalid size: {text}")
        unit = _DOVECOT_SIZE_UNITS[(rest[:1] or "b").lower()]
        return _check_range(int(text[:digits]) * unit, name, minimum, maximum)
    return _check_range(_postfix_number(text, name), name, minimum, maximum)


_POSTFIX_TIME_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# settings-parser.c: a unit is any prefix of one of these words, in any case.
_DOVECOT_TIME_UNITS = (
    (("msecs", "milliseconds"), 0.001),
    (("seconds", "secs"), 1),
    (("minutes", "mins"), 60),
    (("hours",), 3600),
    (("days",), 86400),
    (("weeks",), 604800),
)


def _dovecot_time_factor(unit: str) -> float | None:
    word = unit.lower()
    if word.startswith(("ms", "mil")):
        candidates = _DOVECOT_TIME_UNITS[:1]  # "ms..."/"mil...": milliseconds, not minutes
    else:
        candidates = _DOVECOT_TIME_UNITS[1:]
    for words, factor in candidates:
        if any(w.startswith(word) for w in words):
            return factor
    return None


def parse_time(
    text: str,
    default_unit: str = "s",
    fmt: str = POSTFIX,
    name: str = "",
    minimum: int | None = None,
    maximum: int | None = None,
) -> float:
    """Seconds (Dovecot milliseconds give a fraction).

    Postfix (conv_time.c, 3.7): digits plus an optional one-letter unit s/m/h/d/w; a
    bare number takes ``default_unit``; only the first character after the digits is
    checked (``1hour`` is 1h).  Dovecot: ``5m``, ``30 secs``, ``1 hour``, ``250 ms``; a
    unit is required unless the number is 0, and milliseconds only where the setting
    is in milliseconds (``default_unit="ms"``) or they make whole seconds.
    """
    if fmt == DOVECOT:
        digits = _leading_digits(text)  # ([0-9]+) *([a-zA-Z]*)
        word = text[digits:].lstrip(" ")
        if not digits or (word and not (word.isascii() and word.isalpha())):
            raise ValueError(f"Invalid time interval: {text}")
        number = int(text[:digits])
        if not word:
            if number != 0:
                raise ValueError(f"Time interval '{text}' is missing units (add e.g. 's' for seconds)")
            return 0
        factor = _dovecot_time_factor(word)
        if factor is None:
            raise ValueError(f"Invalid time interval: {text}")
        if factor < 1 and default_unit != "ms" and number % 1000:
            raise ValueError(f"Milliseconds not supported for this setting: {text}")
        seconds = number * factor
        return int(seconds) if factor >= 1 or number % 1000 == 0 else seconds
    digits = _leading_digits(text)  # ([0-9]+)(.?)(.*): only the character after the digits counts
    unit = text[digits:digits + 1] or default_unit
    if not digits or unit not in _POSTFIX_TIME_UNITS:
        raise ValueError(f"parameter {name or 'value'}: bad time value or unit: {text}")
    seconds = int(text[:digits]) * _POSTFIX_TIME_UNITS[unit]
    if minimum is not None and seconds < minimum:
        raise ValueError(f"invalid {name or 'value'}: {seconds} (min {minimum})")
    if maximum is not None and seconds > maximum:
        raise ValueError(f"invalid {name or 'value'}: {seconds} (max {maximum})")
    return seconds


def parse_octal(text: str, name: str = "") -> int:
    """A Dovecot mode: octal only with a leading 0 (``660`` is decimal 660 = 01224)."""
    if not _digits(text):
        raise ValueError(f"Invalid number {text}: Not a valid number")
    if text.startswith("0"):
        if not _OCTAL_DIGITS.issuperset(text):
            raise ValueError(f"Invalid number {text}: Not a valid number")
        return int(text, 8)
    return int(text)


def split_list(text: str, fmt: str = POSTFIX, separators: str = ", \t\r\n") -> tuple[str, ...]:
    """List items.  Postfix (mystrtok_cw): split on commas and whitespace, ``{ ... }``
    keeps an item with blanks together (the braces and their inner padding dropped).
    Dovecot: split on spaces only (so ``plain,login`` is one item)."""
    if fmt == DOVECOT:
        return tuple(text.split())
    items: list[str] = []
    pos, n = 0, len(text)
    while pos < n:
        while pos < n and text[pos] in separators:
            pos += 1
        if pos >= n:
            break
        if text[pos] == "{":
            level, end = 0, pos
            while end < n:
                if text[end] == "{":
                    level += 1
                elif text[end] == "}":
                    level -= 1
                    if level == 0:
                        break
                end += 1
            items.append(text[pos + 1 : end].strip(" \t\r\n"))
            pos = end + 1
        else:
            end = pos
            while end < n and text[end] not in separators:
                end += 1
            items.append(text[pos:end])
            pos = end
    return tuple(items)


# --- per-parameter typing --------------------------------------------------------------


def typed_value(param: Param, raw: str | _Unknown, fmt: str = POSTFIX) -> Any:
    """``raw`` (already expanded) converted per the catalogue type of ``param``:
    bool, int (int/uint/size/octal), float seconds (time), tuple (lists), str.
    UNKNOWN stays UNKNOWN.  Bad values raise ValueError in the daemon's words."""
    if raw is UNKNOWN:
        return UNKNOWN
    return _typed(raw, param.type, fmt, param.name, param.unit, param.min, param.max,  # type: ignore[arg-type]
                  param.choices)


def _typed(text: str, kind: str, fmt: str, name: str, unit: str | None, minimum: int | None, maximum: int | None,
           choices: tuple[str, ...]) -> Any:
    if kind == "bool":
        return parse_bool(text, fmt, name)
    if kind in ("int", "uint"):
        return parse_int(text, fmt, name, minimum, maximum)
    if kind == "size":
        return parse_size(text, fmt, name, minimum, maximum)
    if kind == "time":
        return parse_time(text, unit or "s", fmt, name, minimum, maximum)
    if kind == "octal":
        return parse_octal(text, name)
    if kind == "enum":
        if choices and text not in choices:
            raise ValueError(f"Invalid value: {text}")
        return text
    if kind in ("list", "maptype-list", "restriction-list"):
        return split_list(text, fmt)
    return text


# A policy's ``type:`` -> the catalogue type whose conversion it asks for.
_POLICY_TYPES = {"string": "string", "path": "string", "bool": "bool", "int": "int", "size": "size",
                 "time": "time", "list": "list", "octal": "octal"}


def convert(text: str, kind: str | None, fmt: str = POSTFIX, name: str = "", unit: str | None = None) -> Any:
    """``text`` (already expanded) converted as the daemon would read a value of
    catalogue type ``kind``.  A value the daemon rejects (``10M`` as a Postfix size)
    stays a string: a numeric constraint then reports it, an expression skips it."""
    if kind is None:
        return text
    if fmt == DOVECOT and kind == "int":
        kind = "uint"
    if text is UNKNOWN:
        return UNKNOWN
    try:  # as typed_value() with a catalogue Param of this type and unit, no bounds or choices
        return _typed(text, kind, fmt, name, unit, None, None, ())
    except ValueError:
        return text


def policy_typed(text: str, policy_type: str, fmt: str = POSTFIX) -> Any:
    """``text`` converted by a check's ``type:`` (``string bool int size time list octal path``)."""
    return convert(text, _POLICY_TYPES.get(policy_type, "string"), fmt)
