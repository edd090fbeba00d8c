"""Values are worked out once per host and shared by every rule (issue 13, bulk speed):
what a rule reads does not depend on the rule, so a host's effective values, its units
(main.cf, each master.cf service, each Dovecot filter block) and their lookups are
computed once.  These tests catch a cache that is shared where it must not be: between
hosts, between a service with ``-o`` overrides and main.cf, between one rule and the next
when a value needed a missing counterpart (the note must still name every rule that was
skipped for it); and a cache that does not hold (the expansions a host costs must not grow
with its services)."""

from __future__ import annotations

import json
import re

import pytest

from linter import values
from linter.policy.loader import load_policy
from tests import test_cli

site = test_cli.site
run = test_cli.run
write = test_cli.write

SMTPD = "inet  n       -       y       -       -       smtpd\n"


def findings(out: str) -> list[tuple[str, str, int]]:
    return [(d["rule"], d["path"], d["line"]) for d in json.loads(out)]


def test_two_hosts_of_one_run_are_judged_with_their_own_values(site, capsys):
    write(site / "a/main.cf", "smtpd_client_connection_rate_limit = 0\nsmtpd_sasl_auth_enable = no\n")
    write(site / "a/master.cf", f"smtp      {SMTPD}")
    write(site / "b/main.cf", "smtpd_client_connection_rate_limit = 30\nsmtpd_sasl_auth_enable = yes\n")
    write(site / "b/master.cf", f"smtp      {SMTPD}")
    status, out, err = run(capsys, "check", "--format", "json", "--jobs", "1", "--select", "PF101,PF501", "a", "b")
    assert (status, err) == (1, "")
    assert findings(out) == [("PF101", "a/main.cf", 1), ("PF501", "b/master.cf", 1)]


def test_a_service_is_judged_with_its_own_overrides(site, capsys):
    # smtpd_sasl_auth_enable is no in main.cf; submission overrides a name its value
    # refers to, smtps overrides it directly (and sets the rate limit PF501 wants); in
    # host b main.cf turns AUTH on and smtp turns it off again
    write(site / "a/main.cf", "smtpd_sasl_auth_enable = $auth_wanted\nauth_wanted = no\n")
    write(site / "a/master.cf", f"smtp      {SMTPD}submission {SMTPD}  -o auth_wanted=yes\n"
                                f"smtps     {SMTPD}  -o smtpd_sasl_auth_enable=yes\n"
                                "  -o smtpd_client_auth_rate_limit=10\n")
    write(site / "b/main.cf", "smtpd_sasl_auth_enable = yes\n")
    write(site / "b/master.cf", f"smtp      {SMTPD}  -o smtpd_sasl_auth_enable=no\nsubmission {SMTPD}")
    status, out, err = run(capsys, "check", "--format", "json", "--select", "PF501", "a", "b")
    assert (status, err) == (1, "")
    assert findings(out) == [("PF501", "a/master.cf", 2), ("PF501", "b/master.cf", 3)]


# Hosts where values are unknown or need a counterpart that is missing: a master.cf alone,
# a main.cf with fragments next to it, templated values, a Dovecot tree with filter
# blocks and no Postfix, a Postfix host without its Dovecot tree.
HOSTS = {
    "alone/master.cf": f"smtp      {SMTPD}submission {SMTPD}  -o smtpd_tls_security_level=encrypt\n"
                       "  -o smtpd_sasl_auth_enable=yes\n",
    "frag/main.cf": "myhostname = mx.example.org\nsmtpd_tls_security_level = may\n",
    "frag/main.cf.tls": "smtpd_tls_cert_file = /etc/ssl/x.pem\n",
    "frag/master.cf": f"smtp      {SMTPD}",
    "tmpl/main.cf.j2": "smtpd_tls_security_level = {{ tls_level }}\nsmtpd_sasl_auth_enable = yes\n"
                       "smtpd_sasl_type = dovecot\nsmtpd_sasl_path = {{ sasl_path }}\n",
    "tmpl/master.cf.j2": f"smtp      {SMTPD}submission {SMTPD}  -o smtpd_client_auth_rate_limit={{{{ n }}}}\n",
    "dove/dovecot.conf": "ssl = yes\nauth_mechanisms = plain login\nprotocol pop3 {\n  ssl = no\n}\n"
                         "local 10.0.0.0/8 {\n  auth_mechanisms = plain\n}\n",
    "sasl/main.cf": "smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\nsmtpd_sasl_path = private/auth\n",
    "sasl/master.cf": f"smtp      {SMTPD}",
}


def _notes(err: str) -> dict[str, set[str]]:
    """The notes of a run, each with the ids of the rules it names taken out (and given apart)."""
    found: dict[str, set[str]] = {}
    for line in err.splitlines():
        ids = re.search(r": ((?:[A-Z]{2}\d{3}, )*[A-Z]{2}\d{3}) skipped", line)
        if ids:
            found.setdefault(line.replace(ids.group(1), "<ids>"), set()).update(ids.group(1).split(", "))
        else:
            found.setdefault(line, set())
    return found


def test_every_rule_sees_what_it_sees_alone(site, capsys):
    for path, text in HOSTS.items():
        write(site / path, text)
    status, out, err = run(capsys, "check", "--format", "json", "--jobs", "1", ".")
    assert status == 1
    together = sorted(json.dumps(d, sort_keys=True) for d in json.loads(out))
    notes = _notes(err)
    assert any(ids for ids in notes.values()), "the hosts must make rules skip for a missing counterpart"
    alone: list[str] = []
    alone_notes: dict[str, set[str]] = {}
    for rule in load_policy([]).rules:
        status, out, err = run(capsys, "check", "--format", "json", "--jobs", "1", "--select", rule.id, ".")
        assert status in (0, 1), err
        alone += [json.dumps(d, sort_keys=True) for d in json.loads(out)]
        for note, ids in _notes(err).items():
            alone_notes.setdefault(note, set()).update(ids)
    assert together == sorted(alone)
    assert notes == alone_notes


@pytest.mark.parametrize("overrides", ["", "  -o syslog_name=postfix/$service_name\n"])
def test_expansions_do_not_grow_with_the_services(site, capsys, monkeypatch, overrides):
    # every smtpd service reads main.cf's values unless its overrides name one of what
    # they read: each value is expanded once per host, not once per rule and service
    real = values.expand
    calls = 0

    def counting(text, lookup):
        nonlocal calls
        calls += 1
        return real(text, lookup)

    monkeypatch.setattr(values, "expand", counting)
    main = "myhostname = mx.example.org\nsmtpd_sasl_auth_enable = yes\nsmtpd_tls_security_level = may\n"
    counts = []
    for n in (1, 8):
        calls = 0
        host = site / f"h{n}"
        write(host / "main.cf", main)
        write(host / "master.cf", "".join(f"10.0.0.{i}:smtp {SMTPD}{overrides}" for i in range(n)))
        status, out, err = run(capsys, "check", "--format", "json", str(host))
        assert status in (0, 1), err
        counts.append(calls)
    assert counts[0] > 0
    assert counts[1] == counts[0]


def test_a_host_is_freed_as_soon_as_it_is_checked(site, capsys):
    # its views and units refer back to it; left to the cyclic collector, every host checked
    # so far would stay in memory until a collection, and each collection would traverse them
    import gc

    from linter.checks.context import HostDocs
    from linter.model import Document

    for path, text in HOSTS.items():
        write(site / path, text)
    gc.collect()
    gc.disable()
    try:
        status, out, err = run(capsys, "check", "--format", "json", "--jobs", "1", ".")
        left = [o for o in gc.get_objects() if isinstance(o, (HostDocs, Document))]
    finally:
        gc.enable()
    assert status == 1
    assert left == []


def test_the_unknown_postfix_names_of_a_document_are_judged_once_per_host(site, capsys, monkeypatch):
    # unknown-directive on main.cf (PF004) and on master.cf (PF012) and
    # other-version-parameter on both (PF016) ask the same of a host's documents: each
    # name is judged once, whichever of them run; what each reports does not change
    from linter.checks import unknown_directive

    calls = 0
    counted = unknown_directive._KnownPostfix._judge

    def counting(*args):
        nonlocal calls
        calls += 1
        return counted(*args)

    monkeypatch.setattr(unknown_directive._KnownPostfix, "_judge", counting)
    write(site / "main.cf", "myhostname = mx.example.org\nsmtpd_tls_securty_level = may\n"
                            "smtpd_hide_client_session = yes\n")
    write(site / "master.cf", f"smtp      {SMTPD}  -o smtpd_sasl_auth_enabel=yes\n")
    counts, found = {}, {}
    for rules in ("PF004", "PF012", "PF016", "PF004,PF012,PF016"):
        calls = 0
        status, out, err = run(capsys, "check", "--format", "json", "--select", rules, ".")
        assert status == 1, err
        counts[rules], found[rules] = calls, findings(out)
    assert found["PF004"] == [("PF004", "main.cf", 2)]
    assert found["PF012"] == [("PF012", "master.cf", 2)]
    assert found["PF016"] == [("PF016", "main.cf", 3)]
    assert found["PF004,PF012,PF016"] == sorted(found["PF004"] + found["PF016"] + found["PF012"],
                                                key=lambda f: (f[1], f[2]))
    assert counts["PF004"] + counts["PF012"] == counts["PF016"] == counts["PF004,PF012,PF016"] > 0
