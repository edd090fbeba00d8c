"""Postfix's logical-line reader (``util/readlline.c``), shared by main.cf and master.cf.

Exactly as Postfix reads a file:

* a physical line whose first non-whitespace character is ``#``, and a blank or
  whitespace-only line, is skipped *without* ending the logical line in progress;
* a physical line that starts with whitespace continues the logical line: the
  newline is dropped and the continuation's leading whitespace is kept (so is a CR
  before the LF: Postfix reads ``\\r`` as an ordinary whitespace character);
* a trailing backslash is literal;
* a logical line that starts with whitespace (an indented first line) is ignored.

Template control lines (``{% if %}``) are skipped like comments, so a continued
value may wrap around them, and are returned for the document to keep.  A line that
starts with an installer's ``%{flag}`` (:func:`templates.percent_line`) is read as what
follows the flag: a new logical line, or, after blanks, a continuation.
"""

from __future__ import annotations

from collections.abc import Callable

from linter.model import ConfigError, Document, Entry, ParseWarning, Span, TemplateLine
from linter.parsers import templates
from linter.parsers.common import detect_newline, find_marked_comments
from linter.records import TupleRecord, _new

# C isspace() in the C locale, which Postfix's ISSPACE() uses.
SPACE = " \t\n\r\v\f"


class Piece(TupleRecord):  # one per physical line: a tuple is cheap to make
    """One physical line's contribution to a logical line."""

    __slots__ = ()
    _fields = (
        "offset",  # where the piece starts in LogicalLine.text
        "line",  # 1-based physical line number
        "text",  # the physical line without its LF (a CR before the LF is kept)
    )

    def __new__(cls, offset: int, line: int, text: str) -> Piece:
        return _new(cls, (offset, line, text))


def _piece_index(pieces: tuple[Piece, ...], offset: int) -> int:
    """The last piece starting at or before ``offset`` (the first when none does); a
    logical line has a few pieces, so a scan beats building a list to bisect."""
    index = 0
    for i in range(1, len(pieces)):
        if pieces[i].offset > offset:
            break
        index = i
    return index


class LogicalLine:
    """One logical line: its pieces joined without newlines, as Postfix sees it.

    A plain class (one per line of every file read): a dataclass costs start-up time to
    create and more per instance to build."""

    __slots__ = ("path", "text", "pieces")

    def __init__(self, path: str, text: str, pieces: tuple[Piece, ...]):
        self.path, self.text, self.pieces = path, text, pieces

    def __repr__(self) -> str:
        return f"LogicalLine(path={self.path!r}, text={self.text!r}, pieces={self.pieces!r})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not LogicalLine:
            return NotImplemented
        return (self.path, self.text, self.pieces) == (other.path, other.text, other.pieces)

    def __hash__(self) -> int:
        return hash((self.path, self.text, self.pieces))

    @property
    def line(self) -> int:
        return self.pieces[0].line

    @property
    def end_line(self) -> int:
        return self.pieces[-1].line

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column) of the character at ``offset`` of :attr:`text`.

        An offset at the end of a piece is placed at the end of that piece's line,
        not at the start of the next piece, so a span's end stays on its own line.
        """
        index = _piece_index(self.pieces, offset)
        if index > 0 and offset == self.pieces[index].offset:
            # The end of the previous piece and the start of this one coincide;
            # callers asking for a start get this piece via start_position().
            previous = self.pieces[index - 1]
            return previous.line, offset - previous.offset + 1
        piece = self.pieces[index]
        return piece.line, offset - piece.offset + 1

    def start_position(self, offset: int) -> tuple[int, int]:
        """Like :meth:`position`, but an offset at a piece boundary starts the next piece."""
        piece = self.pieces[_piece_index(self.pieces, offset)]
        return piece.line, offset - piece.offset + 1

    def span(self, start: int, end: int) -> Span:
        """The span of ``text[start:end]`` (zero-width when ``start == end``)."""
        pieces = self.pieces
        if len(pieces) == 1:  # most logical lines: offsets are columns (a hot path in bulk runs)
            line = pieces[0].line
            return Span(self.path, line, start + 1, line, (end if end > start else start) + 1)
        if end <= start:
            line, column = self.start_position(start)
            return Span(self.path, line, column, line, column)
        # one pass for both ends: start_position(start) and position(end), inline
        first = last = 0
        for index in range(1, len(pieces)):
            offset = pieces[index].offset
            if offset >= end:
                break
            last = index  # an end at a piece boundary stays on the line before
            if offset <= start:
                first = index
        head, tail = pieces[first], pieces[last]
        return Span(self.path, head.line, start - head.offset + 1, tail.line, end - tail.offset + 1)

    def whole_span(self) -> Span:
        """From the first character to the end of the last piece (a CR excluded)."""
        last = self.pieces[-1]
        return Span(self.path, self.line, 1, last.line, len(last.text.rstrip("\r")) + 1)


class ReadResult(TupleRecord):
    __slots__ = ()
    _fields = ("lines", "templates", "warnings", "newline", "end")

    def __new__(
        cls,
        lines: tuple[LogicalLine, ...],
        templates: tuple[TemplateLine, ...],
        warnings: tuple[ParseWarning, ...],
        newline: str,
        end: Span,
    ) -> ReadResult:
        return _new(cls, (lines, templates, warnings, newline, end))


def parse_logical_lines(
    path: str, text: str, fmt: str, parse_line: Callable[[LogicalLine], tuple[Entry, list[ParseWarning]]]
) -> Document:
    """The Document of ``text``: each logical line read by ``parse_line``, which raises
    ConfigError for what Postfix rejects.  A rejected line that holds template
    expressions or sits next to a template control line is template output: it is
    kept as a TemplateLine.  Templates and warnings are sorted by position."""
    read = read_logical_lines(path, text)
    entries: list[Entry] = []
    template_lines = list(read.templates)
    warnings = list(read.warnings)
    for line in read.lines:
        try:
            entry, found = parse_line(line)
        except ConfigError:
            if templates.has_template(line.text, postfix=True) or next_to_template(line, read.templates) \
                    or templates.percent_line(line.text) is not None:
                template_lines.append(TemplateLine(line.text.rstrip(SPACE), line.whole_span()))
                continue
            raise
        entries.append(entry)
        warnings.extend(found)
    template_lines.sort(key=lambda t: (t.span.line, t.span.column))
    warnings.sort(key=lambda w: (w.span.line, w.span.column))
    return Document(path=path, format=fmt, entries=tuple(entries), templates=tuple(template_lines),
                    warnings=tuple(warnings), files=(path,), newline=read.newline, end=read.end,
                    marked_comments=find_marked_comments(path, text))


def read_logical_lines(path: str, text: str) -> ReadResult:
    """Split ``text`` into Postfix logical lines, with locations."""
    # A BOM is kept: Postfix reads its bytes as part of the first name, so the
    # first parameter is not the one the user sees (unknown-directive reports it).
    physical = text.split("\n")
    # A final LF ends the last line; it does not start an empty one.
    if physical and physical[-1] == "" and len(physical) > 1:
        physical.pop()
    newline = detect_newline(text)

    logical: list[LogicalLine] = []
    template_lines: list[TemplateLine] = []
    warnings: list[ParseWarning] = []
    pieces: list[Piece] = []
    length = 0

    def flush() -> None:
        nonlocal pieces, length
        if pieces:
            joined = pieces[0][2] if len(pieces) == 1 else "".join(p.text for p in pieces)
            entry = LogicalLine(path, joined, tuple(pieces))
            if joined[0] in SPACE:
                shown = joined[:30] + ("..." if len(joined) > 30 else "")
                warnings.append(
                    ParseWarning(
                        "indented-first-line",
                        f'logical line must not start with whitespace: "{shown}" (Postfix ignores it)',
                        entry.whole_span(),
                    )
                )
            else:
                logical.append(entry)
        pieces = []
        length = 0

    open_block: str | None = None  # the closer of a template tag spanning lines
    # every template control line holds a '%' or '{#': without them, no line needs the test
    may_hold_templates = "%" in text or "{#" in text
    may_hold_expressions = "{{" in text
    expression = 0  # template expressions opened and not closed in the logical line so far
    for number, line_text in enumerate(physical, start=1):
        if open_block is not None or (may_hold_templates and ("%" in line_text or "{#" in line_text)
                                      and templates.is_template_line(line_text)):
            body = line_text.rstrip("\r")
            template_lines.append(TemplateLine(body, Span(path, number, 1, number, len(body) + 1)))
            open_block = _still_open(body, open_block)
            continue
        first = line_text[:1]
        if first == "#":  # a comment (most lines of a main.cf)
            continue
        if not first or first in SPACE:
            stripped = line_text.lstrip(SPACE)
            if not stripped or stripped[0] == "#":  # blank or comment (readlline.c): skipped, the line goes on
                continue
        percent = templates.percent_line(line_text) if line_text[0] == "%" else None
        if percent is not None and (percent[0] == templates.OPAQUE or not pieces and percent[0] != templates.CONDITIONAL):
            # a '%' placeholder line (templates.percent_line): no name of Postfix's
            body = line_text.rstrip("\r")
            template_lines.append(TemplateLine(body, Span(path, number, 1, number, len(body) + 1)))
            continue
        if pieces and line_text[0] not in SPACE and (percent is None or percent[0] != templates.CONTINUATION) \
                and not expression:
            flush()
            expression = 0
        pieces.append(_new(Piece, (length, number, line_text)))
        length += len(line_text)
        if may_hold_expressions and ("{{" in line_text or "}}" in line_text):
            # a template expression written over lines ({{ "..." | format(\n ...\n) }}) is one
            # line of the rendered file, wherever its lines start
            expression = templates.open_expressions(line_text, expression)
    flush()

    last_number = max(len(physical), 1)
    last_text = physical[-1].rstrip("\r") if physical else ""
    end = Span.point(path, last_number, len(last_text) + 1)
    return ReadResult(tuple(logical), tuple(template_lines), tuple(warnings), newline, end)


_TAGS = (("{%", "%}"), ("{#", "#}"), ("<%", "%>"))


def _still_open(line: str, closer: str | None) -> str | None:
    """The closer still awaited after ``line`` when a template tag spans lines
    (``{% set x = {`` ... ``} %}``), else None."""
    if closer is not None:
        end = line.find(closer)
        if end < 0:
            return closer
        line = line[end + len(closer) :]
    for opener, tag_closer in _TAGS:
        start = line.rfind(opener)
        if start >= 0 and line.find(tag_closer, start + len(opener)) < 0:
            return tag_closer
    return None


def next_to_template(entry: LogicalLine, template_lines: tuple[TemplateLine, ...]) -> bool:
    """True when a template line sits just before or just after ``entry``: a line
    that is no valid Postfix there is template output (``{% if %}`` ... ``{% endif %}``)."""
    lines = {t.span.line for t in template_lines}
    return entry.line - 1 in lines or entry.end_line + 1 in lines


# --- warnings both formats share -------------------------------------------------


def backslash_warnings(entry: LogicalLine) -> list[ParseWarning]:
    """A physical line ending in ``\\`` that is followed by a continuation line."""
    found = []
    for piece in entry.pieces[:-1]:
        body = piece.text.rstrip("\r")
        if body.endswith("\\"):
            column = len(body)
            found.append(
                ParseWarning(
                    "backslash-continuation",
                    "a trailing '\\' is not a line continuation in Postfix: it stays in the value"
                    " (continue a line by starting the next one with whitespace)",
                    Span(entry.path, piece.line, column, piece.line, column + 1),
                )
            )
    return found


def skip_space(text: str, start: int) -> int:
    while start < len(text) and text[start] in SPACE:
        start += 1
    return start


def split_nameval(text: str, start: int, end: int) -> tuple[int, int, int, int, int] | str:
    """Postfix's ``split_nameval()`` on ``text[start:end]``: the offsets of the name's
    start and end, the ``=``, the value's start and end; or Postfix's error message.

    In C: blanks (SPACE), then the name up to a blank or ``=`` (none: "missing attribute
    name"), blanks, ``=`` (else "missing '=' after attribute name"), blanks, the value up
    to its trailing blanks.  Done here with string methods: the name is what precedes
    the first ``=``, less trailing blanks, and must hold no blank."""
    part = text[start:end]
    body = part.lstrip(SPACE)
    if not body or body[0] == "=":
        return "missing attribute name"
    name_start = end - len(body)
    equals = body.find("=")
    if equals < 0:
        return "missing '=' after attribute name"
    name = body[:equals].rstrip(SPACE)
    for blank in SPACE:
        if blank in name:  # a blank, then something other than '='
            return "missing '=' after attribute name"
    value = body[equals + 1 :]
    stripped = value.lstrip(SPACE)
    value_start = end - len(stripped)
    return name_start, name_start + len(name), name_start + equals, value_start, value_start + len(stripped.rstrip(SPACE))
