"""The Dovecot causes of the held-out precision run (C1, C2, C5 and DC316 of C8): each test is
the minimal reproduction of a wrong finding on a real repository (a config in,
``policy-lint check``, the output a user sees), judged against doveconf and the Dovecot
documentation."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from linter import cli


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    (tmp_path / ".policy-lint.yaml").write_text("{}\n", encoding="utf-8")  # stops the walk up
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def no_findings(site: Path, capsys, text: str) -> bool:
    """``policy-lint check dovecot.conf`` on ``text`` says there is nothing to report."""
    write(site / "dovecot.conf", text)
    return check(capsys, "dovecot.conf") == (0, "No findings in 1 file.\n", "")


def check(capsys, *argv: str) -> tuple[int, str, str]:
    """``policy-lint check ARGV`` in text: exit status, stdout, stderr."""
    status = cli.main(["check", *argv])
    out = capsys.readouterr()
    return status, out.out, out.err


# -- C1a: the 2.3 catalogue has the settings of Dovecot's plugin packages ------------------

MANAGESIEVE = """\
protocols = imap sieve
protocol sieve {
  managesieve_logout_format = bytes=%i/%o
}
"""


def test_c1a_managesieve_settings_are_known_to_the_23_catalogue(site, capsys):
    # mailcow dovecot.conf:192 was "error DC004 managesieve_logout_format: Unknown setting"
    assert no_findings(site, capsys, MANAGESIEVE)


def test_c1a_a_misspelt_managesieve_setting_is_still_unknown(site, capsys):
    write(site / "dovecot.conf", MANAGESIEVE.replace("logout_format", "logout_fromat"))
    status, out, _ = check(capsys, "dovecot.conf")
    assert status == 1
    assert "dovecot.conf:3:3: error DC004 managesieve_logout_fromat: Unknown setting" in out


def test_c1a_doveconf_with_managesieve_accepts_what_the_catalogue_accepts(site, doveconf):
    # the oracle: doveconf with dovecot-managesieved installed (.ci/run installs it)
    path = write(site / "dovecot.conf", MANAGESIEVE)
    result = subprocess.run([doveconf, "-n", "-c", str(path)], capture_output=True, text=True)
    if "Unknown setting: managesieve_logout_format" in result.stderr:
        pytest.skip("dovecot-managesieved is not installed on this machine (bash .ci/run installs it)")
    assert result.returncode == 0, result.stderr


# -- C1b: Dovecot 2.4 nested named-list filters and settings groups --------------------------

METRICS = """\
dovecot_config_version = 2.4.2
dovecot_storage_version = 2.4.0
@metric_defaults = backend
metric smtp_command {
  filter = event=smtp_server_command_finished
  group_by duration {
    method exponential {
      base = 10
      min_magnitude = 1
      max_magnitude = 5
    }
  }
}
"""

GROUPS = """\
dovecot_config_version = 2.4.2
dovecot_storage_version = 2.4.0
group @mysql default {
  host = mysql.example.com
  mysql_ssl = yes
}
passdb sql {
  @mysql = default
  query = SELECT 1
}
group @mailboxes english {
  mailbox Trash {
    auto = subscribe
    special_use = \\Trash
  }
}
namespace inbox {
  @mailboxes = english
}
@mailbox_defaults = english
"""


def doveconf24(root: Path, text: str) -> subprocess.CompletedProcess:
    """``doveconf -n`` of Dovecot 2.4 on ``text``, in a folder of its own in the root's /tmp."""
    import shutil
    import tempfile

    inside = Path(tempfile.mkdtemp(dir=root / "tmp", prefix="heldout-"))
    try:
        (inside / "dovecot.conf").write_text(text, encoding="utf-8")
        return subprocess.run(["chroot", str(root), "doveconf", "-n", "-c", f"/tmp/{inside.name}/dovecot.conf"],
                              capture_output=True, text=True, timeout=60, check=False)
    finally:
        shutil.rmtree(inside, ignore_errors=True)


def test_c1b_nested_filters_and_a_shipped_group_are_known(site, capsys):
    # jeboehm 90-metrics.conf: 10 errors "DC004 base: Unknown setting" and "@metric_defaults"
    assert no_findings(site, capsys, METRICS)


def test_c1b_a_misspelt_name_in_a_nested_filter_is_unknown(site, capsys):
    # doveconf 2.4: "bse: Unknown setting: bse (metric_group_by_method_bse or
    # metric_group_by_method_exponential_bse not found either.)"
    write(site / "dovecot.conf", METRICS.replace("base = 10", "bse = 10"))
    status, out, _ = check(capsys, "dovecot.conf")
    assert (status, out.splitlines()[0]) == (1, "dovecot.conf:8:7: error DC004 bse: Unknown setting "
                                                "(doveconf refuses to start)")


def test_c1b_only_the_innermost_section_narrows_a_name(site, capsys):
    # doveconf 2.4: "filter: Unknown setting: filter (metric_group_by_filter or
    # metric_group_by_d_filter not found either.)": metric_filter is not looked up there
    write(site / "dovecot.conf", "dovecot_config_version = 2.4.2\nmetric m {\n  filter = event=x\n"
                                 "  group_by d {\n    filter = event=y\n  }\n}\n")
    status, out, _ = check(capsys, "dovecot.conf")
    assert out.startswith("dovecot.conf:5:5: error DC004 filter: Unknown setting")


def test_c1b_groups_defined_in_the_tree_and_shipped_by_dovecot(site, capsys):
    assert no_findings(site, capsys, GROUPS)


@pytest.mark.parametrize("line, note", [
    ("@metric_default = backend", "doveconf: Unknown group label @metric_default"),
    ("@metric_defaults = frontend", "doveconf: Unknown group @metric_defaults=frontend; known: backend, proxy"),
])
def test_c1b_a_group_no_one_defines_stops_doveconf(site, capsys, line, note):
    write(site / "dovecot.conf", METRICS.replace("@metric_defaults = backend", line))
    status, out, _ = check(capsys, "dovecot.conf")
    assert (status, out.splitlines()[0]) == (
        1, f"dovecot.conf:3:1: error DC004 {line.split()[0]}: Unknown setting (doveconf refuses to start) ({note})")


def test_c1b_a_group_header_is_a_syntax_error_in_23(site, capsys):
    # doveconf 2.3: "Expecting '{'" (groups are new in 2.4)
    write(site / "dovecot.conf", "group @mysql default {\n}\n")
    status, _, err = check(capsys, "dovecot.conf")
    assert status == 2 and "dovecot.conf:1:14: error: Expecting '{'" in err


def test_c1b_doveconf_24_agrees(trixie_root):
    assert doveconf24(trixie_root, METRICS).returncode == 0
    assert doveconf24(trixie_root, GROUPS).returncode == 0
    assert "Unknown setting: bse" in doveconf24(trixie_root, METRICS.replace("base = 10", "bse = 10")).stderr
    assert "Unknown group label @metric_default" in doveconf24(
        trixie_root, METRICS.replace("@metric_defaults =", "@metric_default =")).stderr
    assert "Unknown group @metric_defaults=frontend" in doveconf24(
        trixie_root, METRICS.replace("= backend", "= frontend")).stderr


# -- C2: values inside remote/local filters apply to those clients only --------------------


def test_c2_plaintext_for_loopback_clients_is_not_reported(site, capsys):
    # mailcow dovecot.conf:268: "warning DC208 disable_plaintext_auth = no" inside remote 127.0.0.1
    assert no_findings(site, capsys, "disable_plaintext_auth = yes\nremote 127.0.0.1 {\n  disable_plaintext_auth = no\n}\n")


def test_c2_plaintext_for_trusted_networks_changes_nothing(site, capsys):
    # login_trusted_networks clients are "secured": plaintext is accepted from them anyway
    assert no_findings(site, capsys, "login_trusted_networks = 10.0.0.0/8 ::1\nremote 10.1.0.0/16 {\n"
                                 "  disable_plaintext_auth = no\n}\n")


def test_c2_plaintext_for_every_client_is_reported_with_its_networks(site, capsys):
    write(site / "dovecot.conf", "disable_plaintext_auth = yes\nlogin_trusted_networks = 10.0.0.0/8\n"
                                 "remote 0.0.0.0/0 {\n  disable_plaintext_auth = no\n}\n"
                                 "remote 10.0.0.0/7 {\n  disable_plaintext_auth = no\n}\n")
    status, out, _ = check(capsys, "dovecot.conf")
    assert status == 1
    assert [line for line in out.splitlines() if "DC208" in line] == [
        "dovecot.conf:4:3: warning DC208 disable_plaintext_auth = no for clients from 0.0.0.0/0: "
        "IMAP and POP3 accept passwords over unencrypted connections",
        "dovecot.conf:7:3: warning DC208 disable_plaintext_auth = no for clients from 10.0.0.0/7: "
        "IMAP and POP3 accept passwords over unencrypted connections",
    ]


def test_c2_tls_off_for_loopback_only_is_not_reported_elsewhere_it_is(site, capsys):
    write(site / "dovecot.conf", "remote 127.0.0.1 {\n  ssl = no\n}\nlocal ::1 {\n  ssl = no\n}\n"
                                 "local 192.0.2.1 {\n  ssl = no\n}\n")
    status, out, _ = check(capsys, "dovecot.conf")
    assert [line.split(" ssl = no")[0] for line in out.splitlines() if "DC301" in line] == \
        ["dovecot.conf:8:3: warning DC301"]


def test_networks_outside_keeps_items_as_written():
    from linter.values import networks_outside

    assert networks_outside("127.0.0.1 ::1 [::1]/128 10.1.0.0/16", "127.0.0.0/8 ::1 10.0.0.0/8") == ()
    assert networks_outside("0.0.0.0/0, 127.0.0.2 mail.example ::ffff:127.0.0.1", "127.0.0.0/8 ::1") == \
        ("0.0.0.0/0", "mail.example", "::ffff:127.0.0.1")
    assert networks_outside("10.0.0.0/7", ("10.0.0.0/8",)) == ("10.0.0.0/7",)


# -- C5: an include the tool cannot read makes what the tree leaves unset unknown -----------

SSL_TREE = {"dovecot.conf": "dovecot_config_version = 2.4.0\n!include conf.d/*.conf\n",
            "conf.d/10-ssl.conf": "ssl = yes\n!include_try /etc/dovecot/conf.d/10-ssl-keys.try\n"}
C5_NOTE = ("conf.d/10-ssl.conf:2:1: note: !include_try /etc/dovecot/conf.d/10-ssl-keys.try: {why}; doveconf runs "
           "without it, but what it may set is unknown: rules reading a setting this tree leaves unset are skipped\n")


@pytest.mark.parametrize("extra, why", [
    ({}, "not in the repository"),  # repro G
    # modoboa: the installer renders 10-ssl-keys.try from the template beside it
    ({"conf.d/10-ssl-keys.try.tpl": "ssl_server_cert_file = %tls_cert_file\n"},
     "only a template of it is in the repository (rendered at install)"),
])
def test_c5_certificate_from_an_unread_include_try_is_not_reported_empty(site, capsys, extra, why):
    # modoboa 2.4 conf.d/10-ssl.conf.tpl:6 was "error DC302/DC303 ssl = yes but ssl_server_cert_file is empty"
    for name, text in {**SSL_TREE, **extra}.items():
        write(site / name, text)
    status, out, err = check(capsys, "dovecot.conf")
    assert (status, out) == (0, "No findings in 1 file.\n")  # the tree: dovecot.conf and its includes
    assert err == C5_NOTE.format(why=why)


def test_c5_what_the_tree_sets_itself_is_still_judged(site, capsys):
    write(site / "dovecot.conf", "ssl = yes\nssl_cert =\n!include_try /etc/ssl/dovecot-keys.conf\n")
    status, out, _ = check(capsys, "dovecot.conf")
    assert status == 1 and "dovecot.conf:1:1: error DC302 ssl = yes but ssl_cert is empty" in out
    assert "DC303" not in out  # ssl_key is left unset: the unread file may set it


def test_c5_a_missing_include_skips_the_same_way(site, capsys):
    # issue 10 cause 9 (a secrets file kept out of git), now also for the values it may set
    write(site / "dovecot.conf", "ssl = yes\n!include auth-ssl.conf.ext\n")
    status, out, err = check(capsys, "dovecot.conf")
    assert (status, out) == (0, "No findings in 1 file.\n")
    assert err.startswith("dovecot.conf:2:1: note: !include auth-ssl.conf.ext: No matches")


def test_c5_an_optional_file_beside_the_tree_that_does_not_exist_is_nothing(site, capsys):
    # doveconf reads nothing for it; the repository holds the tree
    write(site / "dovecot.conf", "ssl = yes\n!include_try local.conf\n")
    status, out, err = check(capsys, "dovecot.conf")
    assert status == 1 and "error DC302" in out and "error DC303" in out and err == ""


def test_c5_an_unread_include_may_hold_the_auth_socket_postfix_needs(site, capsys):
    write(site / "main.cf", "smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\n"
                            "smtpd_sasl_path = private/auth\nsmtpd_tls_auth_only = yes\n")
    write(site / "master.cf", "smtp inet n - y - - smtpd\n")
    write(site / "dovecot.conf", "ssl = required\nssl_cert = </c.pem\nssl_key = </k.pem\n"
                                 "!include_try /etc/dovecot/auth-socket.conf\n")
    _, out, _ = check(capsys, ".")
    assert "DC201" not in out
    write(site / "dovecot.conf", "ssl = required\nssl_cert = </c.pem\nssl_key = </k.pem\n")
    _, out, _ = check(capsys, ".")
    assert "dovecot.conf:3:18: error DC201" in out


def test_c5_debian_protocol_files_only_make_protocols_unknown(site, capsys):
    write(site / "dovecot.conf", "!include_try /usr/share/dovecot/protocols.d/*.protocol\n"
                                 "service auth {\n  inet_listener {\n    port = 12345\n  }\n}\n")
    status, out, err = check(capsys, "dovecot.conf")
    assert status == 1 and "dovecot.conf:5:3: error DC316" in out and err == ""


# -- C8 (DC316): the auth listener that a paired Postfix reaches over the network -----------

AUTH_INET = "service auth {\n  inet_listener auth-inet {\n    port = 10001\n  }\n}\n"


@pytest.mark.parametrize("sasl_path, reported", [
    ("inet:dovecot:10001", False),  # mailcow: Postfix in another container
    ("inet:10.0.0.5:10001", False),
    ("inet:127.0.0.1:10001", True),  # Postfix on this host: 127.0.0.1 is the fix
    ("inet:[::1]:10001", True),
    ("inet:localhost:10001", True),
    ("inet:dovecot:12345", True),  # another port: nothing needs this listener on the network
    ("private/auth", True),
])
def test_c8_dc316_reads_the_paired_postfix(site, capsys, sasl_path, reported):
    # repro J: "error DC316 ... fix: Set address = 127.0.0.1 in the listener (Postfix on this
    # host)" while main.cf says smtpd_sasl_path = inet:dovecot:10001
    write(site / "postfix/main.cf", f"smtpd_sasl_type = dovecot\nsmtpd_sasl_path = {sasl_path}\n")
    write(site / "postfix/master.cf", "smtp inet n - y - - smtpd\n")
    write(site / "dovecot/dovecot.conf", AUTH_INET)
    _, out, _ = check(capsys, "dovecot/dovecot.conf")
    assert ("dovecot/dovecot.conf:4:3: error DC316" in out) == reported


def test_c8_dc316_reads_a_services_override_too(site, capsys):
    write(site / "main.cf", "smtpd_sasl_type = dovecot\n")
    write(site / "master.cf", "submission inet n - y - - smtpd\n  -o smtpd_sasl_path=inet:mda:10001\n")
    write(site / "dovecot.conf", AUTH_INET)
    _, out, _ = check(capsys, "dovecot.conf")
    assert "DC316" not in out


def test_c8_dc316_without_postfix_files_is_judged_as_before(site, capsys):
    write(site / "dovecot.conf", AUTH_INET)
    _, out, _ = check(capsys, "dovecot.conf")
    assert out.startswith("dovecot.conf:4:3: error DC316 service auth's inet_listener on port 10001 listens on "
                          "every interface (*, ::)")


def test_remote_inet_keeps_other_hosts_on_that_port():
    from linter.values import remote_inet

    paths = ("inet:dovecot:10001", "inet:127.0.0.2:10001", "inet:[::1]:10001", "inet:[2001:db8::1]:10001",
             "inet:LOCALHOST:10001", "inet:mda:2004", "private/auth", "inet:10.0.0.5:10001")
    assert remote_inet(paths, "10001") == ("inet:dovecot:10001", "inet:[2001:db8::1]:10001", "inet:10.0.0.5:10001")


def test_c2_dovecot_24_filters_are_judged_in_24_names(site, capsys):
    # a 2.3 name in a filter is translated like one at the top level (it was not: the filter
    # kind stood in for the section, and DC208 never judged 2.4 filter blocks)
    write(site / "dovecot.conf", "dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n"
                                 "login_trusted_networks = 10.0.0.0/8\n"
                                 "remote 127.0.0.1 {\n  auth_allow_cleartext = yes\n}\n"
                                 "remote 10.2.0.0/16 {\n  auth_allow_cleartext = yes\n}\n"
                                 "remote 192.0.2.0/24 {\n  auth_allow_cleartext = yes\n}\n"
                                 "protocol imap {\n  disable_plaintext_auth = no\n}\n")
    status, out, _ = check(capsys, "dovecot.conf")
    assert [line for line in out.splitlines() if not line.startswith(" ")][:2] == [
        "dovecot.conf:11:3: warning DC208 auth_allow_cleartext = yes for clients from 192.0.2.0/24: "
        "IMAP and POP3 accept passwords over unencrypted connections",
        "dovecot.conf:14:3: error DC004 disable_plaintext_auth: Unknown setting (doveconf refuses to start) "
        "(a Dovecot 2.3 name: 2.4 calls it auth_allow_cleartext (= yes))",
    ]
