"""The Postfix relay, TLS and exposure packs (issue 11) from the user's side: a host's
main.cf and master.cf, the command, the findings at the lines that set what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

from tests import test_policy_language

site = test_policy_language.site  # the fixture: an empty working directory, no config above it that matters
run = test_policy_language.run
write = test_policy_language.write  # dedented text to a file, directories made


def findings(capsys, *argv: str) -> list[tuple[str, str, int, str]]:
    """(rule, file name, line, message) of every PF3xx/PF4xx/PF5xx finding of the built-in pack."""
    status, out, err = run(capsys, "check", "--no-cache", "--format", "json", *argv)
    assert status in (0, 1), err
    return sorted((f["rule"], Path(f["path"]).name, f["line"], f["message"]) for f in json.loads(out)
                  if f["rule"][:3] in ("PF3", "PF4", "PF5"))


# the smtpd services of a host are read from its master.cf: without one they are unknown
STOCK_SMTP = """\
    smtp      inet  n       -       y       -       -       smtpd
    """


def test_the_sample_host_of_issue_11_gets_a_finding_for_each_postfix_problem(site, capsys):
    write(site / "host" / "main.cf", """\
        compatibility_level = 3.6
        myhostname = mx.example.org
        mynetworks = 0.0.0.0/0
        smtpd_relay_restrictions = permit_mynetworks, permit
        smtpd_tls_chain_files = /etc/postfix/tls/key.pem, /etc/postfix/tls/chain.pem
        smtpd_tls_security_level = may
        smtpd_tls_protocols = !SSLv2
        smtpd_tls_loglevel = 4
        smtp_tls_security_level = may
        disable_vrfy_command = yes
        """)
    write(site / "host" / "master.cf", STOCK_SMTP)
    found = findings(capsys, "host")
    assert [(rule, name, line) for rule, name, line, _ in found] == [
        ("PF301", "main.cf", 4), ("PF305", "main.cf", 3), ("PF401", "main.cf", 7), ("PF412", "main.cf", 8)]
    messages = {rule: message for rule, _, _, message in found}
    assert "smtpd stops with a fatal error and accepts no mail" in messages["PF301"]
    assert messages["PF305"].startswith("mynetworks includes 0.0.0.0/0")
    assert messages["PF401"] == "smtpd_tls_protocols ('!SSLv2') leaves SSLv3 enabled for opportunistic TLS"


def test_the_relay_is_judged_per_service_with_its_overrides(site, capsys):
    write(site / "host" / "main.cf", """\
        compatibility_level = 3.6
        mynetworks = 127.0.0.0/8
        smtpd_restriction_classes = trusted
        trusted = permit
        smtpd_tls_chain_files = /etc/postfix/tls/key.pem, /etc/postfix/tls/chain.pem
        smtpd_tls_mandatory_protocols = >=TLSv1.2
        smtp_tls_security_level = may
        disable_vrfy_command = yes
        """)
    write(site / "host" / "master.cf", """\
        smtp       inet  n  -  y  -  -  smtpd
        submission inet  n  -  y  -  -  smtpd
          -o smtpd_tls_security_level=encrypt
          -o smtpd_sasl_auth_enable=yes
          -o smtpd_client_auth_rate_limit=20
          -o smtpd_relay_restrictions=trusted,reject_unauth_destination
          -o smtpd_recipient_restrictions=
        """)
    found = findings(capsys, "host")
    # the class permits before the guard: an open relay on submission only, at its -o line;
    # no finding for port 25, whose default relay list stops strangers
    assert [(rule, name, line) for rule, name, line, _ in found] == [
        ("PF302", "master.cf", 6), ("PF308", "master.cf", 2)]
    assert "passes at trusted (permit)" in found[0][3]


def test_the_safe_fixes_leave_nothing_to_report(site, capsys):
    write(site / "host" / "main.cf", """\
        smtpd_tls_cert_file = /etc/postfix/cert.pem
        smtpd_tls_security_level = may
        smtpd_tls_protocols = !SSLv2
        smtpd_tls_loglevel = 4
        smtpd_banner = $myhostname ESMTP $mail_version
        """)
    write(site / "host" / "master.cf", STOCK_SMTP)
    status, _, err = run(capsys, "check", "--no-cache", "--fix", "--select", "PF4,PF5", "host")
    assert status == 0, err  # every finding fixed
    assert (site / "host" / "main.cf").read_text(encoding="utf-8") == (
        "smtpd_tls_cert_file = /etc/postfix/cert.pem\n"
        "smtpd_tls_security_level = may\n"
        "smtpd_tls_protocols = !SSLv2,!SSLv3\n"
        "smtpd_tls_loglevel = 1\n"
        "smtpd_banner = $myhostname ESMTP $mail_name\n"
        "smtp_tls_security_level = may\n"
        "disable_vrfy_command = yes\n")
    assert findings(capsys, "host") == []


# -- opt-in profiles -----------------------------------------------------------------------

NULL_CLIENT = """\
    myhostname = host.example.org
    """


def test_profiles_are_off_by_default(site, capsys):
    write(site / "host" / "main.cf", NULL_CLIENT)
    assert not [f for f in findings(capsys, "host") if f[0].startswith("PF9")]


def test_a_profile_from_the_config_file(site, capsys):
    write(site / "host" / "main.cf", NULL_CLIENT)
    write(site / ".policy-lint.yaml", "profiles: [null-client]\n")
    status, out, err = run(capsys, "check", "--no-cache", "--select", "PF9", "host")
    assert (status, err) == (1, "")
    assert [line.split(" ")[2] for line in out.splitlines() if ": warning PF9" in line] == [
        "PF921", "PF922", "PF923"]


def test_a_profile_from_the_command_line_adds_to_the_config(site, capsys):
    write(site / "host" / "main.cf", NULL_CLIENT)
    write(site / ".policy-lint.yaml", "profiles: stig\n")
    status, out, _ = run(capsys, "check", "--no-cache", "--select", "PF9", "--profile", "cis", "host")
    assert status == 1
    assert sorted(line.split(" ")[2] for line in out.splitlines() if ": warning PF9" in line) == ["PF901", "PF911"]


def test_an_unknown_profile_is_an_error_with_a_suggestion(site, capsys):
    write(site / "host" / "main.cf", NULL_CLIENT)
    status, _, err = run(capsys, "check", "--no-cache", "--profile", "null_client", "host")
    assert status == 2
    assert "unknown profile 'null_client' (did you mean 'null-client'?); profiles: cis, null-client, stig" in err
    write(site / ".policy-lint.yaml", "profiles:\n  - stig\n  - sitg\n")
    status, _, err = run(capsys, "check", "--no-cache", "host")
    assert status == 2
    assert err.startswith(".policy-lint.yaml:3:5: error: profiles: unknown profile 'sitg' (did you mean 'stig'?)")


def test_rules_lists_the_profiles_and_their_rules(site, capsys):
    status, out, _ = run(capsys, "rules", "--no-cache", "--profiles")
    assert status == 0
    assert [line.split()[0] for line in out.splitlines()] == ["cis", "null-client", "stig"]
    assert "PF921, PF922, PF923" in out
    status, out, _ = run(capsys, "rules", "--no-cache", "--profile", "stig")
    assert "PF901  stig-client-restrictions" in out
    status, out, _ = run(capsys, "rules", "--no-cache")
    assert "PF901" not in out


def test_the_profiles_examples_pass(capsys):
    status, out, _ = run(capsys, "test", "--no-cache", str(Path(__file__).resolve().parent.parent / "policies"
                                                              / "profiles"))
    assert (status, out.strip()) == (0, "14 examples of 5 rules: all passed.")


def test_postfix_3_10_has_the_same_tls_defaults(site, capsys):
    """3.7 and 3.10 share the defaults these rules read (>=TLSv1, an empty
    smtp_tls_security_level, the compatibility_level-dependent relay list): the same
    findings whichever catalogue the host is read with."""
    write(site / "host" / "main.cf", """\
        compatibility_level = 3.6
        smtpd_tls_cert_file = /etc/postfix/cert.pem
        smtpd_tls_security_level = may
        """)
    write(site / "host" / "master.cf", """\
        smtp      inet  n       -       y       -       -       smtpd
        submission inet n       -       y       -       -       smtpd
          -o smtpd_tls_security_level=encrypt
          -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
        """)
    seen = {}
    for version in ("3.7", "3.10"):
        write(site / ".policy-lint.yaml", f'versions: {{postfix: "{version}"}}\n')
        seen[version] = [(rule, line) for rule, _, line, _ in findings(capsys, "host")]
    # PF403: the mandatory protocols are set nowhere, so at the submission entry (master.cf line 2)
    assert seen["3.7"] == seen["3.10"] == [("PF403", 2), ("PF421", 3), ("PF503", 3)]
