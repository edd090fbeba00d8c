"""Findings and fixes as plain data (after ruff's ``ruff_diagnostics``).

A fix is a sorted tuple of edits with an applicability, so "may I apply this?" is
one comparison: ``fix.applicability >= wanted``.
"""

from __future__ import annotations

from enum import IntEnum

from linter.model import Span
from linter.records import Frozen, TupleRecord, _new, _set


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]

    def __str__(self) -> str:
        return self.name.lower()


class Applicability(IntEnum):
    """How safe a fix is; higher is safer."""

    DISPLAY_ONLY = 1  # shown to the user, never applied
    UNSAFE = 2  # applied with --unsafe-fixes
    SAFE = 3  # applied with --fix

    @classmethod
    def parse(cls, text: str) -> Applicability:
        return cls[text.upper().replace("-", "_")]

    def __str__(self) -> str:
        return self.name.lower().replace("_", "-")


class Edit(TupleRecord):  # a tuple: ordered by span, then content; cheap to build
    """Replace the text in ``span`` (zero-width: insert at it) by ``content``."""

    __slots__ = ()
    _fields = ("span", "content")

    def __new__(cls, span: Span, content: str) -> Edit:
        return _new(cls, (span, content))


class Fix(Frozen):
    __slots__ = ("title", "applicability", "edits")

    def __init__(self, title: str, applicability: Applicability, edits: tuple[Edit, ...]):
        _set(self, "title", title)
        _set(self, "applicability", applicability)
        # one edit (most fixes): the tuple as given, not a sorted copy per finding
        _set(self, "edits", edits if type(edits) is tuple and len(edits) < 2 else tuple(sorted(edits)))


class Diagnostic(Frozen):
    """One finding: a rule, where, what, and how to fix it."""

    __slots__ = ("rule", "name", "severity", "message", "span", "fix", "related", "help_uri")

    def __init__(self, rule: str, name: str, severity: Severity, message: str, span: Span,
                 fix: Fix | None = None, related: tuple[Span, ...] = (), help_uri: str | None = None):
        _set(self, "rule", rule)  # stable id, e.g. "PF101"
        _set(self, "name", name)  # kebab name saying what is wrong
        _set(self, "severity", severity)
        _set(self, "message", message)
        _set(self, "span", span)
        _set(self, "fix", fix)
        _set(self, "related", related)  # other places the finding involves
        _set(self, "help_uri", help_uri)

    @property
    def path(self) -> str:
        return self.span.path

    def sort_key(self) -> tuple:
        return (self.span.path, self.span.line, self.span.column, self.rule, self.message)
