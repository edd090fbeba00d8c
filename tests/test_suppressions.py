"""Inline suppressions, checked end to end: engine, then suppressions, then the fixer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from linter.diagnostics import Applicability, Severity
from linter.engine import check
from linter.fixer import fix_files
from linter.options import Options
from linter.suppressions import apply_suppressions, read_suppressions

MAIN = """\
myhostname = mx.example.org
smtpd_client_connection_rate_limit = 0
default_process_limit = 100
"""


@pytest.fixture(scope="module")
def policy():
    from linter.policy import load_policy

    return load_policy([])


@pytest.fixture
def workdir(tmp_path: Path):
    old = os.getcwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(old)


def lint(policy, text: str, name: str = "main.cf", **kwargs):
    Path(name).parent.mkdir(parents=True, exist_ok=True)
    Path(name).write_text(text)
    return apply_suppressions(check([name], policy, Options()), **kwargs)


def rules(report) -> list[tuple[str, int]]:
    return [(d.rule, d.span.line) for d in report.diagnostics]


def test_the_finding_without_suppression(workdir, policy):
    assert ("PF101", 2) in rules(lint(policy, MAIN))


def test_comment_on_the_line_before_silences_that_finding_only(workdir, policy):
    text = MAIN.replace("smtpd_client", "# policy-lint: disable=PF101 -- legacy relay, see ticket 12\nsmtpd_client")
    report = lint(policy, text)
    assert "PF101" not in {r for r, _ in rules(report)}
    assert not [d for d in report.diagnostics if d.rule.startswith("PL")]


def test_stacked_comments_and_several_ids(workdir, policy):
    text = MAIN.replace("smtpd_client", "# policy-lint: disable=PF999\n# policy-lint: disable=PF102, PF101\nsmtpd_client")
    report = lint(policy, text)
    assert "PF101" not in {r for r, _ in rules(report)}
    unused = [d for d in report.diagnostics if d.rule == "PL001"]
    assert [(d.span.line, d.severity, d.name) for d in unused] == [(2, Severity.WARNING, "unused-suppression"),
                                                                   (3, Severity.WARNING, "unused-suppression")]
    assert "PF102" in unused[1].message and "PF101" not in unused[1].message
    # only the unused id goes from a comment that is partly used
    assert unused[1].fix.applicability == Applicability.SAFE
    assert unused[1].fix.edits[0].content == "PF101"


def test_a_blank_line_detaches_the_comment(workdir, policy):
    text = MAIN.replace("smtpd_client", "# policy-lint: disable=PF101\n\nsmtpd_client")
    report = lint(policy, text)
    assert ("PF101", 4) in rules(report)
    [unused] = [d for d in report.diagnostics if d.rule == "PL001"]
    assert (unused.span.line, unused.span.column) == (2, 1)


def test_file_wide_suppression_anywhere(workdir, policy):
    report = lint(policy, MAIN + "# policy-lint: disable-file=PF101 -- test host\n")
    assert "PF101" not in {r for r, _ in rules(report)}
    assert not [d for d in report.diagnostics if d.rule.startswith("PL")]


def test_trailing_text_after_a_value_is_not_a_comment(workdir, policy):
    # in Postfix '#' after a value is part of the value: that is no suppression
    text = MAIN.replace("limit = 0\n", "limit = 0 # policy-lint: disable=PF101\n")
    assert "PF101" in {r for r, _ in rules(lint(policy, text))}


def test_unused_suppression_fix_removes_the_line(workdir, policy):
    text = "# policy-lint: disable=PF001 -- old\nmyhostname = mx.example.org\n"
    report = lint(policy, text)
    [unused] = [d for d in report.diagnostics if d.rule == "PL001"]
    assert unused.span.line == 1 and unused.span.column == 1
    outcome = fix_files(report, Applicability.SAFE,
                        lambda fs: apply_suppressions(check(list(fs), policy, Options())), write=True)
    assert Path("main.cf").read_text() == "myhostname = mx.example.org\n"
    assert not [d for d in outcome.remaining.diagnostics if d.rule == "PL001"]


def test_unknown_rule_ids_when_the_rules_are_known(workdir, policy):
    text = MAIN.replace("smtpd_client", "# policy-lint: disable=PF101,PF9999\nsmtpd_client")
    known = [r.id for r in policy.rules]
    report = lint(policy, text, known_rules=known)
    unknown = [d for d in report.diagnostics if d.rule == "PL002"]
    assert [(d.name, d.span.line, d.span.column, d.span.end_column) for d in unknown] == [
        ("unknown-rule-in-suppression", 2, 30, 36)]
    assert not [d for d in report.diagnostics if d.rule == "PL001"], "an unknown id is not also 'unused'"


def test_rules_that_did_not_run_are_not_unused(workdir, policy):
    text = MAIN.replace("smtpd_client", "# policy-lint: disable=PF101\nsmtpd_client")
    Path("main.cf").write_text(text)
    report = check(["main.cf"], policy, Options(select=("PF2",)))
    assert not [d for d in apply_suppressions(report, active_rules=["PF201"]).diagnostics if d.rule == "PL001"]
    assert [d.rule for d in apply_suppressions(report).diagnostics if d.rule == "PL001"] == ["PL001"]


@pytest.mark.parametrize("comment", ["# policy-lint: disabel=PF101", "# policy-lint: disable=PF1O1",
                                     "# policy-lint: disable=", "#policy-lint: disable PF101"])
def test_malformed_comment_is_reported(workdir, policy, comment):
    report = lint(policy, MAIN.replace("smtpd_client", comment + "\nsmtpd_client"))
    assert ("PL003", 2) in rules(report)
    assert ("PF101", 3) in rules(report)


def test_dovecot_included_file_and_crlf(workdir, policy):
    Path("dovecot/conf.d").mkdir(parents=True)
    Path("dovecot/dovecot.conf").write_text("protocols = imap\n!include conf.d/*.conf\n")
    Path("dovecot/conf.d/10-auth.conf").write_bytes(
        b"  # policy-lint: disable=DC208 -- internal network only\r\ndisable_plaintext_auth = no\r\n")
    report = apply_suppressions(check(["dovecot/dovecot.conf"], policy, Options()))
    assert "DC208" not in {d.rule for d in report.diagnostics}
    assert not [d for d in report.diagnostics if d.rule.startswith("PL")]


def test_reading_comments():
    found, invalid = read_suppressions("x.cf", "a = 1\n  #policy-lint:disable-file = PF1 , pf2--why not\n")
    [s] = found
    assert (s.file_wide, [r.rule for r in s.rules], s.reason, s.line) == (True, ["PF1", "PF2"], "why not", 2)
    assert [(r.span.column, r.span.end_column) for r in s.rules] == [(31, 34), (37, 40)]
    assert invalid == []


def test_suppression_in_a_file_passed_under_another_spelling(workdir, capsys):
    # master.cf finds its main.cf as h/main.cf; the user passed it as l/main.cf (a link):
    # the suppression still applies and the report names the file as the user spelled it
    from linter.cli import main as cli_main

    Path("h").mkdir()
    Path("h/master.cf").write_text("smtp inet n - y - - smtpd\n")
    Path("h/main.cf").write_text("# policy-lint: disable=PF101 -- relay limited upstream\n"
                                 "smtpd_client_connection_rate_limit = 0\n"
                                 "# policy-lint: disable=PF999\n"
                                 "myhostname = mx.example.org\n")
    os.symlink("h", "l")
    status = cli_main(["--no-cache", "--select", "PF101,PL", "h/master.cf", "l/main.cf"])
    out = capsys.readouterr().out
    assert status == 1
    assert "PF101" not in out.replace("disable=PF101", "")
    assert "l/main.cf:3:24: warning PL002 PF999 is not a rule of any loaded policy" in out
