"""Which files are checked together and as what (issue 10, causes 3, 6, 7 and 11).

Each test is a minimal reproduction: a tree, the command run from the directory where
the problem showed, and the output a user sees.
"""

from __future__ import annotations

import json

import pytest

from tests import test_cli

site = test_cli.site  # the fixture: an empty working directory, no config above it that matters
run = test_cli.run
write = test_cli.write


def findings(out: str) -> list[tuple[str, str, int]]:
    return [(d["rule"], d["path"], d["line"]) for d in json.loads(out)]


# -- cause 11: format detection does not depend on the current directory -------------------

OPEN_SOCKET = "service auth {\n  unix_listener /var/spool/postfix/private/auth {\n    mode = 0666\n  }\n}\n"


@pytest.fixture
def dovecot_tree(site):
    write(site / "etc/dovecot/dovecot.conf", "!include conf.d/*.conf\n")
    write(site / "etc/dovecot/conf.d/10-master.conf", OPEN_SOCKET)
    return site


@pytest.mark.parametrize(("cwd", "argument", "shown"), [
    (".", "etc/dovecot/conf.d/10-master.conf", "etc/dovecot/conf.d/10-master.conf"),
    (".", ".", "etc/dovecot/conf.d/10-master.conf"),
    ("etc/dovecot", ".", "conf.d/10-master.conf"),
    ("etc/dovecot", "conf.d/10-master.conf", "conf.d/10-master.conf"),
    ("etc/dovecot/conf.d", "10-master.conf", "10-master.conf"),
    ("etc/dovecot/conf.d", ".", "10-master.conf"),
    ("etc/dovecot/conf.d", "./10-master.conf", "10-master.conf"),
    ("etc", "dovecot/conf.d/10-master.conf", "dovecot/conf.d/10-master.conf"),
])
def test_a_conf_d_file_is_recognised_from_every_working_directory(dovecot_tree, capsys, monkeypatch, cwd,
                                                                  argument, shown):
    # issue 10 (11): inside conf.d/, "check 10-master.conf" said it could not tell the
    # format and "check ." found nothing, while the root found DC203
    monkeypatch.chdir(dovecot_tree / cwd)
    status, out, err = run(capsys, "check", "--format", "json", "--select", "DC203", argument)
    assert (status, err) == (1, "")
    assert findings(out) == [("DC203", shown, 3)]


def test_a_conf_d_file_is_fixed_from_inside_conf_d(dovecot_tree, capsys, monkeypatch):
    monkeypatch.chdir(dovecot_tree / "etc/dovecot/conf.d")
    status, out, err = run(capsys, "check", "--select", "DC203", "--fix", "--unsafe-fixes", "10-master.conf")
    assert status == 0, out + err
    assert "mode = 0660" in (dovecot_tree / "etc/dovecot/conf.d/10-master.conf").read_text()


# -- cause 3: counterparts in other folders, missing or broken ---------------------------

MAIN_WITH_SASL_AND_TLS = """smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_tls_cert_file = /etc/ssl/mail.pem
smtpd_tls_key_file = /etc/ssl/mail.key
"""
MASTER_SUBMISSION = """smtp      inet  n       -       y       -       -       smtpd
submission inet n       -       y       -       -       smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
"""
# what master.cf alone gave, judged against Postfix's defaults (cyrus, no certificate)
FROM_DEFAULTS = ["PF201", "PF212"]


def check_json(capsys, *argv: str) -> tuple[int, list, str]:
    status, out, err = run(capsys, "check", "--format", "json", "--select", "PF2", *argv)
    return status, findings(out), err


@pytest.mark.parametrize(("main", "master"), [
    ("conf/postfix/main.cf", "conf/postfix/plain/master.cf"),  # master.cf in a subdirectory
    ("roles/mail/templates/main.cf.j2", "roles/mail/files/master.cf"),  # Ansible templates/ and files/
    ("roles/mail/templates/etc_postfix_main.cf.j2", "roles/mail/files/etc_postfix_master.cf"),  # flattened
    ("modules/mail/files/etc/postfix/main.cf", "modules/mail/templates/etc/postfix/master.cf.epp"),  # Puppet
])
def test_counterparts_in_other_folders_are_paired(site, capsys, main, master):
    write(site / main, MAIN_WITH_SASL_AND_TLS)
    write(site / master, MASTER_SUBMISSION)
    for given in (master, main, "."):
        status, out, err = run(capsys, "check", "--format", "json", "--select", "PF201,PF212", given)
        assert (status, findings(out), err) == (0, [], ""), given


def test_master_cf_without_main_cf_is_not_judged_against_defaults(site, capsys):
    # issue 10 (3): "SMTP AUTH is on but smtpd_sasl_type is cyrus" and "no server
    # certificate", both set in the real main.cf that was not found
    write(site / "postfix/master.cf", MASTER_SUBMISSION)
    status, found, err = check_json(capsys, "postfix/master.cf")
    assert (status, found) == (0, [])
    assert err == ("postfix/master.cf: note: no main.cf was found next to it, in its parent or subdirectories, "
                   "or in a templates/ or files/ mirror: PF201, PF202, PF203, PF204, PF205, PF206, PF207, PF208, PF209, "
                   "PF210, PF211, PF212, PF213 skipped rather than judged "
                   "with Postfix's defaults (name the files of this host with 'hosts:' in .policy-lint.yaml "
                   "to pair them)\n")
    # the note is said once, whatever the format; SARIF carries it as a notification
    status, out, err = run(capsys, "check", "--format", "sarif", "--select", "PF2", "postfix/master.cf")
    (run_,) = json.loads(out)["runs"]
    (note,) = run_["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "note" and note["message"]["text"].startswith("no main.cf was found")
    assert run_["invocations"][0]["executionSuccessful"] is True and err.count("note:") == 1
    # paired by hand with hosts:, it is judged with that main.cf
    write(site / "elsewhere/main.cf", MAIN_WITH_SASL_AND_TLS)
    (site / ".policy-lint.yaml").write_text("hosts:\n  - main: elsewhere/main.cf\n    master: postfix/master.cf\n")
    status, out, err = run(capsys, "check", "--format", "json", "--select", "PF201,PF212", "postfix/master.cf")
    assert (status, findings(out), err) == (0, [], "")


def test_a_master_cf_that_does_not_parse_is_not_replaced_by_defaults(site, capsys):
    write(site / "main.cf", "smtpd_sasl_auth_enable = yes\n")  # the type comes from -o in master.cf
    write(site / "master.cf", "smtp inet n - y - - smtpd\n  -o smtpd_sasl_type=dovecot\nbroken line\n")
    status, found, err = check_json(capsys, "main.cf")
    assert (status, found) == (0, [])
    assert err.startswith("main.cf: note: its master.cf master.cf does not parse: ")
    assert "PF201" in err and "skipped rather than judged with Postfix's stock master.cf" in err


def test_two_candidates_are_not_guessed(site, capsys):
    write(site / "postfix/main.cf", MAIN_WITH_SASL_AND_TLS + "smtpd_sasl_auth_enable = no\n")
    write(site / "postfix/a/master.cf", MASTER_SUBMISSION)
    write(site / "postfix/b/master.cf", MASTER_SUBMISSION)
    status, found, err = check_json(capsys, "postfix/main.cf")
    assert (status, found) == (0, [])
    assert err.startswith("postfix/main.cf: note: 2 files could be its master.cf "
                          "(postfix/a/master.cf, postfix/b/master.cf), so none is assumed: ")
    # each master.cf has one main.cf above it: that pairing is unambiguous
    status, out, err = run(capsys, "check", "--format", "json", "--select", "PF201,PF212", "postfix/a/master.cf")
    assert (status, findings(out), err) == (0, [], "")


def test_transport_parameters_of_an_unseen_master_cf_are_not_unknown(site, capsys):
    # issue 10 (3): main.cf without its master.cf got PF004 for the transports master.cf defines
    main = "dovecot_destination_recipient_limit = 1\nsmtpd_tls_securty_level = may\n"
    write(site / "templates/main.cf.j2", main)
    status, out, err = run(capsys, "check", "--format", "json", "--select", "PF004", "templates/main.cf.j2")
    assert findings(out) == [("PF004", "templates/main.cf.j2", 2)]  # a typo is still one
    assert "PF004 skipped rather than judged with Postfix's stock master.cf" in err
    # once paired (files/ beside templates/), the transport is known and nothing is skipped
    write(site / "files/master.cf", "dovecot unix - n n - - pipe\n  flags=DRhu user=vmail argv=/bin/true\n")
    status, out, err = run(capsys, "check", "--format", "json", "--select", "PF004", "templates/main.cf.j2")
    assert (findings(out), err) == ([("PF004", "templates/main.cf.j2", 2)], "")


def test_dovecot_rules_skip_with_a_note_when_the_tree_is_not_found(site, capsys):
    main = ("smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\nsmtpd_sasl_path = private/auth\n"
            "smtpd_sasl_security_options = noanonymous, noplaintext\n")
    write(site / "postfix/main.cf", main)
    write(site / "postfix/master.cf", "smtp inet n - y - - smtpd\n")
    status, found, err = check_json(capsys, "--select", "DC2", "postfix")
    assert found == [] and err.count("note:") == 1
    assert err.startswith("postfix/main.cf: note: no Dovecot configuration (dovecot.conf) was found for it: DC201")
    assert "skipped rather than judged with Dovecot's defaults" in err
    # with the tree next to it (postfix/ and dovecot/ side by side), DC201 judges it
    write(site / "dovecot/dovecot.conf", "service auth {\n}\n")
    status, found, err = check_json(capsys, "--select", "DC2", "postfix", "dovecot")
    assert ("DC201", "dovecot/dovecot.conf", 2) in found and err == ""


def test_templates_of_one_host_pair_by_their_suffix(site, capsys):
    # theappleman/mail keeps lib/templates/{main.cf,master.cf,dovecot.conf}.tpl side by side
    main = ("smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\nsmtpd_sasl_path = private/auth\n"
            "smtpd_sasl_security_options = noanonymous, noplaintext\n")
    write(site / "templates/main.cf.tpl", main)
    write(site / "templates/master.cf.tpl", "smtp inet n - y - - smtpd\n")
    write(site / "templates/dovecot.conf.tpl", "service auth {\n}\n")
    for given in ("templates/main.cf.tpl", "templates/dovecot.conf.tpl", "templates"):
        status, found, err = check_json(capsys, "--select", "DC2", given)
        assert ("DC201", "templates/dovecot.conf.tpl", 2) in found and "no Dovecot configuration" not in err, given


# -- cause 6: files that are not live configs -----------------------------------------------

# Postfix's own prototype: what a fresh install's main.cf starts from, every default commented
PROTO = "# Global Postfix configuration file.\nqueue_directory = /var/spool/postfix\n#message_size_limit = 10240000\n"
DOS = "PF101,PF104,PF106,PF109"


def test_prototypes_and_backups_are_not_walked(site, capsys):
    for name in ("main.cf.proto", "master.cf.proto", "main.cf.default", "main.cf.dist", "main.cf.sample",
                 "main.cf.orig", "main.cf.dpkg-dist", "main.cf.proto.j2"):
        write(site / "etc/postfix" / name, PROTO)
    status, out, err = run(capsys, "check", "--select", DOS, ".")
    assert (status, out) == (0, "No findings in 0 files.\n")
    # named on the command line (or by a formats: glob), a prototype is checked as asked
    status, out, err = run(capsys, "check", "--format", "json", "--select", "PF109", "etc/postfix/main.cf.proto")
    assert findings(out) == [("PF109", "etc/postfix/main.cf.proto", 2)]
    (site / ".policy-lint.yaml").write_text('formats:\n  "*.dist": postfix-main\n')
    status, out, err = run(capsys, "check", "--format", "json", "--select", "PF109", ".")
    assert findings(out) == [("PF109", "etc/postfix/main.cf.dist", 2)]


def test_a_stub_gets_no_missing_directive_findings_and_is_never_edited(site, capsys):
    # issue 10 (6): a one-line "managed by puppet" main.cf got four DoS findings, and --fix edited it
    stub = write(site / "postfix/main.cf", "# file managed by puppet\n")
    write(site / "postfix/master.cf", "smtp inet n - y - - smtpd\n")
    status, out, err = run(capsys, "check", "--format", "json", "--select", DOS, "postfix")
    assert (status, findings(out)) == (0, [])
    assert err == ("postfix/main.cf: note: it sets no parameter (a stub, or a template that generates every line): "
                   "PF101, PF104, PF106, PF109 skipped rather than judged with Postfix's defaults for what it does "
                   "not set\n")
    status, out, err = run(capsys, "check", "--select", DOS, "--fix", "--unsafe-fixes", "postfix")
    assert status == 0 and stub.read_text() == "# file managed by puppet\n"


def test_a_main_cf_fragment_is_judged_on_what_it_sets(site, capsys):
    # an installer's main.cf.amavisd is appended to main.cf: what it does not set is set there
    write(site / "postfix/main.cf", "message_size_limit = 20480000\nsmtpd_client_connection_rate_limit = 30\n")
    write(site / "postfix/main.cf.amavisd", "content_filter = smtp-amavis:[127.0.0.1]:10024\n"
                                            "message_size_limit = 0\n")
    status, out, err = run(capsys, "check", "--format", "json", "--select", DOS + ",PF108",
                           "postfix/main.cf.amavisd")
    assert findings(out) == [("PF108", "postfix/main.cf.amavisd", 2)]  # set here, to 0 (unlimited): judged
    assert err.startswith("postfix/main.cf.amavisd: note: it is a main.cf.<part> fragment, not a whole main.cf: "
                          "PF101, PF104, PF106 skipped rather than judged with Postfix's defaults")


# -- cause 7: templates ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "opener", "closer"), [
    ("main.cf.j2", "{% if mail_header_privacy == 1 %}", "{% endif %}"),
    ("main.cf.j2", "{%- for map in maps %}", "{%- endfor %}"),
    ("main.cf.erb", "<% if @relay -%>", "<% end -%>"),
    ("main.cf.erb", "<% @maps.each do |map| -%>", "<% end -%>"),
    ("main.cf.epp", "<% if $relay { -%>", "<% } -%>"),
    ("main.cf.tmpl", "{{ if .Relay }}", "{{ end }}"),
])
def test_a_fix_is_never_inserted_inside_a_template_block(site, capsys, name, opener, closer):
    # issue 10 (7): the fix went before the final {% endif %}, rendered on some hosts only
    text = f"myhostname = mx.example.org\n{opener}\nsmtp_header_checks = pcre:/etc/postfix/h.pcre\n{closer}\n"
    path = write(site / name, text)
    status, out, err = run(capsys, "check", "--format", "json", "--select", "PF101", name)
    assert findings(out) == [("PF101", name, 1)]  # the last unconditional line
    run(capsys, "check", "--select", "PF101", "--fix", "--unsafe-fixes", name)
    assert path.read_text() == text.replace("org\n", "org\nsmtpd_client_connection_rate_limit = 30\n", 1)
    # with every assignment inside the block, the line goes after the block's closer
    text = f"{opener}\nsmtp_header_checks = pcre:/etc/postfix/h.pcre\n{closer}\n# end\n"
    path.write_text(text)
    status, out, err = run(capsys, "check", "--format", "json", "--select", "PF101", name)
    assert findings(out) == [("PF101", name, 3)]
    run(capsys, "check", "--select", "PF101", "--fix", "--unsafe-fixes", name)
    assert path.read_text() == text.replace(f"{closer}\n", f"{closer}\nsmtpd_client_connection_rate_limit = 30\n")


def test_no_fix_when_every_place_is_inside_a_template_block(site, capsys):
    text = "{% if relay %}\nrelayhost = [relay.example.org]\n"  # never closed: rendered or not, as a whole
    path = write(site / "main.cf.j2", text)
    status, out, err = run(capsys, "check", "--select", "PF101", "--fix", "--unsafe-fixes", "main.cf.j2")
    assert path.read_text() == text
    assert "(no fix offered: main.cf ends inside a template block that is never closed)" in out


def test_installer_line_templates_are_opaque_items(site, capsys):
    # issue 10 (7): iRedMail's PH_ placeholders made master.cf fail to parse (maxproc) and
    # main.cf's message_size_limit read as a unit suffix; %{var} and %(var)s installers alike
    write(site / "postfix/master.cf", "smtp inet n - n - - smtpd\n"
                                      "smtp-amavis unix - - n - PH_AMAVISD_MAX_SERVERS smtp\n"
                                      "  -o smtp_data_done_timeout=1200\n")
    write(site / "postfix/main.cf", "message_size_limit = PH_MESSAGE_SIZE_LIMIT_BYTES\n"
                                    "smtp-amavis_destination_recipient_limit = 1\n"
                                    "smtpd_client_connection_rate_limit = %{rate_limit}\n"
                                    "smtpd_client_message_rate_limit = %(message_rate)s\n"
                                    "anvil_rate_time_unit = @ANVIL_UNIT@\n")
    status, out, err = run(capsys, "check", "--format", "json", "--select", "PF0,PF1", "postfix")
    assert (status, findings(out), err) == (0, [], "")
    # the same text is plain where the daemon reads it so: Dovecot's own %{user}, Postfix's $name
    write(site / "dovecot/dovecot.conf", "mail_location = maildir:/var/vmail/%{user}\n")
    write(site / "plain/main.cf", "smtpd_client_connection_rate_limit = ${rate}\n")
    status, out, err = run(capsys, "parse", "dovecot/dovecot.conf", "plain/main.cf")
    (dovecot, main) = json.loads(out)
    assert [e["templated"] for e in dovecot["entries"]] == [False]
    assert [e["templated"] for e in main["entries"]] == [False]


def test_what_a_fragment_next_to_main_cf_sets_is_unknown_in_main_cf(site, capsys):
    # iRedMail appends main.cf.dovecot (smtpd_sasl_type = dovecot) to main.cf: judged
    # alone, main.cf got "SMTP AUTH is on but smtpd_sasl_type is cyrus"
    write(site / "postfix/main.cf", "smtpd_sasl_auth_enable = yes\nsmtpd_client_auth_rate_limit = 0\n")
    write(site / "postfix/master.cf", "smtp inet n - n - - smtpd\n")
    write(site / "postfix/main.cf.dovecot", "smtpd_sasl_type = dovecot\nsmtpd_sasl_path = private/auth\n")
    status, out, err = run(capsys, "check", "--format", "json", "--select", "PF201,PF501", "postfix/main.cf")
    assert findings(out) == [("PF501", "postfix/main.cf", 2)]  # set in main.cf itself: judged
    assert err == ("postfix/main.cf: note: main.cf.dovecot next to it may be appended to it (an installer's "
                   "main.cf.<part> fragments) and set what it leaves unset: PF201 skipped rather than judged with "
                   "Postfix's defaults for what they set\n")
