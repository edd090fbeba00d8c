"""``forbidden``: the directive must not be set explicitly (or not to a value meeting
the given constraints).

    check: {kind: forbidden, directive: smtpd_tls_wrappermode, equals: yes}

fail::

    smtpd_tls_wrappermode = yes

pass::

    # or not set at all
    smtpd_tls_wrappermode = no
"""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks.base import Finding
from linter.checks.common import judged_value, target
from linter.checks.constraints import violations
from linter.checks.context import Unit
from linter.policy.model import CONSTRAINT_KEYS, Rule

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

KIND = "forbidden"
UNIT = "scope"  # once per unit of the rule's scope
OWN_EDITS = False
OPTIONS = {"properties": {"directive": True, "type": True, **dict.fromkeys(CONSTRAINT_KEYS, True)},
           "required": ["directive"]}
DOC_KEYS = "`directive`, optional value constraints"
DOC_FINDS = 'the directive is set explicitly (and, when constraints are given, its value meets them)'


def run(rule: Rule, unit: Unit, env: Any) -> Iterator[Finding]:
    check = rule.check
    name = target(check)
    span, _entry = unit.explicit_span(name)
    if span is None:
        return
    judged = judged_value(unit, check, name)
    if judged is None:
        return
    raw, value = judged
    if not check.constraints.is_empty() and violations(check.constraints, value, raw):
        return  # set, but not to a forbidden value
    yield Finding(span=span, directive=name, value=raw)
