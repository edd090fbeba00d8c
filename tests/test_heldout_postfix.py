"""Held-out repositories, Postfix side (issue 10; /work/heldout report causes C3, C4, C6).

Each test is a minimal reproduction from a repository the tool was never built on: the
files, ``policy-lint check``, and what a user sees.
"""

from __future__ import annotations

import pytest

from tests import test_cli

site = test_cli.site
run = test_cli.run
write = test_cli.write

SUBMISSION_HIDE = "submission inet n - n - - smtpd\n -o smtpd_hide_client_session=yes\n"


# -- C3: a name of another Postfix version, with the version not declared ------------------

def test_a_postfix_310_override_is_no_unknown_parameter_when_the_version_is_not_declared(site, capsys):
    # jeboehm/docker-mailserver (Alpine, Postfix 3.10): "-o smtpd_hide_client_session: not a
    # Postfix parameter ... Correct or remove the override" removed a working privacy setting
    write(site / "master.cf", SUBMISSION_HIDE)
    write(site / "main.cf", "smtpd_hide_client_session = yes\n")
    status, out, err = run(capsys, "check", "--select", "PF004,PF012,PF016", ".")
    assert (status, err) == (1, "")
    assert out == (
        "main.cf:1:1: info PF016 smtpd_hide_client_session: Postfix 3.10 knows it, 3.7 (assumed) does not; "
        "the Postfix version is not declared, so whether it applies is not known\n"
        "  fix: Declare the Postfix version with versions: in .policy-lint.yaml [display-only]\n"
        "master.cf:2:5: info PF016 smtpd_hide_client_session: Postfix 3.10 knows it, 3.7 (assumed) does not; "
        "the Postfix version is not declared, so whether it applies is not known\n"
        "  fix: Declare the Postfix version with versions: in .policy-lint.yaml [display-only]\n"
        "2 findings\n")


@pytest.mark.parametrize(("version", "expected"), [
    ("3.10", ""),
    ("3.7", "main.cf:1:1: warning PF004 smtpd_hide_client_session is not a Postfix parameter: Postfix ignores it "
            "(Postfix 3.10 has it; 3.7, the version declared in versions:, does not)\n"),
])
def test_a_declared_version_judges_the_name(site, capsys, version, expected):
    write(site / ".policy-lint.yaml", f'versions: {{postfix: "{version}"}}\n')
    write(site / "main.cf", "smtpd_hide_client_session = yes\n")
    status, out, _err = run(capsys, "check", "--select", "PF004,PF016", "main.cf")
    assert out.startswith(expected or "No findings")
    assert "PF016" not in out
    assert status == (1 if expected else 0)


def test_a_misspelt_name_is_still_unknown_with_the_version_not_declared(site, capsys):
    write(site / "main.cf", "smtpd_hide_client_sesion = yes\n")
    status, out, _err = run(capsys, "check", "--select", "PF004,PF016", "main.cf")
    assert status == 1
    assert out.startswith("main.cf:1:1: warning PF004 smtpd_hide_client_sesion is not a Postfix parameter: "
                          "Postfix ignores it (did you mean smtpd_hide_client_session?)\n")


def test_a_reference_to_a_postfix_310_parameter_is_defined(site, capsys):
    write(site / "main.cf", "smtpd_client_restrictions = permit_mynetworks\n")
    write(site / "master.cf", "submission inet n - n - - smtpd\n"
                              " -o smtpd_helo_restrictions=$smtpd_hide_client_session\n")
    status, out, _err = run(capsys, "check", "--select", "PF015", ".")
    assert (status, out) == (0, "No findings in 2 files.\n")


def test_a_dovecot_24_name_in_a_conf_d_file_without_its_dovecot_conf_is_not_unknown(site, capsys):
    # the tree's version is told by dovecot.conf (dovecot_config_version); a conf.d file
    # checked without it may be read by 2.3 or 2.4
    write(site / "conf.d/10-ssl.conf", "ssl_server_cert_file = /etc/ssl/c.pem\nssl_sever = yes\n")
    status, out, _err = run(capsys, "check", "--select", "DC004", ".")
    assert status == 1
    assert "ssl_server_cert_file" not in out
    assert out.startswith("conf.d/10-ssl.conf:2:1: error DC004 ssl_sever: Unknown setting")
    # with its dovecot.conf, which does not set dovecot_config_version, the tree is 2.3
    write(site / "dovecot.conf", "!include conf.d/*.conf\n")
    status, out, _err = run(capsys, "check", "--select", "DC004", ".")
    assert status == 1
    assert out.startswith("conf.d/10-ssl.conf:1:1: error DC004 ssl_server_cert_file: Unknown setting "
                          "(doveconf refuses to start) (a Dovecot 2.4 name: 2.3 calls it ssl_cert")
