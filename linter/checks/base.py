"""What every check kind yields: a :class:`Finding`, turned into a Diagnostic by the engine."""

from __future__ import annotations

from typing import Any, NamedTuple

from linter.diagnostics import Edit
from linter.model import Span


class Finding(NamedTuple):
    """One thing a check found, before messages, severities and fixes are applied.

    ``missing`` marks a directive that is not set: ``span`` is then the insertion point
    and the engine's fix inserts a line.  ``edits`` is the check's own fix (kinds such
    as ``syntax`` and ``duplicate`` know how to repair what they find).
    """

    span: Span
    directive: str | None = None
    value: Any = None
    default: Any = None
    missing: bool = False
    edits: tuple[Edit, ...] | None = None
    related: tuple[Span, ...] = ()
    detail: str | None = None  # the {detail} placeholder: e.g. the parser's explanation
    note: str | None = None  # appended to the message, e.g. a did-you-mean
    section: tuple[str, ...] = ()  # Dovecot: the section the directive belongs to
