"""``syntax``: each parser warning with the given code (see docs/policy-language.md).

The parsers record what the reference accepts but is almost certainly a mistake; this
kind turns them into findings, with an edit where the repair is mechanical.  The
``{detail}`` placeholder holds the parser's own explanation.

    check: {kind: syntax, warning: trailing-comment}

fail::

    smtpd_tls_security_level = may  # opportunistic

pass::

    # opportunistic
    smtpd_tls_security_level = may
"""

from __future__ import annotations

from collections.abc import Iterator

from linter.checks.base import Finding
from linter.checks.common import delete_lines, documents, line_text
from linter.checks.context import Unit
from linter.diagnostics import Edit
from linter.model import ParseWarning, Span
from linter.policy.model import Rule

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

KIND = "syntax"
UNIT = "document"  # once per host, on whole documents
OWN_EDITS = True  # the fix edit is the kind's own: fix takes only title and applicability
OPTIONS = {"properties": {"warning": True}, "required": ["warning"]}
DOC_KEYS = "`warning` (a parser warning code)"
DOC_FINDS = 'each parser warning with that code'


def _edits(warning: ParseWarning) -> tuple[Edit, ...] | None:
    s = warning.span
    if warning.code == "accidental-continuation" and s.column > 1:
        # dedent: the line then sets its own parameter, as the author meant
        return (Edit(Span(s.path, s.line, 1, s.line, s.column), ""),)
    if warning.code == "trailing-comment":
        return (_remove_trailing(s),)
    if warning.code in ("ambiguous-hash",):
        return (Edit(Span.point(s.path, s.line, s.column), " "),)
    if warning.code == "mode-without-leading-zero":
        return (Edit(Span.point(s.path, s.line, s.column), "0"),)
    if warning.code == "obsolete-setting" and warning.replacement is not None:
        if warning.replacement:  # the setting doveconf applies instead, in its place
            return (Edit(s, warning.replacement),)
        return (delete_lines(s),)  # removed: the line goes
    return None


def _remove_trailing(span: Span) -> Edit:
    """Delete ``span`` (to the end of its line) with the blanks before it, so no trailing
    blank is left; a line that held only the comment goes entirely."""
    line = line_text(span.path, span.line)
    if line is None:
        return Edit(span, "")
    start = len(line[: span.column - 1].rstrip(" \t")) + 1
    if start == 1 and span.end_line == span.line:
        return delete_lines(span)
    return Edit(Span(span.path, span.line, start, span.end_line, span.end_column), "")


def run(rule: Rule, unit: Unit, env: Any) -> Iterator[Finding]:
    for doc in documents(unit, rule.check):
        for warning in doc.warnings:
            if warning.code == rule.check.warning:
                yield Finding(span=warning.span, detail=warning.message, edits=_edits(warning))
