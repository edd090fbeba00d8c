"""Property tests for the fix loop on generated configs with the built-in pack (issue 6).

Configs are drawn from the lines of ``examples/insecure`` and ``examples/hardened``
(so the built-in rules find things to fix) mixed with noise: comments, continuation
lines, duplicates, CRLF, Latin-1 bytes, no final newline.  With every fix applied
(``--unsafe-fixes``):

* fixing twice is fixing once: the second run changes nothing;
* every byte outside the edited ranges is kept, in order;
* what postconf / doveconf accepted before the fix they still accept, with no new
  warning or fatal error.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from linter.diagnostics import Applicability
from linter.engine import check
from linter.fixer import fix_files
from linter.model import decode
from linter.options import Options
from linter.policy import load_policy
from linter.suppressions import apply_suppressions
from tests.conftest import ROOT
from tests.test_oracle_postfix import run_postconf, write_config

EXAMPLES = ROOT / "examples"
ORACLE_EXAMPLES = int(os.environ.get("POLICY_LINT_ORACLE_EXAMPLES", "60"))
PROPERTY = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
ORACLE = settings(max_examples=ORACLE_EXAMPLES, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

POLICY = load_policy([])


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


MAIN_LINES = sorted(set(_lines(EXAMPLES / "insecure/main.cf") + _lines(EXAMPLES / "hardened/main.cf")))
MASTER_LINES = sorted(set(_lines(EXAMPLES / "insecure/master.cf") + _lines(EXAMPLES / "hardened/master.cf")))
NOISE = ["# a comment", "", "  # indented comment", "#\udce9 latin-1 comment", "  continued", "\t-o x=y"]


@st.composite
def postfix_text(draw, pool: list[str]) -> str:
    lines = draw(st.lists(st.sampled_from(pool + NOISE), max_size=14))
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    return newline.join(lines) + draw(st.sampled_from([newline, newline, ""]))


DOVECOT_BLOCKS = [
    ["protocols = imap pop3"], ["listen = *, ::"], ["ssl = no"], ["ssl = required"], ["disable_plaintext_auth = no"],
    ["disable_plaintext_auth = yes"], ["auth_mechanisms = plain login"], ["auth_mechanisms = plain"],
    ["mail_location = mbox:~/mail:INBOX=/var/mail/%u"], ["# comment"], [""], ["login_greeting = \"x # y\" # c"],
    ["passdb {", "  driver = pam", "}"], ["userdb {", "  driver = passwd", "}"],
    ["service auth {", "  unix_listener /var/spool/postfix/private/auth {", "    mode = 666", "  }", "}"],
    ["service auth {", "  unix_listener /var/spool/postfix/private/auth {", "    mode = 0660",
     "    user = postfix", "    group = postfix", "  }", "}"],
    ["service auth {", "  unix_listener auth-userdb {", "    mode = 0600", "  }", "}"],
    ["service imap-login {", "  inet_listener imap {", "    port = 143", "  }", "}"],
    ["protocol imap {", "  mail_plugins = $mail_plugins imap_quota", "}"],
]


@st.composite
def dovecot_text(draw) -> str:
    lines = [line for block in draw(st.lists(st.sampled_from(DOVECOT_BLOCKS), max_size=8)) for line in block]
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    return newline.join(lines) + draw(st.sampled_from([newline, newline, ""]))


def write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8", "surrogateescape"))


def fix(directory: Path, names: list[str], max_passes: int = 10):
    files = [str(directory / name) for name in names]

    def run(paths):
        return apply_suppressions(check(list(paths), POLICY, Options()))

    return fix_files(run(files), Applicability.UNSAFE, run, write=True, max_passes=max_passes)


def tree_bytes(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


# -- idempotence and kept bytes -------------------------------------------------------------


@PROPERTY
@given(main_cf=postfix_text(MAIN_LINES), master_cf=postfix_text(MASTER_LINES), dovecot_conf=dovecot_text())
def test_fixing_twice_changes_nothing_the_second_time(main_cf, master_cf, dovecot_conf):
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        write(directory / "main.cf", main_cf)
        write(directory / "master.cf", master_cf)
        write(directory / "dovecot.conf", dovecot_conf)
        names = ["main.cf", "master.cf", "dovecot.conf"]
        first = fix(directory, names)
        event(f"first run changed {len(first.changed)} file(s)")
        once = tree_bytes(directory)
        again = fix(directory, names)
        assert again.changed == {}, again.diff
        assert tree_bytes(directory) == once


def _offset(starts: list[int], size: int, line: int, column: int) -> int:
    if line > len(starts):
        return size
    end = starts[line] - 1 if line < len(starts) else size
    return min(starts[line - 1] + column - 1, end)


def kept_segments(text: str, ranges: list[tuple[int, int, int, int]]) -> list[str]:
    """The parts of ``text`` outside every (line, column, end_line, end_column) range."""
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    offsets = sorted((_offset(starts, len(text), a, b), _offset(starts, len(text), c, d)) for a, b, c, d in ranges)
    segments, position = [], 0
    for begin, end in offsets:
        segments.append(text[position:max(begin, position)])
        position = max(position, end)
    segments.append(text[position:])
    return segments


def assert_kept(old: str, new: str, segments: list[str]) -> None:
    """``new`` starts with the first segment, ends with the last, and holds all in order."""
    assert new.startswith(segments[0]) and new.endswith(segments[-1]), (old, new)
    position = len(segments[0])
    for segment in segments[1:-1]:
        found = new.find(segment, position)
        assert found >= 0, f"{segment!r} lost: {old!r} -> {new!r}"
        position = found + len(segment)
    assert position <= len(new) - len(segments[-1]), (old, new)


@PROPERTY
@given(main_cf=postfix_text(MAIN_LINES), master_cf=postfix_text(MASTER_LINES), dovecot_conf=dovecot_text())
def test_bytes_outside_the_edits_are_kept(main_cf, master_cf, dovecot_conf):
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        texts = {"main.cf": main_cf, "master.cf": master_cf, "dovecot.conf": dovecot_conf}
        for name, text in texts.items():
            write(directory / name, text)
        # one pass: every applied edit is relative to the text as written
        outcome = fix(directory, list(texts), max_passes=1)
        event(f"{min(len(outcome.applied), 5)}{'+' if len(outcome.applied) >= 5 else ''} fixes applied")
        for name, text in texts.items():
            path = str(directory / name)
            new = decode((directory / name).read_bytes(), path)
            ranges = [(e.span.line, e.span.column, e.span.end_line, e.span.end_column)
                      for d in outcome.applied for e in d.fix.edits if e.span.path == path]
            if not ranges:
                assert new == text
                continue
            assert_kept(text, new, kept_segments(text, ranges))


def test_the_generators_give_the_fixer_work():
    """The properties above are not vacuous: a drawn config has fixes, and they are kept apart."""
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        write(directory / "main.cf", "# keep\r\nmynetworks = 127.0.0.0/8 # localhost only\r\n#\udce9\r\n"
                                     "default_process_limit = 2000")
        write(directory / "master.cf", "")
        outcome = fix(directory, ["main.cf", "master.cf"], max_passes=1)
        assert outcome.applied
        new = (directory / "main.cf").read_bytes()
        assert new.startswith(b"# keep\r\nmynetworks = 127.0.0.0/8\r\n#\xe9\r\n") and b"2000" not in new
    assert kept_segments("ab\ncd\n", [(1, 2, 2, 2)]) == ["a", "d\n"]
    with pytest.raises(AssertionError):
        assert_kept("ab\ncd\n", "a\nX\n", ["a", "d\n"])


# -- the oracles still accept the fixed files ------------------------------------------------

_UNUSED_VALUE = re.compile(r"(unused parameter: [^=]*)=.*")
_LINE_NUMBER = re.compile(r"(line \d+|line: \d+|:\d+)")


def _messages(stderr: str, kinds: tuple[str, ...]) -> set[str]:
    """The warning/fatal lines, without line numbers (fixes move lines) and without the
    value in "unused parameter: name=value" (a fix may change the value of a parameter
    postconf already warned about: the same warning, not a new one)."""
    return {_UNUSED_VALUE.sub(r"\1", _LINE_NUMBER.sub("line N", line)) for line in stderr.splitlines()
            if any(k in line for k in kinds)}


def postconf_view(postconf: str, directory: Path, main_cf: str, master_cf: str) -> tuple[bool, set[str]]:
    write_config(directory, main_cf, master_cf)  # backdated: postconf reads it at once
    accepted, messages = True, set()
    for args in (["-n"], ["-M"]):
        result = run_postconf(postconf, directory, *args)
        stderr = result.stderr.decode("utf-8", "surrogateescape")
        accepted = accepted and result.returncode == 0 and "fatal" not in stderr
        messages |= _messages(stderr, ("warning", "fatal"))
    return accepted, messages


@pytest.mark.oracle
@ORACLE
@given(main_cf=postfix_text(MAIN_LINES), master_cf=postfix_text(MASTER_LINES))
# the fix of an accidental continuation changes the value of a typo'd parameter postconf warned about
@example(main_cf="smtpd_client_mesage_rate_limit = 100\n    smtpd_helo_required = yes\n", master_cf="\n")
def test_fixed_postfix_files_are_still_accepted_by_postconf(main_cf, master_cf, postconf):
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        accepted, before = postconf_view(postconf, directory, main_cf, master_cf)
        event(f"postconf accepts the input: {accepted}")
        if not accepted:
            return
        outcome = fix(directory, ["main.cf", "master.cf"])
        event(f"accepted input, fixes applied: {bool(outcome.applied)}")
        fixed = {name: decode((directory / name).read_bytes(), name) for name in ("main.cf", "master.cf")}
        accepted, after = postconf_view(postconf, directory, fixed["main.cf"], fixed["master.cf"])
        assert accepted, outcome.diff
        assert after <= before, f"new messages {after - before}\n{outcome.diff}"


def doveconf_view(doveconf: str, path: Path) -> tuple[bool, set[str]]:
    result = subprocess.run([doveconf, "-n", "-c", str(path)], capture_output=True, timeout=30, check=False)
    stderr = result.stderr.decode("utf-8", "surrogateescape")
    return result.returncode == 0, _messages(stderr, ("Warning", "Error", "Fatal"))


@pytest.mark.oracle
@ORACLE
@given(dovecot_conf=dovecot_text())
def test_fixed_dovecot_files_are_still_accepted_by_doveconf(dovecot_conf, doveconf):
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        path = directory / "dovecot.conf"
        write(path, dovecot_conf)
        accepted, before = doveconf_view(doveconf, path)
        event(f"doveconf accepts the input: {accepted}")
        if not accepted:
            return
        outcome = fix(directory, ["dovecot.conf"])
        event(f"accepted input, fixes applied: {bool(outcome.applied)}")
        accepted, after = doveconf_view(doveconf, path)
        assert accepted, outcome.diff
        assert after <= before, f"new messages {after - before}\n{outcome.diff}"
