"""main.cf parsing: every trap of the facts file (§1.1, §1.2), spans and warnings."""

from __future__ import annotations

import pytest

from linter.model import POSTFIX_MAIN, ConfigError, Span
from linter.parsers import parse_text
from linter.parsers.postfix_main import parse


def values(text: str) -> list[tuple[str, str]]:
    return [(a.name, a.value) for a in parse("main.cf", text).entries]


def codes(text: str) -> list[str]:
    return [w.code for w in parse("main.cf", text).warnings]


def test_name_value_with_blanks_around_equals_and_trailing_blanks_trimmed():
    assert values("myhostname   =\t mx.example.org  \t\n") == [("myhostname", "mx.example.org")]
    assert values("a=b\n") == [("a", "b")]


def test_empty_value_is_legal():
    assert values("relayhost =\nrelayhost = \n") == [("relayhost", ""), ("relayhost", "")]


def test_comments_and_blank_lines_are_ignored_even_indented():
    assert values("# c\n\n   \n  # indented comment\na = 1\n") == [("a", "1")]


def test_hash_after_a_value_is_part_of_the_value_and_warned():
    document = parse("main.cf", "message_size_limit = 10240000 # ten megs\n")
    assert document.entries[0].value == "10240000 # ten megs"
    (warning,) = document.warnings
    assert warning.code == "trailing-comment"
    assert warning.span == Span("main.cf", 1, 31, 1, 41)  # exactly "# ten megs"


def test_value_that_is_only_a_comment_is_warned():
    assert codes("relayhost = # none\n") == ["trailing-comment"]
    assert codes("smtpd_banner = $myhostname#1\n") == []  # no blank before '#'


def test_continuation_keeps_the_leading_whitespace_and_drops_the_newline():
    assert values("mynetworks = 127.0.0.0/8\n    [::1]/128\n\t10.0.0.0/8\n") == [
        ("mynetworks", "127.0.0.0/8    [::1]/128\t10.0.0.0/8")
    ]


def test_comment_and_blank_lines_inside_a_continuation_do_not_end_it():
    text = "smtpd_recipient_restrictions =\n# a comment\n    permit_mynetworks,\n\n  # another\n    reject\n"
    # The blanks after '=' are skipped even when they start the next line.
    assert values(text) == [("smtpd_recipient_restrictions", "permit_mynetworks,    reject")]


def test_trailing_backslash_is_literal_and_warned_when_a_continuation_follows():
    document = parse("main.cf", "myhostname = a\\\n  b\n")
    assert document.entries[0].value == "a\\  b"
    (warning,) = document.warnings
    assert warning.code == "backslash-continuation"
    assert warning.span == Span("main.cf", 1, 15, 1, 16)
    assert codes("a = b\\\n") == []  # nothing continues it: no continuation was meant


def test_indented_first_line_is_ignored_with_a_warning():
    document = parse("main.cf", "# header\n   indented = 1\n     more\nb = 2\n")
    assert values("   indented = 1\nb = 2\n") == [("b", "2")]
    (warning,) = document.warnings
    assert warning.code == "indented-first-line"
    assert warning.span == Span("main.cf", 2, 1, 3, 10)


def test_accidental_continuation_is_warned_at_the_indented_line():
    document = parse("main.cf", "smtpd_sasl_path = private/auth\n   smtpd_sasl_type = dovecot\n")
    assert values("smtpd_sasl_path = private/auth\n   smtpd_sasl_type = dovecot\n") == [
        ("smtpd_sasl_path", "private/auth   smtpd_sasl_type = dovecot")
    ]
    (warning,) = document.warnings
    assert warning.code == "accidental-continuation"
    assert warning.span == Span("main.cf", 2, 4, 2, 29)
    assert "smtpd_sasl_type" in warning.message


def test_ordinary_continuations_are_not_accidental():
    text = "smtpd_recipient_restrictions =\n  check_policy_service { inet:127.0.0.1:10023, default_action=DUNNO },\n  reject_rbl_client zen.spamhaus.org=127.0.0.[2..11]\nimport_environment = MAIL_CONFIG\n  TZ=UTC\n"
    assert codes(text) == []


def test_duplicates_are_kept_in_order():
    assert values("a = 1\nb = 2\na = 3\n") == [("a", "1"), ("b", "2"), ("a", "3")]


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("foo\n", 1, 1, "missing '=' after attribute name: \"foo\""),
        ("a = 1\n= novalue\n", 2, 1, 'missing attribute name: "= novalue"'),
        ("a = 1\nfoo bar = x\n", 2, 1, "missing '=' after attribute name: \"foo bar = x\""),
        # postconf names the first line of the logical line and shows it joined.
        ("a = 1\n\nfoo\n  bar\n", 3, 1, "missing '=' after attribute name: \"foo  bar\""),
    ],
)
def test_lines_postconf_rejects_raise_config_error(text, line, column, message):
    with pytest.raises(ConfigError) as caught:
        parse("main.cf", text)
    assert (caught.value.line, caught.value.column, caught.value.message) == (line, column, message)
    assert str(caught.value) == f"main.cf:{line}:{column}: {message}"


def test_crlf_as_postfix_reads_it_cr_kept_inside_a_continued_value():
    # postmap shows "message_size_limit = 1\r  2" for this file: the CR stays.
    document = parse("main.cf", "message_size_limit = 1\r\n  2\r\nb = x \r\n")
    assert [(a.name, a.value) for a in document.entries] == [("message_size_limit", "1\r  2"), ("b", "x")]
    assert document.newline == "\r\n"
    assert document.entries[1].value_span == Span("main.cf", 3, 5, 3, 6)
    assert document.end == Span.point("main.cf", 3, 7)


def test_spans_of_a_multi_line_assignment():
    document = parse("main.cf", "x = 1\nmynetworks = a\n  b\n")
    assignment = document.entries[1]
    assert assignment.span == Span("main.cf", 2, 1, 3, 4)
    assert assignment.name_span == Span("main.cf", 2, 1, 2, 11)
    assert assignment.value_span == Span("main.cf", 2, 14, 3, 4)
    assert (assignment.line, assignment.end_line) == (2, 3)
    assert document.end == Span.point("main.cf", 3, 4)
    assert document.newline == "\n"


def test_empty_value_span_is_zero_width_after_equals_and_blanks():
    assignment = parse("main.cf", "relayhost =   \n").entries[0]
    assert assignment.value_span == Span.point("main.cf", 1, 15)
    assert parse("main.cf", "relayhost=").entries[0].value_span == Span.point("main.cf", 1, 11)


def test_tabs_count_as_one_column():
    assignment = parse("main.cf", "a\t=\tb\n").entries[0]
    assert assignment.value_span == Span("main.cf", 1, 5, 1, 6)


def test_bom_stays_part_of_the_first_name_as_in_postfix():
    # postconf reports "unused parameter: ???myhostname=a": Postfix does not see myhostname.
    assert values("\ufeffmyhostname = a\n") == [("\ufeffmyhostname", "a")]


def test_empty_file_and_comment_only_file():
    document = parse("main.cf", "")
    assert document.entries == () and document.end == Span.point("main.cf", 1, 1)
    assert parse("main.cf", "# only\n").entries == ()


def test_undecodable_bytes_survive():
    text = b"smtpd_banner = caf\xe9\n".decode("utf-8", "surrogateescape")
    assert values(text)[0][1].encode("utf-8", "surrogateescape") == b"caf\xe9"


def test_template_control_lines_are_kept_and_do_not_break_a_continuation():
    text = "smtpd_recipient_restrictions =\n{% if policyd %}\n    check_policy_service unix:private/policyd\n{% endif %}\n    reject\n"
    document = parse("main.cf.j2", text)
    assert [(a.name, a.value) for a in document.entries] == [
        ("smtpd_recipient_restrictions", "check_policy_service unix:private/policyd    reject")
    ]
    assert [(t.text, t.span.line) for t in document.templates] == [("{% if policyd %}", 2), ("{% endif %}", 4)]


def test_multi_line_template_tags_are_template_lines():
    text = "{% set defaults = {\n  'a': 1,\n} %}\nmyhostname = x\n"
    document = parse("main.cf.j2", text)
    assert values(text) == [("myhostname", "x")]
    assert [t.span.line for t in document.templates] == [1, 2, 3]


def test_templated_values_are_marked_and_templated_lines_without_equals_are_kept():
    document = parse("main.cf.j2", "myhostname = {{ hostname }}\n{{ extra_settings }}\nrelayhost = <%= @relay %>\nb = 1\n")
    assert [(a.name, a.templated) for a in document.entries] == [("myhostname", True), ("relayhost", True), ("b", False)]
    assert [t.text for t in document.templates] == ["{{ extra_settings }}"]


def test_output_of_template_control_flow_is_a_template_line():
    # "yes" alone is no main.cf line, but it is the body of an {% if %}.
    document = parse("main.cf.j2", "a = \n{% if x %}\nyes\n{% endif %}\n")
    assert [t.text for t in document.templates] == ["{% if x %}", "yes", "{% endif %}"]


def test_postfix_own_expansions_are_not_templates():
    document = parse("main.cf", "a = ${name?{value}} ${{$compatibility_level} <level {2} ? {x} : {y}}\n")
    assert document.entries[0].templated is False


def test_dispatch_and_document_fields():
    document = parse_text("/etc/postfix/main.cf", "a = 1\n", POSTFIX_MAIN)
    assert document.format == POSTFIX_MAIN
    assert document.files == ("/etc/postfix/main.cf",)
    assert document.entries[0].span.path == "/etc/postfix/main.cf"
