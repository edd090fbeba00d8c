"""Machine-readable output: a JSON array with one object per finding.

Each object: ``path, line, column, end_line, end_column, rule, name, severity,
message, help_uri, related, fix``; ``fix`` is ``null`` or ``{title, applicability,
edits: [{path, line, column, end_line, end_column, content}]}``.  Columns are 1-based
and ``end_column`` is exclusive, in characters.  An input error (a file missing,
unreadable or that does not parse) is an entry too, first, as ruff writes a syntax error:
``rule`` and ``name`` null, ``severity`` "error", ``kind`` "input-error", its location
(``line`` and ``column`` null when no line applies); stderr shows it as well and the
exit status is 2.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring as _encode_string  # the C escaper (ensure_ascii=False)

from linter.diagnostics import Diagnostic
from linter.lazyre import lazy
from linter.model import Span
from linter.reporters import OutputSettings, around_edit, fix_edits, remember

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

# undecodable bytes (lone surrogates), and DEL and C1 controls, which JSON may leave raw but
# a terminal acts on: written as \u escapes
_LONE_SURROGATE = lazy("[\x7f-\x9f\ud800-\udfff]")


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
    try:
        text = _indented(data, "\n")
    except _Unhandled:
        text = json.dumps(data, indent=2, ensure_ascii=False)
    return surrogates_escaped(text)


def surrogates_escaped(text: str) -> str:
    """``text`` (JSON) with undecodable bytes (lone surrogates), DEL and C1 controls as
    ``\\u`` escapes; an ASCII text without DEL has none (isascii is a flag, not a scan)."""
    if (text.isascii() and "\x7f" not in text) or not _LONE_SURROGATE.search(text):
        return text
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _scalar(value: object) -> str:
    if type(value) is str:
        return _encode_string(value)
    if type(value) is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    raise _Unhandled


def _span_text(span: Span, indent: str) -> str:
    inner = indent + "  "
    path, line, column, end_line, end_column = span.path, span.line, span.column, span.end_line, span.end_column
    if type(path) is str and type(line) is type(column) is type(end_line) is type(end_column) is int:
        # the usual span: ints format as int.__repr__ does, the path through the C escaper
        return (f"{{{inner}\"path\": {_encode_string(path)},{inner}\"line\": {line},{inner}\"column\": {column},"
                f"{inner}\"end_line\": {end_line},{inner}\"end_column\": {end_column}")
    return (f"{{{inner}\"path\": {_scalar(path)},{inner}\"line\": {_scalar(line)},"
            f"{inner}\"column\": {_scalar(column)},{inner}\"end_line\": {_scalar(end_line)},"
            f"{inner}\"end_column\": {_scalar(end_column)}")


class _Pieces:
    """The parts of finding texts that many findings share, written once per report, in
    bounded tables: a rule's ``rule``/``name``/``severity`` lines, a fix without edits, the
    later duplicate every earlier one points at, and what follows a finding's location up
    to its fix (every line of one unknown name, every dead duplicate of one name has the
    same)."""

    __slots__ = ("heads", "fixes", "related", "middles", "one_edit")

    def __init__(self) -> None:
        self.heads: dict[tuple, str] = {}
        self.fixes: dict[tuple, str] = {}
        self.related: dict[Span, str] = {}
        self.middles: dict[tuple, str] = {}
        self.one_edit: dict[tuple, tuple[str, str]] = {}  # a one-edit fix's text around its span


# the indents, level by level
_I0, _I1, _I2, _I3, _I4 = "\n  ", "\n    ", "\n      ", "\n        ", "\n          "


def _finding_text(diagnostic: Diagnostic, shared: _Pieces | None = None) -> str:
    """``_indented(finding(diagnostic), "\\n  ")`` without building the dicts: the bulk of a
    large report's writing time (property-tested against json.dumps)."""
    shared = shared or _Pieces()
    rule, name, severity, message, span, fix, related, help_uri = diagnostic
    key = (rule, name, severity, message, help_uri, related)
    middle = shared.middles.get(key)
    if middle is None:
        middle = remember(shared.middles, key, _middle_text(diagnostic, shared))
    if fix is None:
        fix_text = "null"
    else:
        edits = fix_edits(fix)
        if not edits:
            fix_text = shared.fixes.get(fix)
            if fix_text is None:
                fix_text = remember(shared.fixes, fix, _fix_text(fix))
        elif len(edits) == 1:  # most fixes (a dead duplicate's deletion): only the span differs
            edit_span, content = edits[0]
            around = around_edit(shared.one_edit, (fix.title, fix.applicability, content),
                                 lambda mark: _fix_text(fix, mark))
            fix_text = around[0] + _span_text(edit_span, _I3) + around[1]
        else:
            fix_text = _fix_text(fix)
    return f"{_span_text(span, _I0)}{middle}{fix_text}\n  }}"


def _middle_text(diagnostic: Diagnostic, shared: _Pieces) -> str:
    """What follows a finding's location, up to its fix's value."""
    i1, i2 = _I1, _I2
    if diagnostic.related:
        table = shared.related
        parts = []
        for r in diagnostic.related:
            text = table.get(r)
            if text is None:
                text = remember(table, r, i2 + _span_text(r, i2) + i2 + "}")
            parts.append(text)
        related = "[" + ",".join(parts) + i1 + "]"
    else:
        related = "[]"
    key = (diagnostic.rule, diagnostic.name, diagnostic.severity)
    head = shared.heads.get(key)
    if head is None:
        head = remember(shared.heads, key, f",{i1}\"rule\": {_scalar(diagnostic.rule)},"
                                              f"{i1}\"name\": {_scalar(diagnostic.name)},"
                                              f"{i1}\"severity\": {_scalar(str(diagnostic.severity))},")
    return (f"{head}{i1}\"message\": {_scalar(diagnostic.message)},{i1}\"help_uri\": {_scalar(diagnostic.help_uri)},"
            f"{i1}\"related\": {related},{i1}\"fix\": ")


def _fix_text(fix, span_text: str | None = None) -> str:  # noqa: ANN001 - diagnostics.Fix
    """A fix's value; ``span_text``: written for each edit's span instead (a mark to cut at)."""
    i2, i3, i4 = _I2, _I3, _I4
    edits = (("[" + ",".join(f"{i3}{_span_text(e.span, i3) if span_text is None else span_text},"
                             f"{i4}\"content\": {_scalar(e.content)}{i3}}}"
                             for e in fix.edits) + i2 + "]") if fix.edits else "[]")
    return (f"{{{i2}\"title\": {_scalar(fix.title)},{i2}\"applicability\": {_scalar(str(fix.applicability))},"
            f"{i2}\"edits\": {edits}{_I1}}}")


class _Unhandled(Exception):
    """A value the fast writer leaves to the json module (floats, tuples, ...)."""


def _indented(value: object, newline: str) -> str:
    """Exactly ``json.dumps(value, indent=2, ensure_ascii=False)`` for dicts with string
    keys, lists, strings, ints, booleans and None.  The json module writes indented
    output with its pure-Python encoder; strings here go through its C escaper, which
    makes a 20,000-finding report several times faster to write."""
    if isinstance(value, str):
        return _encode_string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    kind = type(value)
    if kind is int:
        return int.__repr__(value)
    inner = newline + "  "
    if kind is dict:
        if not value:
            return "{}"
        parts = []
        for key, item in value.items():
            if type(key) is not str:
                raise _Unhandled
            parts.append(inner + _encode_string(key) + ": " + _indented(item, inner))
        return "{" + ",".join(parts) + newline + "}"
    if kind is list:
        if not value:
            return "[]"
        return "[" + ",".join(inner + _indented(item, inner) for item in value) + newline + "]"
    raise _Unhandled


def input_error(error) -> dict:  # noqa: ANN001 - model.ConfigError
    """An input error (a file missing, unreadable or that does not parse) as an entry of the
    array, after ruff's precedent: no rule, severity error, ``kind`` "input-error", located
    where the error is (``line``/``column`` null when no line applies); also on stderr."""
    line = error.line or None
    column = error.column if line else None
    return {"path": error.path, "line": line, "column": column, "end_line": line, "end_column": column,
            "rule": None, "name": None, "severity": "error", "kind": "input-error", "message": error.message,
            "help_uri": None, "related": [], "fix": None}


def render(report, policy, settings: OutputSettings = OutputSettings()) -> str:  # noqa: ANN001
    return "".join(render_chunks(report, policy, settings))


def render_chunks(report, policy, settings: OutputSettings = OutputSettings()) -> Iterator[str]:  # noqa: ANN001
    """The report in pieces, one entry each (``"".join`` of them is :func:`render`'s text):
    a report of 700,000 findings is written as it is made, never held whole, nor twice."""
    errors = getattr(report, "errors", ())
    if not report.diagnostics and not errors:
        yield "[]\n"
        return
    separator = "["
    shared = _Pieces()
    for item in (*errors, *report.diagnostics) if errors else report.diagnostics:
        error = not isinstance(item, Diagnostic)
        try:
            text = _indented(input_error(item), "\n  ") if error else _finding_text(item, shared)
        except _Unhandled:  # what the fast writer does not know: json.dumps, indented one level in
            data = input_error(item) if error else finding(item)
            text = json.dumps(data, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        yield separator + "\n  " + surrogates_escaped(text)
        separator = ","
    yield "\n]\n"
