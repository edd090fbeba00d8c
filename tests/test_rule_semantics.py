"""Issue 10, the rule-semantics causes: each test is the minimal reproduction of a finding
the built-in pack gave on a real configuration (a config in, ``policy-lint check``, the
output), judged against postconf(5) and what the daemons do."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from linter import cli

# the services of Postfix's stock master.cf that these rules look at
STOCK_MASTER = """\
smtp      inet  n       -       y       -       -       smtpd
smtp      unix  -       -       y       -       -       smtp
relay     unix  -       -       y       -       -       smtp
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       y       -       -       lmtp
"""


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A host directory with the stock master.cf (a test may replace or remove it)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    (tmp_path / ".policy-lint.yaml").write_text("{}\n", encoding="utf-8")  # stops the walk up
    (tmp_path / "master.cf").write_text(STOCK_MASTER, encoding="utf-8")
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def findings(capsys, *argv: str) -> list[dict]:
    """The built-in pack's findings as JSON objects."""
    cli.main(["check", "--format", "json", *argv])
    return json.loads(capsys.readouterr().out)


def rules(capsys, *argv: str) -> list[str]:
    return sorted(f["rule"] for f in findings(capsys, *argv))


# -- cause 1: PF106 on the default --------------------------------------------------------


def test_pf106_default_queue_minfree_already_means_one_and_a_half_message_sizes(site, capsys):
    # postconf(5): "By default, the Postfix SMTP server rejects MAIL FROM commands when
    # the amount of free space is less than 1.5*$message_size_limit"
    write(site / "main.cf", "message_size_limit = 52428800\n")
    assert "PF106" not in rules(capsys, "main.cf")
    write(site / "main.cf", "message_size_limit = 52428800\nqueue_minfree = 0\n")
    assert "PF106" not in rules(capsys, "main.cf")


def test_pf106_explicit_floor_below_one_and_a_half_message_sizes(site, capsys):
    write(site / "main.cf", "message_size_limit = 52428800\nqueue_minfree = 20480000\n")
    found = [f for f in findings(capsys, "main.cf") if f["rule"] == "PF106"]
    assert [(f["line"], f["message"]) for f in found] == [
        (2, "queue_minfree is 20480000, less than 1.5 x message_size_limit (52428800)")]


# -- cause 2: PF204 only where it matters, never twice with PF208, a fix that locks nobody out


SASL = "smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\nsmtpd_sasl_path = private/auth\n"
DOVECOT_PLAIN_LOGIN = """\
auth_mechanisms = plain login
service auth {
  unix_listener /var/spool/postfix/private/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
"""


@pytest.mark.parametrize("tls_only", [
    "smtpd_tls_auth_only = yes\n",
    "smtpd_tls_security_level = encrypt\nsmtpd_tls_chain_files = /etc/postfix/tls/key.pem, /etc/postfix/tls/chain.pem\n",
    "smtpd_enforce_tls = yes\nsmtpd_tls_chain_files = /etc/postfix/tls/key.pem, /etc/postfix/tls/chain.pem\n",
])
def test_pf204_is_inert_where_auth_needs_tls(site, capsys, tls_only):
    write(site / "main.cf", SASL + "smtpd_sasl_security_options =\n" + tls_only)
    assert "PF204" not in rules(capsys, "main.cf")


def test_pf204_is_inert_on_a_wrapper_mode_service(site, capsys):
    write(site / "main.cf", SASL + "smtpd_sasl_security_options =\nsmtpd_tls_chain_files = /k.pem, /c.pem\n")
    write(site / "master.cf", "smtps     inet  n       -       y       -       -       smtpd\n"
                              "  -o smtpd_tls_wrappermode=yes\n"
                              "submission inet n       -       y       -       -       smtpd\n")
    services = [f["message"].split(":")[0] for f in findings(capsys, "main.cf") if f["rule"] == "PF204"]
    assert services == ["submission"]


def test_pf204_and_pf208_do_not_report_plaintext_before_tls_twice(site, capsys):
    # the stock options (noanonymous) on a service that offers AUTH before STARTTLS: the
    # password in clear is PF208's finding alone
    write(site / "main.cf", SASL + "smtpd_tls_security_level = may\n"
          "smtpd_tls_chain_files = /etc/postfix/tls/key.pem, /etc/postfix/tls/chain.pem\n")
    assert rules(capsys, "main.cf").count("PF208") == 1
    assert "PF204" not in rules(capsys, "main.cf")


def test_pf204_fix_adds_noanonymous_and_pf207_does_not_fire_after_it(site, capsys):
    write(site / "dovecot.conf", DOVECOT_PLAIN_LOGIN)
    main = write(site / "main.cf", SASL + "smtpd_sasl_security_options = noplaintext\n"
                 "smtpd_sasl_tls_security_options = noanonymous\n"
                 "smtpd_tls_security_level = may\n"
                 "smtpd_tls_chain_files = /etc/postfix/tls/key.pem, /etc/postfix/tls/chain.pem\n")
    before = rules(capsys, "main.cf", "dovecot.conf")
    assert "PF204" in before and "PF207" not in before
    cli.main(["check", "--fix", "--unsafe-fixes", "--select", "PF204", "main.cf"])
    capsys.readouterr()
    assert "smtpd_sasl_security_options = noanonymous,noplaintext\n" in main.read_text()
    after = rules(capsys, "main.cf", "dovecot.conf")
    assert "PF207" not in after
    assert after == [r for r in before if r != "PF204"], "the fix introduces no finding"


def test_pf204_fix_never_removes_a_mechanism_when_dovecot_is_unknown(site, capsys):
    # the old fix set "noanonymous, noplaintext": with smtpd_sasl_tls_security_options at its
    # default ($smtpd_sasl_security_options) nobody could log in with PLAIN/LOGIN any more
    main = write(site / "main.cf", SASL + "smtpd_sasl_security_options =\n")
    cli.main(["check", "--fix", "--unsafe-fixes", "--select", "PF204", "main.cf"])
    capsys.readouterr()
    assert main.read_text() == SASL + "smtpd_sasl_security_options = noanonymous\n"
    write(site / "dovecot.conf", DOVECOT_PLAIN_LOGIN)
    assert not {"PF204", "PF206", "PF207"} & set(rules(capsys, "main.cf", "dovecot.conf"))


# -- cause 4: the mail path and TLS as the daemons see them ----------------------------------


def test_pf005_only_where_local8_receives_mail(site, capsys):
    write(site / "main.cf", "message_size_limit = 52428800\n")  # the stock master.cf and mydestination
    assert "PF005" in rules(capsys, "main.cf")
    write(site / "main.cf", "message_size_limit = 52428800\nmydestination =\n")
    assert "PF005" not in rules(capsys, "main.cf")
    write(site / "main.cf", "message_size_limit = 52428800\nlocal_transport = lmtp:unix:private/dovecot-lmtp\n")
    assert "PF005" not in rules(capsys, "main.cf")


def test_pf005_follows_the_local_transport_to_its_master_cf_command(site, capsys):
    write(site / "main.cf", "message_size_limit = 52428800\nlocal_transport = dovecot\n")
    write(site / "master.cf", "dovecot   unix  -       n       n       -       -       pipe\n"
                              "  flags=DRhu user=vmail argv=/usr/lib/dovecot/deliver -d ${recipient}\n")
    assert "PF005" not in rules(capsys, "main.cf")
    write(site / "master.cf", "dovecot   unix  -       n       n       -       -       local\n")
    assert "PF005" in rules(capsys, "main.cf")


def test_pf014_only_when_virtual8_is_the_virtual_transport(site, capsys):
    hosted = "virtual_mailbox_domains = example.org\nmessage_size_limit = 104857600\n"
    write(site / "main.cf", hosted)
    assert "PF014" in rules(capsys, "main.cf")
    write(site / "main.cf", hosted + "virtual_transport = lmtp:unix:private/dovecot-lmtp\n")
    assert "PF014" not in rules(capsys, "main.cf")


def test_pf209_honours_the_obsolete_smtpd_use_tls(site, capsys):
    # Postfix 3.7 with an empty smtpd_tls_security_level still turns TLS on with
    # smtpd_use_tls = yes: AUTH is offered after STARTTLS
    base = SASL + ("smtpd_tls_auth_only = yes\nsmtpd_tls_cert_file = /etc/ssl/certs/mail.pem\n"
                   "smtpd_tls_key_file = /etc/ssl/private/mail.key\n")
    write(site / "main.cf", base + "smtpd_use_tls = yes\n")
    assert "PF209" not in rules(capsys, "main.cf")
    write(site / "main.cf", base + "smtpd_use_tls = yes\nsmtpd_tls_security_level = none\n")
    assert "PF209" in rules(capsys, "main.cf")
    write(site / "main.cf", base)
    assert "PF209" in rules(capsys, "main.cf")


def test_pf212_and_pf213_read_the_tls_level_in_effect(site, capsys):
    write(site / "main.cf", "smtpd_use_tls = yes\n")
    found = [f["message"] for f in findings(capsys, "main.cf") if f["rule"] == "PF212"]
    assert found == ["smtp: TLS is on (smtpd_use_tls = yes) but no server certificate is configured: "
                     "smtpd never offers STARTTLS"]
    write(site / "main.cf", "smtpd_enforce_tls = yes\nsmtpd_tls_chain_files = /k.pem, /c.pem\n")
    assert "PF213" in rules(capsys, "main.cf")


# -- cause 5: names postconf knows -----------------------------------------------------------


def _postconf_unused(postconf: str, directory: Path) -> set[str]:
    result = subprocess.run([postconf, "-c", str(directory), "-n"], capture_output=True, text=True, check=False)
    return {line.split("unused parameter: ", 1)[1].split("=", 1)[0]
            for line in result.stderr.splitlines() if "unused parameter: " in line}


def test_obsolete_names_postconf_still_knows_are_not_unknown(site, capsys, postconf):
    text = ("postscreen_dnsbl_ttl = 1h\nfallback_relay = [relay.example.org]\n"
            "postscreen_blacklist_action = drop\nsmtpd_client_conection_rate_limit = 30\n")
    write(site / "main.cf", text)
    write(site / "master.cf", "smtp      inet  n       -       y       -       -       smtpd\n")
    unknown = {f["message"].split()[0] for f in findings(capsys, "main.cf") if f["rule"] == "PF004"}
    assert unknown == {"smtpd_client_conection_rate_limit"} == _postconf_unused(postconf, site)


def test_transport_parameters_of_master_cf_services_agree_with_postconf(site, capsys, postconf):
    write(site / "master.cf", "smtp      inet  n       -       y       -       -       smtpd\n"
                              "dovecot   unix  -       n       n       -       -       pipe\n"
                              "  flags=DRhu user=vmail argv=/usr/lib/dovecot/deliver -d ${recipient}\n"
                              "smtp-amavis unix -      -       n       -       2       smtp\n")
    write(site / "main.cf", "dovecot_destination_recipient_limit = 1\n"
                            "dovecot_time_limit = 3600s\n"
                            "smtp-amavis_destination_recipient_limit = 1\n"
                            "smtp-amavis_time_limit = 60s\n"
                            "smtp-amavis_initial_destination_concurrency = 2\n")
    unknown = {f["message"].split()[0] for f in findings(capsys, "main.cf") if f["rule"] == "PF004"}
    assert unknown == {"smtp-amavis_time_limit"} == _postconf_unused(postconf, site)


def test_transport_parameters_without_a_master_cf(site, capsys):
    # another transport may be defined in the master.cf the tool cannot see, so its
    # parameters are not called unknown; a misspelt suffix still is
    (site / "master.cf").unlink()
    write(site / "main.cf", "smtp_destination_concurrency_limit = 5\nrelay_destination_recipient_limit = 10\n"
                            "local_destination_recipient_limit = 1\nvirtual_initial_destination_concurrency = 2\n"
                            "dovecot_destination_recipient_limit = 1\nsmtp_destination_concurency_limit = 5\n")
    unknown = [f["message"].split()[0] for f in findings(capsys, "main.cf") if f["rule"] == "PF004"]
    assert unknown == ["smtp_destination_concurency_limit"]


# -- the policy language: the functions these rules are written with --------------------------


@pytest.mark.parametrize(("expr", "error"), [
    ("delivers('maildrop')", "delivers() knows no delivery agent 'maildrop'"),
    ("in_effect('smtpd_tls_securty_level') == 'may'", "in_effect(): unknown Postfix parameter 'smtpd_tls_securty_level'"),
])
def test_in_effect_and_delivers_are_checked_by_the_loader(site, capsys, expr, error):
    write(site / "p.yaml", """\
policy: p
title: t
rules:
  - id: X001
    name: bad-agent
    scope: postfix-main
    message: m
    check:
      kind: assert
      expr: "EXPR"
    fix:
      title: t
      applicability: display-only
""".replace("EXPR", expr))
    status = cli.main(["check", "--no-builtin", "--policy", "p.yaml", "p.yaml"])
    err = capsys.readouterr().err
    assert status == 2
    assert error in err


# -- cause 8: locations ------------------------------------------------------------------------


def test_pf015_points_at_the_line_and_column_of_a_reference_in_a_continued_value(site, capsys):
    write(site / "main.cf", "smtpd_recipient_restrictions = permit_mynetworks,\n"
                            "    reject_unauth_destination,\n"
                            "    check_policy_service $policy_socket\n")
    found = [(f["line"], f["column"], f["end_column"]) for f in findings(capsys, "main.cf") if f["rule"] == "PF015"]
    assert found == [(3, 26, 40)]


def test_a_service_finding_about_a_value_set_nowhere_points_at_the_master_cf_entry(site, capsys):
    write(site / "main.cf", "default_process_limit = 20\n")
    write(site / "master.cf", "smtp      inet  n       -       y       -       -       smtpd\n"
                              "submission inet n       -       y       -       8       smtpd\n")
    found = [(f["path"], f["line"], f["column"], [(r["path"], r["line"]) for r in f["related"]])
             for f in findings(capsys, "main.cf", "master.cf") if f["rule"] == "PF110"]
    # the maxproc field of each service; main.cf, where the fix adds the line, is related
    assert found == [("master.cf", 1, 49, [("main.cf", 1)]), ("master.cf", 2, 49, [("main.cf", 1)])]
    cli.main(["check", "--select", "PF110", "main.cf", "master.cf"])
    assert "master.cf:2:49: warning PF110 submission: smtpd_client_connection_count_limit is 50" \
        in capsys.readouterr().out


def test_when_only_main_cf_is_checked_the_finding_stays_in_main_cf(site, capsys):
    # pre-commit passes the changed file only: the finding is shown where its fix goes
    write(site / "main.cf", "default_process_limit = 20\n")
    write(site / "master.cf", "submission inet n       -       y       -       8       smtpd\n")
    found = [(f["path"], f["line"], [(r["path"], r["line"]) for r in f["related"]])
             for f in findings(capsys, "main.cf") if f["rule"] == "PF110"]
    assert found == [("main.cf", 1, [("master.cf", 1)])]


# -- PF201 judges the pair (type, path), not the choice of SASL implementation ------------


def test_pf201_is_silent_on_a_cyrus_application_and_reports_a_dovecot_socket_with_cyrus(site, capsys):
    # Mailu's internal 10025 enables AUTH with the default type cyrus and the default
    # application name "smtpd": a Cyrus setup, nothing says Dovecot, switching would break it
    write(site / "master.cf", STOCK_MASTER + "10025 inet n - n - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n")
    write(site / "main.cf", "smtpd_tls_security_level = may\n")
    assert "PF201" not in rules(capsys, "main.cf", "master.cf")
    # private/auth (or inet:host:port) is a Dovecot socket: with the type cyrus AUTH fails
    write(site / "main.cf", "smtpd_tls_security_level = may\nsmtpd_sasl_path = private/auth\n")
    (found,) = [f for f in findings(capsys, "main.cf", "master.cf") if f["rule"] == "PF201"]
    assert found["message"] == ("10025: SMTP AUTH points at a Dovecot socket (smtpd_sasl_path) but "
                                "smtpd_sasl_type is cyrus, not dovecot")


# -- servers behind a proxy: the per-client limits the daemons exempt proxies from -------


def test_postfix_rate_limits_are_not_judged_behind_an_xclient_proxy(site, capsys):
    # Mailu: every client is its front, allowed XCLIENT; smtpd.c exempts xclient
    # hosts from connection, message and auth counts/rates, so the limits do nothing
    write(site / "master.cf", STOCK_MASTER + "10025 inet n - n - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n")
    main = "smtpd_tls_security_level = may\nmessage_size_limit = 10240000\n"
    write(site / "main.cf", main)
    assert {"PF101", "PF104", "PF501"} <= set(rules(capsys, "main.cf", "master.cf"))
    write(site / "main.cf", main + "smtpd_authorized_xclient_hosts = 192.168.203.0/24\n")
    assert not {"PF101", "PF104", "PF501"} & set(rules(capsys, "main.cf", "master.cf"))


def test_dovecot_auth_penalty_off_behind_trusted_proxies_is_not_judged(site, capsys):
    # Dovecot skips the penalty for login_trusted_networks; mode 0 is the documented
    # setup behind a proxy that limits guessing itself
    tree = "service anvil {\n  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}\n"
    write(site / "dovecot.conf", tree)
    assert "DC311" in rules(capsys, "dovecot.conf")
    write(site / "dovecot.conf", "login_trusted_networks = 192.168.203.0/24\n" + tree)
    assert "DC311" not in rules(capsys, "dovecot.conf")


def test_auth_username_chars_is_judged_for_sql_and_ldap_passdbs_only(site, capsys):
    # its documented purpose is SQL/LDAP quoting; Mailu's dict passdb is neither
    tree = "auth_username_chars =\npassdb {\n  driver = dict\n  args = /etc/dovecot/auth.conf\n}\n"
    write(site / "dovecot.conf", tree)
    assert "DC317" not in rules(capsys, "dovecot.conf")
    write(site / "dovecot.conf", tree + "passdb {\n  driver = sql\n  args = /etc/dovecot/sql.conf.ext\n}\n")
    (found,) = [f for f in findings(capsys, "dovecot.conf") if f["rule"] == "DC317"]
    assert (found["line"], found["message"]) == (7, "auth_username_chars is empty: this sql passdb gets user names "
                                                    "with any character, quotes and wildcards included")


def test_first_valid_uid_needs_a_userdb_in_the_tree(site, capsys):
    # sovereign: the userdb is in an include kept elsewhere, so the users' uids are unknown
    write(site / "dovecot.conf", "first_valid_uid = 0\n")
    assert "DC318" not in rules(capsys, "dovecot.conf")
    write(site / "dovecot.conf", "first_valid_uid = 0\nuserdb {\n  driver = passwd\n}\n")
    assert "DC318" in rules(capsys, "dovecot.conf")


def test_an_auth_listener_with_the_same_tail_elsewhere_is_not_judged_missing(site, capsys):
    # hardware/mailserver links /var/spool/postfix to /var/mail/postfix/spool (Dockerfile):
    # the listener there is smtpd's private/auth, which the configuration cannot tell
    write(site / "main.cf", "smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\nsmtpd_sasl_path = private/auth\n")
    listener = "service auth {\n  unix_listener %s {\n    mode = 0660\n    user = postfix\n    group = postfix\n  }\n}\n"
    write(site / "dovecot.conf", listener % "/var/mail/postfix/spool/private/auth")
    assert "DC201" not in rules(capsys, "main.cf", "master.cf", "dovecot.conf")
    write(site / "dovecot.conf", listener % "/var/mail/postfix/spool/private/auth-other")
    assert "DC201" in rules(capsys, "main.cf", "master.cf", "dovecot.conf")


def test_postfix_installer_prototypes_and_docker_mailserver_overrides(site, capsys):
    # Postfix's own conf/main.cf leaves setgid_group empty for postfix-install: no Postfix
    # program starts with it, so it is a prototype; judged only on what it sets
    write(site / "main.cf", "setgid_group =\nmail_owner = postfix\n")
    cli.main(["check", "--format", "json", "main.cf"])
    out, err = capsys.readouterr()
    assert not {"PF101", "PF104", "PF109"} & {f["rule"] for f in json.loads(out)}
    assert "main.cf: note: it leaves setgid_group empty, as Postfix's installer prototype does" in err
    # docker-mailserver: postfix-main.cf is applied over the image's main.cf, and
    # postfix-master.cf is a list of 'postconf -P' overrides, not a master.cf (no exit 2)
    (site / "main.cf").unlink()
    write(site / "dms/postfix-main.cf", "max_idle = 600s\n")
    write(site / "dms/postfix-master.cf", "# comment\nsubmission/inet/smtpd_sasl_security_options=noanonymous\n")
    assert cli.main(["check", "--format", "json", "dms"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == []
    assert ("dms/postfix-master.cf: note: a list of 'postconf -P' overrides (service/type/parameter=value, as "
            "docker-mailserver's postfix-master.cf), not a master.cf: not checked") in err
    assert "dms/postfix-main.cf: note: it is docker-mailserver's postfix-main.cf" in err


def test_a_parameter_a_template_macro_sets_is_not_judged_by_its_default(site, capsys):
    # Salt's postfix-formula writes every line through a macro; PF109 said
    # message_size_limit was unset while {{ set_parameter('message_size_limit', ...) }} sets it
    macro = ("{%- macro set_parameter(parameter, default=None) -%}\n{{ parameter }} = {{ default }}\n"
             "{%- endmacro -%}\n")
    write(site / "main.cf.j2", macro + "{{ set_parameter('message_size_limit', '41943040') }}\n")
    assert "PF109" not in rules(capsys, "main.cf.j2")
    # without a macro that writes generated names, a call is just template output
    write(site / "main.cf.j2", "{{ set_parameter('message_size_limit', '41943040') }}\nbiff = no\n")
    assert "PF109" in rules(capsys, "main.cf.j2")


def test_a_debian_packaging_prototype_is_judged_only_on_what_it_sets(site, capsys):
    write(site / "debian/main.cf.in", "smtpd_banner = $myhostname ESMTP $mail_name (@@DISTRO@@)\nbiff = no\n")
    assert not {"PF101", "PF104", "PF109"} & set(rules(capsys, "debian/main.cf.in"))
    write(site / "conf/main.cf.in", "smtpd_banner = $myhostname ESMTP\nbiff = no\n")  # not in debian/: judged
    assert {"PF101", "PF104", "PF109"} <= set(rules(capsys, "conf/main.cf.in"))


def test_pf304_client_certificates_of_the_sites_own_ca_are_trust_in_the_client(site, capsys):
    # DanWin's relay: permit_tls_all_clientcerts with its peers' CA file is how its clients
    # are authorized (postconf(5)); the fix "move it after the guard" stops all its mail
    main = ("compatibility_level = 3.6\nsmtpd_tls_security_level = encrypt\nsmtpd_tls_req_ccert = yes\n"
            "smtpd_relay_restrictions = permit_tls_all_clientcerts reject\n")
    write(site / "main.cf", main + "smtpd_tls_CAfile = /etc/postfix/peer.crt\n")
    assert "PF304" not in rules(capsys, "main.cf", "master.cf")
    # with the public CA store any publicly issued certificate may relay
    write(site / "main.cf", main + "smtpd_tls_CAfile = /etc/ssl/certs/ca-certificates.crt\n")
    assert "PF304" in rules(capsys, "main.cf", "master.cf")
    write(site / "main.cf", main + "smtpd_tls_CAfile = /etc/postfix/peer.crt\ntls_append_default_CA = yes\n")
    assert "PF304" in rules(capsys, "main.cf", "master.cf")


def test_one_main_cf_value_gives_one_finding_for_all_its_services(site, capsys):
    # mailcow: PF211 eight times at one main.cf line, once per smtpd service with AUTH
    write(site / "main.cf", "smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\n"
                            "smtpd_sasl_path = inet:dovecot:10001\n")
    write(site / "master.cf", "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n")
    found = [f for f in findings(capsys, "main.cf", "master.cf") if f["rule"] == "PF211"]
    assert [(f["line"], f["message"]) for f in found] == [
        (3, "smtp, submission: smtpd_sasl_path inet:dovecot:10001 sends SMTP credentials to a remote Dovecot in clear")]
    assert [r["line"] for r in found[0]["related"]] == [1, 2]  # the services, as related locations


def test_pf304_reads_the_ca_settings_for_a_permit_inside_a_restriction_class(site, capsys):
    # the CA files decide wherever the walk meets permit_tls_all_clientcerts, also in a class
    main = ("compatibility_level = 3.6\nsmtpd_tls_security_level = encrypt\nsmtpd_tls_req_ccert = yes\n"
            "smtpd_restriction_classes = peers\npeers = permit_tls_all_clientcerts\n"
            "smtpd_relay_restrictions = peers, reject\n")
    write(site / "main.cf", main + "smtpd_tls_CAfile = /etc/postfix/peer.crt\n")
    assert "PF304" not in rules(capsys, "main.cf", "master.cf")
    write(site / "main.cf", main + "smtpd_tls_CAfile = /etc/ssl/certs/ca-certificates.crt\n")
    assert "PF304" in rules(capsys, "main.cf", "master.cf")
