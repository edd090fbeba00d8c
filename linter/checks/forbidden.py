"""``forbidden``: the directive must not be set explicitly (or not to a value meeting
the given constraints).

    check: {kind: forbidden, directive: smtpd_tls_wrappermode, equals: yes}

fail::

    smtpd_tls_wrappermode = yes

pass::

    smtpd_tls_wrappermode = no           # or not set at all
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.checks.base import Finding
from linter.checks.constraints import violations
from linter.checks.context import Unit
from linter.checks.common import target
from linter.policy.expr import UnknownValue
from linter.policy.model import Rule


def run(rule: Rule, unit: Unit, env: Any) -> Iterator[Finding]:
    check = rule.check
    name = target(check)
    span, _entry = unit.explicit_span(name)
    if span is None:
        return
    try:
        raw = unit.raw(name)
    except UnknownValue:
        return
    try:
        value = unit.typed_as(name, check.type) if check.type else unit.effective(name)
    except UnknownValue:
        if not check.constraints.judges_only_written():
            return
        value = raw  # a $name with an unknown value: the written-form constraints still apply
    if not check.constraints.is_empty() and violations(check.constraints, value, raw):
        return  # set, but not to a forbidden value
    yield Finding(span=span, directive=name, value=raw)
