"""The Dovecot hardening pack (issue 11) from the user's side: a Dovecot tree, the
command, the findings at the lines that set what is wrong."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from linter.policy import PolicyError
from linter.policy.expr import Expr
from linter.policy.loader import load_policy
from linter.values import ip_network, public_networks, wide_networks
from tests import test_policy_language

site = test_policy_language.site  # the fixture: an empty working directory, no config above it that matters
run = test_policy_language.run
write = test_policy_language.write  # dedented text to a file, directories made


def findings(capsys, *argv: str) -> set[tuple[str, str, int]]:
    """(rule, file name, line) of every DC3xx/DC208 finding of the built-in pack."""
    status, out, err = run(capsys, "check", "--no-cache", "--format", "json", *argv)
    assert status in (0, 1), err
    return {(f["rule"], Path(f["path"]).name, f["line"]) for f in json.loads(out)
            if f["rule"].startswith("DC3") or f["rule"] == "DC208"}


def test_the_sample_host_of_issue_11_gets_a_finding_for_each_dovecot_problem(site, capsys):
    write(site / "host" / "dovecot.conf", """\
        protocols = imap pop3
        ssl = required
        ssl_cert = </etc/ssl/certs/mail.pem
        ssl_key = </etc/ssl/private/mail.key
        ssl_min_protocol = TLSv1
        auth_verbose_passwords = plain
        login_trusted_networks = 0.0.0.0/0
        """)
    assert findings(capsys, "host") == {
        ("DC306", "dovecot.conf", 5),
        ("DC307", "dovecot.conf", 6),
        ("DC309", "dovecot.conf", 7),
    }


def test_the_real_repository_misses_of_issue_11(site, capsys):
    write(site / "host" / "dovecot.conf", "!include conf.d/*.conf\n")
    write(site / "host" / "conf.d" / "10-master.conf", """\
        service auth {
          inet_listener {
            port = 12345
          }
          unix_listener auth-userdb {
            mode = 0777
          }
        }
        service auth-worker {
          unix_listener auth-worker {
            mode = 0666
          }
        }
        service anvil {
          unix_listener anvil-auth-penalty {
            mode = 0
          }
        }
        """)
    assert findings(capsys, "host") == {
        ("DC316", "10-master.conf", 4),  # the listener's closing brace: where "address =" goes
        ("DC314", "10-master.conf", 6),
        ("DC312", "10-master.conf", 11),
        ("DC311", "10-master.conf", 16),
    }


def test_sockets_at_their_defaults_and_restricted_listeners_are_quiet(site, capsys):
    write(site / "host" / "dovecot.conf", """\
        listen = *, ::
        service auth {
          inet_listener {
            address = 127.0.0.1
            port = 12345
          }
          inet_listener spare {
            port = 0
          }
          unix_listener auth-userdb {
            mode = 0666
          }
          unix_listener auth-master {
            mode = 0600
          }
        }
        service dict {
          unix_listener dict {
            mode = 0660
          }
        }
        """)
    assert findings(capsys, "host") == set()


def test_every_auth_inet_listener_is_judged_on_its_own(site, capsys):
    write(site / "host" / "dovecot.conf", """\
        service auth {
          inet_listener a {
            address = 127.0.0.1
            port = 12345
          }
          inet_listener b {
            port = 12346
          }
        }
        """)
    status, out, _ = run(capsys, "check", "--no-cache", "--select", "DC316", "host")
    assert status == 1
    assert "host/dovecot.conf:8:3: error DC316 service auth's inet_listener on port 12346 listens on every " \
           "interface (*, ::)" in out
    assert "12345" not in out


def test_a_filter_block_that_weakens_tls_is_reported_at_its_own_line(site, capsys):
    write(site / "host" / "dovecot.conf", """\
        ssl = required
        ssl_cert = </etc/ssl/certs/mail.pem
        ssl_key = </etc/ssl/private/mail.key
        protocol pop3 {
          ssl_min_protocol = TLSv1
          auth_verbose_passwords = yes
        }
        local 192.0.2.0/24 {
          protocol imap {
            ssl = no
          }
        }
        protocol lmtp {
          ssl = no
        }
        """)
    assert findings(capsys, "host") == {
        ("DC306", "dovecot.conf", 5),
        ("DC307", "dovecot.conf", 6),
        ("DC301", "dovecot.conf", 10),  # LMTP without TLS (line 14) carries no logins
    }


def test_plaintext_auth_matters_only_where_ssl_is_not_required(site, capsys):
    write(site / "host" / "dovecot.conf", """\
        ssl = required
        ssl_cert = </etc/ssl/certs/mail.pem
        ssl_key = </etc/ssl/private/mail.key
        disable_plaintext_auth = no
        """)
    assert findings(capsys, "host") == set()
    write(site / "host" / "dovecot.conf", """\
        ssl = required
        ssl_cert = </etc/ssl/certs/mail.pem
        ssl_key = </etc/ssl/private/mail.key
        disable_plaintext_auth = no
        protocol pop3 {
          ssl = yes
        }
        """)
    status, out, _ = run(capsys, "check", "--no-cache", "--select", "DC208", "--format", "json", "host")
    (finding,) = json.loads(out)
    assert (finding["rule"], finding["line"]) == ("DC208", 4)  # inherited by pop3: reported where written
    assert [r["line"] for r in finding["related"]] == [5]  # the block that inherits it


def test_certificate_rules_need_ssl_set_in_the_tree_and_read_dovecot_24_names(site, capsys):
    write(site / "frag" / "dovecot.conf", "auth_mechanisms = plain\n")  # a fragment: ssl left to others
    assert findings(capsys, "frag") == set()
    write(site / "v23" / "dovecot.conf", "ssl = yes\nssl_key = </k\n")
    assert findings(capsys, "v23") == {("DC302", "dovecot.conf", 1)}  # at "ssl = yes"
    write(site / "v24" / "dovecot.conf", """\
        dovecot_config_version = 2.4.0
        ssl = required
        ssl_server {
          cert_file = /etc/ssl/certs/mail.pem
        }
        """)
    status, out, _ = run(capsys, "check", "--no-cache", "v24")
    assert status == 1
    assert out.splitlines()[:2] == [
        'v24/dovecot.conf:2:1: error DC303 ssl = required but ssl_server_key_file is empty: the login processes log '
        '"SSL context initialization failed, disabling SSL" and offer no TLS',
        "  fix: Set ssl_server_key_file = /path/to/private.key [display-only]"]
    assert "DC302" not in out and "DC304" not in out  # 2.4's cert_file is a path, no '<'


def test_dovecot_24_auth_listener_address_is_listen(site, capsys):
    write(site / "v24" / "dovecot.conf", """\
        dovecot_config_version = 2.4.0
        dovecot_storage_version = 2.4.0
        listen = 127.0.0.1
        auth_allow_cleartext = yes
        service auth {
          inet_listener restricted {
            port = 12345
          }
          inet_listener open {
            listen = *, ::
            port = 12346
          }
        }
        """)
    assert findings(capsys, "v24") == {("DC208", "dovecot.conf", 4), ("DC316", "dovecot.conf", 10)}
    status, out, _ = run(capsys, "check", "--no-cache", "--select", "DC208,DC316", "v24")
    assert "warning DC208 auth_allow_cleartext = yes: IMAP and POP3 accept passwords" in out
    assert "fix: Set listen = 127.0.0.1 in the listener (Postfix on this host) [unsafe]" in out


def test_the_certificate_fix_puts_the_missing_angle_bracket(site, capsys):
    path = write(site / "host" / "dovecot.conf", "ssl_cert = /etc/ssl/certs/mail.pem\nssl_key = </k\n")
    status, out, _ = run(capsys, "check", "--no-cache", "--select", "DC304", "--fix", "--unsafe-fixes", "host")
    assert status == 0, out
    assert path.read_text(encoding="utf-8") == "ssl_cert = </etc/ssl/certs/mail.pem\nssl_key = </k\n"


# -- the shared address-list helpers ----------------------------------------------------


@pytest.mark.parametrize(("item", "network"), [
    ("0.0.0.0/0", "0.0.0.0/0"),
    ("[::]/0", "::/0"),
    ("::/0", "::/0"),
    ("10.1.2.3/8", "10.0.0.0/8"),  # host bits ignored, as Dovecot's net_parse_range does
    ("192.0.2.1", "192.0.2.1/32"),
    ("[2001:db8::1]", "2001:db8::1/128"),
    ("!10.0.0.0/8", None),
    ("hash:/etc/postfix/network_table", None),
    ("/etc/postfix/networks", None),
    ("mail.example.org", None),
    ("10.0.0.0/255.0.0.0", None),
    ("10.0.0.0/33", None),
])
def test_ip_network_reads_postfix_and_dovecot_forms(item, network):
    parsed = ip_network(item)
    assert (str(parsed) if parsed is not None else None) == network


def test_wide_and_public_networks_keep_items_as_written():
    value = ("0.0.0.0/0", "10.0.0.0/8", "[::]/0", "192.0.2.0/24", "198.51.100.7", "203.0.112.0/23", "2001:db8::/16")
    assert wide_networks(value, 8, 32) == ("0.0.0.0/0", "[::]/0", "2001:db8::/16")
    assert public_networks(value) == ("0.0.0.0/0", "[::]/0", "203.0.112.0/23", "2001:db8::/16")
    assert wide_networks("10.0.0.0/8, 0.0.0.0/1 fd00::/7", 8, 32) == ("0.0.0.0/1", "fd00::/7")


class _Env:
    def __init__(self, values):
        self.values = values

    def lookup(self, name):
        return self.values[name]

    def context(self, function, argument):
        raise AssertionError("no context function here")


def test_the_network_functions_in_expressions():
    env = _Env({"mynetworks": ("127.0.0.0/8", "[::1]/128", "0.0.0.0/0", "192.0.2.0/24", "8.8.0.0/15")})
    assert Expr.parse("wide_networks(public_networks(mynetworks), 16, 48)").evaluate(env) == ("0.0.0.0/0", "8.8.0.0/15")
    assert Expr.parse("len(wide_networks(mynetworks, 8, 32)) == 1").evaluate(env) is True


def test_dovecot_filter_takes_a_filter_kind(tmp_path):
    policy = tmp_path / "p.yaml"
    policy.write_text(textwrap.dedent("""\
        policy: team
        rules:
          - id: TX001
            name: bad-filter
            scope: dovecot
            message: "m"
            when: "dovecot_filter('service') == ''"
            check: {kind: value, directive: ssl, not_equals: "no"}
            fix: {title: t, applicability: display-only}
        """), encoding="utf-8")
    with pytest.raises(PolicyError, match=r"dovecot_filter\(\) takes a filter kind, not 'service'"):
        load_policy([str(policy)], builtin=False)


def test_ssl_protocols_is_judged_as_the_floor_doveconf_converts_it_to(site, capsys):
    path = write(site / "host" / "dovecot.conf", """\
        ssl = required
        ssl_cert = </etc/ssl/certs/mail.pem
        ssl_key = </etc/ssl/private/mail.key
        ssl_protocols = !SSLv3
        """)
    status, out, _ = run(capsys, "check", "--no-cache", "--select", "DC306", "host")
    assert status == 1
    assert out.splitlines()[0] == ("host/dovecot.conf:4:1: warning DC306 ssl_min_protocol = TLSv1 accepts protocols "
                                   "below TLSv1.2 (the default)")
    status, out, _ = run(capsys, "check", "--no-cache", "--fix", "--unsafe-fixes", "host")
    assert status == 0, out
    assert path.read_text(encoding="utf-8").splitlines()[-1] == "ssl_min_protocol = TLSv1.2"
