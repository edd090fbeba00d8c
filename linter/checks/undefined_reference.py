"""``undefined-reference``: a Postfix ``$name`` that names no parameter.

Postfix expands an undefined ``$name`` (also ``${name}``, ``$(name)``, ``${name?x}``,
``${name:x}``) to nothing and only logs "warning: undefined parameter: name", so
``-o smtpd_client_restrictions=$mua_client_restrictions`` on a submission service
whose main.cf lacks ``mua_client_restrictions`` runs with no client restrictions.
Defined means: set in main.cf, a Postfix parameter (built-in, read-only or
service-defined by master.cf), or set by ``-o`` (for main.cf values any service's,
for an ``-o`` value that service's own), as postconf judges.  Parameters whose ``$``
the daemon expands at run time (``mailbox_command``...) are not checked.

    check: {kind: undefined-reference}

fail::

    # nothing defines mua_client_restrictions
    smtpd_client_restrictions = $mua_client_restrictions

pass::

    mua_client_restrictions = permit_sasl_authenticated, reject
    smtpd_client_restrictions = $mua_client_restrictions
"""

from __future__ import annotations

from collections.abc import Iterator

from linter import catalog, values
from linter.checks.base import Finding
from linter.checks.common import documents, line_text, maybe_service_defined
from linter.checks.context import MAIN_CF, Unit
from linter.model import Assignment, Service, Span
from linter.policy.model import Rule

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

KIND = "undefined-reference"
UNIT = "document"  # once per host, on whole documents
OWN_EDITS = False
OPTIONS = {"properties": {"format": True}}
DOC_KEYS = "optional `format`"
DOC_FINDS = ('a Postfix `$name` (`${name}`, `$(name)`, `${name?x}`, `${name:x}`) in a main.cf value or a master.cf '
            '`-o` value that nothing defines: Postfix expands it to nothing. Defined: set in main.cf, a Postfix '
            "parameter (built-in, read-only, service-defined), or set by `-o` (any service's for main.cf values, "
            "the service's own for `-o` values). Values of raw parameters (`mailbox_command`...) are not checked. "
            '`{detail}` says where the reference is')


def _reference_span(value_span: Span, value: str, name: str) -> Span:
    """The ``$name`` text: on its own physical line when the value continues over several
    (the line and column that hold it), else the value's start."""
    import re

    pattern = re.compile(r"\$(?:[{(][ \t]*)?" + re.escape(name) + r"(?![A-Za-z0-9_])")
    if value_span.line == value_span.end_line:
        match = pattern.search(value)
        if match is not None:
            start = value_span.column + match.start()
            return Span(value_span.path, value_span.line, start, value_span.line, start + len(match.group()))
        return Span.point(value_span.path, value_span.line, value_span.column)
    for line in range(value_span.line, value_span.end_line + 1):
        text = line_text(value_span.path, line)
        if text is None:
            break
        start = value_span.column - 1 if line == value_span.line else 0
        end = value_span.end_column - 1 if line == value_span.end_line else len(text)
        match = pattern.search(text, start, end)
        if match is not None:
            return Span(value_span.path, line, match.start() + 1, line, match.end() + 1)
    return Span.point(value_span.path, value_span.line, value_span.column)


def _checked(name: str, value: str, templated: bool) -> bool:
    if templated or "$" not in value:
        return False
    param = catalog.postfix_param(name)
    return not (param is not None and param.raw)


def run(rule: Rule, unit: Unit, env: Any) -> Iterator[Finding]:
    postfix = unit.host.postfix
    services = postfix.services
    master = unit.host.master
    entries = master.entries if master is not None else ()
    set_by_overrides = {o.name for e in entries if isinstance(e, Service) for o in e.overrides}

    def defined(name: str, local: set[str]) -> bool:
        if name in postfix.explicit or catalog.is_known_postfix(name, services, local):
            return True
        if not catalog.declared("postfix") and catalog.postfix_other_versions(name):
            return True  # a parameter of another Postfix than the assumed one: defined there
        # a main.cf that was not found may define what a master.cf -o value names (the usual
        # "-o smtpd_client_restrictions=$mua_client_restrictions"); a master.cf that was not
        # found, the <transport>_* names of its services: unknown, not undefined
        return unit.host.lacks(MAIN_CF) or maybe_service_defined(unit.host, name)

    for doc in documents(unit, rule.check):
        for entry in doc.entries:
            if isinstance(entry, Assignment):
                if _checked(entry.name, entry.value, entry.templated):
                    for name in values.references(entry.value):
                        if not defined(name, set_by_overrides):
                            yield Finding(span=_reference_span(entry.value_span, entry.value, name), directive=name,
                                          detail=f"the value of {entry.name}")
            elif isinstance(entry, Service) and not entry.templated:
                own = {o.name for o in entry.overrides}
                for override in entry.overrides:
                    if _checked(override.name, override.value, False):
                        for name in values.references(override.value):
                            if not defined(name, own):
                                yield Finding(span=_reference_span(override.value_span, override.value, name),
                                              directive=name, detail=f"{entry.service}'s -o {override.name}")
