"""What the README shows is what a user gets: its sample output, its example policy and
its counts come from the tool, not from memory."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from linter.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", README, flags=re.M | re.S)


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_the_first_lines_are_the_install_and_test_commands():
    first = _blocks("sh")[0].splitlines()
    assert first[0].endswith("pip install . && policy-lint examples/insecure")
    assert first[1].endswith("pip install -e '.[test]' && python -m pytest")
    # .ci/run runs that same test command after installing what it needs
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -q -e '.[test]'" in ci and ci.rstrip().endswith("python -m pytest")


def test_sample_output_is_what_the_insecure_example_gives(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    sample = next(b for b in _blocks("console") if b.startswith("$ policy-lint examples/insecure"))
    shown = [line for line in sample.splitlines()[1:] if line != "..."]
    status, out, _ = _run(capsys, "--no-cache", "--color", "never", "examples/insecure")
    assert status == 1
    lines = out.splitlines()
    for line in shown:
        assert line in lines, f"README shows a line the tool does not print: {line}"
    # in the tool's order
    assert [lines.index(line) for line in shown] == sorted(lines.index(line) for line in shown)


def test_hardened_example_is_clean(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    status, out, _ = _run(capsys, "--no-cache", "examples/hardened")
    assert status == 0, out


def test_example_policy_passes_its_own_tests(tmp_path, capsys):
    policy = next(b for b in _blocks("yaml") if "\npolicy: acme-mail\n" in b)
    path = tmp_path / "acme.yaml"
    path.write_text(policy, encoding="utf-8")
    status, out, err = _run(capsys, "test", "--no-cache", str(path))
    assert (status, out.strip(), err) == (0, "2 examples of 1 rule: all passed.", "")


def test_example_policy_finds_what_it_says_on_the_insecure_host(tmp_path, capsys, monkeypatch):
    policy = next(b for b in _blocks("yaml") if "\npolicy: acme-mail\n" in b)
    path = tmp_path / "acme.yaml"
    path.write_text(policy, encoding="utf-8")
    monkeypatch.chdir(ROOT)
    status, out, _ = _run(capsys, "--no-cache", "--no-builtin", "--policy", str(path), "examples/insecure")
    assert status == 1
    assert "AC101 queue_minfree is 0: less than twice message_size_limit (104857600)" in out


@pytest.mark.parametrize("claim", ["rules", "examples"])
def test_counts_of_the_builtin_pack(capsys, claim):
    from linter.policy.loader import load_policy

    policy = load_policy([], builtin=True)
    rules = [r for r in policy.rules]
    count = {"rules": len(rules), "examples": sum(len(r.examples) for r in rules)}[claim]
    numbers = {"rules": re.findall(r"(\d+) rules", README), "examples": re.findall(r"(\d+) examples", README)}[claim]
    assert numbers and all(int(n) == count for n in numbers), (claim, numbers, count)
