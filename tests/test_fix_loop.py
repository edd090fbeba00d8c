"""One fix loop (issue 15): ``--fix`` and ``policy-lint test`` run linter.fixer.fix_files;
a loop that does not settle says so with the rules involved."""

from __future__ import annotations

from tests import test_policy_language

site = test_policy_language.site
run = test_policy_language.run
write = test_policy_language.write

# A fix that never gives a value its rule accepts: each pass appends one more word.
RESTLESS = """\
policy: team
rules:
  - id: TX701
    name: banner-not-ok
    scope: postfix-main
    message: "smtpd_banner is {value}"
    check: {kind: value, directive: smtpd_banner, equals: ok}
    fix: {title: "Append x", set: {smtpd_banner: "{value} x"}}
"""


def test_a_fix_loop_that_does_not_settle_names_its_rules(site, capsys):
    write(site / "team.yaml", RESTLESS)
    write(site / "h" / "main.cf", "smtpd_banner = a\n")
    status, out, err = run(capsys, "--no-builtin", "--policy", "team.yaml", "--fix", "h")
    assert status == 1
    assert ("policy-lint: note: failed to converge after 10 passes: the fixes of TX701 still change the files "
            "each time (the files hold the last pass's text); make each fix give a value its rule accepts\n") in err
    assert (site / "h" / "main.cf").read_text() == "smtpd_banner = a" + " x" * 10 + "\n"


def test_a_loop_that_settles_says_nothing_about_converging(site, capsys):
    write(site / "team.yaml", RESTLESS.replace('"{value} x"', "ok"))
    write(site / "h" / "main.cf", "smtpd_banner = a\n")
    status, out, err = run(capsys, "--no-builtin", "--policy", "team.yaml", "--fix", "h")
    assert (status, err) == (0, "")
    assert (site / "h" / "main.cf").read_text() == "smtpd_banner = ok\n"


def test_policy_test_runs_the_same_loop(site, capsys):
    write(site / "team.yaml", RESTLESS + """\
    examples:
      - bad: {main.cf: "smtpd_banner = a\\n"}
        fixed: {main.cf: "smtpd_banner = ok\\n"}
""")
    status, out, _ = run(capsys, "test", "team.yaml")
    assert status == 1
    assert "TX701 bad example 1: FAILED: the fixes failed to converge after 10 passes: TX701 still change the " \
           "files each time" in out


def test_a_fixed_example_passes_through_the_same_loop(site, capsys):
    write(site / "team.yaml", RESTLESS.replace('"{value} x"', "ok") + """\
    examples:
      - bad: {main.cf: "smtpd_banner = a\\n"}
        fixed: {main.cf: "smtpd_banner = ok\\n"}
""")
    status, out, _ = run(capsys, "test", "team.yaml")
    assert status == 0, out
    assert out.endswith("1 example of 1 rule: all passed.\n")
