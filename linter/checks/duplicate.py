"""``duplicate``: a directive set twice; the earlier setting is dead.

main.cf parameters, master.cf service/type pairs and Dovecot settings (same section,
same name) each count.  The finding points at the dead (earlier) setting, with the
later one as related, and the edit deletes the dead lines.

    check: {kind: duplicate}

fail::

    smtpd_banner = $myhostname ESMTP
    smtpd_banner = $myhostname ESMTP $mail_name      # the first one is dead

pass::

    smtpd_banner = $myhostname ESMTP
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.checks.base import Finding
from linter.checks.common import delete_lines, documents
from linter.checks.context import Unit
from linter.model import Assignment, Service, Setting
from linter.policy.model import Rule


def run(rule: Rule, unit: Unit, env: Any) -> Iterator[Finding]:
    for doc in documents(unit, rule.check):
        seen: dict[tuple, list] = {}
        for entry in doc.entries:
            if isinstance(entry, Assignment):
                key: tuple = (entry.name,)
            elif isinstance(entry, Service):
                key = (entry.service, entry.type)
            elif isinstance(entry, Setting):
                key = (entry.section, entry.name)
            else:
                continue
            seen.setdefault(key, []).append(entry)
        for key, entries in seen.items():
            last = entries[-1]
            name = "/".join(key) if isinstance(last, Service) else last.name
            for dead in entries[:-1]:
                value = getattr(dead, "value", None)
                detail = f"{name} is set again on line {last.span.line}" + (
                    f" of {last.span.path}" if last.span.path != dead.span.path else "")
                yield Finding(span=dead.span, directive=name, value=value, related=(last.span,), detail=detail,
                              edits=(delete_lines(dead.span),))
