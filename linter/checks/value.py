"""``value``: the effective value (explicit, else the default) must meet the constraints.

With ``explicit: true`` only explicit settings are checked.  A finding on a default
value points at the insertion point, where the fix adds the setting.

    check: {kind: value, directive: smtpd_client_connection_rate_limit, min: 1}

fail::

    smtpd_client_connection_rate_limit = 0

pass::

    smtpd_client_connection_rate_limit = 30
"""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks.base import Finding
from linter.checks.common import fix_after, judged_value, locate, target
from linter.checks.constraints import violations
from linter.checks.context import Unit
from linter.policy.model import CONSTRAINT_KEYS, Rule

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

KIND = "value"
UNIT = "scope"  # once per unit of the rule's scope
OWN_EDITS = False
OPTIONS = {"properties": {"directive": True, "type": True, "explicit": True, **dict.fromkeys(CONSTRAINT_KEYS, True)},
           "required": ["directive"]}
DOC_KEYS = "`directive`, optional `type`, constraints, optional `explicit: true`"
DOC_FINDS = 'the effective value breaks a constraint. With `explicit: true` only explicit settings are checked.'


def validate(builder: Any, check: dict, defined: list[str]) -> dict:
    """At least one constraint (the common keys are validated for every kind)."""
    if not any(k in check for k in CONSTRAINT_KEYS):
        builder.fail(("check",), "a value check needs at least one constraint",
                     "e.g. min, max, equals, one_of, contains, matches")
    return {}


def run(rule: Rule, unit: Unit, env: Any) -> Iterator[Finding]:
    check = rule.check
    name = target(check)
    if check.explicit and not unit.is_set(name):
        return
    judged = judged_value(unit, check, name)
    if judged is None or judged[0] is None:
        return  # unknown, or no value and no known default: nothing to judge
    raw, value = judged
    why = violations(check.constraints, value, raw)
    if not why:
        return
    finding = locate(unit, name, check.path, fix_after(rule), value=raw, note=None)
    if finding is not None:
        yield finding
