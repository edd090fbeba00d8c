"""``duplicate``: a directive set twice; the earlier setting is dead.

main.cf parameters, master.cf service/type pairs and Dovecot settings (same section,
same name) each count.  The finding points at the dead (earlier) setting, with the
later one as related, and the edit deletes the dead lines.

    check: {kind: duplicate}

fail::

    # the first one is dead
    smtpd_banner = $myhostname ESMTP
    smtpd_banner = $myhostname ESMTP $mail_name

pass::

    smtpd_banner = $myhostname ESMTP
"""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks.base import Finding
from linter.checks.common import delete_lines, documents
from linter.checks.context import Unit
from linter.model import Assignment, Document, Section, Service, Setting, TemplateLine
from linter.policy.model import Rule
from linter.records import _new

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

KIND = "duplicate"
UNIT = "document"  # once per host, on whole documents
OWN_EDITS = True  # the fix edit is the kind's own: fix takes only title and applicability
OPTIONS = {"properties": {"format": True}}
DOC_KEYS = "optional `format`"
DOC_FINDS = ('a directive (main.cf), service/type (master.cf) or Dovecot setting set twice; the earlier one is '
            'dead')

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


def _template_lines(templates: tuple[TemplateLine, ...]) -> dict[str, list[int]]:
    """The template lines of each file, sorted (for :func:`_between`)."""
    by_file: dict[str, list[int]] = {}
    for t in templates:
        by_file.setdefault(t.span.path, []).append(t.span.line)
    return {path: sorted(lines) for path, lines in by_file.items()}


def _between(templates: dict[str, list[int]], dead: Any, last: Any) -> bool:
    """A template line between the two settings: they may be alternatives ({% if %} ... {% else %})."""
    import bisect

    lines = templates.get(dead.span.path)
    if not lines or dead.span.path != last.span.path:
        return False
    i = bisect.bisect_right(lines, dead.span.line)
    return i < len(lines) and lines[i] < last.span.line


def _extended(entries: list) -> list[bool]:
    """For each entry, whether a later Dovecot setting builds on it (``protocols =
    $protocols sieve``): then its value is used, not dead.  The parser's value is already
    expanded, so values are read as written; one pass from the end, each line read once
    (a file of thousands of duplicates stays linear)."""
    if not isinstance(entries[0], Setting):
        return [False] * len(entries)
    from linter.model import ConfigError
    from linter.parsers import read_text

    files: dict[str, list[str]] = {}

    def line_of(path: str, line: int) -> str | None:
        if path not in files:
            try:
                files[path] = read_text(path).splitlines()
            except ConfigError:
                files[path] = []
        lines = files[path]
        return lines[line - 1] if 0 < line <= len(lines) else None

    import re

    pattern = re.compile(rf"\$(?:{{)?{re.escape(entries[0].name)}\b")
    out = [False] * len(entries)
    later = False
    for i in range(len(entries) - 1, -1, -1):
        out[i] = later
        span = entries[i].value_span
        text = line_of(span.path, span.line) if span.line == span.end_line else None
        if text is not None and pattern.search(text[span.column - 1 : span.end_column - 1]):
            later = True
    return out


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
        templates = _template_lines(doc.templates)
        for key, entries in seen.items():
            if len(entries) < 2:
                continue
            last = entries[-1]
            name = "/".join(key) if isinstance(last, Service) else last.name
            extended = _extended(entries)
            # the last one not behind a template flag: those after it may not be rendered
            plain = max((i for i, e in enumerate(entries) if not getattr(e, "conditional", False)), default=-1)
            # what every dead one says of the last one, shared (thousands of duplicates of one name)
            related = (last.span,)
            here = f"{name} is set again on line {last.span.line}"
            elsewhere = f"{here} of {last.span.path}"
            for index, dead in enumerate(entries[:-1]):
                if index >= plain:
                    break  # every later one is behind a template flag: none may be rendered
                if extended[index] or templates and _between(templates, dead, last):
                    continue
                span = dead.span
                path = span.path
                # Finding(span, directive, value, default, missing, edits, related, detail), as
                # tuples: one per dead line (a file of thousands of duplicates)
                yield _new(Finding, (span, name, getattr(dead, "value", None), None, False,
                                     (delete_lines(span),),
                                     related, here if last.span.path == path else elsewhere, None, ()))
