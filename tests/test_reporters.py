"""Reporters: golden output for each format from a fixed report, escaping, SARIF validity.

The report is built from real diagnostics and the rules of ``tests/golden/policy.yaml``
so every format renders the same findings.  ``UPDATE_GOLDEN=1`` rewrites the golden
files (review the diff before committing).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from linter.diagnostics import Applicability, Diagnostic, Edit, Fix, Severity
from linter.engine import Report
from linter.model import ConfigError, Span
from linter.policy import load_policy
from linter.reporters import REPORTERS, OutputSettings, renderer
from linter.reporters.github import escape_data, escape_property

GOLDEN = Path(__file__).parent / "golden"
# The OASIS SARIF 2.1.0 schema (errata01), vendored so a fresh clone validates without ../shared.
SARIF_SCHEMA = Path(__file__).resolve().parent / "data" / "schemas" / "sarif-schema-2.1.0.json"
ROOT = "/srv/repo"
MAIN = f"{ROOT}/etc/postfix/main.cf"
ODD = f"{ROOT}/odd, dir: 100%/main.cf"  # ',' ':' '%' and a space: every escaping rule at once
SETTINGS = OutputSettings(root=ROOT, version="0.0.0-golden")


@pytest.fixture(scope="module")
def policy():
    return load_policy([str(GOLDEN / "policy.yaml")], builtin=False)


def _report() -> Report:
    rate = Diagnostic(
        rule="GX101", name="rate-limit-unset", severity=Severity.WARNING,
        message="smtpd_client_connection_rate_limit is 0: unlimited",
        span=Span.point(MAIN, 4, 1),
        # a fix that also edits another file: text and github show that edit under the fix
        fix=Fix("Set smtpd_client_connection_rate_limit = 30, anvil_rate_time_unit = 60s", Applicability.UNSAFE,
                (Edit(Span.point(MAIN, 4, 1), "smtpd_client_connection_rate_limit = 30\n"),
                 Edit(Span(ODD, 2, 24, 2, 27), "60s"))),
        help_uri="https://www.postfix.org/postconf.5.html#smtpd_client_connection_rate_limit")
    tls = Diagnostic(
        rule="GX102", name="tls-disabled", severity=Severity.ERROR,
        message="smtpd_tls_security_level is none",
        span=Span(MAIN, 2, 28, 2, 32),
        fix=Fix("Set smtpd_tls_security_level = may", Applicability.SAFE, (Edit(Span(MAIN, 2, 28, 2, 32), "may"),)))
    banner = Diagnostic(
        rule="GX103", name="banner-reveals-software", severity=Severity.INFO,
        message="smtpd_banner names the software: 100% Postfix, v3:7\nsecond line",
        span=Span(ODD, 1, 16, 1, 40), related=(Span(MAIN, 1, 1, 1, 10),))
    ghost = Diagnostic(  # a rule the policy does not hold (e.g. from the suppression machinery)
        rule="PL900", name="unused-suppression", severity=Severity.WARNING, message="suppression of GX101 is unused",
        span=Span(ODD, 3, 1, 3, 20), fix=Fix("Remove the comment", Applicability.SAFE,
                                             (Edit(Span(ODD, 3, 1, 4, 1), ""),)))
    diagnostics = tuple(sorted((rate, tls, banner, ghost), key=Diagnostic.sort_key))
    errors = (ConfigError(f"{ROOT}/dovecot.conf", 7, 3, "Unknown setting: foo"),)
    return Report(diagnostics, errors, (MAIN, ODD, f"{ROOT}/dovecot.conf"))


GOLDEN_FILES = {"text": "report.txt", "json": "report.json", "github": "report.github", "sarif": "report.sarif"}


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_golden(fmt, policy):
    rendered = renderer(fmt)(_report(), policy, SETTINGS)
    path = GOLDEN / GOLDEN_FILES[fmt]
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


def test_every_format_has_a_golden_file():
    assert set(REPORTERS) == set(GOLDEN_FILES)


def test_github_escaping_matches_actions_core():
    # @actions/core command.ts: escapeData and escapeProperty
    assert escape_data("a%b\r\nc:d,e") == "a%25b%0D%0Ac:d,e"
    assert escape_property("a%b\r\nc:d,e") == "a%25b%0D%0Ac%3Ad%2Ce"
    assert escape_data("%0A") == "%250A"  # '%' first, so an escape is never decoded twice


def test_github_annotation_line(policy):
    lines = renderer("github")(_report(), policy, SETTINGS).splitlines()
    banner = next(line for line in lines if "GX103" in line)
    assert banner == ("::notice file=odd%2C dir%3A 100%25/main.cf,line=1,endLine=1,col=16,endColumn=40,"
                      "title=GX103 banner-reveals-software::smtpd_banner names the software: 100%25 Postfix, v3:7"
                      "%0Asecond line")
    assert not any("Unknown setting" in line for line in lines)  # input errors go to stderr (the CLI)
    from linter.reporters.github import problem
    assert problem("error", _report().errors[0], SETTINGS.root, "policy-lint: cannot check this file") == (
        "::error file=dovecot.conf,line=7,col=3,title=policy-lint%3A cannot check this file::Unknown setting: foo")
    assert any(line.startswith("::error file=etc/postfix/main.cf,line=2,") for line in lines)
    assert any(line.startswith("::warning file=etc/postfix/main.cf,line=4,") for line in lines)


def test_text_format(policy):
    text = renderer("text")(_report(), policy, SETTINGS)
    lines = text.splitlines()
    assert not any("Unknown setting" in line for line in lines)  # input errors go to stderr (the CLI)
    assert f"{MAIN}:2:28: error GX102 smtpd_tls_security_level is none" in lines
    index = lines.index(f"{MAIN}:4:1: warning GX101 smtpd_client_connection_rate_limit is 0: unlimited")
    assert lines[index + 1] == "  fix: Set smtpd_client_connection_rate_limit = 30, anvil_rate_time_unit = 60s [unsafe]"
    # the fix's edit in another file is shown under it; the one at the finding's line is not
    assert lines[index + 2] == f'    also {ODD}:2:24: replace up to 2:27 with "60s"'
    assert lines[index + 3].startswith(f"{ODD}:1:16: info GX103")
    assert lines[-2:] == ["4 findings (2 fixable with --fix, 1 more with --unsafe-fixes)",
                          "1 error: not everything could be checked."]
    assert f"{ODD}:1:16: info GX103 smtpd_banner names the software: 100% Postfix, v3:7" in lines
    assert "    second line" in lines  # a multi-line message stays under its finding
    assert "\033[" not in text


def test_text_color_and_quiet(policy):
    colored = renderer("text")(_report(), policy, OutputSettings(color=True))
    assert "\033[1;31merror\033[0m" in colored and "\033[1;36minfo\033[0m" in colored
    quiet = renderer("text")(_report(), policy, OutputSettings(quiet=True))
    assert "findings" not in quiet and quiet.splitlines()[-1] == "  fix: Remove the comment [safe]"


def test_text_summary_when_clean(policy):
    clean = Report((), (), ("a/main.cf", "a/master.cf"))
    assert renderer("text")(clean, policy, OutputSettings()) == "No findings in 2 files.\n"
    assert renderer("text")(clean, policy, OutputSettings(fixed=3)) == "Fixed 3 findings. No findings in 2 files.\n"


def test_json_fields(policy):
    data = json.loads(renderer("json")(_report(), policy, SETTINGS))
    assert len(data) == 5  # the input error first, then the 4 findings
    assert data[0] == {"path": f"{ROOT}/dovecot.conf", "line": 7, "column": 3, "end_line": 7, "end_column": 3,
                       "rule": None, "name": None, "severity": "error", "kind": "input-error",
                       "message": "Unknown setting: foo", "help_uri": None, "related": [], "fix": None}
    assert [item["rule"] for item in data[1:]] == ["GX102", "GX101", "GX103", "PL900"]
    tls = next(item for item in data if item["rule"] == "GX102")
    assert {k: tls[k] for k in ("path", "line", "column", "end_line", "end_column", "name", "severity")} == {
        "path": MAIN, "line": 2, "column": 28, "end_line": 2, "end_column": 32, "name": "tls-disabled",
        "severity": "error"}
    assert tls["fix"] == {"title": "Set smtpd_tls_security_level = may", "applicability": "safe",
                          "edits": [{"path": MAIN, "line": 2, "column": 28, "end_line": 2, "end_column": 32,
                                     "content": "may"}]}
    assert next(item for item in data if item["rule"] == "GX103")["fix"] is None


def test_json_escapes_undecodable_bytes(policy):
    raw = Diagnostic("GX103", "banner-reveals-software", Severity.INFO, "value \udcff here", Span(MAIN, 1, 1, 1, 2))
    text = renderer("json")(Report((raw,), (), (MAIN,)), policy, SETTINGS)
    text.encode("utf-8")  # no lone surrogate survives
    assert json.loads(text)[0]["message"] == "value \udcff here"


def test_sarif_structure(policy):
    data = json.loads(renderer("sarif")(_report(), policy, SETTINGS))
    run = data["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["GX101", "GX102", "GX103", "PL900"]
    assert rules[0]["helpUri"].startswith("https://www.postfix.org/")
    assert rules[1]["defaultConfiguration"]["level"] == "error"
    assert run["columnKind"] == "unicodeCodePoints"
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])
    banner = by_rule["GX103"]
    assert banner["level"] == "note"
    assert banner["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "odd%2C%20dir%3A%20100%25/main.cf", "uriBaseId": "%SRCROOT%"}
    change = by_rule["GX102"]["fixes"][0]["artifactChanges"][0]
    assert change["replacements"] == [{"deletedRegion": {"startLine": 2, "startColumn": 28, "endLine": 2,
                                                         "endColumn": 32}, "insertedContent": {"text": "may"}}]
    assert run["invocations"][0]["executionSuccessful"] is False
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///srv/repo/"


def test_sarif_is_valid_against_the_schema(policy):
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    for report in (_report(), Report((), (), ())):
        data = json.loads(renderer("sarif")(report, policy, SETTINGS))
        errors = sorted(validator.iter_errors(data), key=str)
        assert not errors, errors[0].message


def test_sarif_file_outside_root_gets_absolute_uri(policy):
    outside = Diagnostic("GX103", "banner-reveals-software", Severity.INFO, "m", Span("/elsewhere/main.cf", 1, 1, 1, 2))
    data = json.loads(renderer("sarif")(Report((outside,), (), ()), policy, SETTINGS))
    location = data["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "file:///elsewhere/main.cf"}
