"""The fix loop: what a user sees on disk after ``check --fix`` / ``--diff``."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from linter.diagnostics import Applicability, Diagnostic, Edit, Fix, Severity
from linter.engine import Report, check
from linter.fixer import fix_files
from linter.model import ConfigError, Span
from linter.options import Options
from linter.suppressions import apply_suppressions
from tests.conftest import ROOT, corpus_manifest

EXAMPLES = ROOT / "examples"
FILES = ["main.cf", "master.cf", "dovecot/dovecot.conf"]


@pytest.fixture(scope="module")
def policy():
    from linter.policy import load_policy

    return load_policy([])


def run(files, policy) -> Report:
    return apply_suppressions(check(list(files), policy, Options()))


def fix(directory: Path, policy, applicability=Applicability.UNSAFE, write=True, files=FILES):
    old = os.getcwd()
    os.chdir(directory)
    try:
        report = run(files, policy)
        return fix_files(report, applicability, lambda fs: run(fs, policy), write=write)
    finally:
        os.chdir(old)


@pytest.fixture
def insecure(tmp_path: Path) -> Path:
    target = tmp_path / "insecure"
    shutil.copytree(EXAMPLES / "insecure", target)
    return target


def tree_bytes(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_fix_changes_files_and_recheck_is_clean_for_fixed_rules(insecure, policy):
    outcome = fix(insecure, policy)
    assert outcome.applied, "the insecure example has fixable findings"
    assert set(outcome.changed) <= {"main.cf", "master.cf", "dovecot/conf.d/10-auth.conf",
                                    "dovecot/conf.d/10-master.conf", "dovecot/dovecot.conf"}
    for path, (old, new) in outcome.changed.items():
        assert (insecure / path).read_text() == new != old
    fixed_rules = {d.rule for d in outcome.applied}
    assert not [d for d in outcome.remaining.diagnostics if d.rule in fixed_rules]
    # what is left has no fix we were allowed to apply
    assert not [d for d in outcome.remaining.diagnostics if d.fix and d.fix.applicability >= Applicability.UNSAFE]
    # the reported remainder is what a fresh check of the written files finds
    old = os.getcwd()
    os.chdir(insecure)
    try:
        assert run(FILES, policy).diagnostics == outcome.remaining.diagnostics
    finally:
        os.chdir(old)


def test_fixing_twice_is_fixing_once(insecure, policy):
    fix(insecure, policy)
    once = tree_bytes(insecure)
    again = fix(insecure, policy)
    assert again.changed == {} and again.applied == () and again.diff == ""
    assert tree_bytes(insecure) == once


def test_safe_fixes_only_leave_unsafe_ones(insecure, policy):
    outcome = fix(insecure, policy, Applicability.SAFE)
    assert outcome.applied
    assert all(d.fix.applicability == Applicability.SAFE for d in outcome.applied)
    assert any(d.fix and d.fix.applicability == Applicability.UNSAFE for d in outcome.remaining.diagnostics)


def test_diff_only_writes_nothing_and_applies_with_git(insecure, policy):
    before = tree_bytes(insecure)
    outcome = fix(insecure, policy, write=False)
    assert tree_bytes(insecure) == before
    assert outcome.diff.startswith("diff --git a/")
    assert "--- a/main.cf\n+++ b/main.cf\n" in outcome.diff
    # the diff is what --fix would write: git applies it and gets the same bytes
    (insecure / "fix.patch").write_text(outcome.diff)
    subprocess.run(["git", "apply", "fix.patch"], cwd=insecure, check=True, capture_output=True)
    (insecure / "fix.patch").unlink()
    for path, (_, new) in outcome.changed.items():
        assert (insecure / path).read_text() == new
    # a diff-only run re-checks the pending texts: it applies what a writing run applies
    again = insecure.parent / "again"
    shutil.copytree(EXAMPLES / "insecure", again)
    assert outcome.applied == fix(again, policy).applied


def test_permissions_are_kept(insecure, policy):
    main = insecure / "main.cf"
    os.chmod(main, 0o640)
    fix(insecure, policy)
    assert stat.S_IMODE(main.stat().st_mode) == 0o640
    assert not list(insecure.rglob("*.policy-lint")), "no temporary file is left behind"


def test_crlf_stays_crlf_and_everything_else_byte_for_byte(insecure, policy, tmp_path):
    lf = tmp_path / "lf"
    shutil.copytree(insecure, lf)
    for path in [insecure / "main.cf", insecure / "master.cf"]:
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    fix(insecure, policy)
    fix(lf, policy)
    for name in ("main.cf", "master.cf"):
        crlf = (insecure / name).read_bytes()
        assert crlf.count(b"\n") == crlf.count(b"\r\n")
        assert crlf == (lf / name).read_bytes().replace(b"\n", b"\r\n")


def test_latin1_bytes_and_missing_final_newline_survive(insecure, policy):
    main = insecure / "main.cf"
    data = b"# R\xe9seau de l'\xe9cole\n" + main.read_bytes().rstrip(b"\n")
    main.write_bytes(data)
    outcome = fix(insecure, policy)
    assert "main.cf" in outcome.changed
    fixed = main.read_bytes()
    assert fixed.startswith(b"# R\xe9seau de l'\xe9cole\n")
    last_line = data.rsplit(b"\n", 1)[1]
    # the last line was rewritten or kept; either way no final newline was added to it
    assert not fixed.endswith(b"\n") or not fixed.endswith(last_line + b"\n")


def test_symlinked_config_is_written_through_and_stays_a_link(insecure, policy, tmp_path):
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    shutil.move(insecure / "main.cf", real_dir / "main.cf")
    (insecure / "main.cf").symlink_to(real_dir / "main.cf")
    before = (real_dir / "main.cf").read_text()
    fix(insecure, policy)
    assert (insecure / "main.cf").is_symlink()
    assert (real_dir / "main.cf").read_text() != before
    assert not list(real_dir.glob(".*")) and not list(insecure.glob(".main.cf*"))


# -- the loop itself, with a controlled re-check ------------------------------------------


def _finding(path: str, line: int, col: int, end: int, content: str, applicability=Applicability.SAFE,
             rule: str = "T001") -> Diagnostic:
    span = Span(path, line, col, line, end)
    return Diagnostic(rule, "test-rule", Severity.WARNING, "test", span,
                      Fix("replace", applicability, (Edit(span, content),)))


class FakeChecker:
    """Finds every ``bad`` word; a file holding ``BROKEN`` does not parse."""

    def __init__(self, fixes_to: str = "good"):
        self.fixes_to = fixes_to
        self.calls = 0

    def __call__(self, files) -> Report:
        from linter.parsers import read_text

        self.calls += 1
        diagnostics, errors = [], []
        for path in files:
            text = read_text(path)
            if "BROKEN" in text:
                errors.append(ConfigError(path, 1, 1, "syntax error"))
                continue
            for number, line in enumerate(text.split("\n"), start=1):
                col = line.find("bad")
                if col >= 0:
                    diagnostics.append(_finding(path, number, col + 1, col + 4, self.fixes_to))
        return Report(tuple(diagnostics), tuple(errors), tuple(files))


def test_a_fix_that_breaks_a_file_is_rolled_back(tmp_path):
    broken, fine = tmp_path / "a.cf", tmp_path / "b.cf"
    broken.write_text("x = bad\n")
    fine.write_text("y = bad\n")
    checker = FakeChecker()
    report = checker([str(broken), str(fine)])
    report = Report(tuple(d if d.path == str(fine) else _finding(str(broken), 1, 5, 8, "BROKEN")
                          for d in report.diagnostics), (), report.files)
    outcome = fix_files(report, Applicability.SAFE, checker, write=True)
    assert broken.read_text() == "x = bad\n"
    assert fine.read_text() == "y = good\n"
    assert [str(e) for e in outcome.rolled_back] == [f"{broken}:1:1: syntax error"]
    assert list(outcome.changed) == [str(fine)]
    assert [d.path for d in outcome.applied] == [str(fine)]
    assert not outcome.remaining.errors, "the remaining report is of the rolled-back text"


def test_overlapping_fixes_wait_for_the_next_pass_and_the_loop_is_bounded(tmp_path):
    path = tmp_path / "a.cf"
    path.write_text("x = bad\n")
    first = _finding(str(path), 1, 5, 8, "good")
    second = _finding(str(path), 1, 6, 8, "XX")  # overlaps the first: not in the same pass
    checker = FakeChecker()
    outcome = fix_files(Report((first, second), (), (str(path),)), Applicability.SAFE, checker, write=False)
    assert outcome.changed == {str(path): ("x = bad\n", "x = good\n")}
    assert outcome.applied == (first,)
    # a fix that never resolves its finding stops after the bound
    looping = FakeChecker(fixes_to="bad!")
    outcome = fix_files(looping([str(path)]), Applicability.SAFE, looping, write=False, max_passes=4)
    assert looping.calls == 1 + 4
    assert path.read_text() == "x = bad\n"


def test_display_only_and_unsafe_fixes_follow_the_applicability(tmp_path):
    path = tmp_path / "a.cf"
    path.write_text("x = bad\n")
    checker = FakeChecker()
    for applicability, wanted, applied in [
        (Applicability.DISPLAY_ONLY, Applicability.DISPLAY_ONLY, False),
        (Applicability.UNSAFE, Applicability.SAFE, False),
        (Applicability.UNSAFE, Applicability.UNSAFE, True),
    ]:
        report = Report((_finding(str(path), 1, 5, 8, "good", applicability),), (), (str(path),))
        assert bool(fix_files(report, wanted, checker, write=False).changed) is applied


def test_write_failure_leaves_the_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "a.cf"
    path.write_text("x = bad\n")
    checker = FakeChecker()

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    outcome = fix_files(checker([str(path)]), Applicability.SAFE, checker, write=True)
    assert path.read_text() == "x = bad\n"
    assert os.listdir(tmp_path) == ["a.cf"]
    assert [str(e) for e in outcome.remaining.errors] == [f"{path}: cannot write: Permission denied"]
    assert outcome.changed == {}


def test_a_file_changed_meanwhile_is_not_overwritten(tmp_path):
    path = tmp_path / "a.cf"
    path.write_text("x = bad\n")
    checker = FakeChecker()
    report = checker([str(path)])

    def recheck(files):
        path.write_text("x = bad\n# edited by someone else\n")
        return checker(files)

    outcome = fix_files(report, Applicability.SAFE, recheck, write=True)
    assert path.read_text() == "x = bad\n# edited by someone else\n"
    assert "changed on disk while fixing" in str(outcome.remaining.errors[0])


# -- with the oracles: a fix never breaks a file the reference parser accepted --------------


def _postfix_accepts(postconf: str, directory: Path) -> tuple[bool, str]:
    # postconf waits (1-2 s) for a file modified within the last second to settle: backdate them
    for name in ("main.cf", "master.cf"):
        if (directory / name).exists():
            os.utime(directory / name, (1e9, 1e9))
    for args in (["-n"], ["-M"]):
        result = subprocess.run([postconf, "-c", str(directory), *args], capture_output=True, text=True,
                                timeout=30, check=False)
        if result.returncode != 0 or "fatal" in result.stderr:
            return False, result.stderr
    return True, ""


def _dovecot_accepts(doveconf: str, path: Path) -> tuple[bool, str]:
    result = subprocess.run([doveconf, "-n", "-c", str(path)], capture_output=True, text=True, timeout=30,
                            check=False)
    return result.returncode == 0, result.stderr


def _corpus_files(corpus: Path, kinds: tuple[str, ...], tmp_path: Path):
    """Each untemplated corpus file of these kinds: its row, its bytes and an empty directory of its own."""
    rows = [r for r in corpus_manifest() if r["kind"] in kinds and r["templated"] == "no"]
    for number, row in enumerate(rows):
        directory = tmp_path / str(number)
        directory.mkdir()
        yield row, (corpus / row["local_path"]).read_bytes(), directory


@pytest.mark.oracle
def test_unsafe_fixes_keep_postfix_corpus_files_accepted_by_postconf(corpus, postconf, policy, tmp_path):
    fixed = 0
    for row, content, directory in _corpus_files(corpus, ("postfix-main", "postfix-master"), tmp_path):
        name = "main.cf" if row["kind"] == "postfix-main" else "master.cf"
        (directory / name).write_bytes(content)
        (directory / ("master.cf" if name == "main.cf" else "main.cf")).write_text("")
        if not _postfix_accepts(postconf, directory)[0]:
            continue
        outcome = fix(directory, policy, files=[name])
        fixed += len(outcome.applied)
        accepted, stderr = _postfix_accepts(postconf, directory)
        assert accepted, f"{row['local_path']}: postconf rejects the fixed file: {stderr}\n{outcome.diff}"
    assert fixed, "some corpus file has a fix to apply"


@pytest.mark.oracle
def test_unsafe_fixes_keep_dovecot_corpus_files_accepted_by_doveconf(corpus, doveconf, policy, tmp_path):
    fixed = 0
    for row, content, directory in _corpus_files(corpus, ("dovecot",), tmp_path):
        path = directory / "dovecot.conf"
        # the corpus alone offers no Dovecot fix: add a finding with an (unsafe) fix to every file
        path.write_bytes(content + b"\ndisable_plaintext_auth = no\n")
        if not _dovecot_accepts(doveconf, path)[0]:
            continue
        outcome = fix(directory, policy, files=["dovecot.conf"])
        fixed += len(outcome.applied)
        accepted, stderr = _dovecot_accepts(doveconf, path)
        assert accepted, f"{row['local_path']}: doveconf rejects the fixed file: {stderr}\n{outcome.diff}"
    assert fixed, "some corpus file has a fix to apply"


@pytest.mark.oracle
def test_unsafe_fixes_keep_the_examples_accepted(postconf, doveconf, policy, insecure):
    assert _postfix_accepts(postconf, insecure)[0] and _dovecot_accepts(doveconf, insecure / "dovecot/dovecot.conf")[0]
    outcome = fix(insecure, policy)
    assert outcome.applied
    assert _postfix_accepts(postconf, insecure) == (True, "")
    accepted, stderr = _dovecot_accepts(doveconf, insecure / "dovecot/dovecot.conf")
    assert accepted, stderr
