"""Safe on untrusted pull requests (issue 14): each attack reproduced, and the defence shown.

Every case runs the real command (``python -m linter``) on a repository an attacker
wrote, as CI runs it, and checks what reaches the runner: which files were read or
changed, what was printed, the exit status.  docs/robustness.md maps each defence to
its tests.
"""

from __future__ import annotations

import json
import marshal
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # raw controls a terminal or log acts on (TAB, LF fine)
OUR_COMMANDS = re.compile(r"::(error|warning|notice) file=")


def run(cwd: Path, *argv: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    environment = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT), **(env or {})}
    if not (env or {}).get("GITHUB_ACTIONS"):
        environment.pop("GITHUB_ACTIONS", None)
    return subprocess.run([sys.executable, "-m", "linter", *argv], cwd=cwd, env=environment, capture_output=True,
                          text=True, errors="surrogateescape", timeout=timeout)


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    path.write_bytes(data)
    return path


def no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr


# -- 3: include fan-out -----------------------------------------------------------------------------


def test_include_fan_out_finishes_at_once_with_a_located_error(tmp_path: Path) -> None:
    # 48 files, each including the 4 files of the next level: 4**12 reads without a bound
    write(tmp_path / "dovecot.conf", "!include l0/*.conf\n")
    for level in range(12):
        for i in range(4):
            write(tmp_path / f"l{level}" / f"f{i}.conf", f"k{level}{i} = v\n"
                  + (f"!include ../l{level + 1}/*.conf\n" if level < 11 else ""))
    result = run(tmp_path, "--no-config", "dovecot.conf", timeout=60)
    no_traceback(result)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert re.match(r"l0/\.\./.*f\d\.conf:2:1: error: include limit: more than 1000 files included from "
                    r"dovecot\.conf", line), line


# -- 5: injection through file names, values and unparsable lines --------------------------------------


EVIL_NAME = "x\n::add-mask::secret\n::error file=a.cf::pwned\x1b[2J\x9b31m"


@pytest.fixture
def evil_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    # a value with escape sequences, in a file whose name holds newlines and workflow commands
    write(repo / EVIL_NAME / "main.cf", "smtpd_banner = $myhostname \x1b[2J\x1b[HNo findings.\x07\n"
                                        "smtpd_tls_security_level = none\n")
    write(repo / "x" / "dovecot.conf", "!include \x1b]0;title\x07::error::x.conf\nprotocols = imap\n")
    write(repo / "y" / "main.cf", "\x1b[2J\x9b31m bogus\n")  # a line postconf rejects
    return repo


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_no_control_character_from_inputs_reaches_any_output(evil_repo: Path, fmt: str) -> None:
    result = run(evil_repo, "--no-config", "--format", fmt, ".")
    no_traceback(result)
    assert result.returncode == 2  # y/main.cf does not parse
    for stream in (result.stdout, result.stderr):
        assert not CONTROL.search(stream), CONTROL.search(stream)
    assert "auth-sql" not in result.stdout
    if fmt in ("json", "sarif"):
        json.loads(result.stdout)


@pytest.mark.parametrize("fmt", ["github", "text", "json"])
def test_under_github_actions_no_input_can_start_a_workflow_command(evil_repo: Path, fmt: str) -> None:
    result = run(evil_repo, "--no-config", "--format", fmt, "--diff", ".", env={"GITHUB_ACTIONS": "true"})
    no_traceback(result)
    result2 = run(evil_repo, "--no-config", "--format", fmt, ".", env={"GITHUB_ACTIONS": "true"})
    for stream in (result.stdout, result.stderr, result2.stdout, result2.stderr):
        for line in stream.splitlines():
            if line.lstrip().startswith("::"):
                assert OUR_COMMANDS.match(line), line  # ours, with every property and message escaped
                assert "::add-mask" not in line and "\n" not in line
            assert "##[" not in line


# -- 8: the error contract ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
@pytest.mark.parametrize("case", ["missing", "unparsable", "unreadable-name"])
def test_every_format_says_why_it_exits_2(tmp_path: Path, fmt: str, case: str) -> None:
    write(tmp_path / "main.cf", "smtpd_tls_security_level = none\n")
    if case == "missing":
        target = "nope/main.cf"
    elif case == "unparsable":
        target = str(write(tmp_path / "bad" / "master.cf", "smtp inet n - y - -\n").relative_to(tmp_path))
    else:  # a non-UTF-8 file name (it crashed --format sarif)
        target = os.fsdecode(b"caf\xe9/main.cf")
        write(tmp_path / target, "smtpd_tls_security_level = none\n\x00")
    result = run(tmp_path, "--no-config", "--format", fmt, "main.cf", target)
    no_traceback(result)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1, result.stderr  # the message is on stderr, in every format
    shown = os.fsencode(target).decode("utf-8", "backslashreplace")
    assert shown.split("/")[0] in errors[0] or "caf" in errors[0]
    if fmt == "json":
        entries = json.loads(result.stdout)
        (error,) = [d for d in entries if d.get("kind") == "input-error"]  # JSON carries the error too
        assert error["rule"] is None and error["severity"] == "error" and error["fix"] is None
        assert error["message"] in errors[0] and error["path"].split("/")[0] in (target.split("/")[0], "caf\\xe9")
        if case == "unparsable":
            assert [error["line"], error["column"]] == [int(n) for n in errors[0].split(":")[1:3]]  # as on stderr
        assert [d["rule"] for d in entries if d is not error]  # the findings of main.cf are still there
    if fmt == "sarif":
        (run_,) = json.loads(result.stdout)["runs"]
        (invocation,) = run_["invocations"]
        assert invocation["executionSuccessful"] is False
        (notification,) = [n for n in invocation["toolExecutionNotifications"] if n["level"] == "error"]
        assert notification["message"]["text"]
        assert run_["results"]
    if fmt == "text":
        assert ": error: " not in result.stdout and result.stdout.splitlines()[-1].startswith("1 error")
    if fmt == "github":
        assert errors[0].startswith("::error file=")


# -- 2: writes outside the repository -------------------------------------------------------------------


def test_fix_does_not_write_through_a_symlink_leaving_the_repository(tmp_path: Path) -> None:
    victim = write(tmp_path / "outside" / "main.cf", "smtpd_tls_security_level = none\n")
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "main.cf").symlink_to(victim)
    before = victim.read_bytes()
    # walking the repository, the link is not even read
    result = run(tmp_path / "repo", "--no-config", "--fix", ".")
    no_traceback(result)
    assert "main.cf: note: skipped: outside the repository root" in result.stderr
    assert victim.read_bytes() == before
    # named on the command line it is read (the user said so), but not written through
    result = run(tmp_path / "repo", "--no-config", "--fix", "--unsafe-fixes", "main.cf")
    no_traceback(result)
    assert result.returncode == 2
    assert f"main.cf: error: a symbolic link to {victim}, outside the repository root: not written" in result.stderr
    assert victim.read_bytes() == before and (tmp_path / "repo" / "main.cf").is_symlink()


def test_output_replaces_a_planted_symlink_instead_of_following_it(tmp_path: Path) -> None:
    victim = write(tmp_path / "victim.txt", "precious\n")
    repo = tmp_path / "repo"
    write(repo / "main.cf", "smtpd_tls_security_level = none\n")
    (repo / "report.json").symlink_to(victim)
    result = run(repo, "--no-config", "--format", "json", "--output", "report.json", "main.cf")
    no_traceback(result)
    assert result.returncode == 1
    assert victim.read_text() == "precious\n"
    assert not (repo / "report.json").is_symlink() and json.loads((repo / "report.json").read_text())


@pytest.mark.parametrize(("key", "text"), [
    ("policies", "policies: [../outside/policy.yaml]\n"),
    ("hosts", "hosts:\n  - main: ../outside/main.cf\n"),
    ("baseline", "baseline: ../outside/baseline.json\n"),
    ("roots", "roots:\n  /usr/share/dovecot: ../outside\n"),
])
def test_a_repository_config_cannot_name_files_outside_the_repository(tmp_path: Path, key: str, text: str) -> None:
    write(tmp_path / "outside" / "policy.yaml", "rules: []\n")
    write(tmp_path / "outside" / "baseline.json", '{"version": 1, "findings": []}\n')
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)  # the repository root is the git top level
    write(repo / ".policy-lint.yaml", text)
    write(repo / "postfix" / "main.cf", "smtpd_tls_security_level = none\n")
    result = run(repo / "postfix", "main.cf")
    no_traceback(result)
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{repo}/.policy-lint.yaml:") or line.startswith("../.policy-lint.yaml:"), line
    assert f"is outside the repository {repo}" in line and key in line
    # a symbolic link inside the repository leading out of it is outside too
    (repo / "link").symlink_to(tmp_path / "outside")
    write(repo / ".policy-lint.yaml", text.replace("../outside", "link"))
    result = run(repo / "postfix", "main.cf")
    assert result.returncode == 2 and "a symbolic link to" in result.stderr


# -- 4 and 7: stale edits and files the user may not replace ----------------------------------------------


def test_a_file_saved_after_the_check_is_not_edited_at_stale_positions(tmp_path: Path, monkeypatch, capsys) -> None:
    from linter import cli, fixer

    path = write(tmp_path / "main.cf", "smtpd_tls_security_level = none\n")
    real_fix_files = fixer.fix_files

    def save_meanwhile(*args, **kwargs):  # an editor saves between the check and the fix
        path.write_text("# a line added above\nsmtpd_tls_security_level = none\n")
        return real_fix_files(*args, **kwargs)

    monkeypatch.setattr(fixer, "fix_files", save_meanwhile)
    monkeypatch.chdir(tmp_path)
    status = cli.main(["--no-config", "--select", "PF", "--fix", "--unsafe-fixes", "main.cf"])
    err = capsys.readouterr().err
    assert status == 2
    assert "main.cf: error: changed since it was checked (or while): not fixed" in err
    assert path.read_text() == "# a line added above\nsmtpd_tls_security_level = none\n"


def test_a_read_only_file_is_not_replaced_even_as_root(tmp_path: Path) -> None:
    path = write(tmp_path / "main.cf", "smtpd_tls_security_level = none\n")
    path.chmod(0o444)
    result = run(tmp_path, "--no-config", "--fix", "--unsafe-fixes", "main.cf")
    no_traceback(result)
    assert result.returncode == 2
    assert "main.cf: error: read-only (mode 0444): not written" in result.stderr
    assert path.read_text() == "smtpd_tls_security_level = none\n" and (path.stat().st_mode & 0o777) == 0o444


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a file away needs root")
def test_another_users_file_is_not_replaced(tmp_path: Path) -> None:
    path = write(tmp_path / "main.cf", "smtpd_tls_security_level = none\n")
    os.chown(path, 12345, 12345)
    result = run(tmp_path, "--no-config", "--fix", "--unsafe-fixes", "main.cf")
    no_traceback(result)
    assert result.returncode == 2
    assert "main.cf: error: owned by uid 12345, not by the user fixing it (uid 0): not written" in result.stderr
    assert path.stat().st_uid == 12345 and path.read_text() == "smtpd_tls_security_level = none\n"


# -- 9: large input stays linear ------------------------------------------------------------------------


def _check_counting(tmp_path: Path, name: str, text: str, target: str, attribute: str, monkeypatch) -> tuple[int, list]:
    """Check one file in-process, counting the calls of ``target.attribute``."""
    import importlib

    from linter.engine import check
    from linter.options import Options
    from linter.policy import load_policy

    module = importlib.import_module(target)
    real = getattr(module, attribute)
    calls = []

    def counting(*args, **kwargs):
        calls.append(args[:1])
        return real(*args, **kwargs)

    monkeypatch.setattr(module, attribute, counting)
    write(tmp_path / name, text)
    report = check([str(tmp_path / name)], load_policy([], builtin=True), Options())
    return len(calls), list(report.diagnostics)


def test_did_you_mean_is_bounded_per_file(tmp_path: Path, monkeypatch) -> None:
    # a 5 MB main.cf of unknown names took about 50 s: each compared with the whole catalogue
    from linter.checks.unknown_directive import MAX_SUGGESTIONS_PER_FILE

    text = ("smtpd_bannr = x\n" + "".join(f"unknown_param_{i:05d} = {i}\n" for i in range(3000))
            + "myhostnam = x\n")
    calls, found = _check_counting(tmp_path, "main.cf", text, "linter.catalog", "_suggest", monkeypatch)
    assert calls == MAX_SUGGESTIONS_PER_FILE  # not 3002
    unknown = sorted((d for d in found if d.rule == "PF004"), key=lambda d: d.span.line)
    assert len(unknown) == 3002  # every unknown name is still reported
    assert "did you mean smtpd_banner" in unknown[0].message and "did you mean" not in unknown[-1].message


def test_dovecot_duplicates_read_each_file_once(tmp_path: Path, monkeypatch) -> None:
    # 20 000 duplicate lines read the whole file back for every pair: minutes
    text = "protocols = imap\n" * 2000
    calls, found = _check_counting(tmp_path, "dovecot.conf", text, "linter.parsers", "read_text", monkeypatch)
    assert calls <= 5, calls  # the parse, and the duplicate check once (not once per pair)
    assert len([d for d in found if d.rule == "DC003"]) == 1999


# -- 6: cache trust -----------------------------------------------------------------------------------------


def test_a_planted_cache_entry_is_not_trusted(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {"POLICY_LINT_CACHE_DIR": str(cache), "TMPDIR": str(temporary)}
    first = run(tmp_path, "test", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    (entry,) = cache.glob("policy-*.bin")
    original = entry.read_bytes()
    header, _, body = original.partition(b"\n")
    length = int(header.split(b" ")[4])
    data, examples_part = body[:length], body[length:]  # the policy, then its rules' examples
    examples = marshal.loads(examples_part)
    example = examples[0][0]  # the first rule's first example
    example["files"][0][0] = "../planted.pth"  # policy-lint test would write it next to its temporary directory
    tampered = data + marshal.dumps(examples)
    entry.write_bytes(header + b"\n" + tampered)
    planted = temporary / "planted.pth"

    # a directory others can write: the cache is not used (compiled afresh: every example passes)
    cache.chmod(0o777)
    result = run(tmp_path, "test", env=env)
    no_traceback(result)
    assert result.returncode == 0 and not planted.exists(), result.stdout
    assert entry.read_bytes() == header + b"\n" + tampered  # and nothing written into it
    cache.chmod(0o700)
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # an entry of another user: not used
        os.chown(entry, 12345, 12345)
        result = run(tmp_path, "test", env=env)
        assert result.returncode == 0 and not planted.exists(), result.stdout
    # an entry of the user's own, edited: its data no longer matches the digest written with
    # it, so it is a miss (compiled afresh, every example passes) and rewritten
    entry.write_bytes(header + b"\n" + tampered)
    result = run(tmp_path, "test", env=env)
    no_traceback(result)
    assert result.returncode == 0 and not planted.exists(), result.stdout
    assert entry.read_bytes() == original
    # edited with a matching digest (as only the user could): what it says is checked again
    # where it acts
    from linter.store import _hash

    fields = header.split(b" ")
    fields[5] = _hash(tampered).hexdigest().encode("ascii")
    entry.write_bytes(b" ".join(fields) + b"\n" + tampered)
    result = run(tmp_path, "test", env=env)
    no_traceback(result)
    assert not planted.exists() and not list(temporary.iterdir())
    assert result.returncode == 1
    assert "example file name '../planted.pth' is not a relative path inside the example" in result.stdout


def test_the_confinement_resolves_paths_as_realpath_does(tmp_path, monkeypatch):
    # a run's confinement resolves each path once (its directory's real path and its name,
    # unless the name is a link): the same answer as os.path.realpath, links included
    from linter import confine

    repo, outside = tmp_path / "repo", tmp_path / "outside"
    (repo / "etc" / "postfix").mkdir(parents=True)
    outside.mkdir()
    (repo / "etc" / "postfix" / "main.cf").write_text("x = 1\n", encoding="utf-8")
    (outside / "master.cf").write_text("", encoding="utf-8")
    (repo / "etc" / "postfix" / "master.cf").symlink_to(outside / "master.cf")
    (repo / "linked").symlink_to(repo / "etc" / "postfix")
    (repo / "away").symlink_to(outside)
    monkeypatch.chdir(repo)
    c = confine.Confinement((os.path.realpath(repo),))
    paths = ["etc/postfix/main.cf", "etc/postfix/master.cf", "linked/main.cf", "linked/master.cf",
             "away/master.cf", "linked/../etc/postfix/main.cf", "./linked/./main.cf", "etc/postfix/missing.cf",
             str(repo / "linked" / "main.cf"), "linked", "away", "."]
    for path in paths * 2:  # the second time from what the first resolved
        assert c._real(path) == os.path.realpath(path), path
    assert [c.may_read(p) for p in paths] == [True, False, True, False, False, True, True, True, True, True, False,
                                              True]
