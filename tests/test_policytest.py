"""The policy test runner: examples pass and fail as their rule says."""

from __future__ import annotations

from pathlib import Path

import pytest

from linter.policy import builtin_pack_dir, load_policy
from linter.policytest import run_examples

OK = Path(__file__).parent / "policies" / "ok" / "full.yaml"


def test_good_examples_of_ok_policy_pass() -> None:
    results = run_examples(load_policy([str(OK)], builtin=False))
    assert results and all(r.ok for r in results), [r for r in results if not r.ok]


def write(tmp_path: Path, examples: str, fix: str = "") -> str:
    path = tmp_path / "p.yaml"
    path.write_text(
        "policy: p\nrules:\n  - id: PT101\n    name: limit-zero\n    scope: postfix-main\n    message: m\n"
        "    check: {kind: value, directive: smtpd_client_connection_rate_limit, min: 1}\n" + fix +
        "    examples:\n" + examples)
    return str(path)


FIX = "    fix: {title: t, set: {smtpd_client_connection_rate_limit: '30'}}\n"


def test_failing_examples_are_reported(tmp_path: Path) -> None:
    path = write(tmp_path, (
        "      - name: bad that is good\n        bad: {main.cf: \"smtpd_client_connection_rate_limit = 5\\n\"}\n"
        "      - name: good that is bad\n        good: {main.cf: \"smtpd_client_connection_rate_limit = 0\\n\"}\n"
        "      - name: wrong count\n        bad: {main.cf: \"smtpd_client_connection_rate_limit = 0\\n\"}\n"
        "        count: 2\n"
        "      - name: wrong fixed\n        bad: {main.cf: \"smtpd_client_connection_rate_limit = 0\\n\"}\n"
        "        fixed: {main.cf: \"smtpd_client_connection_rate_limit = 31\\n\"}\n"
        "      - name: right fixed\n        bad: {main.cf: \"smtpd_client_connection_rate_limit = 0\\r\\n\"}\n"
        "        fixed: {main.cf: \"smtpd_client_connection_rate_limit = 30\\r\\n\"}\n"
    ), FIX)
    results = run_examples(load_policy([path], builtin=False))
    assert [(r.name, r.ok) for r in results] == [
        ("bad that is good", False), ("good that is bad", False), ("wrong count", False),
        ("wrong fixed", False), ("right fixed", True)]
    assert "expected a finding" in results[0].detail
    assert "expected 2 finding(s), got 1" in results[2].detail
    assert "differs" in results[3].detail and "+smtpd_client_connection_rate_limit = 30" in results[3].detail
    assert results[0].source is not None and results[0].source.line > 1


def test_fixed_files_must_lint_clean(tmp_path: Path) -> None:
    path = write(tmp_path, (
        "      - bad: {main.cf: \"smtpd_client_connection_rate_limit = 0\\n\"}\n"
        "        fixed: {main.cf: \"smtpd_client_connection_rate_limit = -1\\n\"}\n"
    ), "    fix: {title: t, set: {smtpd_client_connection_rate_limit: '-1'}}\n")
    (result,) = run_examples(load_policy([path], builtin=False))
    assert not result.ok and "still give" in result.detail


def test_a_bad_example_without_fixed_must_be_left_untouched_by_the_fixes(tmp_path: Path) -> None:
    # issue 15: in a user's policy as in the built-in pack, what a fix writes is part of the
    # example: one whose fixes change the file needs its 'fixed:' text
    path = write(tmp_path, (
        "      - name: fixable, no fixed text\n        bad: {main.cf: \"smtpd_client_connection_rate_limit = 0\\n\"}\n"
    ), FIX)
    (result,) = run_examples(load_policy([path], builtin=False))
    assert not result.ok
    assert result.detail == "the fixes change main.cf, but the example has no 'fixed:' text: add the text they give"
    # a rule without a fix (or a display-only one) leaves the file as it is: nothing to show
    path = write(tmp_path, (
        "      - name: not fixable\n        bad: {main.cf: \"smtpd_client_connection_rate_limit = 0\\n\"}\n"
    ), "")
    (result,) = run_examples(load_policy([path], builtin=False))
    assert result.ok, result.detail


def test_rule_filter(tmp_path: Path) -> None:
    policy = load_policy([str(OK)], builtin=False)
    assert {r.rule_id for r in run_examples(policy, ["TF101"])} == {"TF101"}


def test_builtin_pack_examples_pass() -> None:
    if not any(Path(builtin_pack_dir()).glob("*.yaml")):
        pytest.skip("the built-in pack is not there yet")
    results = run_examples(load_policy([], builtin=True))
    failing = [f"{r.rule_id}[{r.index}] {r.name}: {r.detail}" for r in results if not r.ok]
    assert not failing, "\n".join(failing)
