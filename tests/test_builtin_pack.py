"""The built-in packs in policies/: every rule documents itself and its examples pass."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from linter.diagnostics import Applicability
from linter.policy.loader import builtin_pack_dir, load_policy
from linter.policytest import run_examples

ROOT = Path(__file__).resolve().parent.parent
POLICY = load_policy([], builtin=True)
RULES = {rule.id: rule for rule in POLICY.rules}
# pack id -> the rule id prefixes it owns (PF1xx DoS, PF2xx/DC2xx SASL, PF0xx/DC0xx hygiene,
# DC3xx Dovecot hardening)
GROUPS = {
    "postfix-dos": re.compile(r"PF1\d\d"),
    "postfix-sasl-dovecot": re.compile(r"(PF|DC)2\d\d"),
    "config-hygiene": re.compile(r"(PF|DC)0\d\d"),
    "dovecot-hardening": re.compile(r"DC3\d\d"),
    "postfix-relay": re.compile(r"PF3\d\d"),
    "postfix-tls": re.compile(r"PF4\d\d"),
    "postfix-exposure": re.compile(r"PF5\d\d"),
}


def test_the_builtin_packs_are_loaded() -> None:
    assert {p.id for p in POLICY.packs} >= set(GROUPS)
    assert sorted(Path(f).name for f in Path(builtin_pack_dir()).glob("*.yaml")) == [
        "config-hygiene.yaml", "dovecot-hardening.yaml", "postfix-dos.yaml", "postfix-exposure.yaml",
        "postfix-relay.yaml", "postfix-sasl-dovecot.yaml", "postfix-tls.yaml"]
    assert len(RULES) == len(POLICY.rules), "rule ids are unique"
    assert len({r.name for r in POLICY.rules}) == len(POLICY.rules), "rule names are unique"


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_documents_itself(rule_id: str) -> None:
    rule = RULES[rule_id]
    pack = next(p for p, prefix in GROUPS.items() if prefix.fullmatch(rule_id))
    assert rule.pack == pack
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", rule.name)
    assert len(rule.rationale) > 40
    assert rule.reference and rule.reference.startswith("https://")
    assert rule.fix is not None, "every built-in rule has a fix (display-only when it cannot be applied)"
    kinds = [e.kind for e in rule.examples]
    assert "bad" in kinds and "good" in kinds
    if rule.fix.applicability > Applicability.DISPLAY_ONLY:
        assert any(e.fixed is not None for e in rule.examples if e.kind == "bad"), "an applicable fix is shown"


@pytest.mark.parametrize("rule_id", sorted(r.id for r in POLICY.rules if r.check.kind == "required"))
def test_required_rules_show_the_inserted_line(rule_id: str) -> None:
    rule = RULES[rule_id]
    directive = rule.check.directive
    missing = [e for e in rule.examples if e.kind == "bad" and all(directive not in text for _, text in e.files)]
    assert missing, f"{rule_id} needs a bad example where {directive} is missing"
    for example in missing:
        assert example.fixed is not None
        assert any(re.search(rf"^{directive} = ", text, re.M) for _, text in example.fixed)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_examples_pass(rule_id: str) -> None:
    failures = [f"{r.name}: {r.detail}" for r in run_examples(POLICY, [rule_id]) if not r.ok]
    assert failures == []


def test_rules_doc_lists_every_rule() -> None:
    doc = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in POLICY.rules:
        assert re.search(rf"^\| {rule.id} \| `{rule.name}` \|", doc, re.M), f"{rule.id} missing from docs/rules.md"
        assert rule.reference in doc
