"""The policy language a platform team writes (issue 12), from the user's side: a
policy, a tree of configs, the command, the output."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests import test_cli

site = test_cli.site  # the fixture: an empty working directory, no config above it that matters
run = test_cli.run


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# -- Dovecot filter blocks and wildcard paths ------------------------------------------

TLS_FLOOR = """\
policy: team
rules:
  - id: TX101
    name: weak-tls-floor
    scope: dovecot
    message: "ssl_min_protocol is {value}: below TLSv1.2"
    check:
      kind: value
      directive: ssl_min_protocol
      one_of: [TLSv1.2, TLSv1.3]
    fix:
      title: "Set ssl_min_protocol = TLSv1.2"
      set: {ssl_min_protocol: TLSv1.2}
  - id: TX102
    name: protocol-without-required-ssl
    scope: dovecot
    message: "ssl is {value} for a protocol"
    check:
      kind: value
      directive: "protocol * / ssl"
      equals: required
"""

FILTERED = """\
ssl_min_protocol = TLSv1.2
ssl = required
protocol pop3 {
  ssl_min_protocol = TLSv1
  ssl = yes
}
protocol imap {
  ssl = no
}
protocol lmtp {
  mail_plugins = quota
}
local 10.0.0.0/8 {
  protocol imap {
    ssl_min_protocol = SSLv3
  }
}
"""


def test_a_setting_is_judged_in_every_filter_block_that_sets_it(site, capsys):
    write(site / "pol.yaml", TLS_FLOOR)
    write(site / "h" / "dovecot.conf", FILTERED)
    status, out, _ = run(capsys, "--no-builtin", "--policy", "pol.yaml", "--select", "TX101", "h")
    assert status == 1
    assert out.splitlines()[:4] == [
        "h/dovecot.conf:4:3: warning TX101 ssl_min_protocol is TLSv1: below TLSv1.2",
        "  fix: Set ssl_min_protocol = TLSv1.2 [safe]",
        "h/dovecot.conf:15:5: warning TX101 ssl_min_protocol is SSLv3: below TLSv1.2",
        "  fix: Set ssl_min_protocol = TLSv1.2 [safe]",
    ]
    # the fix changes the block's own value, nothing else
    status, out, _ = run(capsys, "--no-builtin", "--policy", "pol.yaml", "--select", "TX101", "--fix", "h")
    assert status == 0
    assert (site / "h" / "dovecot.conf").read_text() == FILTERED.replace("= TLSv1\n", "= TLSv1.2\n").replace(
        "SSLv3", "TLSv1.2")


def test_a_wildcard_path_judges_every_match_with_what_it_inherits(site, capsys):
    write(site / "pol.yaml", TLS_FLOOR)
    write(site / "h" / "dovecot.conf", FILTERED)
    status, out, _ = run(capsys, "--no-builtin", "--policy", "pol.yaml", "--select", "TX102", "h")
    assert [line for line in out.splitlines() if "TX102" in line] == [
        "h/dovecot.conf:5:3: warning TX102 ssl is yes for a protocol",
        "h/dovecot.conf:8:3: warning TX102 ssl is no for a protocol",
    ]
    # lmtp inherits "required" from the top level: fine.  With a weak top level, the
    # inherited value is reported once, at the top level, with the block as related
    write(site / "h" / "dovecot.conf", FILTERED.replace("ssl = required", "ssl = yes"))
    status, out, _ = run(capsys, "--no-builtin", "--policy", "pol.yaml", "--select", "TX102", "h",
                         "--format", "json")
    import json

    found = [(d["line"], [r["line"] for r in d["related"]]) for d in json.loads(out)]
    assert found == [(2, [10]), (5, []), (8, [])]


def test_a_filter_block_that_does_not_set_the_value_inherits_it(site, capsys):
    write(site / "pol.yaml", TLS_FLOOR)
    write(site / "h" / "dovecot.conf", "ssl_min_protocol = TLSv1\nprotocol imap {\n  ssl = yes\n}\n")
    status, out, _ = run(capsys, "--no-builtin", "--policy", "pol.yaml", "--select", "TX101", "h")
    assert [line for line in out.splitlines() if "TX101" in line] == [
        "h/dovecot.conf:1:1: warning TX101 ssl_min_protocol is TLSv1: below TLSv1.2",
    ]


def test_dovecot_function_reads_a_filter_path_with_inheritance(site, capsys):
    write(site / "pol.yaml", """\
        policy: team
        rules:
          - id: TX103
            name: imap-floor
            scope: dovecot
            message: "IMAP accepts {value}"
            check: {kind: assert, expr: "dovecot('protocol imap / ssl_min_protocol') != 'TLSv1'"}
        """)
    write(site / "h" / "dovecot.conf", "ssl_min_protocol = TLSv1\nprotocol imap {\n  ssl = yes\n}\n")
    status, out, _ = run(capsys, "--no-builtin", "--policy", "pol.yaml", "h")
    assert out.splitlines()[0] == "h/dovecot.conf:1:1: warning TX103 IMAP accepts TLSv1"


# -- every error of a policy file (and the config) in one run ---------------------------


def test_schema_semantic_and_config_errors_are_reported_together(site, capsys):
    write(site / "team.yaml", """\
        policy: team
        rules:
          - id: TX001
            name: size-cap
            scope: postfix-main
            severty: error
            message: "message_size_limit is {valeu}"
            check:
              kind: value
              directive: message_size_limit
              max: fifty megabytes
          - id: TX002
            name: helo
            scope: postfix-main
            message: "HELO is optional"
            params: {strict: true}
            check: {kind: value, directive: smtpd_helo_required, equals: true}
        """)
    write(site / ".policy-lint.yaml", "policies: [team.yaml]\nparams:\n  TX002: {strct: false}\n  TX001: {x: 1}\n")
    write(site / "main.cf", "smtpd_helo_required = yes\n")
    status, out, err = run(capsys, "main.cf")
    assert status == 2 and out == ""
    assert err.splitlines() == [
        "team.yaml:6:5: rule TX001, severty: unexpected key 'severty' (did you mean 'severity'?)",
        "team.yaml:7:14: rule TX001, message: placeholder {valeu} names nothing (did you mean 'value'?)",
        "team.yaml:11:12: rule TX001, check.max: 'fifty megabytes' is not a size (a number with an optional unit "
        "k, M, G)",
        ".policy-lint.yaml:3:11: error: params.TX002: rule TX002 has no parameter 'strct' (did you mean "
        "'strict'?); its parameters: strict",
    ]


# -- type checking at load, and what a run-time type error does --------------------------


def _load_errors(site, capsys, check_yaml: str) -> list[str]:
    write(site / "team.yaml", f"""\
        policy: team
        rules:
          - id: TX001
            name: helo
            scope: postfix-main
            message: "HELO is optional"
            check: {check_yaml}
        """)
    write(site / "main.cf", "smtpd_helo_required = yes\nmessage_size_limit = 52428800\n")
    status, out, err = run(capsys, "--no-builtin", "--policy", "team.yaml", "main.cf")
    return [status, *err.splitlines()] if status == 2 else [status, *out.splitlines()]


def test_equals_a_yes_on_a_boolean_matches_yes(site, capsys):
    for written in ("yes", "[yes]", "true", "'y'"):
        found = _load_errors(site, capsys, f"{{kind: value, directive: smtpd_helo_required, equals: {written}}}")
        assert found == [0, "No findings in 1 file."], written
    found = _load_errors(site, capsys, "{kind: value, directive: smtpd_helo_required, equals: no}")
    assert found[:2] == [1, "main.cf:1:1: warning TX001 HELO is optional"]


TYPE_ERRORS = [
    ("{kind: value, directive: smtpd_helo_required, min: 5}",
     "team.yaml:7:63: rule TX001, check.min: min compares numbers, but smtpd_helo_required is a boolean "
     "(use equals or one_of)"),
    ("{kind: value, directive: smtpd_helo_required, equals: maybe}",
     "team.yaml:7:66: rule TX001, check.equals: equals: 'maybe' is not a boolean, but smtpd_helo_required "
     "is a boolean (write yes or no)"),
    ("{kind: value, directive: message_size_limit, one_of: [10M, fifty]}",
     "team.yaml:7:71: rule TX001, check.one_of[1]: 'fifty' is not a size (a number with an optional unit k, M, G)"),
    ("{kind: assert, expr: \"message_size_limit <= '50M'\"}",
     "team.yaml:7:34: rule TX001, check.expr: type error: '<=' compares message_size_limit (a size, in bytes) "
     "with '50M' (text) (write size('50M') to compare sizes)"),
    ("{kind: assert, expr: \"smtpd_helo_required == 'yes'\"}",
     "team.yaml:7:34: rule TX001, check.expr: type error: '==' compares smtpd_helo_required (a boolean) with "
     "'yes' (text): always false (compare a boolean with true or false)"),
]


@pytest.mark.parametrize(("check_yaml", "error"), TYPE_ERRORS)
def test_type_mistakes_are_located_errors_at_load(site, capsys, check_yaml, error):
    assert _load_errors(site, capsys, check_yaml) == [2, error]


def test_what_the_type_checker_accepts_runs(site, capsys):
    assert _load_errors(site, capsys, "{kind: value, directive: message_size_limit, one_of: [50M, 100M]}") == [
        0, "No findings in 1 file."]
    # what the checker accepts runs
    assert _load_errors(site, capsys, "{kind: assert, expr: \"message_size_limit <= size('50M') and "
                                      "smtpd_helo_required\"}") == [0, "No findings in 1 file."]


def test_a_rule_skipped_for_a_run_time_type_error_says_so(site, capsys):
    write(site / "team.yaml", """\
        policy: team
        rules:
          - id: TX003
            name: size-cap
            scope: postfix-main
            message: "size {value}"
            check: {kind: assert, expr: "message_size_limit <= size('50M')"}
        """)
    write(site / "main.cf", "message_size_limit = 60M\n")  # Postfix reads no unit: not a size
    status, out, err = run(capsys, "--no-builtin", "--policy", "team.yaml", "main.cf")
    assert status == 0 and out == "No findings in 1 file.\n"
    assert err == ("main.cf:1:25: note: rule TX003 skipped here: its expression failed on a value of another type: "
                   "message_size_limit <= size('50M'): '<=' not supported between instances of 'str' and 'int'\n")


# -- GitHub annotations -------------------------------------------------------------------

BANNER_POLICY = """\
policy: team
rules:
  - id: TX201
    name: banner-set
    scope: postfix-main
    message: "smtpd_banner is set"
    rationale: |
      The default banner is what RFC 5321 expects.
    reference: https://www.postfix.org/postconf.5.html#smtpd_banner
    check: {kind: forbidden, directive: smtpd_banner}
"""


@pytest.mark.parametrize("workspace", [True, False])
def test_github_annotations_are_relative_to_the_repository(site, capsys, monkeypatch, workspace):
    repo = site / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo / "team.yaml", BANNER_POLICY)
    write(repo / "mail" / "main.cf", "smtpd_banner = $myhostname\n    ESMTP\n")  # one value over two lines
    monkeypatch.chdir(repo / "mail")
    if workspace:
        monkeypatch.setenv("GITHUB_WORKSPACE", str(repo))
    else:
        monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    status, out, _ = run(capsys, "--no-builtin", "--policy", "../team.yaml", "--format", "github", "main.cf")
    assert status == 1
    # no col/endColumn on a span over several lines; the rationale and help link in the message
    assert out == ("::warning file=mail/main.cf,line=1,endLine=2,title=TX201 banner-set::smtpd_banner is set"
                   "%0AThe default banner is what RFC 5321 expects."
                   "%0Ahelp: https://www.postfix.org/postconf.5.html#smtpd_banner\n")


# -- smaller: explain, test --strict, a misspelt Dovecot section ----------------------------

BRACES = """\
policy: team
rules:
  - id: TX301
    name: rate-limit-low
    scope: postfix-main
    message: "smtpd_client_connection_rate_limit is {value}, below {limit} (a {{literal}} brace)"
    params: {limit: 30}
    check: {kind: value, directive: smtpd_client_connection_rate_limit, min: 1}
    fix:
      title: "Set {directive} = {limit}"
      set: {smtpd_client_connection_rate_limit: "{limit}"}
"""


def test_explain_renders_placeholders_for_a_reader(site, capsys):
    write(site / "team.yaml", BRACES)
    write(site / ".policy-lint.yaml", "params:\n  TX301: {limit: 50}\n")
    status, out, _ = run(capsys, "explain", "TX301", "--no-builtin", "--policy", "team.yaml")
    assert status == 0
    assert "Message: smtpd_client_connection_rate_limit is <value>, below 50 (a {literal} brace)\n" in out
    assert "Fix: Set <directive> = 50 [safe]\n" in out


def test_rules_without_examples_fail_with_strict(site, capsys):
    write(site / "team.yaml", BRACES)
    status, out, _ = run(capsys, "test", "team.yaml")
    assert (status, out) == (0, "0 examples of 1 rule: all passed. Rules without examples: TX301.\n")
    status, out, _ = run(capsys, "test", "--strict", "team.yaml")
    assert (status, out) == (1, "0 examples of 1 rule: all passed. Rules without examples: TX301. "
                                "(--strict: every rule needs examples)\n")


def test_a_misspelt_dovecot_section_is_reported_with_did_you_mean(site, capsys):
    write(site / "team.yaml", """\
        policy: team
        rules:
          - id: TX302
            name: auth-socket-mode
            scope: dovecot
            message: "mode {value}"
            check: {kind: value, directive: "servce auth / unix_listener * / mode", octal: true}
          - id: TX303
            name: auth-socket
            scope: dovecot
            message: "no listener"
            check: {kind: dovecot-section, section: "service auth / unix_listner /var/spool/postfix/private/auth"}
        """)
    status, _, err = run(capsys, "test", "team.yaml")
    assert status == 2
    assert err.splitlines() == [
        "team.yaml:7:37: rule TX302, check.directive: unknown Dovecot section 'servce' in 'servce auth' "
        "(did you mean 'service'?)",
        "team.yaml:12:45: rule TX303, check.section: unknown Dovecot section 'unix_listner' in "
        "'unix_listner /var/spool/postfix/private/auth' (did you mean 'unix_listener'?)",
    ]


# -- cross-file rules when only one file is passed (pre-commit) ------------------------------


def _sasl_host(site):
    write(site / "h" / "main.cf", "smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\n"
                                  "smtpd_sasl_path = private/auth\n")
    write(site / "h" / "master.cf", "smtp inet n - y - - smtpd\n")
    write(site / "h" / "dovecot.conf", "service auth {\n  unix_listener auth-userdb {\n    mode = 0600\n  }\n}\n")


def test_a_commit_of_main_cf_alone_reports_the_missing_dovecot_listener(site, capsys):
    _sasl_host(site)
    status, out, _ = run(capsys, "--select", "DC201", "--format", "json", "h/main.cf")
    import json

    [finding] = json.loads(out)
    assert status == 1 and (finding["rule"], finding["path"], finding["line"]) == ("DC201", "h/dovecot.conf", 5)
    # the other side: where Postfix names the socket, and the service that needs it
    assert [(r["path"], r["line"]) for r in finding["related"]] == [("h/main.cf", 3), ("h/master.cf", 1)]
    # a suppression in the file not passed still speaks for it
    write(site / "h" / "dovecot.conf", (site / "h" / "dovecot.conf").read_text()
          + "# policy-lint: disable-file=DC201 -- auth runs on another host\n")
    assert run(capsys, "--select", "DC201", "h/main.cf")[0] == 0


def test_context_functions_take_computed_paths(site, capsys):
    _sasl_host(site)
    write(site / "team.yaml", """\
        policy: team
        rules:
          - id: TX401
            name: auth-socket-missing
            scope: host
            message: "Dovecot has no listener {socket}"
            when: "smtpd_sasl_type == 'dovecot'"
            let: {socket: "join_path(queue_directory, smtpd_sasl_path)"}
            check:
              kind: assert
              expr: "dovecot_exists('service auth / unix_listener ' + socket)"
              anchor: smtpd_sasl_path
        """)
    status, out, _ = run(capsys, "--no-builtin", "--policy", "team.yaml", "h/main.cf")
    assert (status, out.splitlines()[0]) == (
        1, "h/main.cf:3:1: warning TX401 Dovecot has no listener /var/spool/postfix/private/auth")
    write(site / "h" / "dovecot.conf", "service auth {\n  unix_listener /var/spool/postfix/private/auth {\n  }\n}\n")
    assert run(capsys, "--no-builtin", "--policy", "team.yaml", "h/main.cf")[0] == 0


# -- nested .policy-lint.yaml ---------------------------------------------------------------


@pytest.mark.parametrize("paths", [[], ["postfix", "relays"], ["relays", "postfix"], ["relays/main.cf", "."]])
def test_each_file_is_judged_under_its_nearest_config_whatever_the_order(site, capsys, paths):
    write(site / ".policy-lint.yaml", "select: [PF101]\n")
    write(site / "relays" / ".policy-lint.yaml", "policies: [relay.yaml]\nselect: [RL]\n")
    write(site / "relays" / "relay.yaml", """\
        policy: relay
        rules:
          - id: RL001
            name: relay-listens-everywhere
            scope: postfix-main
            message: "inet_interfaces is {value} on an internal relay"
            check: {kind: value, directive: inet_interfaces, not_equals: all}
        """)
    for host in ("postfix", "relays"):
        write(site / host / "main.cf", "inet_interfaces = all\nsmtpd_client_connection_rate_limit = 0\n")
        write(site / host / "master.cf", "smtp inet n - y - - smtpd\n")
    status, out, _ = run(capsys, "-q", *paths)
    assert status == 1
    assert [line for line in out.splitlines() if not line.startswith("  fix:")] == [
        "postfix/main.cf:2:1: warning PF101 smtpd_client_connection_rate_limit is 0: one client may open "
        "connections without limit",
        "relays/main.cf:1:1: warning RL001 inet_interfaces is all on an internal relay",
    ]


# -- host roles ------------------------------------------------------------------------------

RELAY_POLICY = """\
policy: team
rules:
  - id: TX501
    name: relay-listens-everywhere
    scope: postfix-main
    message: "inet_interfaces is {value} on an internal relay"
    when: "has_role('relay')"
    check: {kind: value, directive: inet_interfaces, not_equals: all}
    examples:
      - bad:
          main.cf: "inet_interfaces = all\\n"
        roles: [relay]
      - good:
          main.cf: "inet_interfaces = all\\n"
  - id: TX502
    name: size-cap
    scope: postfix-main
    message: "message_size_limit is {value}, above {cap}"
    params: {cap: 52428800}
    check: {kind: assert, expr: "message_size_limit <= cap"}
    examples:
      - bad:
          main.cf: "message_size_limit = 20000000\\n"
        params: {cap: 10000000}
      - good:
          main.cf: "message_size_limit = 20000000\\n"
"""


def test_roles_by_directory_glob_and_in_hosts(site, capsys):
    write(site / "team.yaml", RELAY_POLICY)
    write(site / ".policy-lint.yaml", """\
        policies: [team.yaml]
        builtin: false
        roles:
          relays/*: [relay]
        hosts:
          - main: odd/place/main.cf
            roles: [relay]
        """)
    for host in ("mx", "relays/r1", "odd/place"):
        write(site / host / "main.cf", "inet_interfaces = all\n")
        write(site / host / "master.cf", "smtp inet n - y - - smtpd\n")
    status, out, _ = run(capsys, "-q", "--select", "TX501", ".")
    assert status == 1
    assert out.splitlines() == [
        "odd/place/main.cf:1:1: warning TX501 inet_interfaces is all on an internal relay",
        "relays/r1/main.cf:1:1: warning TX501 inet_interfaces is all on an internal relay",
    ]


def test_examples_set_roles_and_params(site, capsys):
    write(site / "team.yaml", RELAY_POLICY)
    status, out, _ = run(capsys, "test", "team.yaml")
    assert (status, out) == (0, "4 examples of 2 rules: all passed.\n")
    write(site / "team.yaml", RELAY_POLICY.replace("params: {cap: 10000000}", "params: {cap: 30000000}"))
    status, out, _ = run(capsys, "test", "team.yaml")
    assert status == 1 and "TX502 bad example 1: FAILED: expected a finding, got none" in out
    write(site / "team.yaml", RELAY_POLICY.replace("params: {cap: 10000000}", "params: {cpa: 10000000}"))
    status, _, err = run(capsys, "test", "team.yaml")
    assert status == 2
    assert err == ("team.yaml:24:18: rule TX502, examples[0].params.cpa: the rule has no parameter 'cpa' "
                   "(its parameters: cap)\n")


# -- fixes that undo each other ----------------------------------------------------------------

FIGHTING = """\
policy: team
rules:
  - id: TX601
    name: mx-tls-not-may
    scope: smtpd-service
    message: "{service}: smtpd_tls_security_level is {value}"
    when: "service('service') == 'smtp'"
    check: {kind: value, directive: smtpd_tls_security_level, equals: may}
    fix: {title: "Set may", set: {smtpd_tls_security_level: may}}
  - id: TX602
    name: submission-tls-not-encrypt
    scope: smtpd-service
    message: "{service}: smtpd_tls_security_level is {value}"
    when: "service('service') == 'submission'"
    check: {kind: value, directive: smtpd_tls_security_level, equals: encrypt}
    fix: {title: "Set encrypt", set: {smtpd_tls_security_level: encrypt}}
"""


def test_fixes_that_undo_each_other_are_reported_and_not_counted(site, capsys):
    write(site / "team.yaml", FIGHTING)
    write(site / "h" / "main.cf", "smtpd_tls_security_level = none\n")
    write(site / "h" / "master.cf", "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n")
    status, out, err = run(capsys, "--no-builtin", "--policy", "team.yaml", "--fix", "h")
    assert status == 1
    assert ("policy-lint: note: the fixes of TX601 and TX602 undo each other (the files came back to an earlier "
            "state): they were not counted as fixed; make the rules agree\n") in err
    # what really changed: main.cf went from none to may (smtp's finding), submission still fails
    assert (site / "h" / "main.cf").read_text() == "smtpd_tls_security_level = may\n"
    assert out.splitlines()[0] == "h/main.cf:1:1: warning TX602 submission: smtpd_tls_security_level is may"
    assert "Fixed 1 finding." in out


def test_a_per_service_fix_can_set_the_services_own_override(site, capsys):
    write(site / "team.yaml", FIGHTING.replace(
        'fix: {title: "Set encrypt", set: {smtpd_tls_security_level: encrypt}}',
        'fix: {title: "Set encrypt", set: {smtpd_tls_security_level: encrypt}, override: true}'))
    write(site / "h" / "main.cf", "smtpd_tls_security_level = none\n")
    write(site / "h" / "master.cf", "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n"
                                    "  -o syslog_name=postfix/submission\n")
    status, out, err = run(capsys, "--no-builtin", "--policy", "team.yaml", "--fix", "h")
    assert (status, err) == (0, "")
    assert (site / "h" / "main.cf").read_text() == "smtpd_tls_security_level = may\n"
    assert (site / "h" / "master.cf").read_text() == (
        "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n  -o syslog_name=postfix/submission\n"
        "  -o smtpd_tls_security_level=encrypt\n")
    assert out == "Fixed 2 findings. No findings in 2 files.\n"
