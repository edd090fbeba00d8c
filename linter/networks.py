"""IP networks in config values: parsing them as the daemons do, and judging their width."""

from __future__ import annotations

from linter.conversions import UNKNOWN

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

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


class Network:
    """An IP network: ``version`` (4 or 6), its first address as an integer, its prefix
    length; what the rules ask of ``ipaddress`` networks (``subnet_of``, ``is_loopback``),
    without importing ``ipaddress`` (1 ms of a one-host check) for the plain forms."""

    __slots__ = ("version", "address", "prefixlen", "max_prefixlen")

    def __init__(self, version: int, address: int, prefixlen: int):
        self.version = version
        self.max_prefixlen = 32 if version == 4 else 128
        self.prefixlen = prefixlen
        self.address = address & ~((1 << (self.max_prefixlen - prefixlen)) - 1)

    def subnet_of(self, other: Network) -> bool:
        if self.version != other.version:
            raise TypeError(f"{self} and {other} are not of the same version")
        shift = self.max_prefixlen - other.prefixlen
        return other.prefixlen <= self.prefixlen and self.address >> shift == other.address >> shift

    @property
    def is_loopback(self) -> bool:
        if self.version == 4:
            return self.subnet_of(_LOOPBACK_V4)
        return self.prefixlen == 128 and self.address == 1

    def __str__(self) -> str:  # as ipaddress writes it (tests, debugging)
        import ipaddress

        kind = ipaddress.IPv4Network if self.version == 4 else ipaddress.IPv6Network
        return str(kind((self.address, self.prefixlen)))

    def __repr__(self) -> str:
        return f"Network({self})"


_LOOPBACK_V4 = Network(4, 127 << 24, 8)
_HEX = frozenset("0123456789abcdefABCDEF")


def _ipv4(text: str) -> int | None:
    """ipaddress.IPv4Address's reading of dotted decimal: four octets of one to three ASCII
    digits, no leading zero, each at most 255."""
    octets = text.split(".")
    if len(octets) != 4:
        return None
    value = 0
    for octet in octets:
        if not (octet.isascii() and octet.isdigit()) or len(octet) > 3 or (octet[0] == "0" and octet != "0"):
            return None
        number = int(octet)
        if number > 255:
            return None
        value = value << 8 | number
    return value


def _hextets(parts: list[str]) -> int | None:
    value = 0
    for part in parts:
        if not part or len(part) > 4 or not _HEX.issuperset(part):
            return None
        value = value << 16 | int(part, 16)
    return value


def _ipv6(text: str) -> int | None:
    """ipaddress.IPv6Address's reading of an address of hex groups and '::' (the plain forms:
    an embedded IPv4 suffix or a scope id is left to ipaddress)."""
    parts = text.split(":")
    if len(parts) < 3 or len(parts) > 9:
        return None
    skip = None
    for i in range(1, len(parts) - 1):
        if not parts[i]:
            if skip is not None:
                return None
            skip = i
    if skip is None:
        if len(parts) != 8 or not parts[0] or not parts[-1]:
            return None
        return _hextets(parts)
    hi, lo = skip, len(parts) - skip - 1
    if not parts[0]:
        hi -= 1
        if hi:
            return None
    if not parts[-1]:
        lo -= 1
        if lo:
            return None
    skipped = 8 - (hi + lo)
    if skipped < 1:
        return None
    high, low = _hextets(parts[:hi]), _hextets(parts[len(parts) - lo:] if lo else [])
    if high is None or low is None:
        return None
    return (high << 16 * (skipped + lo)) | low


def ip_network(item: str) -> Network | None:
    """An address or network as Postfix (``[::1]/128``, ``10.0.0.0/8``) or Dovecot
    (``::1/128``, ``10.1.2.3/8``: host bits are ignored) writes it, read as ``ipaddress``
    reads it; None for anything else (a hostname, ``type:table``, ``/file``, a ``!``-negated
    item, a netmask instead of a prefix length)."""
    text = item.strip()
    address, slash, bits = text.partition("/")
    if address.startswith("[") and address.endswith("]"):
        address = address[1:-1]
    if slash and not (bits.isdigit() and bits.isascii()):
        return None
    if ":" not in address:
        version, value = 4, _ipv4(address)
    elif "." not in address and "%" not in address:
        version, value = 6, _ipv6(address)
    else:  # an IPv6 address with an IPv4 suffix or a scope id: ipaddress reads those
        version, value = 6, _ipv6_by_ipaddress(address)
    if value is None:
        return None
    most = 32 if version == 4 else 128
    prefix = _prefix(bits) if slash else most
    return Network(version, value, prefix) if prefix <= most else None


def _prefix(bits: str) -> int:
    """A prefix length's digits as a number (leading zeros read as the daemons' atoi reads
    them, without int()'s limit on 4,300 digits: any longer length is too long anyway)."""
    significant = bits.lstrip("0")
    return int(significant or "0") if len(significant) <= 3 else 1000


def _ipv6_by_ipaddress(text: str) -> int | None:
    import ipaddress

    try:
        return int(ipaddress.IPv6Address(text))
    except ValueError:
        return None


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


def network_is_public(net: Network) -> bool:
    """Whether a network holds an address reachable from the Internet."""
    blocks = _NON_PUBLIC_V4_NETS if net.version == 4 else _NON_PUBLIC_V6_NETS
    return not any(net.subnet_of(block) for block in blocks)


_NON_PUBLIC_V4_NETS = tuple(ip_network(block) for block in _NON_PUBLIC_V4)
_NON_PUBLIC_V6_NETS = tuple(ip_network(block) for block in _NON_PUBLIC_V6)


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
