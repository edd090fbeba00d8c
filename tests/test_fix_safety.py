"""Fix safety as a property (issue 10), over the shared corpus.

``policy-lint check --fix --unsafe-fixes`` on a copy of ``../shared/corpus`` (the whole-tree
run) must

- never introduce a finding as severe as what it fixed: a finding that appears after the fixes
  (matched by rule, file and message, so line shifts do not count) must be less severe than
  every finding the fixes removed in that repository;
- never insert a line inside a template control block (Jinja ``{% if %}``/``{% for %}``..., ERB
  and EPP ``<% if %>``/``<% ... do %>``/``<% ... { %>``, Go ``{{ if }}``/``{{ range }}``...)
  unless the configuration section it belongs to lies inside that same block: a main.cf line
  goes outside every block, a master.cf ``-o`` line under its service's blocks, a Dovecot
  setting under its section's blocks;
- leave ``postconf`` (``postconf -n``/``-M``, and ``postmap``, which loads and checks the global
  parameters) and ``doveconf -n`` accepting every file they accepted before.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import corpus_manifest

SEVERITY = {"info": 0, "warning": 1, "error": 2}


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "linter", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600, env={**os.environ, "LC_ALL": "C", "NO_COLOR": "1"})


def _findings(cwd: Path) -> list[dict]:
    done = _run(["check", "corpus", "--format", "json"], cwd)
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    data = json.loads(done.stdout or "[]")
    return data.get("findings", []) if isinstance(data, dict) else data


@dataclass
class Fixed:
    base: Path  # holds corpus/, the fixed copy
    original: Path  # the shared corpus
    before: list[dict]
    after: list[dict]

    def changed(self) -> list[str]:
        """Paths (relative to the corpus) of the files the fixes changed."""
        out = []
        for row in corpus_manifest():
            rel = row["local_path"]
            if (self.original / rel).read_bytes() != (self.base / "corpus" / rel).read_bytes():
                out.append(rel)
        return out


@pytest.fixture(scope="module")
def fixed(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Fixed:
    base = tmp_path_factory.mktemp("fix-safety")
    shutil.copytree(corpus, base / "corpus", symlinks=True)
    for path in (base / "corpus").rglob("*"):  # the shared corpus is read-only; its copy is the user's
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    (base / "corpus").chmod(0o755)
    before = _findings(base)
    done = _run(["check", "corpus", "--fix", "--unsafe-fixes"], base)
    assert "Traceback" not in done.stderr + done.stdout, done.stderr[-2000:]
    assert done.returncode in (0, 1, 2), done.stderr[-2000:]
    return Fixed(base, corpus, before, _findings(base))


def _repository(path: str) -> str:
    return Path(path).parts[1]  # corpus/<repository>/...


def _key(f: dict) -> tuple[str, str, str]:
    return (f["rule"], f["path"], f["message"])


def test_fixes_introduce_no_finding_as_severe_as_what_they_fixed(fixed: Fixed) -> None:
    before, after = Counter(map(_key, fixed.before)), Counter(map(_key, fixed.after))
    removed, added = before - after, after - before
    assert removed, "the fixes remove findings on the corpus"
    floor: dict[str, int] = {}
    for f in fixed.before:
        if removed[_key(f)]:
            repo = _repository(f["path"])
            floor[repo] = min(floor.get(repo, 9), SEVERITY[f["severity"]])
    bad = []
    for f in fixed.after:
        if added[_key(f)] and SEVERITY[f["severity"]] >= floor.get(_repository(f["path"]), -1):
            bad.append(f"{f['path']}:{f['line']}:{f['column']}: {f['severity']} {f['rule']} {f['message']}")
    assert not bad, "the fixes introduced findings as severe as those they fixed:\n  " + "\n  ".join(bad)


# --- template control blocks ----------------------------------------------------------------

_TAG = re.compile(r"\{%[-+]?\s*(?P<jinja>.*?)\s*[-+]?%\}|\{\{-?\s*(?P<go>.*?)\s*-?\}\}|<%[-=]?\s*(?P<erb>.*?)\s*-?%>",
                  re.S)
_JINJA_OPEN = {"if", "for", "macro", "block", "call", "filter", "with", "raw", "autoescape", "trans"}
_GO_OPEN = {"if", "range", "with", "define", "block"}
_ERB_OPEN = re.compile(r"^(if|unless|case|while|until|for|begin)\b")
_ERB_DO = re.compile(r"\bdo\b\s*(\|[^|]*\|)?$")


def _block_stacks(text: str) -> list[tuple[int, ...]]:
    """The template blocks open at each line boundary: stacks[i] holds, before line i (0-based),
    the line numbers where the enclosing blocks open (innermost last)."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    events = []  # (offset, +1 open / -1 close)
    for m in _TAG.finditer(text):
        if m["jinja"] is not None:
            word = (m["jinja"].split() or [""])[0]
            if word in _JINJA_OPEN or (word == "set" and "=" not in m["jinja"]):
                events.append((m.start(), 1))
            elif word.startswith("end"):
                events.append((m.start(), -1))
        elif m["go"] is not None:
            word = (m["go"].split() or [""])[0]
            if word in _GO_OPEN:
                events.append((m.start(), 1))
            elif word == "end":
                events.append((m.start(), -1))
        elif m["erb"] is not None:
            code = m["erb"].strip()
            if code.startswith("#"):
                continue
            if re.match(r"^end\b", code) or (code.startswith("}") and not code.endswith("{")):
                events.append((m.start(), -1))
            elif (_ERB_OPEN.match(code) and not re.search(r"\bend$", code)) or _ERB_DO.search(code) \
                    or (code.endswith("{") and not code.startswith("}")):
                events.append((m.start(), 1))
    stacks, stack, k = [], [], 0
    for i in range(len(lines) + 1):
        while k < len(events) and events[k][0] < starts[i]:
            offset, step = events[k]
            if step > 0:
                stack.append(next(n for n in range(len(lines)) if starts[n + 1] > offset) + 1)
            elif stack:
                stack.pop()
            k += 1
        stacks.append(tuple(stack))
    return stacks


def _section_line(kind: str, lines: list[str], boundary: int, inserted: list[str]) -> int | None:
    """The 0-based line whose blocks an insertion before ``boundary`` must share: None for
    the top level of the file (outside every block)."""
    if kind == "postfix-master" and inserted and inserted[0][:1] in (" ", "\t"):
        for n in range(boundary - 1, -1, -1):  # the service entry the -o line continues
            if lines[n].strip() and lines[n][:1] not in (" ", "\t", "#") and not _TAG.fullmatch(lines[n].strip()):
                return n
    if kind == "dovecot":
        open_sections = []
        for n in range(boundary):
            code = _TAG.sub("", lines[n]).split("#", 1)[0].strip()
            if code.endswith("{"):
                open_sections.append(n)
            elif code.startswith("}") and open_sections:
                open_sections.pop()
        return open_sections[-1] if open_sections else None
    return None


def test_block_stacks_of_each_dialect() -> None:
    text = ("a = 1\n{% if x %}\nb = 2\n{% endif %}\nc = {% for h in hs %}{{ h }}{% endfor %}\n"
            "<% if @y -%>\nd\n<% end -%>\n{{ if eq .A \"b\" }}\ne\n{{ end }}\n<% $l.each |$v| { -%>\nf\n<% } -%>\n"
            "<% @l.each do |v| -%>\ng\n<% end -%>\n")
    stacks = _block_stacks(text)
    assert stacks[2] == (2,) and stacks[4] == () and stacks[5] == ()
    assert stacks[6] == (6,) and stacks[8] == ()
    assert stacks[9] == (9,) and stacks[11] == ()
    assert stacks[12] == (12,) and stacks[14] == ()
    assert stacks[15] == (15,) and stacks[17] == ()


def test_fixes_never_insert_inside_a_template_block(fixed: Fixed) -> None:
    kinds = {row["local_path"]: row["kind"] for row in corpus_manifest()}
    bad = []
    for rel in fixed.changed():
        old = (fixed.original / rel).read_text(encoding="utf-8", errors="surrogateescape")
        new = (fixed.base / "corpus" / rel).read_text(encoding="utf-8", errors="surrogateescape")
        old_lines, new_lines = old.split("\n"), new.split("\n")
        stacks = _block_stacks(old)
        ops = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes()
        for tag, i1, i2, j1, j2 in ops:
            if tag not in ("insert", "replace") or j2 - j1 <= i2 - i1:
                continue  # only new lines can land in a block they do not belong to
            inserted = new_lines[j1 + (i2 - i1):j2]
            section = _section_line(kinds.get(rel, ""), old_lines, i2, inserted)
            wanted = stacks[section] if section is not None else ()
            if stacks[i2] != wanted:
                blocks = ", ".join(f"line {n}" for n in stacks[i2] if n not in wanted)
                bad.append(f"corpus/{rel}:{i2 + 1}: inserted {inserted[0].strip()!r}... inside the template block "
                           f"opened at {blocks}")
    assert not bad, "fixes inserted lines inside template control blocks:\n  " + "\n  ".join(bad)


# --- the oracles still accept what they accepted ----------------------------------------------

def _postfix_accepts(kind: str, text: bytes, directory: Path) -> str | None:
    """None when postconf (and, for main.cf, postmap, which checks the global parameters)
    accept the file; otherwise their complaint."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    (directory / "main.cf").write_bytes(text if kind == "postfix-main" else b"")
    (directory / "master.cf").write_bytes(text if kind == "postfix-master" else b"")
    postconf = shutil.which("postconf") or "/usr/sbin/postconf"
    runs = [[postconf, "-c", str(directory), "-n"] if kind == "postfix-main" else [postconf, "-c", str(directory), "-M"]]
    if kind == "postfix-main":
        runs.append([shutil.which("postmap") or "/usr/sbin/postmap", "-q", "x", "static:y"])
    for args in runs:
        done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False,
                              env={**os.environ, "MAIL_CONFIG": str(directory), "LC_ALL": "C"})
        if done.returncode != 0 or "fatal:" in done.stderr:
            return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
    return None


def _dovecot_accepts(path: Path) -> str | None:
    doveconf = shutil.which("doveconf") or "/usr/bin/doveconf"
    done = subprocess.run([doveconf, "-n", "-c", str(path)], capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
    return None


@pytest.mark.oracle
def test_fixed_files_are_still_accepted_by_postconf_and_doveconf(fixed: Fixed, postconf: str, doveconf: str,
                                                                   tmp_path: Path) -> None:
    rows = {row["local_path"]: row["kind"] for row in corpus_manifest()}
    changed = fixed.changed()
    # a Dovecot file is judged through every Dovecot file of its repository (includes resolve there)
    dovecot_repos = {Path(rel).parts[0] for rel in changed if rows[rel] == "dovecot"}
    bad = []
    for rel, kind in sorted(rows.items()):
        if kind.startswith("postfix") and rel in changed:
            was = _postfix_accepts(kind, (fixed.original / rel).read_bytes(), tmp_path / "before")
            now = _postfix_accepts(kind, (fixed.base / "corpus" / rel).read_bytes(), tmp_path / "after")
        elif kind == "dovecot" and Path(rel).parts[0] in dovecot_repos:
            was, now = _dovecot_accepts(fixed.original / rel), _dovecot_accepts(fixed.base / "corpus" / rel)
        else:
            continue
        if was is None and now is not None:
            bad.append(f"corpus/{rel}: {now}")
    assert not bad, "fixed files the oracles accepted before are rejected now:\n  " + "\n  ".join(bad)
