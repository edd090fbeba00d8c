"""Findings and fixes as plain data (after ruff's ``ruff_diagnostics``).

A fix is a sorted tuple of edits with an applicability, so "may I apply this?" is
one comparison: ``fix.applicability >= wanted``.
"""

from __future__ import annotations

from enum import IntEnum
from operator import attrgetter

from linter.model import Span
from linter.records import TupleRecord, _new


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


class Fix(TupleRecord):  # a tuple: built, hashed and compared in C (a large file has one per finding)
    __slots__ = ()
    _fields = ("title", "applicability", "edits")

    def __new__(cls, title: str, applicability: Applicability, edits: tuple[Edit, ...]) -> Fix:
        # one edit (most fixes): the tuple as given, not a sorted copy per finding
        return _new(cls, (title, applicability,
                          edits if type(edits) is tuple and len(edits) < 2 else tuple(sorted(edits))))

    own_lines = None  # a LineDeletion's span: the lines it deletes are its finding's

    @property
    def has_edits(self) -> bool:
        """Whether it edits anything (asked without making a LineDeletion's edit)."""
        return bool(self[2])

    def replace(self, **changes: object) -> Fix:
        """A copy with ``changes`` (its edits sorted again)."""
        return Fix(*self._replace(**changes))


class LineDeletion(Fix):
    """A fix deleting the whole lines of ``span`` (with their line ending), the finding's own:
    a dead duplicate's.  Its one edit is made when asked for (``edits``), so that a file of
    thousands of dead lines holds a small tuple per finding rather than a fix, its edits,
    an edit and its span (64 bytes instead of about 280)."""

    __slots__ = ()
    _fields = ("title", "applicability", "span")

    def __new__(cls, title: str, applicability: Applicability, span: Span) -> LineDeletion:  # type: ignore[misc]
        return _new(cls, (title, applicability, span))

    @property
    def edits(self) -> tuple[Edit, ...]:  # type: ignore[override]
        return (_new(Edit, (self.deleted(), "")),)

    @property
    def own_lines(self) -> Span:  # type: ignore[override]
        return self[2]

    has_edits = True

    def deleted(self) -> Span:
        """The span of its one edit: the whole lines, up to the start of the next one."""
        return self[2].whole_lines()

    def replace(self, **changes: object) -> Fix:
        return Fix(self[0], self[1], self.edits).replace(**changes)


def fix_with_edits(title: str, applicability: Applicability, edits: tuple[Edit, ...], span: Span) -> Fix:
    """The fix of a finding at ``span`` whose check made ``edits``: a :class:`LineDeletion`
    when they delete the finding's own lines, else a :class:`Fix`."""
    if type(edits) is tuple and len(edits) == 1:
        where, content = edits[0]
        if not content and where == span.whole_lines():
            return _new(LineDeletion, (title, applicability, span))
        return _new(Fix, (title, applicability, edits))
    return Fix(title, applicability, edits)


class Diagnostic(TupleRecord):
    """One finding: a rule, where, what, and how to fix it.

    A tuple: built, hashed and compared in C, since a large file has hundreds of
    thousands of them (the engine builds them with ``_new`` from the fields in order)."""

    __slots__ = ()
    _fields = (
        "rule",  # stable id, e.g. "PF101"
        "name",  # kebab name saying what is wrong
        "severity",
        "message",
        "span",
        "fix",
        "related",  # other places the finding involves
        "help_uri",
    )

    def __new__(cls, rule: str, name: str, severity: Severity, message: str, span: Span,
                fix: Fix | None = None, related: tuple[Span, ...] = (), help_uri: str | None = None) -> Diagnostic:
        return _new(cls, (rule, name, severity, message, span, fix, related, help_uri))

    def replace(self, **changes: object) -> Diagnostic:
        """A copy with ``changes``."""
        return self._replace(**changes)  # type: ignore[return-value]

    @property
    def path(self) -> str:
        return self.span.path

    def sort_key(self) -> tuple:
        return SORT_KEY(self)


# the report order: where, then which rule and what it says (one C call per finding); with
# the related locations as the last key, for the engine's merge
_ORDER = ("span.path", "span.line", "span.column", "rule", "message")
SORT_KEY = attrgetter(*_ORDER)
REPORT_ORDER = attrgetter(*_ORDER, "related")
