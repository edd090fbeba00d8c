"""IP networks in config values (linter/networks.py) are read as ``ipaddress`` reads them.

The plain forms (dotted IPv4, IPv6 of hex groups and '::') are parsed without importing
ipaddress; these tests hold that reading, and what the rules ask of a network (containment,
loopback, public), to ipaddress's own answers on generated items.
"""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from linter.networks import Network, ip_network, network_is_public, networks_outside, remote_inet


def _reference(item: str) -> tuple[int, int, int] | None:
    """What ``ipaddress.ip_network(strict=False)`` makes of an item, brackets and a netmask
    form aside: (version, first address, prefix length), or None."""
    address, slash, bits = item.strip().partition("/")
    if address.startswith("[") and address.endswith("]"):
        address = address[1:-1]
    if slash and not (bits.isdigit() and bits.isascii()):
        return None  # a netmask (10.0.0.0/255.0.0.0) is not a prefix length to the daemons
    try:
        net = ipaddress.ip_network(address + slash + bits, strict=False)
    except ValueError:
        return None
    return net.version, int(net.network_address), net.prefixlen


def _ipaddress_network(net: Network):
    kind = ipaddress.IPv4Network if net.version == 4 else ipaddress.IPv6Network
    return kind((net.address, net.prefixlen))


_OCTETS = st.one_of(st.integers(0, 255).map(str), st.sampled_from(["", "00", "01", "256", "1a", "٣", "999", " 1"]))
_IPV4 = st.lists(_OCTETS, min_size=3, max_size=5).map(".".join)
_HEXTETS = st.one_of(st.integers(0, 0xFFFF).map(lambda n: f"{n:x}"), st.sampled_from(["", "0", "00000", "FfFf", "g1"]))
_IPV6 = st.one_of(
    st.lists(_HEXTETS, min_size=1, max_size=10).map(":".join),
    st.tuples(st.lists(_HEXTETS, max_size=4), st.lists(_HEXTETS, max_size=4)).map(
        lambda t: ":".join(t[0]) + "::" + ":".join(t[1])),
    st.tuples(st.lists(_HEXTETS, max_size=5), _IPV4).map(lambda t: ":".join(t[0]) + "::" + t[1]),
)
_ADDRESSES = st.one_of(_IPV4, _IPV6, st.text(alphabet="0123456789abcdef:.%[]x", max_size=12))
ITEMS = st.tuples(_ADDRESSES, st.booleans(), st.sampled_from(["", "0", "8", "08", "32", "33", "64", "128", "129", "x"]),
                  st.booleans()).map(lambda t: ("[" + t[0] + "]" if t[3] else t[0]) + ("/" + t[2] if t[1] else ""))


@settings(max_examples=3000, deadline=None)
@given(item=ITEMS)
def test_items_are_read_as_ipaddress_reads_them(item: str) -> None:
    net = ip_network(item)
    assert (None if net is None else (net.version, net.address, net.prefixlen)) == _reference(item), item


@settings(max_examples=1500, deadline=None)
@given(a=ITEMS, b=ITEMS)
def test_containment_loopback_and_public_answer_as_ipaddress_does(a: str, b: str) -> None:
    first, second = ip_network(a), ip_network(b)
    for net in (first, second):
        if net is not None:
            reference = _ipaddress_network(net)
            assert net.is_loopback == reference.is_loopback, net
            assert network_is_public(net) == (not any(
                reference.subnet_of(ipaddress.ip_network(block)) for block in (
                    ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
                     "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
                     "203.0.113.0/24", "224.0.0.0/3") if net.version == 4 else
                    ("::/127", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "fc00::/7",
                     "fe80::/10", "ff00::/8"))))
    if first is not None and second is not None and first.version == second.version:
        assert first.subnet_of(second) == _ipaddress_network(first).subnet_of(_ipaddress_network(second))


def test_the_forms_ipaddress_reads_for_us_keep_their_meaning() -> None:
    """An IPv4 suffix or a scope id goes through ipaddress; the scope plays no part."""
    assert networks_outside("::ffff:10.1.2.3 fe80::1%eth0 fe80::2", "::ffff:10.0.0.0/104 fe80::/10") == ()
    assert remote_inet("inet:[::1%lo]:12345 inet:[fe80::1%eth0]:12345 inet:127.0.0.1:12345", "12345") == \
        ("inet:[fe80::1%eth0]:12345",)
    assert str(ip_network("[2001:db8:0:0:1::1]/64")) == "2001:db8::/64"


def test_a_prefix_length_of_thousands_of_digits_is_read_not_raised() -> None:
    """int() refuses more than 4,300 digits; a hostile mynetworks must not turn a rule into a
    note quoting Python's limit: zeros are zeros, as the daemons' atoi reads them."""
    assert str(ip_network("127.0.0.0/" + "0" * 5000 + "8")) == "127.0.0.0/8"
    assert ip_network("127.0.0.0/" + "9" * 5000) is None
    assert ip_network("::ffff:10.0.0.1/" + "0" * 5000 + "104").prefixlen == 104
