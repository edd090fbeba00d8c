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
