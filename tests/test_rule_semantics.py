"""Issue 10, the rule-semantics causes: each test is the minimal reproduction of a finding
the built-in pack gave on a real configuration (a config in, ``policy-lint check``, the
output), judged against postconf(5) and what the daemons do."""

from __future__ import annotations

import json
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


def findings(capsys, *argv: str) -> list[dict]:
    """The built-in pack's findings as JSON objects."""
    cli.main(["check", "--format", "json", *argv])
    return json.loads(capsys.readouterr().out)


def rules(capsys, *argv: str) -> list[str]:
    return sorted(f["rule"] for f in findings(capsys, *argv))


# -- cause 1: PF106 on the default --------------------------------------------------------


def test_pf106_default_queue_minfree_already_means_one_and_a_half_message_sizes(site, capsys):
    # postconf(5): "By default, the Postfix SMTP server rejects MAIL FROM commands when
    # the amount of free space is less than 1.5*$message_size_limit"
    write(site / "main.cf", "message_size_limit = 52428800\n")
    assert "PF106" not in rules(capsys, "main.cf")
    write(site / "main.cf", "message_size_limit = 52428800\nqueue_minfree = 0\n")
    assert "PF106" not in rules(capsys, "main.cf")


def test_pf106_explicit_floor_below_one_and_a_half_message_sizes(site, capsys):
    write(site / "main.cf", "message_size_limit = 52428800\nqueue_minfree = 20480000\n")
    found = [f for f in findings(capsys, "main.cf") if f["rule"] == "PF106"]
    assert [(f["line"], f["message"]) for f in found] == [
        (2, "queue_minfree is 20480000, less than 1.5 x message_size_limit (52428800)")]
