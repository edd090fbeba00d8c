"""Postfix main.cf, parsed exactly as Postfix does (``dict_load_fp`` + ``split_nameval``).

Each logical line (see :mod:`linter.parsers.postfix_lines`) is ``name = value``:
the name runs up to whitespace or ``=``, whitespace around ``=`` is ignored, the
value's trailing whitespace is trimmed, an empty value is legal, and a ``#`` after
the value is part of the value.  Every assignment is kept in file order, duplicates
included (Postfix keeps the last one).

A logical line without ``=`` is fatal in Postfix and raises
:class:`~linter.model.ConfigError` with postconf's message, unless it holds template
expressions or sits next to a template control line (it is template output, e.g. the
body of an ``{% if %}``): then it is kept as a :class:`~linter.model.TemplateLine`.
"""

from __future__ import annotations

import os
import sys

from linter.lazyre import lazy
from linter.model import POSTFIX_MAIN, Assignment, ConfigError, Document, ParseWarning, Span
from linter.parsers import templates
from linter.parsers.common import strip_template_suffix
from linter.parsers.postfix_lines import (
    SPACE,
    LogicalLine,
    backslash_warnings,
    parse_logical_lines,
    skip_space,
    split_nameval,
)
from linter.records import _new

# An indented continuation line that reads like its own parameter setting.
_LOOKS_LIKE_SETTING = lazy(r"[ \t]+([a-z][a-z0-9]*(?:_[a-z0-9]+)+)[ \t]*=")
# '#' starting a value or after whitespace inside it: the user meant a comment.
_COMMENT_IN_VALUE = lazy(r"(?:^|(?<=[ \t\r\v\f]))#")


# A template line that writes an assignment whose name is itself generated
# ("{{ parameter }} = {{ value }}" in a macro, "<%= key %> = <%= value %>" in a loop).
_GENERATED_NAME = lazy(r"[ \t]*(?:\{\{.*?\}\}|<%=.*?%>)[ \t]*=")
# A call on its own line whose first argument is a quoted parameter name:
# "{{ set_parameter('message_size_limit', '41943040') }}" (Salt's postfix-formula).
_NAMED_CALL = lazy(r"[ \t]*(?:\{\{-?|<%=)[ \t]*[A-Za-z_][\w.]*[ \t]*\([ \t]*(['\"])([a-z][a-z0-9_]*)\1")


def parse(path: str, text: str) -> Document:
    if "%" in text and (strip_template_suffix(os.path.basename(path)) != os.path.basename(path)
                        or templates.has_percent_lines(text, anywhere=False)):
        # an installer's '%' template (templates.percent_line): a '%name' in a value is its placeholder
        doc = parse_logical_lines(path, text, POSTFIX_MAIN, lambda entry: _parse_line(entry, percent=True))
    else:
        doc = parse_logical_lines(path, text, POSTFIX_MAIN, _parse_line)
    if doc.templates and "{%" in text:
        doc = _with_includes(doc)
    return _with_generated_assignments(doc)


# Jinja's include and the tags that pull in another template: {%- include('main.cf.d/x.j2') -%}
_INCLUDE_TAG = lazy(r"\{%[-+]?\s*(include|import|from|extends)\b\s*\(?\s*(?:(['\"])([^'\"]*)\2)?")
MAX_INCLUDE_DEPTH = 8
_including: list[str] = []  # the templates being read, outermost first (a cycle stops)


def _include_target(path: str, name: str) -> str | None:
    """Where the included template ``name`` is: beside ``path``, else beside one of its
    parent folders (Ansible searches the template's own folder and the role's
    ``templates/``); None when it is not found in the repository."""
    if not name or os.path.isabs(name) or ".." in name.replace("\\", "/").split("/"):
        return None
    folder = os.path.dirname(os.path.abspath(path))
    for _ in range(MAX_INCLUDE_DEPTH):
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder or os.path.exists(os.path.join(folder, ".git")):
            return None
        folder = parent
    return None


def _with_includes(doc: Document) -> Document:
    """A main.cf template that includes others (``{% include 'main.cf.d/smtpd.j2' %}``) sets
    what they set, where it includes them: the included template's literal assignments
    are read in at the include (its own includes too).  One that cannot be read (not in
    the repository, a name computed by the template, an ``extends``/``import``) may set
    anything: ``meta["unread_include"]`` says which, and what main.cf leaves unset is
    then unknown (linter.engine: a partial main.cf), never Postfix's default."""
    from linter.parsers.io import read_text

    entries = list(doc.entries)
    unread: list[str] = []
    _including.append(os.path.realpath(doc.path))
    try:
        _read_includes(doc, entries, unread, read_text)
    finally:
        _including.pop()
    if not unread and len(entries) == len(doc.entries):
        return doc
    meta = dict(doc.meta)
    if unread:
        meta["unread_include"] = tuple(unread)
    return doc.replace(entries=tuple(entries), meta=meta)


def _read_includes(doc: Document, entries: list, unread: list[str], read_text) -> None:  # noqa: ANN001
    for line in doc.templates:
        for match in _INCLUDE_TAG.finditer(line.text):
            kind, name = match.group(1), match.group(3) or ""
            target = _include_target(doc.path, name) if kind == "include" else None
            real = os.path.realpath(target) if target else None
            if target is None or real in _including or len(_including) >= MAX_INCLUDE_DEPTH:
                unread.append(f"{kind} {name or '(a computed name)'} at line {line.span.line}")
                continue
            _including.append(real or "")
            try:
                included = parse(target, read_text(target))
            except ConfigError:
                unread.append(f"{kind} {name} at line {line.span.line}")
                continue
            finally:
                _including.pop()
            at = next((i for i, e in enumerate(entries) if e.span.path == doc.path and e.span.line > line.span.line),
                      len(entries))
            entries[at:at] = [e for e in included.entries if isinstance(e, Assignment)]
            unread += included.meta.get("unread_include", ())


def _with_generated_assignments(doc: Document) -> Document:
    """Parameters a template sets through a macro: when the file writes assignments with a
    generated name, a call such as ``{{ set_parameter('message_size_limit', ...) }}`` sets
    the parameter it names, to a value the tool cannot know (a templated Assignment at the
    call).  Without this, the parameter would look unset and be judged by its default."""
    if not doc.templates or not any(_GENERATED_NAME.match(t.text) for t in doc.templates):
        return doc
    found: list[Assignment] = []
    for template in doc.templates:
        match = _NAMED_CALL.match(template.text)
        if match is None or template.span.line != template.span.end_line:
            continue
        line, column = template.span.line, template.span.column
        name_span = Span(doc.path, line, column + match.start(2), line, column + match.end(2))
        found.append(Assignment(name=match.group(2), value=template.text.strip(), span=template.span,
                                name_span=name_span, value_span=template.span, templated=True))
    if not found:
        return doc
    entries = sorted((*doc.entries, *found), key=lambda e: (e.span.line, e.span.column))
    return doc.replace(entries=tuple(entries))


def _parse_line(entry: LogicalLine, percent: bool = False) -> tuple[Assignment, list[ParseWarning]]:
    parsed = _split_nameval(entry, percent)
    if not isinstance(parsed, Assignment):  # postconf's error text and where
        message, offset = parsed
        line, column = entry.start_position(offset)
        # postconf names the first line of the logical line; so do we.
        raise ConfigError(entry.path, entry.line, column if line == entry.line else 1, f'{message}: "{entry.text}"')
    return parsed, _warnings(entry, parsed)


def _split_nameval(entry: LogicalLine, percent: bool = False) -> Assignment | tuple[str, int]:
    """``split_nameval()``: an Assignment, or postconf's error text and where.  Behind an
    installer's ``%{flag}`` (rendered to "" or "#") the name is what follows the flag and
    the value is unknown; with ``percent`` (the file is such a template) so is a value
    holding a ``%name`` placeholder."""
    text = entry.text
    parts = split_nameval(text, 0, len(text))
    if isinstance(parts, str):
        return parts, skip_space(text, 0)
    name_start, name_end, equals, value_start, value_end = parts
    conditional = False
    if text[name_start] == "%":
        flag = templates.percent_line(text, name_start)
        if flag is not None and flag[0] == templates.CONDITIONAL and flag[1] < name_end:
            name_start, conditional = flag[1], True
    name = sys.intern(text[name_start:name_end])  # one string per name, however often it is set
    value = text[value_start:value_end]
    end = max(value_end, equals + 1)
    if len(entry.pieces) == 1:
        # one physical line (most): offsets are columns, as entry.span() finds them
        path, line = entry.path, entry.pieces[0].line
        if value_start == value_end:  # zero-width just after '=' and the blanks on its line
            blank = _blank_end_on_line(entry, equals + 1) + 1
            value_span = _new(Span, (path, line, blank, line, blank))
        else:
            value_span = _new(Span, (path, line, value_start + 1, line, value_end + 1))
        span = _new(Span, (path, line, name_start + 1, line, end + 1))
        name_span = _new(Span, (path, line, name_start + 1, line, name_end + 1))
    else:
        if value_start == value_end:
            # Zero-width just after '=' and the blanks on its own line.
            value_span = entry.span(_blank_end_on_line(entry, equals + 1), _blank_end_on_line(entry, equals + 1))
        else:
            value_span = entry.span(value_start, value_end)
        span, name_span = entry.span(name_start, end), entry.span(name_start, name_end)
    templated = conditional or templates.has_template(name, postfix=True) or templates.has_template(value, postfix=True) \
        or (percent and templates.has_percent_placeholder(value))
    return _new(Assignment, (name, value, span, name_span, value_span, templated, conditional))


def _blank_end_on_line(entry: LogicalLine, offset: int) -> int:
    """``offset`` moved over blanks, but not past the end of its physical line."""
    for piece in entry.pieces:
        piece_end = piece.offset + len(piece.text.rstrip("\r"))
        if piece.offset <= offset <= piece_end:
            while offset < piece_end and entry.text[offset] in " \t":
                offset += 1
            return offset
    return offset


def _warnings(entry: LogicalLine, assignment: Assignment) -> list[ParseWarning]:
    if len(entry.pieces) == 1 and ("#" not in assignment.value or _COMMENT_IN_VALUE.search(assignment.value) is None):
        return []  # one physical line (no continuation, no backslash before one), no '#' in its value
    found = backslash_warnings(entry)
    for piece in entry.pieces[1:]:
        match = _LOOKS_LIKE_SETTING.match(piece.text)
        if match:
            body = piece.text.rstrip(SPACE)
            found.append(
                ParseWarning(
                    "accidental-continuation",
                    f"this indented line continues the value of {assignment.name}; "
                    f"{match.group(1)} is not set (remove the indentation to set it)",
                    _piece_span(entry, piece.line, len(piece.text) - len(piece.text.lstrip(" \t")), len(body)),
                )
            )
    value_offset = _value_offset(entry, assignment)
    comment = _COMMENT_IN_VALUE.search(assignment.value) if "#" in assignment.value else None
    if comment and value_offset is not None:
        start = value_offset + comment.start()
        end = value_offset + len(assignment.value)
        found.append(
            ParseWarning(
                "trailing-comment",
                f"'#' after a value is not a comment in Postfix: it is part of the value of {assignment.name}"
                " (put comments on their own line)",
                entry.span(start, end),
            )
        )
    return found


def _value_offset(entry: LogicalLine, assignment: Assignment) -> int | None:
    if not assignment.value:
        return None
    for piece in entry.pieces:
        if piece.line == assignment.value_span.line:
            return piece.offset + assignment.value_span.column - 1
    return None


def _piece_span(entry: LogicalLine, line: int, start_index: int, end_index: int) -> Span:
    return Span(entry.path, line, start_index + 1, line, end_index + 1)
