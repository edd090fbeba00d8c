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

import re
from collections.abc import Iterator
from typing import Any

from linter.checks.base import Finding
from linter.checks.common import delete_lines, documents, line_text
from linter.checks.context import Unit
from linter.model import Assignment, Document, Section, Service, Setting, TemplateLine
from linter.policy.model import Rule

# Sections that merge when repeated (filters, plugin {}); other sections without a name
# are list items (passdb {}, userdb {}, map {} of a dict file): each one is new.
_MERGING = frozenset({"protocol", "remote", "local", "local_name", "plugin", "dict"})


def _section_instances(doc: Document) -> list[Section]:
    """Unnamed list sections, innermost last, for telling their settings apart."""
    return [s for s in doc.sections if s.close_span is not None and " " not in s.path[-1].strip()
            and s.kind not in _MERGING]


def _setting_key(setting: Setting, instances: list[Section]) -> tuple:
    owner = None
    for section in instances:  # the innermost list section around the setting, in its file
        if (section.path == setting.section[: len(section.path)] and section.span.path == setting.span.path
                and section.span.line <= setting.span.line <= section.close_span.line):
            if owner is None or section.span.line >= owner.span.line:
                owner = section
    return (setting.section, setting.name, owner.span if owner is not None else None)


def _between(templates: tuple[TemplateLine, ...], dead: Any, last: Any) -> bool:
    """A template line between the two settings: they may be alternatives ({% if %} ... {% else %})."""
    return any(t.span.path == dead.span.path == last.span.path and dead.span.line < t.span.line < last.span.line
               for t in templates)


def _extends(dead: Any, entries: list) -> bool:
    """A later Dovecot setting that builds on this one (``protocols = $protocols sieve``):
    the earlier value is used, not dead.  The parser's value is already expanded, so
    the value is read as written."""
    if not isinstance(dead, Setting):
        return False
    for later in entries[entries.index(dead) + 1 :]:
        span = later.value_span
        text = line_text(span.path, span.line) if span.line == span.end_line else None
        if text is not None and re.search(rf"\$(?:{{)?{re.escape(dead.name)}\b", text[span.column - 1 : span.end_column - 1]):
            return True
    return False


def run(rule: Rule, unit: Unit, env: Any) -> Iterator[Finding]:
    for doc in documents(unit, rule.check):
        seen: dict[tuple, list] = {}
        instances = _section_instances(doc) if doc.sections else []
        spans: set = set()
        for entry in doc.entries:
            if entry.span in spans:
                continue  # the same text read again (a file included twice) is not a second setting
            spans.add(entry.span)
            if isinstance(entry, Assignment):
                key: tuple = (entry.name,)
            elif isinstance(entry, Service):
                key = (entry.service, entry.type)
            elif isinstance(entry, Setting):
                key = _setting_key(entry, instances)
            else:
                continue
            seen.setdefault(key, []).append(entry)
        for key, entries in seen.items():
            last = entries[-1]
            name = "/".join(key) if isinstance(last, Service) else last.name
            for dead in entries[:-1]:
                if _between(doc.templates, dead, last) or _extends(dead, entries):
                    continue
                value = getattr(dead, "value", None)
                detail = f"{name} is set again on line {last.span.line}" + (
                    f" of {last.span.path}" if last.span.path != dead.span.path else "")
                yield Finding(span=dead.span, directive=name, value=value, related=(last.span,), detail=detail,
                              edits=(delete_lines(dead.span),))
