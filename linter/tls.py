"""Postfix TLS protocol lists (``smtpd_tls_protocols``...): what a list enables."""

from __future__ import annotations

import re
from typing import Final

# --- TLS protocol lists (tls_misc.c tls_proto_mask_lims) -------------------------------

# Postfix's protocol names in order, with OpenSSL's version numbers (SSL2_VERSION is 2).
TLS_PROTOCOLS: Final = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
_TLS_NUMBERS = {"SSLv2": 0x0002, "SSLv3": 0x0300, "TLSv1": 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303,
                "TLSv1.3": 0x0304}
# ">=name"/"<=name" take these names (no SSLv2) or a hexadecimal number
_TLS_BOUND_NAMES = {"none": 0, "sslv3": 0x0300, "tlsv1": 0x0301, "tlsv1.1": 0x0302, "tlsv1.2": 0x0303,
                    "tlsv1.3": 0x0304}
TLS_INVALID: Final = "invalid"


def _tls_bound(text: str) -> int | None:
    """parse_tls_version(): a name (any case) or strtoul(text, 16); None when invalid."""
    known = _TLS_BOUND_NAMES.get(text.lower())
    if known is not None:
        return known
    match = re.fullmatch(r"([+-]?)(?:0[xX](?=[0-9a-fA-F]))?([0-9a-fA-F]*)", text)
    if not match:
        return None
    number = int(match.group(2) or "0", 16)
    if match.group(1) == "-" and number:
        return None  # strtoul wraps a negative number to a huge one: > INT_MAX
    return number if number <= 0x7FFFFFFF else None


def tls_protocols(value: str | tuple) -> tuple[str, ...] | None:
    """The protocols a Postfix ``*_tls_protocols`` value leaves enabled, lowest first;
    None when Postfix rejects the list ("Invalid TLS protocol list": TLS is disabled).

    As ``tls_proto_mask_lims()``: items split on blanks, commas and colons; ``!name``
    excludes, a bare name includes (listing any excludes every known protocol not
    listed), ``>=v`` / ``<=v`` set a floor / ceiling (a name other than SSLv2, or hex:
    ``0x0303``, ``303``); names in any case.  An empty list enables every protocol.
    """
    text = " ".join(value) if isinstance(value, tuple) else str(value)
    include: set[str] = set()
    exclude: set[str] = set()
    floor = ceiling = 0
    by_name = {p.lower(): p for p in TLS_PROTOCOLS}
    for token in re.split(r"[, \t\r\n:]+", text):
        if not token:
            continue
        if token.startswith((">=", "<=")):
            bound = _tls_bound(token[2:])
            if bound is None:
                return None
            if token[0] == ">":
                floor = bound
            else:
                ceiling = bound
            continue
        negated = token.startswith("!")
        name = by_name.get(token[1:].lower() if negated else token.lower())
        if name is None:
            return None
        (exclude if negated else include).add(name)
    enabled = []
    for name in TLS_PROTOCOLS:
        number = _TLS_NUMBERS[name]
        if name in exclude or (include and name not in include):
            continue
        if (floor and number < floor) or (ceiling and number > ceiling):
            continue
        enabled.append(name)
    return tuple(enabled)


def tls_floor(value: str | tuple) -> str:
    """The lowest protocol a ``*_tls_protocols`` value enables (``'SSLv3'``, ``'TLSv1.2'``);
    ``''`` when it enables none, ``'invalid'`` when Postfix rejects the list."""
    enabled = tls_protocols(value)
    if enabled is None:
        return TLS_INVALID
    return enabled[0] if enabled else ""
