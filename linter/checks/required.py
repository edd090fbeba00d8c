"""``required``: the directive must be set explicitly.

In ``smtpd-service`` scope, either main.cf or the service's ``-o`` counts.  The finding
points at the insertion point (after the last main.cf assignment, after ``fix.after``
when that is set, or before the closing brace of the Dovecot section) and the rule's
``fix.set`` inserts the line there.

    check: {kind: required, directive: smtpd_tls_security_level}

fail::

    # the finding points after the last line
    myhostname = mx.example.org

pass::

    smtpd_tls_security_level = may
"""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks.base import Finding
from linter.checks.common import fix_after, locate, target
from linter.checks.context import Unit
from linter.policy.model import Rule

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

KIND = "required"
UNIT = "scope"  # once per unit of the rule's scope
OWN_EDITS = False
OPTIONS = {"properties": {"directive": True}, "required": ["directive"]}
DOC_KEYS = "`directive`"
DOC_FINDS = ("the directive is not set explicitly (for `smtpd-service`: neither in main.cf nor in that service's "
            '`-o`). The finding points at the insertion point (after the last assignment of main.cf, or before '
            'the closing brace of the Dovecot section), and the fix inserts the line.')


def run(rule: Rule, unit: Unit, env: Any) -> Iterator[Finding]:
    name = target(rule.check)
    if unit.is_set(name):
        return
    finding = locate(unit, name, rule.check.path, fix_after(rule))
    if finding is not None:
        yield finding
