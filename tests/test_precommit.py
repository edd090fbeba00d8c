"""The pre-commit hooks, run for real: ``pre-commit try-repo`` on this checkout.

``try-repo`` clones the checkout (HEAD plus uncommitted changes to tracked files) and
builds a virtualenv with ``pip install .`` in a fresh store each time it runs, so the
session runs it once, with all three hooks over one scenario repository, and the
tests read each hook's section of the output.  The other tests run each hook's
``entry`` exactly as ``.pre-commit-hooks.yaml`` declares it on the files its
``files`` pattern selects, with the installed ``policy-lint``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from linter.parsers import detect_format
from tests.conftest import IN_CI, ROOT

EXAMPLES = ROOT / "examples"
TEAM_POLICY = """\
policy: team-rules
title: Rules of our mail team
rules:
  - id: TM001
    name: relayhost-not-set
    severity: warning
    scope: postfix-main
    message: "relayhost is not set: mail leaves directly instead of through the smarthost"
    rationale: All outbound mail goes through the smarthost.
    check:
      kind: required
      directive: relayhost
    examples:
      - bad:
          main.cf: |
            myhostname = mx.example.org
      - good:
          main.cf: |
            relayhost = [smtp.example.org]
"""


def hooks() -> list[dict]:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())


def hook(hook_id: str) -> dict:
    [found] = [h for h in hooks() if h["id"] == hook_id]
    return found


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.email=test@example.org", "-c", "user.name=test", *args], cwd=cwd,
                   check=True, capture_output=True)


def scenario(directory: Path) -> Path:
    """A repository with an insecure mail tree, a template, a team policy and a README."""
    directory.mkdir()
    shutil.copytree(EXAMPLES / "insecure", directory / "mail", ignore=shutil.ignore_patterns(".policy-lint.yaml"))
    (directory / "templates").mkdir()
    (directory / "templates" / "main.cf.j2").write_text(
        "myhostname = {{ inventory_hostname }}\nsmtpd_client_connection_rate_limit = 0\n")
    (directory / "policies").mkdir()
    (directory / "policies" / "team.yaml").write_text(TEAM_POLICY)
    (directory / "README.md").write_text("main.cf lives in mail/\n")
    git("init", "-q", cwd=directory)
    git("add", "-A", cwd=directory)
    git("commit", "-q", "-m", "configs", cwd=directory)
    return directory


def sections(output: str) -> dict[str, tuple[str, str]]:
    """hook id -> (Passed/Failed/Skipped, the hook's section of the output)."""
    result = {}
    parts = re.split(r"^(?=\S.*?\.{3,}.*(?:Passed|Failed|Skipped)$)", output, flags=re.M)
    for part in parts:
        status = re.match(r"\S.*?\.{3,}.*?(Passed|Failed|Skipped)$", part, flags=re.M)
        hook_id = re.search(r"^- hook id: (\S+)$", part, flags=re.M)
        if status and hook_id:
            result[hook_id.group(1)] = (status.group(1), part)
    return result


@pytest.fixture(scope="session")
def try_repo(tmp_path_factory):
    """One ``pre-commit try-repo`` of this checkout: every hook over the scenario."""
    if not (ROOT / ".git").exists():  # an unpacked sdist: try-repo needs a git repository
        message = "pre-commit try-repo needs a git checkout of policy-lint"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    base = tmp_path_factory.mktemp("precommit")
    repo = scenario(base / "repo")
    original = (repo / "mail" / "main.cf").read_text()
    env = dict(os.environ, PRE_COMMIT_HOME=str(base / "home"), PRE_COMMIT_COLOR="never", NO_COLOR="1")
    env.pop("GITHUB_ACTIONS", None)  # keep the text format, whatever CI runs us
    result = subprocess.run(["pre-commit", "try-repo", str(ROOT), "--all-files", "--verbose"], cwd=repo,
                            env=env, capture_output=True, text=True, timeout=900, check=False)
    output = result.stdout + result.stderr
    assert "Installing environment" in output or "Initializing environment" in output, output
    return result.returncode, sections(output), output, repo, original


def test_try_repo_runs_every_hook(try_repo):
    status, found, output, _, _ = try_repo
    assert status == 1, output
    assert set(found) == {"policy-lint", "policy-lint-fix", "policy-lint-test", "policy-lint-recheck"}, output


def test_check_hook_reports_findings_in_config_files_only(try_repo):
    _, found, output, _, _ = try_repo
    state, text = found["policy-lint"]
    assert state == "Failed" and "- exit code: 1" in text, output
    assert re.search(r"^mail/main\.cf:\d+:\d+: warning PF101 ", text, flags=re.M)
    assert re.search(r"^mail/dovecot/conf\.d/10-auth\.conf:\d+:\d+: \w+ DC208 ", text, flags=re.M)
    assert re.search(r"^templates/main\.cf\.j2:2:1: warning PF101 ", text, flags=re.M)
    assert "README.md" not in text and "team.yaml" not in text


def test_fix_hook_fixes_the_files(try_repo):
    _, found, output, repo, original = try_repo
    state, text = found["policy-lint-fix"]
    assert state == "Failed" and "- files were modified by this hook" in text, output
    assert "- exit code: 1" in text  # unsafe fixes are left: findings remain
    fixed = (repo / "mail" / "main.cf").read_text()
    assert fixed != original
    # the safe fixes: the trailing comment (PF001) and the dead duplicate (PF003) are gone
    assert "# localhost only" not in fixed and "mynetworks = 127.0.0.0/8 [::1]/128" in fixed
    assert fixed.count("smtpd_client_connection_rate_limit =") == 1
    assert re.search(r"Fixed \d+ findings?", text)


def test_policy_test_hook_runs_the_examples_of_changed_policies(try_repo):
    _, found, output, _, _ = try_repo
    state, text = found["policy-lint-test"]
    assert state == "Passed", output
    assert "2 examples of 1 rule: all passed." in text


def test_recheck_hook_checks_every_config_when_a_policy_changes(try_repo):
    _, found, output, _, _ = try_repo
    state, text = found["policy-lint-recheck"]
    assert state == "Failed" and "- exit code: 1" in text, output
    # no config file was passed (policies/team.yaml changed): the whole repository is checked
    assert re.search(r"^mail/main\.cf:\d+:\d+: warning PF101 ", text, flags=re.M), text
    assert re.search(r"^templates/main\.cf\.j2:2:1: warning PF101 ", text, flags=re.M), text


# -- the manifest, and each entry exactly as declared (no environment build) ---------------


def test_manifest_is_valid_for_pre_commit():
    result = subprocess.run(["pre-commit", "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    for h in hooks():
        assert h["language"] == "python" and h["types"] == ["file"] and h["entry"].startswith("policy-lint ")


def test_docs_config_snippet_is_valid(tmp_path):
    docs = (ROOT / "docs" / "integrations.md").read_text()
    snippets = [s for s in re.findall(r"```yaml\n(.*?)```", docs, flags=re.S) if s.startswith("repos:")]
    assert snippets, "docs/integrations.md shows a .pre-commit-config.yaml"
    for snippet in snippets:
        (tmp_path / ".pre-commit-config.yaml").write_text(snippet)
        result = subprocess.run(["pre-commit", "validate-config", str(tmp_path / ".pre-commit-config.yaml")],
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        ids = re.findall(r"- id: (\S+)", snippet)
        assert ids and set(ids) <= {h["id"] for h in hooks()}


SELECTED = ["main.cf", "master.cf", "postfix/main.cf", "etc/postfix/master.cf.j2", "roles/mx/templates/main.cf.tmpl",
            "postfix-main.cf", "server_master.cf", "dovecot.conf", "etc/dovecot/dovecot.conf.erb",
            "dovecot/conf.d/10-auth.conf", "conf.d/auth-sql.conf.ext", "dovecot/auth-ldap.conf.ext",
            "etc_dovecot_dovecot.conf", "dovecot-sql.conf"]
NOT_SELECTED = ["README.md", "main.cf.orig", "domain.cf", "mymain.cf", "nginx.conf", "conf.d/10-auth.conf.bak",
                "main.cf/notes.txt", "policies/x.json", "postfix/main.cf~"]


@pytest.mark.parametrize("hook_id", ["policy-lint", "policy-lint-fix"])
def test_files_pattern_selects_the_config_names(hook_id):
    pattern = re.compile(hook(hook_id)["files"])
    assert [p for p in SELECTED if not pattern.search(p)] == []
    assert [p for p in NOT_SELECTED if pattern.search(p)] == []
    # whatever the hook passes, policy-lint recognises by name
    assert [p for p in SELECTED if detect_format(p) is None] == []


def test_policy_test_pattern():
    pattern = re.compile(hook("policy-lint-test")["files"])
    assert all(pattern.search(p) for p in ["policies/team.yaml", "ops/policies/tls.yml", ".policy-lint/extra.yaml"])
    assert not any(pattern.search(p) for p in [".policy-lint.yaml", "policies/README.md", "ansible/site.yml"])


def run_entry(hook_id: str, repo: Path) -> subprocess.CompletedProcess:
    """What pre-commit runs: the entry, the args, then the selected files (paths from the repo root)."""
    declared = hook(hook_id)
    pattern = re.compile(declared["files"])
    files = sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts)
    selected = [f for f in files if pattern.search(f)]
    if declared.get("pass_filenames", True) is False:
        selected = []
    command = [*shlex.split(declared["entry"]), *declared.get("args", []), *selected]
    env = dict(os.environ, NO_COLOR="1")
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_check_entry_passes_on_a_hardened_tree(tmp_path):
    shutil.copytree(EXAMPLES / "hardened", tmp_path / "mail")
    result = run_entry("policy-lint", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_recheck_pattern_and_entry(tmp_path):
    pattern = re.compile(hook("policy-lint-recheck")["files"])
    assert all(pattern.search(p) for p in ["policies/team.yaml", ".policy-lint.yaml", "ops/.policy-lint.yaml",
                                           ".policy-lint/extra.yml"])
    assert not any(pattern.search(p) for p in ["main.cf", "policies/README.md", "ansible/site.yml"])
    # a policy changed, no config passed: every config of the repository is checked
    shutil.copytree(EXAMPLES / "insecure", tmp_path / "mail", ignore=shutil.ignore_patterns(".policy-lint.yaml"))
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "team.yaml").write_text(TEAM_POLICY)
    (tmp_path / ".policy-lint.yaml").write_text("policies: [policies]\n")
    result = run_entry("policy-lint-recheck", tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"^mail/main\.cf:\d+:\d+: warning TM001 relayhost is not set", result.stdout, flags=re.M)


def test_test_entry_fails_on_a_policy_whose_example_is_wrong(tmp_path):
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "team.yaml").write_text(TEAM_POLICY.replace("relayhost = [smtp.example.org]",
                                                                         "myhostname = mx.example.org"))
    result = run_entry("policy-lint-test", tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "policies/team.yaml:17:9: TM001 good example 2: FAILED" in result.stdout
