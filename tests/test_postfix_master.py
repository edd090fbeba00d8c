"""master.cf parsing: the traps of the facts file (§2), spans and warnings."""

from __future__ import annotations

import pytest

from linter.model import ConfigError, Span
from linter.parsers.postfix_master import parse


def one(text: str):
    (service,) = parse("master.cf", text).entries
    return service


def overrides(text: str) -> list[tuple[str, str, bool]]:
    return [(o.name, o.value, o.long_form) for o in one(text).overrides]


def codes(text: str) -> list[str]:
    return [w.code for w in parse("master.cf", text).warnings]


def test_the_seven_columns_and_the_command_as_written():
    service = one("smtp      inet  n       -       y       -       -       smtpd\n")
    assert (
        service.service,
        service.type,
        service.private,
        service.unprivileged,
        service.chroot,
        service.wakeup,
        service.process_limit,
        service.command,
        service.args,
        service.overrides,
    ) == ("smtp", "inet", "n", "-", "y", "-", "-", "smtpd", (), ())
    assert [t.text for t in service.fields] == ["smtp", "inet", "n", "-", "y", "-", "-", "smtpd"]
    assert service.fields[0].span == Span("master.cf", 1, 1, 1, 5)
    assert service.fields[7].span == Span("master.cf", 1, 57, 1, 62)


def test_overrides_on_continuation_lines_with_comments_between():
    text = "submission inet n - y - - smtpd\n# the next lines belong to it\n  -o syslog_name=postfix/submission\n\n  -o smtpd_tls_security_level=encrypt\n"
    service = one(text)
    assert overrides(text) == [
        ("syslog_name", "postfix/submission", False),
        ("smtpd_tls_security_level", "encrypt", False),
    ]
    assert service.span == Span("master.cf", 1, 1, 5, 38)
    assert service.overrides[1].span == Span("master.cf", 5, 3, 5, 38)
    assert service.overrides[1].name_span == Span("master.cf", 5, 6, 5, 30)
    assert service.overrides[1].value_span == Span("master.cf", 5, 31, 5, 38)


def test_long_form_override_keeps_inner_spaces():
    text = "smtp inet n - y - - smtpd -o { smtpd_banner = $myhostname ESMTP  ready }\n"
    assert overrides(text) == [("smtpd_banner", "$myhostname ESMTP  ready", True)]
    override = one(text).overrides[0]
    assert override.span == Span("master.cf", 1, 27, 1, 73)
    assert override.value_span == Span("master.cf", 1, 47, 1, 71)


def test_empty_override_value():
    assert overrides("smtp inet n - y - - smtpd -o smtpd_client_restrictions=\n") == [
        ("smtpd_client_restrictions", "", False)
    ]


def test_args_exclude_overrides_and_unwrap_braces():
    text = "dovecot unix - n n - - pipe\n  flags=DRhu user=vmail:vmail argv=/usr/lib/dovecot/deliver -f ${sender} -d ${user}@${nexthop} { a b }\n"
    assert one(text).args == (
        "flags=DRhu",
        "user=vmail:vmail",
        "argv=/usr/lib/dovecot/deliver",
        "-f",
        "${sender}",
        "-d",
        "${user}@${nexthop}",
        "a b",
    )
    assert one("smtp inet n - y - - smtpd -v -o a=b -D\n").args == ("-v", "-D")


def test_options_end_at_the_first_argument_like_postconf_and_getopt():
    service = one("x unix - n n - - pipe argv=/bin/cat -o not=an_override\n")
    assert service.overrides == () and service.args == ("argv=/bin/cat", "-o", "not=an_override")
    assert one("x unix - n n - - smtpd -- -o a=b\n").args == ("--", "-o", "a=b")


def test_compact_override_is_read_as_the_daemon_reads_it_and_warned():
    text = "smtp inet n - y - - smtpd -osmtpd_tls_auth_only=yes\n"
    assert overrides(text) == [("smtpd_tls_auth_only", "yes", False)]
    (warning,) = parse("master.cf", text).warnings
    assert warning.code == "compact-override"
    assert warning.span == Span("master.cf", 1, 27, 1, 52)
    # getopt reads "-vo a=b" as -v, then -o with the next word
    assert overrides("smtp inet n - y - - smtpd -vo a=b\n") == [("a", "b", False)]


def test_override_with_spaces_is_warned_and_read_as_postconf_reads_it():
    text = "submission inet n - y - - smtpd -o smtpd_sasl_auth_enable = yes -o b=c\n"
    service = one(text)
    # postconf drops the broken -o; "=" ends the options, so "-o b=c" is an argument.
    assert service.overrides == ()
    assert service.args == ("=", "yes", "-o", "b=c")
    (warning,) = parse("master.cf", text).warnings
    assert warning.code == "override-spaces"
    assert warning.span == Span("master.cf", 1, 33, 1, 64)


def test_override_without_equals_is_warned():
    assert codes("smtp inet n - y - - smtpd -o smtpd_sasl_auth_enable\n") == ["override-spaces"]
    assert codes("smtp inet n - y - - smtpd -o smtpd_sasl_auth_enable= yes\n") == ["override-spaces"]


def test_accidental_continuation_of_an_indented_service():
    text = "smtp inet n - y - - smtpd\n  pickup unix n - y 60 1 pickup\n"
    service = one(text)
    assert service.args == ("pickup", "unix", "n", "-", "y", "60", "1", "pickup")
    (warning,) = parse("master.cf", text).warnings
    assert warning.code == "accidental-continuation"
    assert warning.span == Span("master.cf", 2, 3, 2, 32)


def test_trailing_comment_after_the_command():
    text = "smtp inet n - y - - smtpd # the SMTP server\n"
    assert one(text).args == ("#", "the", "SMTP", "server")
    (warning,) = parse("master.cf", text).warnings
    assert (warning.code, warning.span) == ("trailing-comment", Span("master.cf", 1, 27, 1, 44))


def test_backslash_is_literal():
    text = "smtp inet n - y - - smtpd \\\n  -o a=b\n"
    service = one(text)
    # "\\" is an argument, so the options have ended: "-o a=b" is no override.
    assert service.args == ("\\", "-o", "a=b") and overrides(text) == []
    assert codes(text) == ["backslash-continuation"]


def test_duplicates_kept_in_order():
    document = parse("master.cf", "smtp inet n - y - - smtpd\nsmtp inet n - y - - postscreen\nsmtp unix - - y - - smtp\n")
    assert [(s.service, s.type, s.command) for s in document.entries] == [
        ("smtp", "inet", "smtpd"),
        ("smtp", "inet", "postscreen"),
        ("smtp", "unix", "smtp"),
    ]


@pytest.mark.parametrize("wakeup", ["-", "0", "60", "300?", "?", "-?"])
def test_wakeup_values_postconf_accepts(wakeup):
    assert one(f"pickup unix n - y {wakeup} 1 pickup\n").wakeup == wakeup


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("smtp inet n - y - smtpd\n", "bad field count", 1),
        ("smtp tcp n - y - - smtpd\n", 'invalid type field "tcp" in "smtp tcp n - y - - smtpd"', 6),
        ("smtp inet yes - y - - smtpd\n", 'invalid private field "yes" in "smtp inet yes - y - - smtpd"', 11),
        ("smtp inet n x y - - smtpd\n", 'invalid unprivileged field "x" in "smtp inet n x y - - smtpd"', 13),
        ("smtp inet n - nn - - smtpd\n", 'invalid chroot field "nn" in "smtp inet n - nn - - smtpd"', 15),
        ("smtp inet n - y 1x - smtpd\n", 'invalid wakeup field "1x" in "smtp inet n - y 1x - smtpd"', 17),
        ("smtp inet n - y - 1? smtpd\n", 'invalid process_limit field "1?" in "smtp inet n - y - 1? smtpd"', 19),
        ("smtp inet n - y - -1 smtpd\n", 'invalid process_limit field "-1" in "smtp inet n - y - -1 smtpd"', 19),
    ],
)
def test_entries_postconf_rejects(text, message, column):
    with pytest.raises(ConfigError) as caught:
        parse("master.cf", "# header\n" + text)
    assert (caught.value.line, caught.value.column, caught.value.message) == (2, column, message)


def test_service_names_with_brackets_and_colons():
    assert one("[::1]:10025 inet n - n - - smtpd\n").service == "[::1]:10025"
    assert one("127.0.0.1:10025 inet n - n - - smtpd\n").service == "127.0.0.1:10025"


def test_unix_dgram_type():
    assert one("postlog unix-dgram n - n - 1 postlogd\n").type == "unix-dgram"


def test_crlf_file():
    document = parse("master.cf", "smtp inet n - y - - smtpd\r\n  -o a=b\r\n")
    service = document.entries[0]
    assert overrides("smtp inet n - y - - smtpd\r\n  -o a=b\r\n") == [("a", "b", False)]
    assert service.span == Span("master.cf", 1, 1, 2, 9)
    assert document.newline == "\r\n"
    assert document.end == Span.point("master.cf", 2, 9)


def test_templates():
    text = "{% if submission %}\nsubmission inet n - y - - smtpd\n  -o smtpd_tls_security_level={{ level }}\n{% endif %}\n{{ extra_services }}\n"
    document = parse("master.cf.j2", text)
    assert [(s.service, s.templated) for s in document.entries] == [("submission", True)]
    assert [t.text for t in document.templates] == ["{% if submission %}", "{% endif %}", "{{ extra_services }}"]
    # Jinja output between control lines that is no master.cf entry by itself
    document = parse("master.cf.j2", "{%- if x -%}\nn\n{%- else -%}\ny\n{%- endif -%}\n")
    assert document.entries == () and len(document.templates) == 5


def test_templated_file_that_postfix_rejects_outside_its_template_lines_still_fails():
    with pytest.raises(ConfigError):
        parse("master.cf", "{# managed #}\nsmtp inet n - n - - smtpd\nsmtp-amavis unix - - n - many smtp\n")


def test_an_installer_placeholder_in_a_field_is_an_opaque_template_item():
    # issue 10 (7): iRedMail's "PH_AMAVISD_MAX_SERVERS" as maxproc is filled in by the installer
    (service,) = parse("master.cf", "smtp-amavis unix - - n - PH_MAX_SERVERS smtp\n").entries
    assert (service.service, service.process_limit, service.templated) == ("smtp-amavis", "PH_MAX_SERVERS", True)
