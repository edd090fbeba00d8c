"""Baselines: a legacy repository fails only on new findings."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from linter.baseline import BaselineError, filter_baseline, load_baseline, match_baseline, write_baseline
from linter.engine import check
from linter.model import ConfigError
from linter.options import Options
from tests.conftest import ROOT

FILES = ["main.cf", "master.cf", "dovecot/dovecot.conf"]


@pytest.fixture(scope="module")
def policy():
    from linter.policy import load_policy

    return load_policy([])


@pytest.fixture
def legacy(tmp_path: Path):
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "insecure", repo / "mail")
    old = os.getcwd()
    os.chdir(repo)
    yield repo
    os.chdir(old)


def files() -> list[str]:
    return [f"mail/{f}" for f in FILES]


def test_a_baselined_repository_is_clean_until_something_new_appears(legacy, policy):
    report = check(files(), policy, Options())
    assert report.diagnostics
    write_baseline(".policy-lint-baseline.json", report)
    baseline = load_baseline(".policy-lint-baseline.json")
    assert len(baseline.entries) == len(report.diagnostics)
    assert filter_baseline(report, baseline).diagnostics == ()

    # lines shift (a comment and a blank line on top), and one new problem is added
    main = legacy / "mail" / "main.cf"
    main.write_text("# managed by hand\n\n" + main.read_text() + "smtpd_client_message_rate_limit = 0\n")
    again = check(files(), policy, Options())
    kept = filter_baseline(again, baseline).diagnostics
    assert [(d.rule, d.span.line) for d in kept] == [("PF104", 38)]  # was an implicit 0, now written
    # the implicit-0 finding it replaces is stale; every other entry still matches despite the shift
    assert [e.rule for e in match_baseline(again, baseline).stale] == ["PF104"]


def test_paths_are_relative_to_the_baseline_file(legacy, policy):
    report = check(files(), policy, Options())
    Path("ci").mkdir()
    write_baseline("ci/baseline.json", report)
    data = json.loads(Path("ci/baseline.json").read_text())
    assert {e["path"] for e in data["findings"]} >= {"../mail/main.cf", "../mail/dovecot/conf.d/10-auth.conf"}
    # checked from another directory, the same findings are recognised
    os.chdir(legacy / "mail")
    report = check(FILES, policy, Options())
    assert filter_baseline(report, load_baseline("../ci/baseline.json")).diagnostics == ()


def test_the_file_is_stable_and_has_no_line_numbers(legacy, policy):
    report = check(files(), policy, Options())
    write_baseline("a.json", report)
    write_baseline("b.json", check(list(reversed(files())), policy, Options()))
    assert Path("a.json").read_bytes() == Path("b.json").read_bytes()
    data = json.loads(Path("a.json").read_text())
    assert data["version"] == 1
    assert set(data["findings"][0]) == {"path", "rule", "fingerprint", "message"}
    assert not [p for p in os.listdir(".") if p.startswith(".policy-lint-baseline.")], "no temporary left"


def test_fixed_findings_become_stale_entries(legacy, policy):
    report = check(files(), policy, Options())
    write_baseline("baseline.json", report)
    main = legacy / "mail" / "main.cf"
    main.write_text(main.read_text().replace("smtpd_client_connection_rate_limit = 0\n",
                                             "smtpd_client_connection_rate_limit = 30\n"))
    match = match_baseline(check(files(), policy, Options()), load_baseline("baseline.json"))
    assert match.kept == ()
    assert "PF101" in {e.rule for e in match.stale}
    # entries of files that were not checked are not stale
    only_dovecot = check(["mail/dovecot/dovecot.conf"], policy, Options())
    assert {e.path for e in match_baseline(only_dovecot, load_baseline("baseline.json")).stale} <= {
        "mail/dovecot/dovecot.conf", "mail/dovecot/conf.d/10-auth.conf", "mail/dovecot/conf.d/10-master.conf"}


def test_identical_findings_are_counted(legacy, policy):
    main = legacy / "mail" / "main.cf"
    main.write_text(main.read_text() + "smtpd_client_connection_rate_limit = 0\n")
    report = check(files(), policy, Options())
    write_baseline("baseline.json", report)
    main.write_text(main.read_text() + "smtpd_client_connection_rate_limit = 0\n")
    kept = filter_baseline(check(files(), policy, Options()), load_baseline("baseline.json")).diagnostics
    assert kept and {d.rule for d in kept} <= {"PF003", "PF101"}


@pytest.mark.parametrize("content, message", [
    ("{", "1:2: not a baseline file: invalid JSON"),
    ("[]", "not a baseline file: expected an object with a 'findings' list"),
    ('{"version": 7, "findings": []}', "unsupported baseline version 7"),
    ('{"version": 1, "findings": [{"path": 1}]}', "findings[0]: expected an object"),
])
def test_bad_baseline_files_are_located_errors(tmp_path, content, message):
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(BaselineError) as raised:
        load_baseline(str(path))
    assert message in str(raised.value)
    assert isinstance(raised.value, ConfigError) and isinstance(raised.value, ValueError)


def test_missing_baseline(tmp_path):
    with pytest.raises(ValueError, match="cannot read: No such file"):
        load_baseline(str(tmp_path / "nope.json"))
