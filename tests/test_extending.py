"""docs/extending.md's recipes, run as written: a new check kind is one module plus one
registration, and the names and files the recipe points at exist."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pytest

import linter.checks
from linter.checks import KINDS, declaration_problems, register, unregister
from linter.engine import check
from linter.options import Options
from linter.policy import PolicyError, load_policy
from linter.policy.kinds import docs_table, schema
from linter.policytest import run_examples

ROOT = Path(__file__).resolve().parent.parent
RECIPE = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")
SECTION = RECIPE[RECIPE.index("## Adding a check kind"):].split("\n## ")[0]  # up to the next recipe


def _block(language: str) -> str:
    (block,) = re.findall(rf"```{language}\n(.*?)```", SECTION, re.S)
    return block


@pytest.fixture
def max_length(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The recipe's module, written into a temporary package and registered as it says."""
    package = tmp_path / "site_kinds"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "max_length.py").write_text(_block("python"), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("site_kinds.max_length")
    register(module)
    yield module
    unregister(module.KIND)
    for name in ("site_kinds.max_length", "site_kinds"):
        sys.modules.pop(name, None)


def test_the_recipe_module_is_a_complete_declaration(max_length) -> None:
    assert declaration_problems(max_length) == []
    assert KINDS["max-length"] is max_length
    check = schema()["$defs"]["rule"]["properties"]["check"]
    assert "max-length" in check["properties"]["kind"]["enum"]  # the schema takes it at once
    assert "| `max-length` | `directive`, `max_length` |" in docs_table()


def test_a_policy_using_the_recipe_kind_runs(max_length, tmp_path: Path) -> None:
    policy_file = tmp_path / "site.yaml"
    policy_file.write_text(_block("yaml"), encoding="utf-8")
    policy = load_policy([str(policy_file)], builtin=False)
    (rule,) = policy.rules
    assert rule.check.kind == "max-length" and rule.check.option("max_length") == 40
    assert [r.ok for r in run_examples(policy, ["TX901"])] == [True, True]  # the rule's examples
    main = tmp_path / "main.cf"
    main.write_text("myhostname = mx.example.org\nsmtpd_banner = $myhostname ESMTP and a long story about it\n",
                    encoding="utf-8")
    (finding,) = check([str(main)], policy, Options()).diagnostics
    assert (finding.rule, finding.span.line, finding.message) == (
        "TX901", 2, "smtpd_banner is longer than 40 characters: $myhostname ESMTP and a long story about it")


def test_the_recipe_kind_validates_its_own_keys(max_length, tmp_path: Path) -> None:
    policy_file = tmp_path / "site.yaml"
    policy_file.write_text(_block("yaml").replace("max_length: 40", "max_length: 5000"), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy([str(policy_file)], builtin=False)
    assert [p.message for p in caught.value.problems] == ["max_length above 4096 says nothing"]
    policy_file.write_text(_block("yaml").replace("max_length: 40", "max_lenght: 40"), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy([str(policy_file)], builtin=False)
    assert any("max_lenght" in str(p) for p in caught.value.problems)


def test_without_registration_the_kind_is_unknown(tmp_path: Path) -> None:
    policy_file = tmp_path / "site.yaml"
    policy_file.write_text(_block("yaml"), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy([str(policy_file)], builtin=False)
    assert "'max-length' is not one of required, forbidden" in str(caught.value)


def test_a_taken_name_or_an_incomplete_declaration_is_refused(max_length) -> None:
    clone = _copy(max_length)
    with pytest.raises(ValueError, match="kind 'max-length' is already registered"):
        register(clone)
    del clone.OWN_EDITS
    clone.KIND = "max-length-2"
    with pytest.raises(ValueError, match="no OWN_EDITS"):
        register(clone)
    assert "max-length-2" not in KINDS


def _copy(module):
    clone = type(module)(module.__name__ + "_copy", module.__doc__)
    clone.__dict__.update({k: v for k, v in vars(module).items() if k.isupper() or k == "run"})
    return clone


def test_every_file_and_name_the_recipe_names_exists() -> None:
    for path in re.findall(r"`((?:linter|docs|scripts|tests)/[\w/.-]+)`", SECTION):
        if path != "linter/checks/max_length.py":  # the module the recipe writes
            assert (ROOT / path).exists(), path
    assert "MODULES" in SECTION and hasattr(linter.checks, "MODULES")
    for name in re.findall(r"`(\w+)` is", SECTION) + ["UNIT", "OWN_EDITS", "OPTIONS", "DOC_KEYS", "DOC_FINDS"]:
        if name.isupper():
            assert all(hasattr(m, name) for m in linter.checks.MODULES), name
