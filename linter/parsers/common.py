"""What the parsers share: template suffixes, the line ending of a text, and the
``# policy-lint:`` comments (suppressions) found in any format."""

from __future__ import annotations

from linter.model import MarkedComment

TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2", ".tmpl", ".tpl", ".erb", ".template", ".in", ".epp")


def strip_template_suffix(name: str) -> str:
    if not name.endswith(TEMPLATE_SUFFIXES):  # (most names: one test, in C)
        return name
    for suffix in TEMPLATE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def detect_newline(text: str) -> str:
    """The line ending most of ``text`` uses (CRLF when at least half the lines end so),
    recorded as ``Document.newline``.  A fix does not use it: it writes the line ending of
    the file it edits as :func:`linter.edits.newline_of` reads it (the first line's), so the
    two can differ on a file that mixes them."""
    return "\r\n" if "\r\n" in text and text.count("\r\n") * 2 >= text.count("\n") else "\n"


def is_marked(line: str) -> bool:
    """Whether ``line`` is a ``# policy-lint:`` comment (linter.suppressions reads what
    follows the colon): blanks, ``#``, blanks, ``policy-lint``, blanks, ``:`` (spaces and
    tabs; ``^([ \t]*)#[ \t]*policy-lint[ \t]*:``, which tests/test_without_regex.py holds it
    to).  A config's header comment often names the tool: ``# policy-lint example: ...``."""
    body = line.lstrip(" \t")
    if body[:1] != "#":
        return False
    body = body[1:].lstrip(" \t")
    return body.startswith("policy-lint") and body[11:].lstrip(" \t")[:1] == ":"


def find_marked_comments(path: str, text: str) -> tuple[MarkedComment, ...]:
    """The ``# policy-lint:`` comment lines of ``text``, each with the line it stands above."""
    if "policy-lint" not in text:
        return ()
    found: list[MarkedComment] = []
    pending: list[tuple[int, str]] = []  # comments waiting for the next line that is not a comment
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        stripped = line.strip()
        if stripped.startswith("#"):
            if is_marked(line):
                pending.append((number, line))
            continue
        if pending:
            target = number if stripped else None  # a blank line detaches the comments above it
            found += (MarkedComment(path, n, t, target) for n, t in pending)
            pending = []
    found += (MarkedComment(path, n, t, None) for n, t in pending)
    return tuple(found)
