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


# -- C4: an installer's '%' template dialect (string.Template, delimiter '%') ---------------
# modoboa-installer renders main.cf.tpl, dovecot.conf.tpl ... with %name / %{name}, and
# %{flag} in front of a line renders to "" or "#" (the line is set or commented out).

def parse(capsys, *files: str) -> list[dict]:
    import json

    status, out, err = run(capsys, "parse", *files)
    assert (status, err) == (0, ""), err
    return [e for doc in json.loads(out) for e in doc["entries"]]


def test_a_flagged_main_cf_line_sets_the_parameter_after_the_flag(site, capsys):
    # modoboa: PF201 "SMTP AUTH is on but smtpd_sasl_type is cyrus", while main.cf.tpl has
    # %{dovecot_enabled}smtpd_sasl_type = dovecot
    write(site / "main.cf.tpl", "smtpd_tls_cert_file = /etc/ssl/c.pem\nsmtpd_tls_key_file = /etc/ssl/k.pem\n"
                                "%{dovecot_enabled}smtpd_sasl_type = dovecot\n"
                                "%{dovecot_enabled}smtpd_sasl_path = private/auth\n"
                                "%{dovecot_enabled}virtual_alias_maps =\n"
                                "%{dovecot_enabled}        proxy:%{db_driver}:/etc/postfix/sql-aliases.cf\n"
                                "%{opendkim_enabled}smtpd_milters = inet:127.0.0.1:%{opendkim_port}\n"
                                "%{rspamd_enabled}smtpd_milters = inet:localhost:11332\n"
                                "%{dovecot_enabled}smtpd_sasl_secrity_options = noanonymous\n")
    write(site / "master.cf.tpl", "submission inet n - n - - smtpd\n  -o smtpd_tls_security_level=encrypt\n"
                                  "  -o smtpd_sasl_auth_enable=yes\n"
                                  "  -o smtpd_client_restrictions=permit_sasl_authenticated,reject\n")
    status, out, err = run(capsys, "check", "--select", "PF003,PF004,PF201", ".")
    # the flagged typo is still a typo; two flagged alternatives are no dead assignment
    assert (status, err) == (1, "")
    assert out == ("main.cf.tpl:9:19: warning PF004 smtpd_sasl_secrity_options is not a Postfix parameter: "
                   "Postfix ignores it (did you mean smtpd_sasl_security_options?)\n"
                   "  fix: Correct or remove the parameter [display-only]\n1 finding\n")
    entries = parse(capsys, "main.cf.tpl")
    assert [(e["name"], e["line"], e["column"], e["templated"], e.get("conditional")) for e in entries][2:5] == [
        ("smtpd_sasl_type", 3, 19, True, True), ("smtpd_sasl_path", 4, 19, True, True),
        ("virtual_alias_maps", 5, 19, True, True)]
    assert entries[4]["end_line"] == 6  # the flagged blank-led line continues the value


@pytest.mark.parametrize(("name", "expected"), [
    # in a live main.cf the daemons stop: "bad numerical configuration"
    ("main.cf", "main.cf:1:1: error PF007 message_size_limit = %message_size_limit: "),
    ("main.cf.tpl", "No findings in 1 file.\n"),
])
def test_a_percent_placeholder_value_is_unknown_in_a_template(site, capsys, name, expected):
    write(site / name, "message_size_limit = %message_size_limit\n")
    _status, out, _err = run(capsys, "check", "--select", "PF007,PF108", name)
    assert out.startswith(expected)


def test_percent_in_real_postfix_values_is_kept(site, capsys):
    # '%' means nothing to main.cf: a live file's values are what the daemons read
    write(site / "main.cf", "smtpd_banner = $myhostname ESMTP %s %d\nmessage_size_limit = 20480000\n")
    entries = parse(capsys, "main.cf")
    assert [(e["value"], e["templated"]) for e in entries] == [("$myhostname ESMTP %s %d", False),
                                                                ("20480000", False)]


def test_dovecot_percent_placeholder_lines_are_opaque(site, capsys):
    # modoboa dovecot.conf.tpl "%protocols" and 10-ssl.conf.tpl "%ssl_protocol_parameter = %ssl_protocols":
    # exit 2 ("Expecting '{'") and DC004 "%ssl_protocol_parameter: Unknown setting"
    write(site / "dovecot.conf.tpl", "%protocols\nssl = no\n%ssl_protocol_parameter = %ssl_protocols\n")
    status, out, err = run(capsys, "check", "--select", "DC004,DC301", "dovecot.conf.tpl")
    assert (status, err) == (1, "")
    assert out.startswith("dovecot.conf.tpl:2:1: warning DC301 ssl = no: ")
    assert "DC004" not in out


def test_dovecot_flagged_section_lines_are_read_after_the_flag(site, capsys):
    # modoboa 2.4 10-master.conf.tpl: "Expecting '{'" at the flagged section, exit 2, and
    # the Postfix auth socket left world-writable above it went unreported
    write(site / "dovecot.conf.tpl", "dovecot_config_version = 2.4.0\n"
                                     "service auth {\n"
                                     "  unix_listener /var/spool/postfix/private/auth {\n"
                                     "    mode = 0666\n    user = postfix\n    group = postfix\n  }\n"
                                     "  %{radicale_enabled}unix_listener auth-radicale {\n"
                                     "  %{radicale_enabled}  mode = 0666\n"
                                     "  %{radicale_enabled}  user = %{radicale_user}\n"
                                     "  %{radicale_enabled}}\n"
                                     "}\n")
    status, out, err = run(capsys, "check", "--select", "DC203", "dovecot.conf.tpl")
    assert (status, err) == (1, "")
    assert out.startswith("dovecot.conf.tpl:4:5: warning DC203 ")
    assert "1 finding" in out
    entries = parse(capsys, "dovecot.conf.tpl")
    flagged = [(e["section"], e["name"], e["templated"], e.get("conditional")) for e in entries if e["line"] == 9]
    assert flagged == [(["service auth", "unix_listener auth-radicale"], "mode", True, True)]


def test_dovecot_variables_stay_dovecot_syntax_outside_the_dialect(site, capsys):
    # %d, %n, %{user} are Dovecot's own variables (a Jinja template leaves them alone)
    write(site / "dovecot.conf.j2", "mail_location = maildir:/var/mail/%d/%n\nauth_username_format = %{user}\n"
                                    "mail_uid = {{ vmail_uid }}\n")
    entries = parse(capsys, "dovecot.conf.j2")
    assert [(e["value"], e["templated"]) for e in entries] == [
        ("maildir:/var/mail/%d/%n", False), ("%{user}", False), ("{{ vmail_uid }}", True)]
    # in the '%' dialect Dovecot's own '%' is written '%%' and '%name' is a placeholder
    write(site / "conf.d/10-mail.conf.tpl", "mail_home = %{home_dir}/%%{user|domain}\nmail_path = %%{home}/Maildir\n")
    entries = parse(capsys, "conf.d/10-mail.conf.tpl")
    assert [(e["value"], e["templated"]) for e in entries] == [
        ("%{home_dir}/%%{user|domain}", True), ("%%{home}/Maildir", False)]


# -- C6: Jinja includes and tags or expressions written over several lines ------------------
# bodsch/ansible-postfix: main.cf.j2 pulls in main.cf.d/*.j2 with {%- include(...) -%}

RATE_FINDINGS = "--select", "PF101,PF104,PF109"
MULTI_LINE_IF = "{% if x is defined and\n      x | length > 0 %}\ndelay_warning_time = {{ x }}\n{% endif %}\n"


def test_an_included_template_sets_what_it_sets(site, capsys):
    # "PF101 smtpd_client_connection_rate_limit is 0", PF104, PF109, all set by the include
    write(site / "templates/main.cf.j2", "myhostname = {{ host }}\n" + MULTI_LINE_IF
          + "{%- include('main.cf.d/smtpd.j2') -%}\ndisable_vrfy_command = yes\n")
    write(site / "templates/main.cf.d/smtpd.j2", "smtpd_client_connection_rate_limit = 30\n"
                                                 "smtpd_client_message_rate_limit = 100\n"
                                                 "message_size_limit = 20480000\n")
    status, out, err = run(capsys, "check", *RATE_FINDINGS, "templates/main.cf.j2")
    assert (status, out) == (0, "No findings in 1 file.\n")
    assert "never closed" not in err
    entries = parse(capsys, "templates/main.cf.j2")
    assert [e["name"] for e in entries] == ["myhostname", "delay_warning_time", "smtpd_client_connection_rate_limit",
                                            "smtpd_client_message_rate_limit", "message_size_limit",
                                            "disable_vrfy_command"]


def test_an_include_the_tool_cannot_read_makes_what_main_cf_leaves_unset_unknown(site, capsys):
    write(site / "main.cf.j2", "myhostname = {{ host }}\n{%- include('main.cf.d/smtpd.j2') -%}\n"
                               "{% include postfix_extra %}\ndisable_vrfy_command = yes\n")
    status, out, err = run(capsys, "check", *RATE_FINDINGS, "main.cf.j2")
    assert (status, out) == (0, "No findings in 1 file.\n")
    assert err.startswith("main.cf.j2: note: it includes a template the tool could not read "
                          "(include main.cf.d/smtpd.j2 at line 2; include (a computed name) at line 3): "
                          "PF101, PF104, PF109 skipped rather than judged with Postfix's defaults for what it "
                          "does not set\n")


def test_a_multi_line_if_tag_is_one_tag(site, capsys):
    # "(no fix offered: main.cf ends inside a template block that is never closed)": the
    # two lines of the {% if %} tag were read as two unknown lines and {% endif %} as a stray closer
    write(site / "main.cf.j2", "myhostname = {{ host }}\n" + MULTI_LINE_IF + "disable_vrfy_command = yes\n")
    status, out, _err = run(capsys, "check", "--select", "PF101", "main.cf.j2")
    assert status == 1
    assert out == ("main.cf.j2:6:27: warning PF101 smtpd_client_connection_rate_limit is 0: one client may open "
                   "connections without limit\n"
                   "  fix: Set smtpd_client_connection_rate_limit = 30 [unsafe]\n"
                   "    also main.cf.j2:7:1: insert \"smtpd_client_connection_rate_limit = 30\\n\"\n"
                   "1 finding (1 fixable with --fix --unsafe-fixes)\n")


def test_a_master_cf_entry_built_by_a_multi_line_expression_is_opaque(site, capsys):
    # bodsch master.cf.j2:28-38: "bad field count", exit 2
    write(site / "master.cf.j2", "smtp      inet  n       -       y       -       -       smtpd\n"
                                 "{% for service, v in services.items() %}\n"
                                 '{{ "%-15s %-13s %5s %8s %8s %8s %8s  %-8s %s" | format(\n'
                                 "  service,\n  v.type | default('-'),\n  v.command\n) }}\n"
                                 "{% endfor %}\n")
    status, out, err = run(capsys, "check", "--select", "PF0", "master.cf.j2")
    assert (status, out, err) == (0, "No findings in 1 file.\n", "")
    import json

    _status, out, _err = run(capsys, "parse", "master.cf.j2")
    doc = json.loads(out)[0]
    assert [e["service"] for e in doc["entries"]] == ["smtp"]
    assert [t["line"] for t in doc["templates"]] == [2, 3, 8]
