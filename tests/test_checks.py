"""Each check kind on small configs, through the engine as a user runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from linter.engine import check
from linter.options import Options
from linter.policy import load_policy


def policy_of(tmp_path: Path, rules: str):
    path = tmp_path / "policy.yaml"
    path.write_text("policy: test\nrules:\n" + rules)
    return load_policy([str(path)], builtin=False)


def write(directory: Path, files: dict[str, str]) -> list[str]:
    paths = []
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        paths.append(str(path))
    return paths


def run(tmp_path: Path, rules: str, files: dict[str, str]):
    policy = policy_of(tmp_path, rules)
    host = tmp_path / "host"
    return check(write(host, files), policy, Options())


RULE = "  - id: T{n}\n    name: r-{n}\n    scope: {scope}\n    message: \"{message}\"\n    check: {check}\n"


def rule(check: str, scope: str = "postfix-main", message: str = "{directive}={value}", n: int = 1,
         extra: str = "") -> str:
    return RULE.format(n=n, scope=scope, message=message, check=check) + extra


def test_required_missing_points_after_last_assignment(tmp_path: Path) -> None:
    report = run(tmp_path, rule("{kind: required, directive: smtpd_tls_security_level}", message="{directive} unset"),
                 {"main.cf": "# comment\nmyhostname = mx\n\n# trailing comment\n"})
    (d,) = report.diagnostics
    assert (d.span.line, d.message) == (2, "smtpd_tls_security_level unset")
    assert not report.errors


def test_required_satisfied(tmp_path: Path) -> None:
    report = run(tmp_path, rule("{kind: required, directive: myhostname}"), {"main.cf": "myhostname = mx\n"})
    assert report.diagnostics == ()


def test_forbidden_with_and_without_constraints(tmp_path: Path) -> None:
    rules = rule("{kind: forbidden, directive: smtpd_tls_wrappermode, equals: 'yes'}", n=1) + \
        rule("{kind: forbidden, directive: relayhost}", n=2)
    report = run(tmp_path, rules, {"main.cf": "smtpd_tls_wrappermode = yes\nrelayhost = [smtp.example]\n"})
    assert [(d.rule, d.span.line) for d in report.diagnostics] == [("T1", 1), ("T2", 2)]
    report = run(tmp_path, rules, {"main.cf": "smtpd_tls_wrappermode = no\n"})
    assert report.diagnostics == ()


@pytest.mark.parametrize(
    ("constraint", "value", "fails"),
    [
        ("min: 1", "0", True),
        ("min: 1", "5", False),
        ("max: 10", "11", True),
        ("one_of: [may, encrypt]", "none", True),
        ("one_of: [may, encrypt]", "may", False),
        ("not_one_of: [none]", "none", True),
        ("contains: [reject_unauth_destination]", "permit_mynetworks, reject_unauth_destination", False),
        ("contains: [reject_unauth_destination]", "permit_mynetworks", True),
        ("contains_any: [a, b]", "c, b", False),
        ("excludes: [permit]", "permit_mynetworks permit", True),
        ("matches: '^\\$myhostname'", "$myhostname ESMTP", False),
        ("not_matches: 'mail_version'", "$myhostname $mail_version", True),
        ("equals: '$myhostname ESMTP'", "$myhostname ESMTP", False),
        ("empty: false", "", True),
        ("absolute: true", "private/auth", True),
    ],
)
def test_value_constraints(tmp_path: Path, constraint: str, value: str, fails: bool) -> None:
    # smtpd_banner is text: numeric constraints need the check to say how to read it
    typed = ", type: int" if constraint.startswith(("min", "max")) else ""
    report = run(tmp_path, rule("{kind: value, directive: smtpd_banner, " + constraint + typed + "}"),
                 {"main.cf": f"smtpd_banner = {value}\n"})
    assert bool(report.diagnostics) is fails
    if fails:
        assert report.diagnostics[0].span.line == 1
        assert report.diagnostics[0].message == f"smtpd_banner={value}"


def test_value_sizes_with_units(tmp_path: Path) -> None:
    rules = rule("{kind: value, directive: message_size_limit, type: size, max: 50M}")
    assert run(tmp_path, rules, {"main.cf": "message_size_limit = 52428800\n"}).diagnostics == ()
    assert run(tmp_path, rules, {"main.cf": "message_size_limit = 52428801\n"}).diagnostics


def test_value_expands_dollar_names(tmp_path: Path) -> None:
    report = run(tmp_path, rule("{kind: assert, expr: \"not contains(words(smtpd_banner), 'Postfix')\"}"),
                 {"main.cf": "myhostname = mx\nmail_name = Postfix\nsmtpd_banner = $myhostname ESMTP ${mail_name}\n"})
    (d,) = report.diagnostics
    assert d.span.line == 3


def test_host_dependent_default_is_unknown_and_skipped(tmp_path: Path) -> None:
    # myhostname's default depends on the host: an expression over it is skipped, not guessed
    rules = rule("{kind: assert, expr: \"not contains(words(smtpd_banner), 'ESMTP')\"}")
    assert run(tmp_path, rules, {"main.cf": "smtpd_banner = $myhostname ESMTP\n"}).diagnostics == ()
    # ... but a written-form constraint still judges the text as written
    written = rule("{kind: value, directive: smtpd_banner, not_matches: 'ESMTP'}")
    assert run(tmp_path, written, {"main.cf": "smtpd_banner = $myhostname ESMTP\n"}).diagnostics


def test_conditional_expansion_and_service_override(tmp_path: Path) -> None:
    # ${name?value} expands like Postfix; a -o override also feeds $name in other values
    rules = rule("{kind: value, directive: smtpd_sasl_security_options, contains: [noplaintext]}",
                 scope="smtpd-service", message="{service}")
    main = "extra = noplaintext\nsmtpd_sasl_security_options = noanonymous ${tls_on?$extra}\ntls_on =\n"
    master = ("smtp inet n - y - - smtpd\n"
              "submission inet n - y - - smtpd\n  -o tls_on=yes\n")
    report = run(tmp_path, rules, {"main.cf": main, "master.cf": master})
    assert [d.message for d in report.diagnostics] == ["smtp"]


def test_postfix_size_with_unit_is_invalid_not_ten_megabytes(tmp_path: Path) -> None:
    # Postfix sizes take no suffix (10M is fatal); the policy may write 10M
    rules = rule("{kind: value, directive: message_size_limit, max: 50M}", message="{value}")
    assert run(tmp_path, rules, {"main.cf": "message_size_limit = 10485760\n"}).diagnostics == ()
    (d,) = run(tmp_path, rules, {"main.cf": "message_size_limit = 10M\n"}).diagnostics
    assert (d.span.line, d.message) == (1, "10M")


def test_postfix_time_bare_number_uses_default_unit(tmp_path: Path) -> None:
    # maximal_queue_lifetime's default unit is days: 5 is within a week, 10 is not, 10h is
    rules = rule("{kind: value, directive: maximal_queue_lifetime, max: 1w}")
    assert run(tmp_path, rules, {"main.cf": "maximal_queue_lifetime = 5\n"}).diagnostics == ()
    assert run(tmp_path, rules, {"main.cf": "maximal_queue_lifetime = 10\n"}).diagnostics
    assert run(tmp_path, rules, {"main.cf": "maximal_queue_lifetime = 10h\n"}).diagnostics == ()


def test_templated_value_is_skipped(tmp_path: Path) -> None:
    report = run(tmp_path, rule("{kind: value, directive: smtpd_banner, not_matches: 'x'}"),
                 {"main.cf": "smtpd_banner = {{ banner }} x\n"})
    assert report.diagnostics == ()


def test_assert_points_at_anchor(tmp_path: Path) -> None:
    rules = rule("{kind: assert, expr: 'mailbox_size_limit == 0 or mailbox_size_limit >= message_size_limit'}",
                 message="mailbox {value} too small")
    report = run(tmp_path, rules, {"main.cf": "message_size_limit = 2000\nmailbox_size_limit = 1000\n"})
    (d,) = report.diagnostics
    assert (d.span.line, d.message) == (2, "mailbox 1000 too small")
    assert run(tmp_path, rules, {"main.cf": "message_size_limit = 2000\nmailbox_size_limit = 0\n"}).diagnostics == ()


def test_assert_with_let_and_params(tmp_path: Path) -> None:
    rules = rule("{kind: assert, expr: 'doubled <= limit', anchor: smtpd_client_connection_count_limit}",
                 extra="    params: {limit: 10}\n    let: {doubled: 'smtpd_client_connection_count_limit * 2'}\n",
                 message="{doubled} > {limit}")
    report = run(tmp_path, rules, {"main.cf": "smtpd_client_connection_count_limit = 6\n"})
    assert [d.message for d in report.diagnostics] == ["12 > 10"]


def test_when_false_skips(tmp_path: Path) -> None:
    rules = rule("{kind: required, directive: smtpd_sasl_path}", extra="    when: \"smtpd_sasl_type == 'dovecot'\"\n")
    assert run(tmp_path, rules, {"main.cf": "smtpd_sasl_type = cyrus\n"}).diagnostics == ()
    assert run(tmp_path, rules, {"main.cf": "smtpd_sasl_type = dovecot\n"}).diagnostics


def test_syntax_warning_becomes_finding_with_fix(tmp_path: Path) -> None:
    rules = rule("{kind: syntax, warning: accidental-continuation}", message="{detail}",
                 extra="    fix: {title: Dedent, applicability: unsafe}\n")
    report = run(tmp_path, rules, {"main.cf": "mynetworks = 127.0.0.0/8\n  smtpd_banner = x\n"})
    (d,) = report.diagnostics
    assert d.span.line == 2 and "smtpd_banner" in d.message
    assert d.fix is not None and d.fix.edits


def test_duplicate_points_at_dead_setting(tmp_path: Path) -> None:
    rules = rule("{kind: duplicate}", message="{directive} set twice: {detail}")
    report = run(tmp_path, rules, {"main.cf": "myhostname = a\nmydomain = b\nmyhostname = c\n"})
    (d,) = report.diagnostics
    assert d.span.line == 1 and d.related[0].line == 3
    assert d.message == "myhostname set twice: myhostname is set again on line 3"


def test_duplicate_master_service(tmp_path: Path) -> None:
    rules = rule("{kind: duplicate}", scope="postfix-master", message="{directive}")
    master = "smtp inet n - y - - smtpd\nsmtp inet n - y - - smtpd -v\n"
    report = run(tmp_path, rules, {"master.cf": master})
    (d,) = report.diagnostics
    assert d.span.line == 1 and d.message == "smtp/inet"


def test_unknown_directive_with_suggestion(tmp_path: Path) -> None:
    pytest.importorskip("linter.catalog")
    rules = rule("{kind: unknown-directive}", message="unknown {directive}")
    report = run(tmp_path, rules, {"main.cf": "smtpd_tls_securty_level = may\nmyhostname = x\n"
                                              "mua_restrictions = permit\n"
                                              "smtpd_client_restrictions = $mua_restrictions\n"})
    (d,) = report.diagnostics
    assert d.span.line == 1 and d.message.startswith("unknown smtpd_tls_securty_level")
    assert "smtpd_tls_security_level" in d.message


def _undefined(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, int, int, str]]:
    rules = rule("{kind: undefined-reference}", scope="host", message="{directive} in {detail}")
    report = run(tmp_path, rules, files)
    assert not report.errors
    return [(Path(d.span.path).name, d.span.line, d.span.column, d.message) for d in report.diagnostics]


def test_undefined_reference_in_main_cf_and_in_each_form_of_reference(tmp_path: Path) -> None:
    main = ("a = $undef1\nb = x ${undef2?{y}} $(undef3) ${undef4:z}\nc = $myhostname $a $$literal\n"
            "mailbox_command = procmail -a $EXTENSION\nd = one,\n  $undef5\n")
    assert _undefined(tmp_path, {"main.cf": main}) == [
        ("main.cf", 1, 5, "undef1 in the value of a"),
        ("main.cf", 2, 7, "undef2 in the value of b"),
        ("main.cf", 2, 21, "undef3 in the value of b"),
        ("main.cf", 2, 31, "undef4 in the value of b"),
        ("main.cf", 6, 3, "undef5 in the value of d"),  # a continued value: the line that holds it
    ]


def test_undefined_reference_in_overrides_is_judged_per_service(tmp_path: Path) -> None:
    master = ("smtp inet n - y - - smtpd\n  -o own=1\n  -o smtpd_client_restrictions=$own\n"
              "submission inet n - y - - smtpd\n  -o { smtpd_client_restrictions = $own }\n")
    # main.cf may use a name some service's -o sets (postconf does not warn); a service
    # may use only its own
    assert _undefined(tmp_path, {"main.cf": "x = $own\n", "master.cf": master}) == [
        ("master.cf", 5, 36, "own in submission's -o smtpd_client_restrictions"),
    ]


def test_undefined_reference_skips_template_values(tmp_path: Path) -> None:
    assert _undefined(tmp_path, {"main.cf.j2": "a = {{ x }} $undef\n"}) == []


def test_dovecot_section_and_settings(tmp_path: Path) -> None:
    pytest.importorskip("linter.parsers.dovecot")
    rules = rule("{kind: dovecot-section, section: 'service auth / unix_listener {socket}', "
                 "settings: {mode: {octal: true}}}", scope="dovecot", message="listener {directive}",
                 extra="    let: {socket: \"'/var/spool/postfix/private/auth'\"}\n")
    good = "service auth {\n  unix_listener /var/spool/postfix/private/auth {\n    mode = 0660\n  }\n}\n"
    assert run(tmp_path, rules, {"dovecot.conf": good}).diagnostics == ()
    bad_mode = good.replace("0660", "660")
    (d,) = run(tmp_path, rules, {"dovecot.conf": bad_mode}).diagnostics
    assert d.span.line == 3
    missing = "service auth {\n  unix_listener other {\n    mode = 0660\n  }\n}\n"
    assert run(tmp_path, rules, {"dovecot.conf": missing}).diagnostics


@pytest.mark.parametrize("text, dead_lines", [
    ("protocols = imap\nprotocols = pop3\n", [1]),
    ("protocols = imap\nprotocols = $protocols sieve\n", []),  # extends the earlier value
    ("passdb {\n  driver = pam\n}\npassdb {\n  driver = passwd-file\n}\n", []),  # two list items
    ("plugin {\n  sieve = a\n}\nplugin {\n  sieve = b\n}\n", [2]),  # plugin {} merges
    ("{% if x %}\nprotocols = imap\n{% else %}\nprotocols = pop3\n{% endif %}\n", []),  # alternatives
])
def test_dovecot_duplicates(tmp_path: Path, text: str, dead_lines: list[int]) -> None:
    pytest.importorskip("linter.parsers.dovecot")
    rules = rule("{kind: duplicate}", scope="dovecot", message="{directive}")
    report = run(tmp_path, rules, {"dovecot.conf": text})
    assert [d.span.line for d in report.diagnostics] == dead_lines


def test_file_included_twice_is_not_a_duplicate(tmp_path: Path) -> None:
    pytest.importorskip("linter.parsers.dovecot")
    rules = rule("{kind: duplicate}", scope="dovecot", message="{directive}")
    files = {"dovecot.conf": "!include conf.d/*.conf\n!include conf.d/10-a.conf\n",
             "conf.d/10-a.conf": "protocols = imap\n"}
    assert run(tmp_path, rules, files).diagnostics == ()
