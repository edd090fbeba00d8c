"""The Postfix helpers of the policy language: TLS protocol floors, wide networks and
restriction lists, judged as Postfix reads them (tls_misc.c, match_list.c, smtpd_check.c)."""

from __future__ import annotations

import pytest

from linter import values
from linter.policy.expr import UNKNOWN, Expr, UnknownValue


@pytest.mark.parametrize(("value", "floor"), [
    (">=TLSv1", "TLSv1"),                      # the default since Postfix 3.6
    ("!SSLv2, !SSLv3", "TLSv1"),               # the legacy exclusion syntax
    ("!SSLv2", "SSLv3"),
    ("!SSLv2:!SSLv3:!TLSv1", "TLSv1.1"),       # colons separate too
    ("!sslv2 !SSLV3", "TLSv1"),                # names in any case
    ("TLSv1.2 TLSv1.3", "TLSv1.2"),            # a positive list includes only those
    ("TLSv1.3, TLSv1.2", "TLSv1.2"),
    (">=TLSv1.2", "TLSv1.2"),
    (">=tlsv1.2, <=TLSv1.3", "TLSv1.2"),
    ("<=TLSv1.3", "SSLv2"),                    # a ceiling alone sets no floor
    (">=0x0303", "TLSv1.2"),                   # hex, with or without 0x and leading 0
    (">=303", "TLSv1.2"),
    (">=0301", "TLSv1"),
    ("", "SSLv2"),                             # empty: every protocol
    (">=", "SSLv2"),                           # strtoul("") is 0: no floor
    ("<=SSLv3 >=TLSv1", ""),                   # nothing left
    ("!SSLv2 !SSLv3 !TLSv1 !TLSv1.1 !TLSv1.2 !TLSv1.3", ""),
    (">=SSLv2", "invalid"),                    # not in tls_version_table
    ("SSLv4", "invalid"),
    (">= TLSv1.2", "TLSv1.2"),                 # ">=" (no floor) and the name TLSv1.2 (include)
    (">=-1", "invalid"),
    ((">=TLSv1.2",), "TLSv1.2"),               # a list value as the engine types it
])
def test_tls_floor(value, floor):
    assert values.tls_floor(value) == floor


def test_tls_floor_in_an_expression():
    class Env:
        def lookup(self, name):
            return {"smtpd_tls_protocols": ("!SSLv2",)}[name]

        def context(self, function, argument):
            raise AssertionError

    assert Expr.parse("tls_floor(smtpd_tls_protocols) in ['SSLv2', 'SSLv3']").evaluate(Env()) is True


@pytest.mark.parametrize(("value", "wide"), [
    ("127.0.0.0/8 [::1]/128", ()),
    ("0.0.0.0/0", ("0.0.0.0/0",)),
    ("[::]/0", ("[::]/0",)),
    ("[::0]/0, 127.0.0.0/8", ("[::0]/0",)),
    ("0.0.0.0/1 128.0.0.0/1", ("0.0.0.0/1", "128.0.0.0/1")),
    ("85.0.0.0/8", ("85.0.0.0/8",)),
    ("85.12.0.0/16", ()),                       # a /16 is not wide
    ("85.12.0.0/15", ("85.12.0.0/15",)),
    ("10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 100.64.0.0/10", ()),
    ("[fd00::]/8 [fe80::]/10 [2001:db8::]/32", ()),
    ("[2a01:4f8::]/32", ("[2a01:4f8::]/32",)),
    ("[2a01:4f8:1:2::]/48", ()),
    ("!0.0.0.0/0", ()),
    ("hash:/etc/postfix/network_table /etc/postfix/networks mail.example.com", ()),
])
def test_wide_public_networks_as_pf305_asks(value, wide):
    class Env:
        def lookup(self, name):
            return value

        def context(self, function, argument):
            raise AssertionError

    assert Expr.parse("wide_networks(public_networks(mynetworks), 16, 48)").evaluate(Env()) == wide


class _Main:
    """An environment over main.cf-like raw values (restriction classes included)."""

    def __init__(self, **settings):
        self.settings = settings

    def lookup(self, name):
        return self.settings.get(name, "")

    def context(self, function, argument):
        assert function == "param"
        if argument not in self.settings:
            if argument == "smtpd_restriction_classes":
                return ()
            raise UnknownValue(argument)
        return self.settings[argument]


@pytest.mark.parametrize(("restrictions", "guard", "outcome", "decider"), [
    ("permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination", True, "block",
     "defer_unauth_destination"),
    ("permit_mynetworks, permit", False, "pass", "permit"),
    ("", False, "pass", "the end of the list"),
    ("permit_mynetworks, permit, reject_unauth_destination", False, "pass", "permit"),
    ("warn_if_reject reject_unauth_destination", False, "pass", "the end of the list"),
    ("warn_if_reject reject_rbl_client zen.example reject", True, "block", "reject"),
    ("check_client_access hash:/etc/postfix/clients, reject_unauth_destination", True, "maybe",
     "check_client_access hash:/etc/postfix/clients"),
    ("check_recipient_access hash:/etc/postfix/rcpt, reject_unauth_destination", True, "block",
     "reject_unauth_destination"),
    ("hash:/etc/postfix/rcpt reject_unauth_destination", True, "block", "reject_unauth_destination"),
    ("check_policy_service unix:private/policy reject_unauth_destination", True, "maybe",
     "check_policy_service unix:private/policy"),
    ("PERMIT_MYNETWORKS, REJECT_UNAUTH_DESTINATION", True, "block", "REJECT_UNAUTH_DESTINATION"),
    ("no_such_restriction", False, "block", "no_such_restriction"),  # 451 server configuration error
])
def test_relay_helpers(restrictions, guard, outcome, decider):
    env = _Main(list=restrictions)
    assert Expr.parse("relay_guard(list)").evaluate(env) is guard
    assert Expr.parse("relay_outcome(list)").evaluate(env) == outcome
    assert Expr.parse("relay_decider(list)").evaluate(env) == decider


def test_restriction_classes_are_followed():
    env = _Main(smtpd_restriction_classes=("trusted",), trusted="permit_mynetworks, permit",
                guarded="trusted, reject_unauth_destination", after="reject_unauth_destination, trusted")
    assert Expr.parse("relay_guard(guarded)").evaluate(env) is True       # has_required looks past the class
    assert Expr.parse("relay_outcome(guarded)").evaluate(env) == "pass"   # but the class permits first
    assert Expr.parse("relay_decider(guarded)").evaluate(env) == "trusted (permit)"
    assert Expr.parse("relay_outcome(after)").evaluate(env) == "block"
    # a name that is not listed in smtpd_restriction_classes is no class
    assert Expr.parse("relay_outcome(list)").evaluate(_Main(list="trusted", trusted="permit")) == "block"


def test_an_unknown_class_definition_skips():
    env = _Main(smtpd_restriction_classes=("missing",), list="missing, reject")
    assert Expr.parse("relay_outcome(list)").evaluate(env) is UNKNOWN


@pytest.mark.parametrize(("restrictions", "outcome"), [
    ("permit_sasl_authenticated, reject", "block"),
    ("permit_mynetworks, permit_sasl_authenticated, reject", "block"),
    ("permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination", "pass"),
    ("permit_sasl_authenticated, permit_auth_destination, reject", "pass"),
    ("check_client_access cidr:/etc/postfix/clients.cidr, permit_sasl_authenticated, reject", "maybe"),
    ("", "pass"),
])
def test_auth_outcome(restrictions, outcome):
    assert Expr.parse("auth_outcome(list)").evaluate(_Main(list=restrictions)) == outcome
