"""Helpers shared by check kinds: the checked name, locating a directive, documents in scope."""

from __future__ import annotations

from collections.abc import Iterator

from linter import formats
from linter.checks.base import Finding
from linter.checks.context import MASTER_CF, HostDocs, Unit
from linter.diagnostics import Edit
from linter.model import Document, Span
from linter.policy.expr import UnknownValue
from linter.policy.model import Check, Rule
from linter.records import _new

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def target(check: Check) -> str:
    """The checked name: a Postfix parameter, or a Dovecot path ``a / b / name``."""
    return " / ".join((*check.path, check.directive or ""))


def locate(unit: Unit, name: str, sections: tuple[str, ...] = (), after: str | None = None,
           column: str | None = None, **values: object) -> Finding | None:
    """A finding at ``name``'s explicit setting here, else at its insertion point.

    On a master.cf service, a value set nowhere is about that service: the finding points
    at its entry (at ``column``'s field, e.g. ``process_limit``, else the service name),
    with main.cf's insertion point, where the fix adds the line, as related."""
    span, _entry = unit.explicit_span(name)
    if span is not None:
        return Finding(span=span, directive=name, **values)
    place = unit.insertion(sections, after)
    span = place.at if place else unit.anchor_span()
    if place is not None and place.edit is None and not values.get("note"):
        values["note"] = unit.view.no_insertion  # no safe place for the fix, and why
    if unit.service is not None:
        field = unit.service_field(column)
        related = (span,) if span is not None and span.path != field.path else ()
        return Finding(span=field, directive=name, missing=True, related=related, **values)
    if span is None:
        return None
    return Finding(span=span, directive=name, missing=True, section=sections, **values)


def judged_value(unit: Unit, check: Check, name: str) -> tuple[str | None, Any] | None:
    """(value as written, value to judge) of ``name`` here, or None when unknown.

    The judged value is expanded and typed (by ``check.type`` or the catalogue); when
    only its expansion is unknown, written-form constraints still judge the text.
    """
    try:
        raw = unit.raw(name)
    except UnknownValue:
        return None
    try:
        value = unit.typed_as(name, check.type) if check.type else unit.effective(name)
    except UnknownValue:
        if not check.constraints.judges_only_written():
            return None
        value = raw
    return raw, value


def fix_after(rule: Rule) -> str | None:
    return rule.fix.after if rule.fix else None


def documents(unit: Unit, check: Check) -> Iterator[Document]:
    """The documents a per-file check looks at: those of the scope's formats, narrowed by ``format``."""
    for fmt in formats.in_scope(unit.scope):
        doc = unit.host.doc(fmt)
        if doc is not None and (check.format is None or doc.format == check.format):
            yield doc


def maybe_service_defined(host: HostDocs, name: str) -> bool:
    """``<transport>_<suffix>`` (``dovecot_destination_recipient_limit``) on a host whose
    master.cf was not found: its services are unknown, so the name may be valid (recorded
    as needing master.cf)."""
    from linter import catalog

    prefixes = [name[:i] for i, c in enumerate(name) if c == "_" and i]
    return bool(prefixes) and catalog.service_parameter(name, prefixes) is not None and host.lacks(MASTER_CF)


def line_text(path: str, line: int) -> str | None:
    """The text of one line of a checked file (pending fixer edits included), or None.

    Documents do not keep their text; the few checks that need the characters around a
    span (blanks before a comment, a value as written before Dovecot's ``$name``
    expansion) read the line back."""
    from linter.model import ConfigError
    from linter.parsers import read_text

    try:
        lines = read_text(path).splitlines()
    except ConfigError:
        return None
    return lines[line - 1] if 0 < line <= len(lines) else None


def delete_lines(span: Span) -> Edit:
    """An edit removing the whole lines of ``span`` (with their line ending)."""
    return _new(Edit, (span.whole_lines(), ""))
