"""``assert``: an expression that must be true.

The finding points at ``anchor`` (default: the first directive named in ``expr``):
its explicit setting, else its insertion point.  A rule whose expression touches an
unknown (templated) value is skipped.

    check:
      kind: assert
      expr: "mailbox_size_limit == 0 or mailbox_size_limit >= message_size_limit"

fail::

    mailbox_size_limit = 1000
    message_size_limit = 2000

pass::

    mailbox_size_limit = 0
"""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks.base import Finding
from linter.checks.common import fix_after, locate
from linter.checks.context import Unit
from linter.policy.dovecot_path import split_path
from linter.policy.expr import UNKNOWN, children
from linter.policy.model import Rule

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

KIND = "assert"
UNIT = "scope"  # once per unit of the rule's scope
OWN_EDITS = False
OPTIONS = {"properties": {"expr": True, "anchor": True}, "required": ["expr"]}
DOC_KEYS = "`expr`, optional `anchor` (a directive)"
DOC_FINDS = ("the expression is false. The finding points at the anchor's assignment (default: the first name in "
            '`expr`) or its insertion point.')


def validate(builder: Any, check: dict, defined: list[str]) -> dict:
    """The expression parses and type-checks; the anchor is a known name. -> Check fields."""
    key = ("check",)
    expr = builder.expression(key + ("expr",), check["expr"], defined)
    anchor = check.get("anchor")
    if anchor is not None:
        if builder.is_dovecot():
            builder.check_dovecot_path(key + ("anchor",), split_path(anchor))
        else:
            builder.check_postfix_name(key + ("anchor",), anchor)
    return {"expr": expr, "anchor": anchor}


def first_directive(ir: list, skip: set[str]) -> str | None:
    """The first directive the expression names, in reading order."""
    op = ir[0]
    if op == "name":
        return None if ir[1] in skip else ir[1]
    if op == "call" and ir[1] in ("is_set", "default", "param", "dovecot", "dovecot_exists") and ir[2][0][0] == "const":
        return ir[2][0][1]
    for child in children(ir):
        found = first_directive(child, skip)
        if found:
            return found
    return None


def _service_column(rule: Rule) -> str | None:
    """The master.cf column the expression judges the anchor against (``service('process_limit')``,
    directly or through a ``let``), other than the service name a rule filters on."""
    lets = dict(rule.let)
    seen: set[str] = set()

    def visit(ir: list) -> str | None:
        if ir[0] == "call" and ir[1] == "service" and ir[2][0][1] != "service":
            return ir[2][0][1]
        if ir[0] == "name" and ir[1] in lets and ir[1] not in seen:
            seen.add(ir[1])
            return visit(lets[ir[1]].ir)
        for child in children(ir):
            found = visit(child)
            if found:
                return found
        return None

    return visit(rule.check.expr.ir)


def run(rule: Rule, unit: Unit, env: Any) -> Iterator[Finding]:
    check = rule.check
    result = check.expr.evaluate(env)
    if result is UNKNOWN or result:
        return
    skip = set(rule.params) | {name for name, _ in rule.let}
    anchor = check.anchor or first_directive(check.expr.ir, skip)
    if anchor is None:
        span = unit.anchor_span()
        if span is not None:
            yield Finding(span=span)
        return
    sections: tuple[str, ...] = ()
    if unit.dovecot_scope:
        sections = split_path(anchor)[:-1]
    finding = locate(unit, anchor, sections, fix_after(rule), column=_service_column(rule))
    if finding is not None:
        try:
            value = unit.raw(anchor)
        except Exception:  # noqa: BLE001 - the anchor's own value is only shown in the message
            value = None
        yield Finding(span=finding.span, directive=anchor, value=value, missing=finding.missing,
                      section=finding.section, related=finding.related)
