"""The Dovecot causes of the held-out precision run (C1, C2, C5 and DC316 of C8): each test is
the minimal reproduction of a wrong finding on a real repository (a config in,
``policy-lint check``, the output a user sees), judged against doveconf and the Dovecot
documentation."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from linter import cli


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    (tmp_path / ".policy-lint.yaml").write_text("{}\n", encoding="utf-8")  # stops the walk up
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def check(capsys, *argv: str) -> tuple[int, str, str]:
    """``policy-lint check ARGV`` in text: exit status, stdout, stderr."""
    status = cli.main(["check", *argv])
    out = capsys.readouterr()
    return status, out.out, out.err


# -- C1a: the 2.3 catalogue has the settings of Dovecot's plugin packages ------------------

MANAGESIEVE = """\
protocols = imap sieve
protocol sieve {
  managesieve_logout_format = bytes=%i/%o
}
"""


def test_c1a_managesieve_settings_are_known_to_the_23_catalogue(site, capsys):
    # mailcow dovecot.conf:192 was "error DC004 managesieve_logout_format: Unknown setting"
    write(site / "dovecot.conf", MANAGESIEVE)
    assert check(capsys, "dovecot.conf") == (0, "No findings in 1 file.\n", "")


def test_c1a_a_misspelt_managesieve_setting_is_still_unknown(site, capsys):
    write(site / "dovecot.conf", MANAGESIEVE.replace("logout_format", "logout_fromat"))
    status, out, _ = check(capsys, "dovecot.conf")
    assert status == 1
    assert "dovecot.conf:3:3: error DC004 managesieve_logout_fromat: Unknown setting" in out


def test_c1a_doveconf_with_managesieve_accepts_what_the_catalogue_accepts(site, doveconf):
    # the oracle: doveconf with dovecot-managesieved installed (.ci/run installs it)
    path = write(site / "dovecot.conf", MANAGESIEVE)
    result = subprocess.run([doveconf, "-n", "-c", str(path)], capture_output=True, text=True)
    if "Unknown setting: managesieve_logout_format" in result.stderr:
        pytest.skip("dovecot-managesieved is not installed on this machine (bash .ci/run installs it)")
    assert result.returncode == 0, result.stderr
