"""``unknown-directive``: a name no catalogue knows, with a did-you-mean.

Postfix ignores unknown parameters (postconf only warns), so a typo silently leaves
the default in force; Dovecot refuses to start.  A main.cf name that is used as
``$name`` elsewhere counts as known (postconf does the same).

    check: {kind: unknown-directive}

fail::

    smtpd_tls_securty_level = may        # did you mean smtpd_tls_security_level?

pass::

    smtpd_tls_security_level = may
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter import catalog, values
from linter.checks.base import Finding
from linter.checks.common import documents, maybe_service_defined
from linter.checks.context import Unit
from linter.model import DOVECOT, POSTFIX_MAIN, Assignment, Service, Setting
from linter.policy.dovecot_path import section_kind
from linter.policy.model import Rule


def _suggestion(name: str, fmt: str, section_kind: str | None = None) -> str | None:
    found = catalog.suggest(name, fmt, section_kind)
    return f"did you mean {found}?" if found else None


def _user_defined(unit: Unit) -> set[str]:
    """Names postconf counts as used: ``$name`` references and smtpd_restriction_classes."""
    used = unit.host.referenced_names()
    classes = unit.host.postfix.explicit.get("smtpd_restriction_classes")
    if classes is not None and not classes.templated:
        used.update(values.split_list(classes.value))
    return used


def run(rule: Rule, unit: Unit, env: Any) -> Iterator[Finding]:
    used = _user_defined(unit)
    services = unit.host.postfix.services
    for doc in documents(unit, rule.check):
        for entry in doc.entries:
            if isinstance(entry, Assignment):
                candidates = [(entry.name, entry.name_span, POSTFIX_MAIN, None)]
            elif isinstance(entry, Service):
                candidates = [(o.name, o.name_span, POSTFIX_MAIN, None) for o in entry.overrides]
            elif isinstance(entry, Setting):
                candidates = [(entry.name, entry.name_span, DOVECOT, section_kind(entry.section))]
            else:
                continue
            for name, span, fmt, kind in candidates:
                if getattr(entry, "templated", False) or not name.isascii():
                    continue
                if fmt == DOVECOT:
                    known = catalog.dovecot_setting(name, kind) is not None
                else:
                    known = catalog.is_known_postfix(name, services, used) or maybe_service_defined(unit.host, name)
                if not known:
                    yield Finding(span=span, directive=name, note=_suggestion(name, fmt, kind))
