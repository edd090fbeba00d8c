"""Which rules run and how they are configured: select/ignore, severity and params
overrides, decided apart from checking (as flake8's DecisionEngine sits apart from its
checker)."""

from __future__ import annotations

from collections.abc import Sequence

from linter.options import Options
from linter.policy.model import Policy, Rule

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _longest_match(rule_id: str, prefixes: Sequence[str]) -> int:
    return max((len(p) for p in prefixes if rule_id.startswith(p)), default=-1)


def is_selected(rule_id: str, options: Options) -> bool:
    """flake8-style: the longer matching prefix of ``select`` and ``ignore`` wins."""
    selected = _longest_match(rule_id, options.select) if options.select else 0
    if selected < 0:
        return False
    ignored = _longest_match(rule_id, options.ignore)
    return ignored < 0 or selected > ignored


def configure(policy: Policy, options: Options, rule_ids: Sequence[str] | None = None) -> list[Rule]:
    """The rules to run, with severity and params overrides applied."""
    rules = []
    for rule in policy.rules:
        if rule_ids is not None:
            if rule.id not in rule_ids:
                continue
        elif not is_selected(rule.id, options):
            continue
        changes: dict[str, Any] = {}
        if rule.id in options.severity:
            changes["severity"] = options.severity[rule.id]
        if options.params.get(rule.id):
            changes["params"] = {**rule.params, **options.params[rule.id]}
        rules.append(rule.replace(**changes) if changes else rule)
    return rules
