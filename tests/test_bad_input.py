"""Bad input never crashes and never changes a file (issue 6).

Every case runs the real command (``python -m linter``) in a temporary directory and
checks what a user sees: the exit status, a one-line ``path:line:col:`` (or ``path:``)
message, no traceback, and every file byte for byte and mtime as it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from linter.model import ConfigError
from linter.parsers import parse_file

ROOT = Path(__file__).resolve().parent.parent


def run(cwd: Path, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run([sys.executable, "-m", "linter", *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, errors="backslashreplace", timeout=timeout)


def snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Bytes, mtime and mode of every regular file under ``root`` (links not followed)."""
    state = {}
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            st = os.lstat(path)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as f:
                    state[path] = (f.read(), st.st_mtime_ns, st.st_mode)
    return state


def assert_clean_failure(result: subprocess.CompletedProcess, location: str, words: str) -> None:
    """Exit 2, a one-line error at ``location`` saying ``words``, and no traceback."""
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    assert result.returncode == 2, result.stderr
    # every error goes to stderr, in every format (issue 14 point 8)
    lines = [line for line in result.stderr.splitlines() if line.startswith(location)]
    assert any(words in line for line in lines), result.stdout + result.stderr


def assert_no_crash(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr


# -- configs that must be rejected with a located message ----------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "location", "words"),
    [
        ("main.cf", b"myhostname = mx\n\x00\x01\x02binary\n", "main.cf:2:1: error:", "binary file"),
        ("master.cf", b"smtp inet n - y - - smtpd\n  -o a=\x00b\n", "master.cf:2:8: error:", "NUL byte"),
        ("dovecot.conf", b"\x7fELF\x02\x01\x01\x00\x00\x00", "dovecot.conf:1:8: error:", "binary file"),
        ("master.cf", b"smtp inet n - y - - smtpd\nsubmission inet n -\n", "master.cf:2:1: error:",
         "bad field count"),
        ("master.cf", b"smtp inet n - y - -\n", "master.cf:1:1: error:", "bad field count"),
        ("dovecot.conf", b"service auth {\n  unix_listener x {\n    mode = 0600\n  }\n", "dovecot.conf:",
         "Missing '}'"),
        ("dovecot.conf", b"service auth {\n}\n}\n", "dovecot.conf:3:1: error:", "Unexpected '}'"),
    ],
    ids=["nul-main", "nul-master", "binary-dovecot", "master-short-entry", "master-no-command",
         "dovecot-unclosed", "dovecot-extra-brace"],
)
def test_rejected_config_gives_one_located_line(tmp_path: Path, name: str, content: bytes, location: str,
                                                words: str) -> None:
    (tmp_path / name).write_bytes(content)
    before = snapshot(tmp_path)
    for extra in ([], ["--fix", "--unsafe-fixes"], ["--diff"]):
        result = run(tmp_path, "--no-config", *extra, name)
        assert_clean_failure(result, location, words)
        assert snapshot(tmp_path) == before


def test_dovecot_include_cycle_is_reported_where_it_closes(tmp_path: Path) -> None:
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "dovecot.conf").write_bytes(b"protocols = imap\n!include conf.d/*.conf\n")
    (tmp_path / "conf.d" / "10-a.conf").write_bytes(b"!include 20-b.conf.ext\n")
    (tmp_path / "conf.d" / "20-b.conf.ext").write_bytes(b"!include ../dovecot.conf\n")
    before = snapshot(tmp_path)
    result = run(tmp_path, "--no-config", "--fix", "dovecot.conf")
    assert_clean_failure(result, "conf.d/20-b.conf.ext:1:1: error:", "Recursive include")
    assert snapshot(tmp_path) == before


def test_missing_optional_include_is_fine(tmp_path: Path) -> None:
    (tmp_path / "dovecot.conf").write_bytes(b"!include_try missing.conf\nprotocols = imap\n")
    result = run(tmp_path, "--no-config", "--select", "DC", "dovecot.conf")
    assert_no_crash(result)
    assert result.returncode in (0, 1)


def test_missing_include_is_one_note_and_the_rest_is_checked(tmp_path: Path) -> None:
    # issue 10 cause 9: a secrets file kept out of git left the whole Dovecot tree unchecked
    (tmp_path / "dovecot.conf").write_bytes(b"!include auth-sql.conf.ext\nservice auth {\n  unix_listener x {\n"
                                            b"    mode = 666\n  }\n}\n")
    for fmt in ("text", "json", "sarif"):
        result = run(tmp_path, "--no-config", "--select", "DC001", "--format", fmt, "dovecot.conf")
        assert_no_crash(result)
        assert result.returncode == 1, result.stderr  # a finding; the note is no error
        assert "DC001" in result.stdout
        notes = [line for line in result.stderr.splitlines() if "auth-sql.conf.ext" in line]
        assert notes == ["dovecot.conf:1:1: note: !include auth-sql.conf.ext: No matches (doveconf stops here; "
                         "a file kept out of the repository?): not checked, the rest is"]


def test_include_leaving_the_repository_is_not_read(tmp_path: Path) -> None:
    # issue 14 point 1: doveconf follows `!include ../x` and absolute includes; a repository
    # must not make the linter read (and attribute to itself) the runner's files
    (tmp_path / "repo").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "auth.conf").write_bytes(b"service auth {\n  unix_listener x {\n    mode = 660\n  }\n}\n")
    (tmp_path / "repo" / "dovecot.conf").write_bytes(b"!include ../outside/auth.conf\n!include /etc/passwd\n"
                                                     b"!include /etc/dovecot/conf.d/*.conf\nprotocols = imap\n")
    before = snapshot(tmp_path)
    result = run(tmp_path / "repo", "--no-config", "--select", "DC001", "--diff", "dovecot.conf")
    assert_no_crash(result)
    assert result.returncode == 0 and result.stdout == ""
    assert snapshot(tmp_path) == before
    result = run(tmp_path / "repo", "--no-config", "--select", "DC001", "dovecot.conf")
    assert result.returncode == 0 and "outside" not in result.stdout
    assert [line.split(": note: ")[0] for line in result.stderr.splitlines()] == [
        "dovecot.conf:1:1", "dovecot.conf:2:1", "dovecot.conf:3:1"]
    assert "outside the repository root" in result.stderr and "maps to no folder" in result.stderr
    # named on the command line, the outside file is checked: the user said so
    result = run(tmp_path / "repo", "--no-config", "--select", "DC001", "--as", "dovecot", "../outside/auth.conf")
    assert result.returncode == 1 and "auth.conf:3:" in result.stdout


# -- files that cannot be read ------------------------------------------------------------------


def test_fifo_is_refused_instead_of_blocking(tmp_path: Path) -> None:
    # a FIFO without a writer would block a reader forever (this test would time out)
    os.mkfifo(tmp_path / "main.cf")
    result = run(tmp_path, "--no-config", "main.cf", timeout=60)
    assert_clean_failure(result, "main.cf: error:", "not a regular file")
    result = run(tmp_path, "--no-config", "--no-builtin", "--policy", "main.cf", "--as", "postfix-main",
                 "/dev/null", timeout=60)
    assert_clean_failure(result, "main.cf:", "not a regular file")


def test_device_is_refused(tmp_path: Path) -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    result = run(tmp_path, "--no-config", "--as", "postfix-main", "/dev/zero", timeout=60)
    assert_clean_failure(result, "/dev/zero: error:", "not a regular file")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_mode_000(tmp_path: Path) -> None:
    path = tmp_path / "main.cf"
    path.write_bytes(b"myhostname = mx\n")
    path.chmod(0)
    try:
        result = run(tmp_path, "--no-config", "--fix", "main.cf")
        assert_clean_failure(result, "main.cf: error:", "Permission denied")
    finally:
        path.chmod(0o644)


def test_unreadable_file_reported_by_the_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # tests run as root, who reads anything: make the open itself fail as it would for a user
    path = tmp_path / "main.cf"
    path.write_bytes(b"myhostname = mx\n")
    real_open = os.open

    def refusing_open(p, flags, *args, **kwargs):
        if os.fspath(p) == str(path):
            raise PermissionError(13, "Permission denied", str(p))
        return real_open(p, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    with pytest.raises(ConfigError) as caught:
        parse_file(str(path))
    assert str(caught.value) == f"{path}: cannot read: Permission denied"


def test_directory_named_main_cf(tmp_path: Path) -> None:
    (tmp_path / "main.cf").mkdir()
    with pytest.raises(ConfigError, match="is a directory"):
        parse_file(str(tmp_path / "main.cf"))
    # on the command line a directory is walked: nothing in it, so a note and status 0
    result = run(tmp_path, "--no-config", "main.cf")
    assert_no_crash(result)
    assert result.returncode == 0
    assert "no Postfix or Dovecot config file found in main.cf" in result.stderr
    result = run(tmp_path, "--no-config", "--as", "postfix-main", "main.cf")
    assert_clean_failure(result, "policy-lint: error:", "main.cf is a directory")


def test_symlink_loop(tmp_path: Path) -> None:
    os.symlink("b.cf", tmp_path / "main.cf")
    os.symlink("main.cf", tmp_path / "b.cf")
    result = run(tmp_path, "--no-config", "main.cf")
    assert_clean_failure(result, "main.cf: error:", "symbolic link")
    # a directory link loop met while walking is skipped with a note
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "main.cf").write_bytes(b"myhostname = mx\n")
    os.symlink("..", tmp_path / "etc" / "up")
    result = run(tmp_path, "--no-config", "--select", "PF0", ".")
    assert_no_crash(result)
    assert result.returncode in (0, 1)
    assert "etc/up: note: skipped: symbolic link loop" in result.stderr
    # checking etc alone, the link leaves the repository root (etc): skipped as well
    result = run(tmp_path, "--no-config", "--select", "PF0", "etc")
    assert result.returncode in (0, 1)
    assert "etc/up: note: skipped: outside the repository root" in result.stderr


def test_missing_path(tmp_path: Path) -> None:
    result = run(tmp_path, "--no-config", "nope/main.cf")
    assert_clean_failure(result, "nope/main.cf: error:", "no such file")


# -- configs that must parse: Postfix does not care about encodings --------------------------------


LATIN1_MAIN = b"# r\xe9sum\xe9 of the caf\xe9 mail host\nmyhostname = caf\xe9.example\nsmtpd_client_connection_rate_limit = 0\n"


def test_latin1_bytes_parse_and_fixes_keep_them(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_bytes(LATIN1_MAIN)
    result = run(tmp_path, "--no-config", "--select", "PF101", "main.cf")
    assert_no_crash(result)
    assert result.returncode == 1
    assert "main.cf:3:" in result.stdout
    result = run(tmp_path, "--no-config", "--select", "PF101", "--fix", "--unsafe-fixes", "main.cf")
    assert_no_crash(result)
    after = (tmp_path / "main.cf").read_bytes()
    assert after.startswith(b"# r\xe9sum\xe9 of the caf\xe9 mail host\nmyhostname = caf\xe9.example\n")
    assert b"smtpd_client_connection_rate_limit = 0\n" not in after
    assert result.returncode == 0, result.stdout


def test_crlf_is_kept_by_fixes(tmp_path: Path) -> None:
    original = b"# header\r\nmyhostname = mx.example\r\nsmtpd_client_connection_rate_limit = 0\r\n"
    (tmp_path / "main.cf").write_bytes(original)
    result = run(tmp_path, "--no-config", "--select", "PF101", "--fix", "--unsafe-fixes", "main.cf")
    assert_no_crash(result)
    assert result.returncode == 0, result.stdout
    after = (tmp_path / "main.cf").read_bytes()
    assert after == b"# header\r\nmyhostname = mx.example\r\nsmtpd_client_connection_rate_limit = 30\r\n"


def test_bom_before_a_comment_is_fatal_like_postfix(tmp_path: Path) -> None:
    # postconf: "fatal: ./main.cf, line 1: missing '=' after attribute name" -- the BOM
    # makes the first line no comment; we say the same, located, and change nothing
    (tmp_path / "main.cf").write_bytes(b"\xef\xbb\xbf# header\r\nmyhostname = mx.example\r\n")
    before = snapshot(tmp_path)
    result = run(tmp_path, "--no-config", "--fix", "--unsafe-fixes", "main.cf")
    assert_clean_failure(result, "main.cf:1:1: error:", "missing '=' after attribute name")
    assert snapshot(tmp_path) == before


def test_bom_before_an_assignment_is_kept_by_fixes(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_bytes(b"\xef\xbb\xbfmyhostname = mx\r\nsmtpd_client_connection_rate_limit = 0\r\n")
    result = run(tmp_path, "--no-config", "--select", "PF101", "--fix", "--unsafe-fixes", "main.cf")
    assert_no_crash(result)
    assert (tmp_path / "main.cf").read_bytes() == (
        b"\xef\xbb\xbfmyhostname = mx\r\nsmtpd_client_connection_rate_limit = 30\r\n")


def test_empty_files(tmp_path: Path) -> None:
    for name in ("main.cf", "master.cf", "dovecot.conf"):
        (tmp_path / name).write_bytes(b"")
    before = snapshot(tmp_path)
    result = run(tmp_path, "--no-config", "--select", "PF0,DC0", "main.cf", "master.cf", "dovecot.conf")
    assert_no_crash(result)
    assert result.returncode in (0, 1)
    assert snapshot(tmp_path) == before


def test_one_megabyte_line(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_bytes(b"myhostname = " + b"a" * (1 << 20) + b"\nsmtpd_banner = $myhostname\n")
    result = run(tmp_path, "--no-config", "main.cf")
    assert_no_crash(result)
    assert result.returncode in (0, 1)
    document = parse_file(str(tmp_path / "main.cf"))
    assert [(a.name, len(a.value)) for a in document.entries] == [("myhostname", 1 << 20),
                                                                   ("smtpd_banner", len("$myhostname"))]


def test_fifty_megabyte_main_cf(tmp_path: Path) -> None:
    # a huge generated file (comments with an assignment every 100 lines) is checked
    # in a second or two; see docs/robustness.md for the all-assignments worst case
    comment = b"# " + b"c" * 77 + b"\n"
    block = comment * 99 + b"smtpd_banner = $myhostname ESMTP\n"
    count = (50 * 1024 * 1024) // len(block) + 1
    with open(tmp_path / "main.cf", "wb") as f:
        f.write(b"myhostname = mx.example.org\n")
        for _ in range(count):
            f.write(block)
    assert (tmp_path / "main.cf").stat().st_size >= 50 * 1024 * 1024
    before = snapshot(tmp_path)
    result = run(tmp_path, "--no-config", "--select", "PF0", "--format", "json", "main.cf", timeout=300)
    assert_no_crash(result)
    assert result.returncode == 1  # smtpd_banner set over and over: duplicates
    assert snapshot(tmp_path) == before


# -- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--bogus", "main.cf"], "unrecognized arguments: --bogus"),
        (["--diff", "--fix", "main.cf"], "--diff and --fix conflict"),
        (["--unsafe-fixes", "main.cf"], "--unsafe-fixes needs --fix or --diff"),
        (["--format", "xml", "main.cf"], "invalid choice"),
        (["--as", "sendmail", "main.cf"], "invalid choice"),
        (["--config", "x.yaml", "--no-config", "main.cf"], "--config and --no-config conflict"),
        (["explain"], "the following arguments are required"),
    ],
)
def test_usage_errors(tmp_path: Path, argv: list[str], words: str) -> None:
    (tmp_path / "main.cf").write_bytes(b"smtpd_client_connection_rate_limit = 0\n")
    before = snapshot(tmp_path)
    result = run(tmp_path, *argv)
    assert_clean_failure(result, "policy-lint: error:", words)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("content", "location", "words"),
    [
        (b"select: [PF1\n", ".policy-lint.yaml:", "invalid YAML"),
        (b"bogus_key: 1\n", ".policy-lint.yaml:1:1: error:", "unknown key 'bogus_key'"),
        (b"fail-on: loud\n", ".policy-lint.yaml:1:", "fail-on"),
        (b"\xff\xfe\x00s\x00e\x00l\x00", ".policy-lint.yaml: error:", "not UTF-8"),
        (b"params:\n  PF101:\n    a0: &a0 [x,x,x,x,x,x,x,x,x]\n"
         + b"".join(b"    a%d: &a%d [" % (i, i) + b",".join([b"*a%d" % (i - 1)] * 9) + b"]\n" for i in range(1, 10)),
         ".policy-lint.yaml:", "aliases are expanded"),
        (b"select: " + b"[" * 5000 + b"]" * 5000 + b"\n", ".policy-lint.yaml:1:", "nesting deeper"),
    ],
    ids=["yaml-syntax", "unknown-key", "bad-value", "not-utf8", "alias-bomb", "deep-nesting"],
)
def test_bad_project_config(tmp_path: Path, content: bytes, location: str, words: str) -> None:
    (tmp_path / ".policy-lint.yaml").write_bytes(content)
    (tmp_path / "main.cf").write_bytes(b"smtpd_client_connection_rate_limit = 0\n")
    before = snapshot(tmp_path)
    result = run(tmp_path, "--fix", "main.cf", timeout=60)
    assert_clean_failure(result, location, words)
    assert snapshot(tmp_path) == before


def test_config_and_baseline_that_cannot_be_read(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_bytes(b"myhostname = mx\n")
    os.mkfifo(tmp_path / "pipe.yaml")
    result = run(tmp_path, "--config", "pipe.yaml", "main.cf", timeout=60)
    assert_clean_failure(result, "pipe.yaml: error:", "config file not found")
    (tmp_path / "baseline.json").write_bytes(b"{not json")
    result = run(tmp_path, "--no-config", "--baseline", "baseline.json", "main.cf", timeout=60)
    assert_clean_failure(result, "baseline.json", "error")
