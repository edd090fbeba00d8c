"""Machine-readable output: a JSON array with one object per finding.

Each object: ``path, line, column, end_line, end_column, rule, name, severity,
message, help_uri, related, fix``; ``fix`` is ``null`` or ``{title, applicability,
edits: [{path, line, column, end_line, end_column, content}]}``.  Columns are 1-based
and ``end_column`` is exclusive, in characters.
"""

from __future__ import annotations

import json
import re

from linter.diagnostics import Diagnostic
from linter.model import Span
from linter.reporters import OutputSettings

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _span(span: Span) -> dict:
    return {"path": span.path, "line": span.line, "column": span.column, "end_line": span.end_line,
            "end_column": span.end_column}


def finding(diagnostic: Diagnostic) -> dict:
    fix = diagnostic.fix
    return {
        **_span(diagnostic.span),
        "rule": diagnostic.rule,
        "name": diagnostic.name,
        "severity": str(diagnostic.severity),
        "message": diagnostic.message,
        "help_uri": diagnostic.help_uri,
        "related": [_span(s) for s in diagnostic.related],
        "fix": None if fix is None else {
            "title": fix.title,
            "applicability": str(fix.applicability),
            "edits": [{**_span(e.span), "content": e.content} for e in fix.edits],
        },
    }


def dumps(data: object) -> str:
    """JSON with non-ASCII kept readable; undecodable bytes (lone surrogates) escaped."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def render(report, policy, settings: OutputSettings = OutputSettings()) -> str:  # noqa: ANN001
    return dumps([finding(d) for d in report.diagnostics]) + "\n"
