"""Check kinds: one module each, registered here by kind name (no discovery magic).

Each module's ``run(rule, unit, env)`` yields :class:`~linter.checks.base.Finding`
objects; its docstring documents the kind with a failing and a passing example.
"""

from __future__ import annotations

from linter.checks import (
    assertion,
    dovecot_section,
    duplicate,
    forbidden,
    required,
    syntax,
    undefined_reference,
    unknown_directive,
    value,
)

REGISTRY = {
    "required": required.run,
    "forbidden": forbidden.run,
    "value": value.run,
    "assert": assertion.run,
    "dovecot-section": dovecot_section.run,
    "syntax": syntax.run,
    "duplicate": duplicate.run,
    "unknown-directive": unknown_directive.run,
    "undefined-reference": undefined_reference.run,
}
# Kinds that look at whole documents: evaluated once per host, whatever the scope.
DOCUMENT_KINDS = frozenset({"syntax", "duplicate", "unknown-directive", "undefined-reference"})
DOCS = {
    "required": required.__doc__,
    "forbidden": forbidden.__doc__,
    "value": value.__doc__,
    "assert": assertion.__doc__,
    "dovecot-section": dovecot_section.__doc__,
    "syntax": syntax.__doc__,
    "duplicate": duplicate.__doc__,
    "unknown-directive": unknown_directive.__doc__,
    "undefined-reference": undefined_reference.__doc__,
}
