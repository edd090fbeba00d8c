"""The whole built-in pack over every real config of the corpus, as a user runs it.

No traceback; exit status 0 or 1, or 2 only with one-line located errors; every
finding (and every fix edit) inside its file.  Per-host runs (one corpus repository
at a time) group files differently from the whole-tree run and must hold the same.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ERROR_LINE = re.compile(r"^(?P<path>[^\n]+?)(?::(?P<line>\d+):(?P<column>\d+))?: error: \S[^\n]*$")


class _Files:
    """The lines of checked files, read once; paths relative to where the tool ran."""

    def __init__(self, base: Path):
        self.base = base
        self.lines: dict[str, list[str]] = {}

    def inside(self, path: str, line: int, column: int) -> bool:
        if path not in self.lines:
            self.lines[path] = (self.base / path).read_bytes().decode("utf-8", "surrogateescape").split("\n")
        lines = self.lines[path]
        return 1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1]) + 1


def _assert_in_range(findings: list[dict], base: Path) -> None:
    files = _Files(base)
    for f in findings:
        where = f"{f['rule']} {f['path']}:{f['line']}:{f['column']}"
        assert files.inside(f["path"], f["line"], f["column"]), where
        assert files.inside(f["path"], f["end_line"], f["end_column"]), where
        assert (f["line"], f["column"]) <= (f["end_line"], f["end_column"]), where
        for edit in (f["fix"] or {}).get("edits", ()):
            # an insertion may sit at the start of the line after the last one
            assert files.inside(edit["path"], edit["line"], edit["column"]) or edit["column"] == 1, where
        for related in f["related"]:
            assert files.inside(related["path"], related["line"], related["column"]), where


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "linter", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300, env={**os.environ, "LC_ALL": "C", "NO_COLOR": "1"})


def _assert_clean_exit(done: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in done.stderr + done.stdout, done.stderr[-2000:]
    assert done.returncode in (0, 1, 2), done.stderr[-2000:]


def test_whole_corpus_json(corpus: Path) -> None:
    done = _run(["check", str(corpus), "--format", "json"], corpus.parent)
    _assert_clean_exit(done)
    findings = json.loads(done.stdout)
    assert findings, "the built-in pack finds something in real configs"
    _assert_in_range(findings, corpus.parent)
    # one finding per rule and place: the same thing is never reported twice
    keys = [(f["rule"], f["path"], f["line"], f["column"], f["message"]) for f in findings]
    assert len(keys) == len(set(keys))


def test_whole_corpus_errors_are_one_line_and_located(corpus: Path) -> None:
    done = _run(["check", str(corpus)], corpus.parent)
    _assert_clean_exit(done)
    errors = [line for line in (done.stdout + done.stderr).splitlines() if ": error: " in line]
    if done.returncode == 2:
        assert errors, "exit status 2 names its errors"
    for line in errors:
        match = ERROR_LINE.match(line)
        assert match, line
        assert os.path.exists(match["path"]) or os.path.exists(corpus.parent / match["path"]), line


def _hosts(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.iterdir() if p.is_dir())


def test_each_corpus_repository_on_its_own(corpus: Path, tmp_path: Path) -> None:
    from linter.cli import main

    for repository in _hosts(corpus):
        out = tmp_path / f"{repository.name}.json"
        status = main(["check", str(repository), "--format", "json", "--output", str(out)])
        assert status in (0, 1, 2), repository.name
        _assert_in_range(json.loads(out.read_text(encoding="utf-8") or "[]"), Path.cwd())


@pytest.mark.parametrize("rule", ["DC003", "DC201"])
def test_known_false_positives_stay_fixed(corpus: Path, rule: str) -> None:
    """Judged on the corpus: if/else template branches, `$name` extending an earlier value,
    unnamed list sections (passdb {}, map {}) and included *.conf.ext files are not findings."""
    done = _run(["check", str(corpus), "--format", "json", "--select", rule], corpus.parent)
    findings = json.loads(done.stdout)
    paths = {os.path.relpath(f["path"], corpus) for f in findings}
    wrong = {p for p in paths if p.endswith(".conf.ext") and rule == "DC201"}
    wrong |= {p for p in paths if "dovecot-last-login" in p or "Mailu" in p} if rule == "DC003" else set()
    assert not wrong, sorted(wrong)
