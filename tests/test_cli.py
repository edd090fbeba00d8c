"""The command line, end to end: exit statuses, subcommands, options, config, fixes.

Most tests call ``cli.main([...])`` in-process; a few run the real entry points
(``python -m linter`` and the ``policy-lint`` script).  Rules come from
``tests/golden/policy.yaml`` (``--no-builtin``) so the expectations do not move when the
built-in pack grows.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linter import __version__, cli, command_line
from linter.check_command import use_color

REPO = Path(__file__).resolve().parent.parent
POLICY = str(REPO / "tests" / "golden" / "policy.yaml")
OWN = ["--no-builtin", "--policy", POLICY]
CLEAN = "smtpd_client_connection_rate_limit = 30\nsmtpd_tls_security_level = may\n"
DIRTY = "smtpd_client_connection_rate_limit = 0\nsmtpd_tls_security_level = none\nsmtpd_banner = $myhostname Postfix\n"


@pytest.fixture
def site(tmp_path, monkeypatch):
    """An empty working directory with no config file above it that matters."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    (tmp_path / ".policy-lint.yaml").write_text("{}\n", encoding="utf-8")  # stops the walk up
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- exit statuses ------------------------------------------------------------------------


def test_clean_file_exits_0(site, capsys):
    write(site / "main.cf", CLEAN)
    status, out, err = run(capsys, *OWN, "main.cf")
    assert (status, out, err) == (0, "No findings in 1 file.\n", "")


def test_findings_exit_1_with_located_lines(site, capsys):
    write(site / "main.cf", DIRTY)
    status, out, _ = run(capsys, "check", *OWN, "main.cf")
    assert status == 1
    assert out.splitlines() == [
        "main.cf:1:1: warning GX101 smtpd_client_connection_rate_limit is 0: unlimited",
        "  fix: Set smtpd_client_connection_rate_limit = 30 [unsafe]",
        "main.cf:2:1: error GX102 smtpd_tls_security_level is none",
        "  fix: Set smtpd_tls_security_level = may [safe]",
        "main.cf:3:1: info GX103 smtpd_banner names the software",
        "3 findings (1 fixable with --fix, 1 more with --unsafe-fixes)",
    ]


def test_fail_on_and_exit_zero(site, capsys):
    write(site / "main.cf", "smtpd_client_connection_rate_limit = 0\nsmtpd_tls_security_level = may\n")
    assert run(capsys, *OWN, "main.cf")[0] == 1  # a warning fails by default
    assert run(capsys, *OWN, "--fail-on", "error", "main.cf")[0] == 0
    assert run(capsys, *OWN, "--severity", "warning", "main.cf")[0] == 1
    assert run(capsys, *OWN, "--exit-zero", "main.cf")[0] == 0
    write(site / ".policy-lint.yaml", "fail-on: error\n")
    assert run(capsys, *OWN, "main.cf")[0] == 0


def test_no_path_means_the_current_directory(site, capsys):
    write(site / "postfix" / "main.cf", DIRTY)
    write(site / "notes.txt", "not a config\n")
    status, out, _ = run(capsys, *OWN)
    assert status == 1 and "postfix/main.cf:2:1: error GX102" in out


def test_nothing_to_check_is_said(site, capsys):
    write(site / "notes.txt", "x\n")
    status, out, err = run(capsys, *OWN)
    assert (status, out) == (0, "No findings in 0 files.\n")
    assert err.startswith("policy-lint: note: no Postfix or Dovecot config file found in .")


@pytest.mark.parametrize("argv, message", [
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--fix", "--diff", "main.cf"], "--diff and --fix conflict"),
    (["--format", "xml", "main.cf"], "argument --format: invalid choice: 'xml'"),
    (["--unsafe-fixes", "main.cf"], "--unsafe-fixes needs --fix or --diff"),
    (["--config", "a.yaml", "--no-config", "main.cf"], "--config and --no-config conflict"),
    (["explain"], "the following arguments are required: RULE"),
])
def test_usage_errors_exit_2_with_one_line(site, capsys, argv, message):
    write(site / "main.cf", CLEAN)
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    first, hint = err.splitlines()
    assert first.startswith("policy-lint: error: ") and message in first
    assert hint == "Run 'policy-lint --help' (or 'policy-lint COMMAND --help') for usage."


def test_missing_path_exits_2(site, capsys):
    write(site / "main.cf", DIRTY)
    status, out, err = run(capsys, *OWN, "main.cf", "nope/main.cf")
    assert status == 2  # an input error wins over findings, which are still shown
    assert err.splitlines() == ["nope/main.cf: error: no such file or directory"]  # errors on stderr
    assert "main.cf:2:1: error GX102 smtpd_tls_security_level is none" in out
    assert "nope" not in out and out.splitlines()[-1] == "1 error: not everything could be checked."


def test_unknown_format_needs_as(site, capsys):
    write(site / "mail.conf.tmpl", DIRTY)
    status, _, err = run(capsys, *OWN, "mail.conf.tmpl")
    assert status == 2
    assert err.splitlines()[0].startswith("mail.conf.tmpl: error: cannot tell the format from the name; use --as")
    status, out, _ = run(capsys, *OWN, "--as", "postfix-main", "mail.conf.tmpl")
    assert status == 1 and "mail.conf.tmpl:2:1: error GX102" in out
    status, _, err = run(capsys, *OWN, "--as", "postfix-main", ".")
    assert status == 2 and "--as applies to files" in err


def test_file_the_parser_rejects_exits_2(site, capsys):
    write(site / "main.cf", "smtpd_tls_security_level\n")  # postconf: missing '=' after attribute name
    status, _, err = run(capsys, *OWN, "main.cf")
    assert status == 2
    assert err.splitlines()[0].startswith("main.cf:1:") and ": error: " in err.splitlines()[0]


def test_internal_error_is_one_line(site, capsys, monkeypatch):
    import linter.engine

    def boom(*args, **kwargs):
        raise RuntimeError("engine exploded\nsecond line")

    monkeypatch.setattr(linter.engine, "check", boom)
    write(site / "main.cf", CLEAN)
    status, out, err = run(capsys, *OWN, "main.cf")
    assert status == 2 and out == ""
    assert err.startswith("policy-lint: internal error: RuntimeError: engine exploded second line (please report")
    assert len(err.splitlines()) == 1 and "Traceback" not in err


# -- config and policy errors ---------------------------------------------------------------------


def test_config_is_found_and_applied(site, capsys):
    write(site / ".policy-lint.yaml", "select: [GX10]\nignore: GX103\nseverity: {GX101: error}\n"
                                      "params: {GX101: {limit: 50}}\n")
    write(site / "main.cf", DIRTY)
    status, out, _ = run(capsys, *OWN, "main.cf")
    assert status == 1
    assert "main.cf:1:1: error GX101 smtpd_client_connection_rate_limit is 0: unlimited" in out
    assert "  fix: Set smtpd_client_connection_rate_limit = 50 [unsafe]" in out
    assert "GX103" not in out
    status, out, _ = run(capsys, *OWN, "--select", "GX103", "main.cf")  # replaces the config's select and ignore
    assert "GX103" in out and "GX101" not in out


def test_config_errors_exit_2_with_positions(site, capsys):
    write(site / ".policy-lint.yaml", "selectt: [GX1]\nseverity: {GX999: error}\n")
    write(site / "main.cf", CLEAN)
    status, out, err = run(capsys, *OWN, "main.cf")
    assert status == 2 and out == ""
    assert err.splitlines() == [
        ".policy-lint.yaml:1:1: error: unknown key 'selectt' (did you mean 'select'?); known keys: policies, "
        "builtin, profiles, select, ignore, severity, params, fail-on, formats, hosts, exclude, baseline, versions, roots, roles"]
    write(site / ".policy-lint.yaml", "severity: {GX999: error}\n")
    status, _, err = run(capsys, *OWN, "main.cf")
    assert status == 2 and err.startswith(".policy-lint.yaml:1:12: error: severity: no loaded rule has id 'GX999'")
    status, _, err = run(capsys, *OWN, "--config", "missing.yaml", "main.cf")
    assert status == 2 and err == "missing.yaml: error: config file not found\n"


def test_config_formats_and_exclude(site, capsys):
    write(site / ".policy-lint.yaml", "formats: {templates/mail.tmpl: postfix-main}\nexclude: [old]\n")
    write(site / "templates" / "mail.tmpl", DIRTY)
    write(site / "old" / "main.cf", DIRTY)
    status, out, _ = run(capsys, *OWN, "--select", "GX102", ".")
    assert status == 1
    assert [line.split(":")[0] for line in out.splitlines()[:-1] if ": error " in line] == ["templates/mail.tmpl"]


def test_policy_errors_exit_2_with_policy_positions(site, capsys):
    write(site / "bad.yaml", "policy: bad-pack\ntitle: t\nrules:\n  - id: GX1\n    name: x\n")
    write(site / "main.cf", CLEAN)
    status, out, err = run(capsys, "--no-builtin", "--policy", "bad.yaml", "main.cf")
    assert status == 2 and out == ""
    assert err and all(line.startswith("bad.yaml:") for line in err.splitlines())


# -- output formats -----------------------------------------------------------------------------


def test_json_format(site, capsys):
    write(site / "main.cf", DIRTY)
    status, out, _ = run(capsys, *OWN, "--format", "json", "main.cf")
    data = json.loads(out)
    assert status == 1 and [d["rule"] for d in data] == ["GX101", "GX102", "GX103"]
    assert data[1]["fix"]["edits"] == [{"path": "main.cf", "line": 2, "column": 28, "end_line": 2,
                                        "end_column": 32, "content": "may"}]


def test_github_format_is_automatic_in_actions(site, capsys, monkeypatch):
    write(site / "main.cf", DIRTY)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    status, out, _ = run(capsys, *OWN, "main.cf")
    assert status == 1
    assert out.splitlines()[1] == ("::error file=main.cf,line=2,endLine=2,col=1,endColumn=32,title=GX102 "
                                   "tls-disabled::smtpd_tls_security_level is none%0Afix: Set "
                                   "smtpd_tls_security_level = may [safe]")
    status, out, _ = run(capsys, *OWN, "--format", "text", "main.cf")
    assert out.startswith("main.cf:1:1: warning GX101")


def test_sarif_to_output_file(site, capsys):
    write(site / "main.cf", DIRTY)
    status, out, _ = run(capsys, *OWN, "--format", "sarif", "--output", "out/report.sarif", "main.cf")
    assert status == 2 and out == ""  # the directory does not exist
    (site / "out").mkdir()
    status, out, _ = run(capsys, *OWN, "--format", "sarif", "--output", "out/report.sarif", "main.cf")
    assert status == 1 and out == ""
    data = json.loads((site / "out" / "report.sarif").read_text(encoding="utf-8"))
    results = data["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["GX101", "GX102", "GX103"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "main.cf",
                                                                                  "uriBaseId": "%SRCROOT%"}


def test_color(site, capsys, monkeypatch):
    write(site / "main.cf", DIRTY)
    assert "\033[1;31merror\033[0m" in run(capsys, *OWN, "--color", "always", "main.cf")[1]
    assert "\033[" not in run(capsys, *OWN, "main.cf")[1]  # capsys is no terminal

    class Terminal:
        def isatty(self) -> bool:
            return True

    assert use_color("auto", Terminal()) is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_color("auto", Terminal()) is False
    assert use_color("always", Terminal()) is True
    assert use_color("never", Terminal()) is False


def test_quiet(site, capsys):
    write(site / "main.cf", CLEAN)
    assert run(capsys, *OWN, "-q", "main.cf") == (0, "", "")
    write(site / "main.cf", DIRTY)
    status, out, _ = run(capsys, *OWN, "-q", "main.cf")
    assert status == 1 and "findings (" not in out and out.startswith("main.cf:1:1:")


# -- fixes, suppressions, baseline --------------------------------------------------------------------


def test_fix_applies_safe_fixes_only(site, capsys):
    main = write(site / "main.cf", DIRTY)
    status, out, _ = run(capsys, *OWN, "--fix", "main.cf")
    assert main.read_text(encoding="utf-8") == DIRTY.replace("= none", "= may")
    assert status == 1  # GX101 (unsafe fix) and GX103 (no fix) remain
    assert out.splitlines()[-1] == "Fixed 1 finding. 2 findings (1 fixable with --fix --unsafe-fixes)"
    status, out, _ = run(capsys, *OWN, "--fix", "--unsafe-fixes", "--select", "GX101,GX102", "main.cf")
    assert status == 0
    assert main.read_text(encoding="utf-8").startswith("smtpd_client_connection_rate_limit = 30\n")
    assert out == "Fixed 1 finding. No findings in 1 file.\n"


def test_diff_changes_no_file(site, capsys):
    main = write(site / "main.cf", DIRTY)
    status, out, err = run(capsys, *OWN, "--diff", "main.cf")
    assert status == 1
    assert main.read_text(encoding="utf-8") == DIRTY
    assert "-smtpd_tls_security_level = none\n+smtpd_tls_security_level = may\n" in out
    assert err == "1 fix would be applied to 1 file.\n"
    write(site / "main.cf", CLEAN)
    assert run(capsys, *OWN, "--diff", "main.cf")[:2] == (0, "")


def test_inline_suppression(site, capsys):
    write(site / "main.cf", "# policy-lint: disable=GX102 -- TLS is terminated upstream\n" + DIRTY.splitlines()[1] + "\n"
          "smtpd_client_connection_rate_limit = 30\n")
    assert run(capsys, *OWN, "main.cf")[0] == 0
    write(site / "main.cf", "# policy-lint: disable=GX101\n" + CLEAN)
    status, out, _ = run(capsys, *OWN, "main.cf")
    assert status == 1 and "PL001" in out
    assert run(capsys, *OWN, "--ignore", "PL", "main.cf")[0] == 0


def test_baseline_hides_recorded_findings_only(site, capsys):
    main = write(site / "postfix" / "main.cf", "smtpd_client_connection_rate_limit = 0\n"
                                              "smtpd_tls_security_level = may\n")
    status, out, _ = run(capsys, "baseline", *OWN, "--output", "base.json", "postfix")
    assert (status, out) == (0, "Recorded 1 finding in base.json.\n")
    assert json.loads((site / "base.json").read_text("utf-8"))["findings"][0]["path"] == "postfix/main.cf"
    status, out, _ = run(capsys, *OWN, "--baseline", "base.json", "postfix")
    assert (status, out) == (0, "No findings in 1 file. (1 more hidden by the baseline)\n")
    main.write_text("# a line above\n" + main.read_text("utf-8") + "smtpd_banner = Postfix\n", encoding="utf-8")
    write(site / ".policy-lint.yaml", "baseline: base.json\n")
    status, out, _ = run(capsys, *OWN, "postfix")
    assert status == 1 and "GX101" not in out and "postfix/main.cf:4:1: info GX103" in out
    status, _, err = run(capsys, *OWN, "--baseline", "nope.json", "postfix")
    assert status == 2 and err.startswith("nope.json: error: baseline file not found")
    write(site / "broken.json", "{")
    status, _, err = run(capsys, *OWN, "--baseline", "broken.json", "postfix")
    assert status == 2 and err.startswith("broken.json:1:2: error: not a baseline file")


# -- the other subcommands ------------------------------------------------------------------------


def test_rules_lists_id_name_severity_scope_fix(site, capsys):
    status, out, _ = run(capsys, "rules", *OWN)
    assert status == 0
    assert [line.split() for line in out.splitlines()] == [
        ["ID", "NAME", "SEVERITY", "SCOPE", "FIX"],
        ["GX101", "rate-limit-unset", "warning", "postfix-main", "unsafe"],
        ["GX102", "tls-disabled", "error", "postfix-main", "safe"],
        ["GX103", "banner-reveals-software", "info", "postfix-main", "-"],
    ]
    data = json.loads(run(capsys, "rules", *OWN, "--format", "json")[1])
    assert data[0] == {"id": "GX101", "name": "rate-limit-unset", "severity": "warning", "scope": "postfix-main",
                       "fix": "unsafe", "pack": "golden-pack",
                       "reference": "https://www.postfix.org/postconf.5.html#smtpd_client_connection_rate_limit"}


def test_builtin_rules_are_listed(site, capsys):
    status, out, _ = run(capsys, "rules")
    assert status == 0 and len(out.splitlines()) > 10


def test_explain(site, capsys):
    status, out, _ = run(capsys, "explain", "GX101", *OWN)
    assert status == 0
    assert out.startswith("# GX101 rate-limit-unset\n")
    assert "One client may hold every smtpd process." in out
    assert "Reference: https://www.postfix.org/postconf.5.html#smtpd_client_connection_rate_limit" in out
    assert "Fix: Set smtpd_client_connection_rate_limit = 30 [unsafe]" in out
    assert run(capsys, "explain", "tls-disabled", *OWN)[1].startswith("# GX102 tls-disabled")
    status, _, err = run(capsys, "explain", "GX110", *OWN)
    assert status == 2 and err.startswith("policy-lint: error: no rule 'GX110'")


def test_schema_is_the_policy_json_schema(capsys):
    status, out, _ = run(capsys, "schema")
    assert status == 0
    assert json.loads(out) == json.loads((REPO / "linter" / "data" / "policy.schema.json").read_text("utf-8"))


POLICY_WITH_EXAMPLES = """\
policy: example-pack
title: t
rules:
  - id: EX101
    name: tls-disabled
    severity: error
    scope: postfix-main
    message: "smtpd_tls_security_level is {value}"
    check:
      kind: value
      directive: smtpd_tls_security_level
      one_of: [may, encrypt]
    examples:
      - name: unset
        bad:
          main.cf: |
            smtpd_tls_security_level = encrypted
      - name: looks fine but is not
        good:
          main.cf: |
            smtpd_tls_security_level = none
"""


def test_test_reports_failing_examples_with_their_position(site, capsys):
    write(site / "ok.yaml", POLICY_WITH_EXAMPLES.replace("= none", "= may"))
    status, out, _ = run(capsys, "test", "ok.yaml")
    assert (status, out) == (0, "2 examples of 1 rule: all passed.\n")
    write(site / "bad.yaml", POLICY_WITH_EXAMPLES)
    status, out, _ = run(capsys, "test", "bad.yaml")
    assert status == 1
    first, *_rest, last = out.splitlines()
    assert first.startswith("bad.yaml:18:") and "EX101 looks fine but is not: FAILED: expected no finding" in first
    assert last == "2 examples of 1 rule: 1 failed."


def test_parse_prints_the_model_as_json(site, capsys):
    write(site / "main.cf", "myhostname = mx.example.org\n")
    write(site / "weird.txt", "myorigin = example.org\n")
    status, out, _ = run(capsys, "parse", "main.cf")
    assert status == 0
    (document,) = json.loads(out)
    assert document["format"] == "postfix-main"
    assert document["entries"][0]["name"] == "myhostname" and document["entries"][0]["value"] == "mx.example.org"
    status, out, _ = run(capsys, "parse", "--as", "postfix-main", "weird.txt")
    assert status == 0 and json.loads(out)[0]["entries"][0]["name"] == "myorigin"
    status, _, err = run(capsys, "parse", "weird.txt")
    assert status == 2 and err.startswith("weird.txt: error: cannot tell the format")


def test_parse_reads_files_as_check_does_as_wins_over_the_config(site, capsys):
    write(site / ".policy-lint.yaml", "formats:\n  odd.txt: postfix-main\n")
    write(site / "odd.txt", "smtp inet n - y - - smtpd\n")
    status, out, _ = run(capsys, "parse", "--as", "postfix-master", "odd.txt")
    assert status == 0 and json.loads(out)[0]["format"] == "postfix-master"
    status, out, _ = run(capsys, "check", *OWN, "--as", "postfix-master", "odd.txt")
    assert status == 0


def test_version(capsys):
    assert run(capsys, "--version") == (0, f"policy-lint {__version__}\n", "")


# -- the real entry points --------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "NO_COLOR")}
    env["PYTHONPATH"] = str(REPO)
    return env


def test_python_dash_m_exit_statuses(site):
    write(site / "clean" / "main.cf", CLEAN)
    write(site / "dirty" / "main.cf", DIRTY)
    for path, want in (("clean", 0), ("dirty", 1), ("missing", 2)):
        done = subprocess.run([sys.executable, "-m", "linter", *OWN, path], capture_output=True, text=True,
                              env=_env(), timeout=60)
        assert done.returncode == want, done.stderr
        assert "Traceback" not in done.stderr


def test_console_script(site):
    script = shutil.which("policy-lint")
    if script is None:
        pytest.skip("the policy-lint script is not installed (pip install -e .)")
    write(site / "main.cf", DIRTY)
    done = subprocess.run([script, *OWN, "--format", "json", "main.cf"], capture_output=True, text=True,
                          env=_env(), timeout=60)
    assert done.returncode == 1 and json.loads(done.stdout)[0]["rule"] == "GX101"
    done = subprocess.run([script, "--nonsense"], capture_output=True, text=True, env=_env(), timeout=60)
    assert done.returncode == 2 and done.stderr.startswith("policy-lint: error: unrecognized arguments")


def test_startup_imports_stay_lean():
    code = ("import sys, linter.cli, linter.command_line; linter.command_line.build_parser(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('ruamel', 'jsonschema', 're2', 'json', 'difflib', 'linter')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=60)
    assert done.returncode == 0, done.stderr
    # --format's choices come from the reporters' registry (issue 15), which stays light
    assert done.stdout.strip() == ("['linter', 'linter.cli', 'linter.command_line', 'linter.console', 'linter.lazyre', "
                                   "'linter.records', 'linter.reporters']")


# -- issue 10, cause 12: a fix's every edit is in the report ---------------------------------
SOCKET = ("service auth {\n  unix_listener /var/spool/postfix/private/auth {\n    mode = 0666\n  }\n}\n")


def test_fix_cascade_every_changed_line_is_reported(site, capsys):
    """The report of a world-writable auth socket shows every line --fix changes: mode on the
    finding's line, and the user/group lines without which 0660 locks smtpd out (DC204)."""
    conf = write(site / "dovecot" / "dovecot.conf", SOCKET)
    status, out, _err = run(capsys, "check", ".")
    assert status == 1
    assert out == (
        "dovecot/dovecot.conf:3:5: warning DC203 the Postfix auth socket's mode is 0666: use 0660 (owner and group postfix)\n"
        "  fix: Set mode = 0660, user = postfix, group = postfix [unsafe]\n"
        '    also dovecot/dovecot.conf:4:1: insert "    user = postfix\\n    group = postfix\\n"\n'
        "1 finding (1 fixable with --fix --unsafe-fixes)\n")
    status, out, _err = run(capsys, "check", "--format", "github", ".")
    assert '%0A  also dovecot/dovecot.conf:4:1: insert "    user = postfix\\n    group = postfix\\n"%0A' in out
    status, out, _err = run(capsys, "check", "--format", "json", ".")
    [finding] = json.loads(out)
    assert [(e["line"], e["content"]) for e in finding["fix"]["edits"]] == [
        (3, "0660"), (4, "    user = postfix\n    group = postfix\n")]
    # applying it changes exactly what was shown, in one fix, and leaves nothing behind
    status, out, _err = run(capsys, "check", "--fix", "--unsafe-fixes", ".")
    assert (status, out) == (0, "Fixed 1 finding. No findings in 1 file.\n")
    assert conf.read_text(encoding="utf-8") == (
        "service auth {\n  unix_listener /var/spool/postfix/private/auth {\n    mode = 0660\n"
        "    user = postfix\n    group = postfix\n  }\n}\n")


def test_fix_edit_of_a_setting_already_right_is_left_out(site, capsys):
    """user = postfix already: DC203's fix neither rewrites nor reports that line."""
    write(site / "dovecot" / "dovecot.conf", SOCKET.replace("0666\n", "0666\n    user = postfix\n"))
    status, out, _err = run(capsys, "check", "--format", "json", ".")
    [finding] = json.loads(out)
    assert [(e["line"], e["content"]) for e in finding["fix"]["edits"]] == [(3, "0660"), (5, "    group = postfix\n")]


def test_further_edits_are_escaped(site, capsys):
    """Text from the input in an edit shown under the fix goes through the escaping."""
    from linter.diagnostics import Applicability, Diagnostic, Edit, Fix, Severity
    from linter.engine import Report
    from linter.model import Span
    from linter.reporters import OutputSettings, renderer

    span = Span("a.cf", 1, 1, 1, 2)
    fix = Fix("t", Applicability.SAFE, (Edit(span, "x"), Edit(Span.point("b\x1b[2J.cf", 2, 1), "v\x1b]0;t\x07 \"q\"\n")))
    report = Report([Diagnostic("X1", "x", Severity.INFO, "m", span, fix)], [], ["a.cf"])
    text = renderer("text")(report, None, OutputSettings())
    assert '    also b\\x1b[2J.cf:2:1: insert "v\\x1b]0;t\\x07 \\"q\\"\\n"\n' in text
    assert "\x1b" not in text and "\x07" not in text
    github = renderer("github")(report, None, OutputSettings())
    assert "\x1b" not in github and "\x07" not in github
    # a path in the message cannot hold the start of a workflow command, even mid-line
    odd = Fix("t", Applicability.SAFE, (Edit(span, "x"), Edit(Span.point("b::add-mask::s##[x.cf", 2, 1), "v")))
    github = renderer("github")(Report([Diagnostic("X1", "x", Severity.INFO, "m", span, odd)], [], ["a.cf"]),
                                None, OutputSettings())
    assert "also b:\\x3aadd-mask:\\x3as#\\x23[x.cf:2:1: insert" in github
    assert "::add-mask" not in github and "##[" not in github


# -- issue 13: the common command line is read without argparse, to the same result ---------
TOKENS = ["check", "main.cf", "conf.d", "-q", "--quiet", "--fix", "--diff", "--unsafe-fixes", "--exit-zero",
          "--no-cache", "--no-config", "--no-builtin", "--format", "json", "github", "xml", "--jobs", "-j", "2", "0",
          "x", "--policy", "p.yaml", "--select", "PF1,DC2", "--ignore", "--profile", "--exclude", "", "--as",
          "dovecot", "--color", "never", "--fail-on", "--severity", "error", "--output", "-o", "--config",
          "--baseline", "b.json", "--", "-", "--form", "--format=json", "-x", "rules", "--help", "--version"]


def _argparse_or_error(argv: list[str]):
    try:
        return vars(command_line.parse_args(argv))
    except (cli.UsageError, cli.Exit) as e:
        return type(e)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=7))
def test_fast_command_line_reads_as_argparse(argv):
    """Whatever the fast reader accepts, argparse reads the same way (it declines the rest)."""
    fast = cli.fast_args(argv)
    if fast is not None:
        assert vars(fast) == _argparse_or_error(argv)


@pytest.mark.parametrize("argv", [
    [], ["main.cf"], ["check"], ["check", "a", "b"], ["check", "--format", "json", "--output", "r.json", "a"],
    ["check", "a", "b", "--no-config", "--jobs", "2", "-q"], ["--fix", "main.cf", "master.cf"],
    ["check", "--policy", "p.yaml", "--policy", "q.yaml", "--select", "PF1,DC2", "--ignore", "PF101", "x"],
])
def test_common_command_lines_skip_argparse(argv):
    fast = cli.fast_args(argv)
    assert fast is not None and vars(fast) == _argparse_or_error(argv)


@pytest.mark.parametrize("argv", [
    ["check", "a", "-q", "b"], ["--format=json", "a"], ["--form", "json"], ["-j0", "a"], ["--jobs", "0"],
    ["--format", "xml"], ["rules"], ["--version"], ["check", "--", "-a"], ["--output"],
])
def test_other_command_lines_are_argparses(argv):
    assert cli.fast_args(argv) is None
