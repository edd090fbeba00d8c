"""Each check kind's docstring example runs: its ``check:`` (and ``let:``) as a rule, its
``fail::`` config gives a finding and its ``pass::`` config none (as pycodestyle runs
its docstrings).  The examples are what docs and a reader of the module see."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from linter.checks import KINDS
from linter.policy import load_policy
from linter.policytest import run_examples


def _blocks(doc: str) -> tuple[str, str, str]:
    """(the rule part, the fail config, the pass config) of a kind's docstring."""
    parts = re.split(r"^(fail\b.*::|pass\b.*::)$", doc, flags=re.M)
    rule_part = parts[0].rstrip().split("\n\n")[-1]
    return textwrap.dedent(rule_part), textwrap.dedent(parts[2]).strip("\n") + "\n", \
        textwrap.dedent(parts[4]).strip("\n") + "\n"


def _is_dovecot(text: str) -> bool:
    return "{" in text and "}" in text and "$" not in text


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_docstring_example_of_each_kind_runs(kind: str, tmp_path: Path) -> None:
    rule_part, bad, good = _blocks(KINDS[kind].__doc__)
    if kind != "syntax":  # whose example is a trailing comment, the mistake PF001 reports
        assert not re.search(r"\S[ \t]+#", bad + good), "a '#' after a value is part of the value in main.cf"
    dovecot = _is_dovecot(bad) or _is_dovecot(good)
    name = "dovecot.conf" if dovecot else "main.cf"
    rule = (f"id: TX001\nname: docstring-example\nscope: {'dovecot' if dovecot else 'postfix-main'}\n"
            f"message: \"{kind} example\"\n{rule_part}\n"
            f"examples:\n  - bad: {{{name}: {json.dumps(bad)}}}\n  - good: {{{name}: {json.dumps(good)}}}\n")
    policy_file = tmp_path / "doc.yaml"
    policy_file.write_text("policy: doc\nrules:\n" + textwrap.indent(rule, "  ", lambda line: True)
                           .replace("  id:", "- id:", 1), encoding="utf-8")
    policy = load_policy([str(policy_file)], builtin=False)
    results = run_examples(policy, ["TX001"])
    assert [r.ok for r in results] == [True, True], [f"{r.name}: {r.detail}" for r in results]
