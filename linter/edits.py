"""Apply located edits to text: a pure function shared by policy tests and the fixer.

Spans are 1-based line/column with an exclusive end column, columns in characters of
the decoded text, lines split on ``"\\n"`` (a CRLF file's ``"\\r"`` is part of the line's
content).  Inserted text is written with ``"\\n"`` and converted to the file's own
line ending, so a CRLF file stays CRLF.
"""

from __future__ import annotations

from collections.abc import Iterable

from linter.diagnostics import Edit


def newline_of(text: str) -> str:
    """The file's line ending: CRLF when its first line ends so, else LF."""
    first = text.find("\n")
    return "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """``text`` with every edit applied; an edit overlapping an earlier one is skipped.

    A position past the end of the text is the end of the text; an insertion there
    into text that does not end with a newline starts a new line first.
    """
    newline = newline_of(text)
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)

    def offset(line: int, column: int) -> int:
        if line > len(starts):
            return len(text)
        start = starts[line - 1]
        end = starts[line] - 1 if line < len(starts) else len(text)  # the "\n" itself, or the end
        return min(start + max(column, 1) - 1, end if line < len(starts) else len(text))

    resolved = []
    for edit in sorted(edits):
        s = edit.span
        begin = offset(s.line, s.column)
        # an end at column 1 of the next line takes the whole previous line, "\n" included
        end = starts[s.end_line - 1] if s.end_column == 1 and s.end_line <= len(starts) else offset(s.end_line, s.end_column)
        if s.end_line > len(starts):
            end = len(text)
        content = edit.content
        if newline == "\r\n":
            content = content.replace("\r\n", "\n").replace("\n", "\r\n")
        if begin == len(text) and text and not text.endswith("\n") and content and begin == end:
            content = newline + content
        resolved.append((begin, max(end, begin), content))
    out = []
    position = 0
    for begin, end, content in resolved:
        if begin < position:  # overlaps an edit already applied
            continue
        out.append(text[position:begin])
        out.append(content)
        position = end
    out.append(text[position:])
    return "".join(out)
