"""Postfix ``$`` expansion, as the daemons do it.

No I/O here.  Postfix expansion follows ``util/mac_parse.c`` and ``util/mac_expand.c``
(3.7): ``$name``, ``${name}``, ``$(name)``, ``${name?value}``, ``${name:value}``,
``${name?{v1}:{v2}}``, relational ``${{a} == {b} ? {x} : {y}}`` with ``== != < <= >= >``
(numeric when both sides are non-empty digit strings) and the compatibility-level
operators ``<level`` etc., and ``$$``.  What ``postconf -x`` rejects as a "macro
processing error" raises :class:`ExpansionError` here, with Postfix's warning text.

Also Postfix's TLS protocol lists (what ``smtpd_tls_protocols`` enables).  Typed
conversion is :mod:`linter.conversions`, IP networks :mod:`linter.networks`, restriction
lists :mod:`linter.restrictions`.

:data:`UNKNOWN` (:mod:`linter.conversions`) stands for a value we cannot know (a template expression, a
host-dependent default); any expansion or conversion that touches it is UNKNOWN.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

# Typed conversion, networks and restriction lists have modules of their own;
# their names stay importable from here for the checks and the policy language.
from linter.conversions import (  # noqa: F401
    DOVECOT,
    POSTFIX,
    UNKNOWN,
    _Unknown,
    parse_bool,
    parse_int,
    parse_octal,
    parse_size,
    parse_time,
    split_list,
    typed_value,
)
from linter.lazyre import lazy
from linter.networks import (  # noqa: F401
    ip_network,
    network_is_public,
    network_items,
    networks_outside,
    public_networks,
    remote_inet,
    wide_networks,
)
from linter.restrictions import (  # noqa: F401
    BLOCK,
    GOON,
    MAYBE,
    PASS,
    RELAY_GUARDS,
    RestrictionWalker,
    judge_relay,
    judge_unauthenticated,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final


class ExpansionError(ValueError):
    """A value that Postfix's macro expander rejects (``postconf -x`` is fatal)."""


class _HitUnknown(Exception):
    """Internal: the expansion touched an UNKNOWN value."""


# --- Postfix $ expansion ----------------------------------------------------------

# Postfix stops at 100 nested macro calls ("unreasonable macro call nesting").
_MAX_NESTING = 100
# A guard against expansion bombs ($a1 = $a0$a0, ...); real values are far smaller.
_MAX_LENGTH = 1 << 20
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_SPACE = " \t\r\n\v\f"
_RELOPS = ("==", "!=", "<", "<=", ">=", ">")

Lookup = Callable[[str], "str | None | _Unknown"]


def _at(text: str, pos: int) -> str:
    """Postfix's error context: ``"...before>>>after"``."""
    return f'"...{text[:pos]}>>>{text[pos:]}"'


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _SPACE:
        pos += 1
    return pos


def _braced(text: str, pos: int) -> tuple[str, int]:
    """The ``{...}`` at ``pos`` (balanced); returns its inside and the index after it."""
    level = 0
    for i in range(pos, len(text)):
        if text[i] == "{":
            level += 1
        elif text[i] == "}":
            level -= 1
            if level == 0:
                return text[pos + 1 : i], i + 1
    raise ExpansionError(f'unmatched "{{" at: {_at(text, pos)}')


class _Expander:
    def __init__(self, lookup: Lookup):
        self.lookup = lookup
        self.right_operand = 0  # where the last relational's right operand starts
        self.memo: dict[str, str] = {}
        self.active: list[str] = []

    def value_of(self, name: str) -> str:
        if name in self.memo:
            return self.memo[name]
        if name in self.active or len(self.active) >= _MAX_NESTING:
            raise ExpansionError(f'unreasonable macro call nesting: "{name}"')
        raw = self.lookup(name)
        if raw is UNKNOWN:
            raise _HitUnknown
        if raw is None:
            return ""
        self.active.append(name)
        try:
            result = self.expand(raw)
        finally:
            self.active.pop()
        self.memo[name] = result
        return result

    def expand(self, text: str) -> str:
        out: list[str] = []
        size = 0
        pos = 0
        n = len(text)
        while pos < n:
            dollar = text.find("$", pos)
            if dollar < 0:
                out.append(text[pos:])
                break
            out.append(text[pos:dollar])
            pos = dollar + 1
            ch = text[pos] if pos < n else ""
            if ch == "$":
                out.append("$")
                pos += 1
            elif ch in ("{", "("):
                close = "}" if ch == "{" else ")"
                level = 1
                end = pos + 1
                while level:
                    if end >= n:
                        raise ExpansionError(f'truncated macro reference: "{text}"')
                    if text[end] == ch:
                        level += 1
                    elif text[end] == close:
                        level -= 1
                    end += 1
                out.append(self.expression(text[pos + 1 : end - 1]))
                pos = end
            else:
                end = pos
                while end < n and text[end] in _NAME_CHARS:
                    end += 1
                if end == pos:
                    raise ExpansionError(f'empty macro name: "{text}"')
                out.append(self.value_of(text[pos:end]))
                pos = end
            size += len(out[-1])
            if size > _MAX_LENGTH:
                raise ExpansionError("expanded value is unreasonably long")
        return "".join(out)

    def expression(self, body: str) -> str:
        """The inside of ``${...}`` / ``$(...)``."""
        pos = _skip_space(body, 0)
        context = 0
        if pos < len(body) and body[pos] == "{":
            condition, pos = self.relational(body, pos)
            context = self.right_operand
        else:
            start = pos
            while pos < len(body) and body[pos] in _NAME_CHARS:
                pos += 1
            name = body[start:pos]
            if not name:
                if pos >= len(body):
                    raise ExpansionError(f'empty macro name: "{body}"')
                raise ExpansionError(f"attribute name syntax error at: {_at(body, pos)}")
            after = _skip_space(body, pos)
            if after < len(body) and body[after] not in "?:":
                raise ExpansionError(f"attribute name syntax error at: {_at(body, pos)}")
            pos = after
            if pos >= len(body):
                return self.value_of(name)
            condition = self.value_of(name)
        if pos >= len(body):
            return condition
        op = body[pos]
        if op not in "?:":
            raise ExpansionError(f'"?" or ":" expected at: {_at(body[context:], pos - context)}')
        pos = _skip_space(body, pos + 1)
        if pos < len(body) and body[pos] == "{":
            context = pos + 1  # Postfix shows its error context from inside the value
            first, pos = _braced(body, pos)
            pos = _skip_space(body, pos)
            second: str | None = None
            if pos < len(body):
                if op == "?" and body[pos] == ":":
                    pos = _skip_space(body, pos + 1)
                    if pos < len(body) and body[pos] == "{":
                        context = pos + 1
                        second, pos = _braced(body, pos)
                        pos = _skip_space(body, pos)
                        if pos < len(body):
                            raise ExpansionError(f"unexpected input at: {_at(body[context:], pos - context)}")
                    else:
                        second = body[pos:].strip(_SPACE)
                elif op == "?":
                    raise ExpansionError(f'":" expected at: {_at(body[context:], pos - context)}')
                else:
                    raise ExpansionError(f"unexpected input at: {_at(body[context:], pos - context)}")
        else:
            first, second = body[pos:].strip(_SPACE), None
        if op == ":":
            return self.expand(first) if condition == "" else ""
        if condition != "":
            return self.expand(first)
        return self.expand(second) if second is not None else ""

    def relational(self, body: str, pos: int) -> tuple[str, int]:
        """``{left} OP {right}`` from ``pos``: ("true" or "", index after it)."""
        context = pos + 1  # Postfix's error context starts inside the left operand
        left, pos = _braced(body, pos)
        pos = _skip_space(body, pos)
        start = pos
        while pos < len(body) and body[pos] in "=!<>":
            pos += 1
        op = body[start:pos]
        by_level = body.startswith("level", pos)
        if by_level:
            pos += len("level")
        if op not in _RELOPS:
            raise ExpansionError(
                '"==" or "!="" or "<"" or "<="" or ">="" or ">" expected at: '
                + _at(body[context:], start - context)
            )
        pos = _skip_space(body, pos)
        if pos >= len(body) or body[pos] != "{":
            raise ExpansionError(f'"{{expression}}" expected at: {_at(body[context - 1 :], pos - context + 1)}')
        self.right_operand = pos + 1
        right, pos = _braced(body, pos)
        lhs, rhs = self.expand(left), self.expand(right)
        if by_level:
            a: object = compat_level(lhs)
            b: object = compat_level(rhs)
        elif lhs.isdigit() and rhs.isdigit() and lhs.isascii() and rhs.isascii():
            a, b = int(lhs), int(rhs)
        else:
            a, b = lhs, rhs
        result = {
            "==": a == b,
            "!=": a != b,
            "<": a < b,  # type: ignore[operator]
            "<=": a <= b,  # type: ignore[operator]
            ">=": a >= b,  # type: ignore[operator]
            ">": a > b,  # type: ignore[operator]
        }[op]
        return ("true" if result else ""), _skip_space(body, pos)


def compat_level(text: str) -> tuple[int, int, int]:
    """``major[.minor[.patch]]`` as Postfix's compat_level.c reads it (so 3.10 > 3.9)."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() and p.isascii() for p in parts):
        raise ExpansionError(f'malformed compatibility level syntax: "{text}"')
    numbers = [int(p) for p in parts] + [0] * (3 - len(parts))
    return numbers[0], numbers[1], numbers[2]


def expand(text: str | _Unknown, lookup: Lookup) -> str | _Unknown:
    """Expand ``text`` like Postfix; ``lookup(name)`` gives a raw (unexpanded) value,
    None when undefined (expands to empty) or UNKNOWN (the result is UNKNOWN).

    Raises :class:`ExpansionError` for a syntax error or a reference cycle.
    """
    if text is UNKNOWN:
        return UNKNOWN
    if "$" not in text:  # expands to itself (most values): no expander made
        return text
    try:
        return _Expander(lookup).expand(text)  # type: ignore[arg-type]
    except _HitUnknown:
        return UNKNOWN


def references(text: str) -> tuple[str, ...]:
    """The parameter names ``text`` refers to as ``$name``/``${name...}``/``$(name...)``,
    in order, as postconf's "unused parameter" logic finds them (no evaluation)."""
    # The matches of r"\$(?:\$|([A-Za-z0-9_]+)|[{(]\s*([A-Za-z0-9_]+))" in order, found with
    # string methods (tests/test_without_regex.py compares the two): ``$$``, a name after ``$``,
    # or ``{`` / ``(``, whitespace (str.isspace(), as the pattern's \s) and a name; a ``$``
    # followed by none of these starts no match.
    found: list[str] = []
    end = len(text)
    dollar = text.find("$")
    while dollar >= 0:
        i = dollar + 1
        after = text[i : i + 1]
        if after == "$":
            dollar = text.find("$", i + 1)
            continue
        if after == "{" or after == "(":
            i += 1
            while i < end and text[i].isspace():
                i += 1
        start = i
        while i < end and text[i] in _NAME_CHARS:
            i += 1
        if i > start:
            name = text[start:i]
            if name not in found:
                found.append(name)
            dollar = text.find("$", i)
        else:
            dollar = text.find("$", dollar + 1)
    return tuple(found)


def postfix_lookup(explicit: Mapping[str, str | _Unknown], services: Iterable = ()) -> Lookup:
    """A lookup over explicit values, then catalogue defaults (host-dependent
    defaults are UNKNOWN), then defaults of service-defined parameters."""
    from linter import catalog

    service_list = tuple(services)

    def lookup(name: str) -> str | None | _Unknown:
        if name in explicit:
            return explicit[name]
        param = catalog.postfix_param(name)
        if param is not None:
            return UNKNOWN if param.default is None else param.default
        compatibility = catalog.postfix_compatibility(name)
        if compatibility is not None:
            return compatibility
        return catalog.service_parameter_default(name, service_list)

    return lookup


def effective_postfix(
    name: str, explicit: Mapping[str, str | _Unknown], services: Iterable = ()
) -> str | None | _Unknown:
    """The expanded value of ``name``: explicit, else the catalogue default; None when
    the name is neither set nor known.  ``services`` are master.cf service names (or
    ``(name, command)`` pairs) whose service-defined parameters exist.  A *raw*
    parameter (``mailbox_command``, ``default_rbl_reply``...) is returned unexpanded,
    as ``postconf -x`` shows it: its ``$`` belong to the daemon's run-time macros."""
    from linter import catalog

    lookup = postfix_lookup(explicit, services)
    raw = lookup(name)
    if raw is None:
        return None
    param = catalog.postfix_param(name)
    if param is not None and param.raw:
        return raw
    return expand(raw, lookup)


# --- TLS protocol lists (tls_misc.c tls_proto_mask_lims) -------------------------------

# Postfix's protocol names in order, with OpenSSL's version numbers (SSL2_VERSION is 2).
TLS_PROTOCOLS: Final = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
_TLS_NUMBERS = {"SSLv2": 0x0002, "SSLv3": 0x0300, "TLSv1": 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303,
                "TLSv1.3": 0x0304}
# ">=name"/"<=name" take these names (no SSLv2) or a hexadecimal number
_TLS_BOUND_NAMES = {"none": 0, "sslv3": 0x0300, "tlsv1": 0x0301, "tlsv1.1": 0x0302, "tlsv1.2": 0x0303,
                    "tlsv1.3": 0x0304}
TLS_INVALID: Final = "invalid"


_TLS_BOUND_NUMBER = lazy(r"([+-]?)(?:0[xX](?=[0-9a-fA-F]))?([0-9a-fA-F]*)")  # strtoul(text, 16)


def _tls_bound(text: str) -> int | None:
    """parse_tls_version(): a name (any case) or strtoul(text, 16); None when invalid."""
    known = _TLS_BOUND_NAMES.get(text.lower())
    if known is not None:
        return known
    match = _TLS_BOUND_NUMBER.fullmatch(text)
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
    for token in _tls_list_items(text):
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


def _tls_list_items(text: str) -> list[str]:
    """The items of a TLS protocol list, split on commas, blanks and colons
    (``tls_proto_mask_lims()``'s separators): ``re.split(r"[, \t\r\n:]+", text)`` without
    its empty pieces.  Not :func:`split_list`: Postfix groups no ``{...}`` here."""
    spaced = text.replace(",", " ").replace("\t", " ").replace("\r", " ").replace("\n", " ").replace(":", " ")
    return [item for item in spaced.split(" ") if item]


def tls_floor(value: str | tuple) -> str:
    """The lowest protocol a ``*_tls_protocols`` value enables (``'SSLv3'``, ``'TLSv1.2'``);
    ``''`` when it enables none, ``'invalid'`` when Postfix rejects the list."""
    enabled = tls_protocols(value)
    if enabled is None:
        return TLS_INVALID
    return enabled[0] if enabled else ""
