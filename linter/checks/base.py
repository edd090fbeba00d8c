"""What every check kind yields: a :class:`Finding`, turned into a Diagnostic by the engine."""

from __future__ import annotations

from linter.diagnostics import Edit
from linter.model import Span
from linter.records import TupleRecord, _new

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Finding(TupleRecord):
    """One thing a check found, before messages, severities and fixes are applied.

    ``missing`` marks a directive that is not set: ``span`` is then the insertion point
    and the engine's fix inserts a line.  ``edits`` is the check's own fix (kinds such
    as ``syntax`` and ``duplicate`` know how to repair what they find).
    """

    __slots__ = ()
    _fields = (
        "span",
        "directive",
        "value",
        "default",
        "missing",
        "edits",
        "related",
        "detail",  # the {detail} placeholder: e.g. the parser's explanation
        "note",  # appended to the message, e.g. a did-you-mean
        "section",  # Dovecot: the section the directive belongs to
    )

    def __new__(
        cls,
        span: Span,
        directive: str | None = None,
        value: Any = None,
        default: Any = None,
        missing: bool = False,
        edits: tuple[Edit, ...] | None = None,
        related: tuple[Span, ...] = (),
        detail: str | None = None,
        note: str | None = None,
        section: tuple[str, ...] = (),
    ) -> Finding:
        return _new(cls, (span, directive, value, default, missing, edits, related, detail, note, section))
