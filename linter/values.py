"""Value semantics: ``$`` expansion and typed conversion, as the daemons do it.

No I/O here.  Postfix expansion follows ``util/mac_parse.c`` and ``util/mac_expand.c``
(3.7): ``$name``, ``${name}``, ``$(name)``, ``${name?value}``, ``${name:value}``,
``${name?{v1}:{v2}}``, relational ``${{a} == {b} ? {x} : {y}}`` with ``== != < <= >= >``
(numeric when both sides are non-empty digit strings) and the compatibility-level
operators ``<level`` etc., and ``$$``.  What ``postconf -x`` rejects as a "macro
processing error" raises :class:`ExpansionError` here, with Postfix's warning text.

Conversions raise ``ValueError`` worded like the daemon that would reject the value
(``bad boolean configuration: ...``, ``Invalid size: ...``).

:data:`UNKNOWN` stands for a value we cannot know (a template expression, a
host-dependent default); any expansion or conversion that touches it is UNKNOWN.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from linter.catalog import Param

POSTFIX = "postfix"
DOVECOT = "dovecot"


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


def is_unknown(value: object) -> bool:
    return value is UNKNOWN


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
    try:
        return _Expander(lookup).expand(text)  # type: ignore[arg-type]
    except _HitUnknown:
        return UNKNOWN


def references(text: str) -> tuple[str, ...]:
    """The parameter names ``text`` refers to as ``$name``/``${name...}``/``$(name...)``,
    in order, as postconf's "unused parameter" logic finds them (no evaluation)."""
    found: list[str] = []
    for match in re.finditer(r"\$(?:\$|([A-Za-z0-9_]+)|[{(]\s*([A-Za-z0-9_]+))", text):
        name = match.group(1) or match.group(2)
        if name and name not in found:
            found.append(name)
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


def _postfix_number(text: str, name: str) -> int:
    # mail_conf_int/long: strtol with no trailing characters and no suffixes.
    if not re.fullmatch(r"[ \t]*[-+]?[0-9]+", text):
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
        if re.fullmatch(r"-[0-9]+", text):
            raise ValueError(f"Invalid number {text}: Number too small")
        if not re.fullmatch(r"[0-9]+", text):
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
        match = re.fullmatch(r"([0-9]+) *(?:([bBkKmMgGtT])(?:[iI]?[bB])?)?", text)
        if not match:
            raise ValueError(f"Invalid size: {text}")
        unit = _DOVECOT_SIZE_UNITS[(match.group(2) or "b").lower()]
        return _check_range(int(match.group(1)) * unit, name, minimum, maximum)
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
        match = re.fullmatch(r"([0-9]+) *([a-zA-Z]*)", text)
        if not match:
            raise ValueError(f"Invalid time interval: {text}")
        number, word = int(match.group(1)), match.group(2)
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
    match = re.fullmatch(r"([0-9]+)(.?)(.*)", text, re.DOTALL)
    if not match:
        raise ValueError(f"parameter {name or 'value'}: bad time value or unit: {text}")
    unit = match.group(2) or default_unit
    if unit not in _POSTFIX_TIME_UNITS:
        raise ValueError(f"parameter {name or 'value'}: bad time value or unit: {text}")
    seconds = int(match.group(1)) * _POSTFIX_TIME_UNITS[unit]
    if minimum is not None and seconds < minimum:
        raise ValueError(f"invalid {name or 'value'}: {seconds} (min {minimum})")
    if maximum is not None and seconds > maximum:
        raise ValueError(f"invalid {name or 'value'}: {seconds} (max {maximum})")
    return seconds


def parse_octal(text: str, name: str = "") -> int:
    """A Dovecot mode: octal only with a leading 0 (``660`` is decimal 660 = 01224)."""
    if not re.fullmatch(r"[0-9]+", text):
        raise ValueError(f"Invalid number {text}: Not a valid number")
    if text.startswith("0"):
        if not re.fullmatch(r"[0-7]+", text):
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
    text: str = raw  # type: ignore[assignment]
    kind = param.type
    if kind == "bool":
        return parse_bool(text, fmt, param.name)
    if kind in ("int", "uint"):
        return parse_int(text, fmt, param.name, param.min, param.max)
    if kind == "size":
        return parse_size(text, fmt, param.name, param.min, param.max)
    if kind == "time":
        return parse_time(text, param.unit or "s", fmt, param.name, param.min, param.max)
    if kind == "octal":
        return parse_octal(text, param.name)
    if kind == "enum":
        if param.choices and text not in param.choices:
            raise ValueError(f"Invalid value: {text}")
        return text
    if kind in ("list", "maptype-list", "restriction-list"):
        return split_list(text, fmt)
    return text


# --- IP networks (mynetworks, login_trusted_networks, ...) ------------------------------

# Special-purpose blocks whose addresses are not reachable from the Internet (RFC 6890
# and its registries: "this network", private, shared, loopback, link local, the
# documentation and benchmarking ranges, multicast, reserved).  A network that lies
# inside one of them holds no public address.
_NON_PUBLIC_V4 = ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
                  "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
                  "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3")
_NON_PUBLIC_V6 = ("::/127", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "fc00::/7",
                  "fe80::/10", "ff00::/8")


def ip_network(item: str) -> Any:
    """An address or network as Postfix (``[::1]/128``, ``10.0.0.0/8``) or Dovecot
    (``::1/128``, ``10.1.2.3/8``: host bits are ignored) writes it, as an
    ``ipaddress`` network; None for anything else (a hostname, ``type:table``,
    ``/file``, a ``!``-negated item, a netmask instead of a prefix length)."""
    import ipaddress

    text = item.strip()
    address, slash, bits = text.partition("/")
    if address.startswith("[") and address.endswith("]"):
        address = address[1:-1]
    if slash and not (bits.isdigit() and bits.isascii()):
        return None
    try:
        host = ipaddress.ip_address(address)
    except ValueError:
        return None
    if not slash:
        return ipaddress.ip_network(host)
    if int(bits) > host.max_prefixlen:
        return None
    return ipaddress.ip_network(f"{host}/{int(bits)}", strict=False)


def network_items(value: Any) -> tuple[str, ...]:
    """The items of a list value (a tuple, or text split at blanks and commas, as both
    Postfix and Dovecot split address lists)."""
    if isinstance(value, tuple):
        return tuple(w for item in value for w in str(item).replace(",", " ").split())
    if value is None or value is UNKNOWN:
        return ()
    return tuple(str(value).replace(",", " ").split())


def wide_networks(value: Any, v4_prefix: int, v6_prefix: int) -> tuple[str, ...]:
    """The items (as written) that are networks wider than ``/v4_prefix`` (IPv4) or
    ``/v6_prefix`` (IPv6): ``wide_networks('0.0.0.0/0 10.0.0.0/8', 8, 32)`` is
    ``('0.0.0.0/0',)``."""
    found = []
    for item in network_items(value):
        net = ip_network(item)
        if net is not None and net.prefixlen < (v4_prefix if net.version == 4 else v6_prefix):
            found.append(item)
    return tuple(found)


def network_is_public(net: Any) -> bool:
    """Whether an ``ipaddress`` network holds an address reachable from the Internet."""
    import ipaddress

    blocks = _NON_PUBLIC_V4 if net.version == 4 else _NON_PUBLIC_V6
    return not any(net.subnet_of(ipaddress.ip_network(block)) for block in blocks)


def networks_outside(value: Any, within: Any) -> tuple[str, ...]:
    """The items (as written) of ``value`` that are not wholly inside one of the networks of
    ``within``; an item that is no address (a host name, ``!item``) is never inside:
    ``networks_outside('127.0.0.1 10.1.0.0/16', '127.0.0.0/8 10.0.0.0/8')`` is ``()``."""
    nets = [n for n in (ip_network(w) for w in network_items(within)) if n is not None]
    found = []
    for item in network_items(value):
        net = ip_network(item)
        if net is None or not any(net.version == n.version and net.subnet_of(n) for n in nets):
            found.append(item)
    return tuple(found)


_LOOPBACK_HOSTS = ("localhost", "localhost.localdomain")


def remote_inet(value: Any, port: str) -> tuple[str, ...]:
    """The items of a list of Postfix client endpoints (``inet:host:port``, ``inet:[::1]:port``,
    as smtpd_sasl_path and the other ``inet:`` services write them) that connect to ``port``
    on a host that is not this one: not loopback (``127.0.0.0/8``, ``::1``, ``localhost``).
    A host name other than localhost counts as another host (a container, a peer)."""
    found = []
    for item in network_items(value):
        if not item.startswith("inet:"):
            continue
        host, sep, item_port = item[len("inet:"):].rpartition(":")
        if not sep or item_port != port:
            continue
        host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        net = ip_network(host)
        loopback = net.is_loopback if net is not None else host.lower() in _LOOPBACK_HOSTS
        if not loopback:
            found.append(item)
    return tuple(found)


def public_networks(value: Any) -> tuple[str, ...]:
    """The items (as written) that are addresses or networks holding a public address."""
    found = []
    for item in network_items(value):
        net = ip_network(item)
        if net is not None and network_is_public(net):
            found.append(item)
    return tuple(found)
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


# --- SMTP access restriction lists (smtpd_check.c) --------------------------------------

# The restrictions one of which must be reachable in smtpd_relay_restrictions or
# smtpd_recipient_restrictions (rcpt_required[] in smtpd_check_init), else smtpd exits:
# "fatal: in parameter smtpd_relay_restrictions or smtpd_recipient_restrictions, specify
# at least one working instance of: ..."
RELAY_GUARDS: Final = ("reject_unauth_destination", "defer_unauth_destination", "reject", "defer",
                       "defer_if_permit", "check_relay_domains")
_REJECT_ALL = frozenset(("reject", "defer", "defer_if_permit"))
_TAKES_ARGUMENT = frozenset((
    "check_policy_service", "reject_rbl_client", "reject_rhsbl_client", "reject_rhsbl_reverse_client",
    "reject_rhsbl_helo", "reject_rhsbl_sender", "reject_rhsbl_recipient", "permit_dnswl_client",
    "permit_rhswl_client", "sleep", "warn_if_reject",
))
# Permit whatever client, HELO name, sender or certificate a table or service says OK for,
# whatever the destination: before reject_unauth_destination they can open the relay
# (SMTPD_ACCESS_README "Dangerous use of smtpd_recipient_restrictions").
_CONDITIONAL_PERMITS = frozenset((
    "check_policy_service", "permit_dnswl_client", "permit_rhswl_client", "permit_tls_all_clientcerts",
    "permit_naked_ip_address",
))
# Permit only for a trusted client, an authenticated one, or an authorized destination.
_TRUSTED_PERMITS = frozenset((
    "permit_mynetworks", "permit_sasl_authenticated", "permit_inet_interfaces", "permit_tls_clientcerts",
    "permit_auth_destination", "permit_mx_backup",
))
_KNOWN = frozenset((
    *RELAY_GUARDS, *_TAKES_ARGUMENT, *_CONDITIONAL_PERMITS, *_TRUSTED_PERMITS, "permit", "defer_if_reject",
    "reject_invalid_helo_hostname", "reject_invalid_hostname", "reject_maps_rbl", "reject_multi_recipient_bounce",
    "reject_non_fqdn_helo_hostname", "reject_non_fqdn_hostname", "reject_non_fqdn_recipient",
    "reject_non_fqdn_sender", "reject_plaintext_session", "reject_rbl", "reject_sender_login_mismatch",
    "reject_authenticated_sender_login_mismatch", "reject_unauthenticated_sender_login_mismatch",
    "reject_known_sender_login_mismatch", "reject_unauth_pipelining", "reject_unknown_address",
    "reject_unknown_client", "reject_unknown_client_hostname", "reject_unknown_forward_client_hostname",
    "reject_unknown_helo_hostname", "reject_unknown_hostname", "reject_unknown_recipient_domain",
    "reject_unknown_reverse_client_hostname", "reject_unknown_sender_domain", "reject_unlisted_recipient",
    "reject_unlisted_sender", "reject_unverified_recipient", "reject_unverified_sender",
))
_MAX_CLASS_DEPTH = 20

# Outcomes of a list for one kind of client and destination
BLOCK, PASS, MAYBE, GOON = "block", "pass", "maybe", "continue"


def _is_access_check(name: str) -> bool:
    return name.startswith("check_") and name.endswith("_access")


def _recipient_scoped(name: str) -> bool:
    return name.startswith("check_recipient_")


class RestrictionWalker:
    """Walks a restriction list as smtpd's generic_checks() does, expanding the
    restriction classes of ``smtpd_restriction_classes``.

    ``classes`` is the value of smtpd_restriction_classes; ``definition(name)`` gives a
    class's value (raising when it is unknown).  ``judge(name, argument)`` says what one
    restriction does for the request in question: BLOCK, PASS, MAYBE or GOON.
    """

    def __init__(self, classes: Iterable[str], definition: Callable[[str], Any]):
        self.classes = set(classes)
        self.definition = definition

    @staticmethod
    def items(value: Any) -> list[tuple[str, str, str]]:
        """(restriction in lower case, its argument or '', the token as written) of one list."""
        tokens = list(value) if isinstance(value, tuple) else list(split_list(str(value or "")))
        items = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            name, argument = token.lower(), ""
            if ":" in token:  # a bare type:table is short for this list's check_*_access
                name, argument = "type:table", token
            elif name != "warn_if_reject" and (name in _TAKES_ARGUMENT or _is_access_check(name)) \
                    and i + 1 < len(tokens):
                argument = tokens[i + 1]
                i += 1
            items.append((name, argument, token))
            i += 1
        return items

    def expansion(self, token: str, depth: int) -> list[tuple[str, str, str]] | None:
        # smtpd looks classes up case-sensitively ("XXX ... should not be case-sensitive")
        if token not in self.classes:
            return None
        if depth > _MAX_CLASS_DEPTH:
            raise ValueError(f"restriction class {token} nests too deeply")
        return self.items(self.definition(token))

    def has_guard(self, value: Any, depth: int = 0) -> bool:
        """has_required(): a relay guard is reachable (not after a bare permit; the
        restriction after warn_if_reject does not count)."""
        items = self.items(value) if depth == 0 else value
        skip = False
        for index, (name, argument, token) in enumerate(items):
            if skip:
                skip = False
                continue
            if name == "warn_if_reject" and index + 1 < len(items):
                skip = True
                continue
            if name == "permit":
                return False
            if name in RELAY_GUARDS:
                return True
            inner = None if argument else self.expansion(token, depth + 1)
            if inner is not None and self.has_guard(inner, depth + 1):
                return True
        return False

    def walk(self, value: Any, judge: Callable[[str, str], str], depth: int = 0) -> tuple[str, str]:
        """(outcome, the restriction that decides it) for the list: BLOCK or PASS when
        that is certain, MAYBE (with the first such restriction) when a restriction
        whose answer depends on a table, a service or DNS comes first."""
        items = self.items(value) if depth == 0 else value
        warned = False
        for name, argument, token in items:
            if name == "warn_if_reject":
                warned = True  # the next restriction only logs what it would reject
                continue
            inner = None if argument else self.expansion(token, depth + 1)
            if inner is not None:
                verdict, why = self.walk(inner, judge, depth + 1)
                what = f"{token} ({why})"
            else:
                verdict = judge(name, argument)
                what = argument if name == "type:table" else f"{token} {argument}".strip()
            if warned and verdict == BLOCK:
                verdict = GOON
            warned = False
            if verdict != GOON:
                return verdict, what
        return PASS, "the end of the list"


def judge_relay(name: str, argument: str) -> str:
    """For a stranger (not in mynetworks, not authenticated) and a remote destination."""
    if name in RELAY_GUARDS:
        return BLOCK
    if name == "permit":
        return PASS
    if name in _CONDITIONAL_PERMITS or (_is_access_check(name) and not _recipient_scoped(name)):
        return MAYBE
    if name in _KNOWN or _is_access_check(name) or name == "type:table":
        return GOON
    return BLOCK  # "unknown smtpd restriction": smtpd answers 451 4.3.5 Server configuration error


def judge_unauthenticated(name: str, argument: str) -> str:
    """For a client that has not authenticated (not in mynetworks) and a local destination."""
    if name in _REJECT_ALL:
        return BLOCK
    if name in ("permit", "permit_auth_destination"):
        return PASS
    if _is_access_check(name) or name in ("type:table", "check_policy_service"):
        return MAYBE  # the table or service may reject (or permit) anyone
    if name in _KNOWN:
        return GOON
    return BLOCK
