"""Postfix master.cf, parsed as postconf (``postconf_master.c``) and the daemons do.

Each logical line (see :mod:`linter.parsers.postfix_lines`) is split on blanks
with ``{ ... }`` kept together (``mystrtokq``); it needs at least 8 fields, checked
like ``pcf_check_master_entry()``.  Daemon options after the command are read like
``pcf_normalize_daemon_args()`` (option processing stops at the first non-option
or ``--``); ``-o name=value`` and ``-o { name = value }`` become
:class:`~linter.model.Override`\\ s, everything else is kept in ``args`` with
``{ ... }`` groups unwrapped.

Where postconf and the daemon disagree, we say so with a warning: the compact
``-oname=value`` is read as the daemon's getopt reads it (``compact-override``:
postconf splits it at the next ``o``); ``-o name = value`` is read as postconf reads
it, with no override (``override-spaces``: the daemon refuses to start).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from linter.model import (
    POSTFIX_MASTER,
    ConfigError,
    Document,
    Override,
    ParseWarning,
    Service,
    Span,
    Token,
)
from linter.parsers import templates
from linter.parsers.postfix_lines import SPACE, LogicalLine, backslash_warnings, parse_logical_lines, split_nameval

BLANKS = " \t\r\n"  # PCF_MASTER_BLANKS
_PLAIN_WORD = re.compile(r"[^ \t\r\n]+")
TYPES = ("unix", "unix-dgram", "fifo", "inet", "pass")  # Postfix 3.7 accepts unix-dgram too
FIELD_NAMES = ("service", "type", "private", "unprivileged", "chroot", "wakeup", "process_limit", "command")

# An indented line that reads like a service entry of its own.
_LOOKS_LIKE_SERVICE = re.compile(r"[ \t]+\S+[ \t]+(?:inet|unix|unix-dgram|fifo|pass)[ \t]+[yn-][ \t]+[yn-][ \t]+[yn-][ \t]")


class _Word(NamedTuple):  # a tuple: tens of thousands per bulk run, cheaper to make than a dataclass
    """A blank-separated word of the logical line: text[start:end]."""

    start: int
    end: int
    text: str


def parse(path: str, text: str) -> Document:
    return parse_logical_lines(path, text, POSTFIX_MASTER, _parse_entry)


def split_words(text: str) -> list[_Word]:
    """``mystrtokq(text, BLANKS, "{}")``: blank-separated words, ``{...}`` kept whole."""
    if "{" not in text:  # no braces: plain blank-separated words (the common case, done in C)
        return [_Word(m.start(), m.end(), m.group()) for m in _PLAIN_WORD.finditer(text)]
    words = []
    i = 0
    while True:
        while i < len(text) and text[i] in BLANKS:
            i += 1
        if i >= len(text):
            return words
        start, level = i, 0
        while i < len(text):
            ch = text[i]
            if ch == "{":
                level += 1
            elif level > 0 and ch == "}":
                level -= 1
            elif level == 0 and ch in BLANKS:
                break
            i += 1
        words.append(_Word(start, i, text[start:i]))


def unwrap(text: str, start: int, end: int) -> tuple[int, int]:
    """``extpar(..., EXTPAR_FLAG_STRIP)`` on ``text[start:end]`` (which starts with '{'):
    the offsets of the text inside the braces, blanks stripped.  Like Postfix, a
    missing '}' takes the rest of the word and text after the '}' is dropped."""
    level, close = 0, None
    for i in range(start, end):
        if text[i] == "{":
            level += 1
        elif text[i] == "}":
            level -= 1
            if level == 0:
                close = i
                break
    inner_start, inner_end = start + 1, close if close is not None else end
    while inner_end > inner_start and text[inner_end - 1] in SPACE:
        inner_end -= 1
    while inner_start < inner_end and text[inner_start] in SPACE:
        inner_start += 1
    return inner_start, inner_end


def _check_fields(entry: LogicalLine, words: list[_Word]) -> None:
    """``pcf_check_master_entry()``, with postconf's messages."""
    raw = entry.text

    def fail(index: int) -> ConfigError:
        word = words[index]
        line, column = entry.start_position(word.start)
        return ConfigError(entry.path, line, column, f'invalid {FIELD_NAMES[index]} field "{word.text}" in "{raw}"')

    def opaque(index: int) -> bool:  # a template item: what it renders to is not known here
        return templates.has_template(words[index].text, postfix=True)

    if words[1].text not in TYPES and not opaque(1):
        raise fail(1)
    for index in (2, 3, 4):
        if (len(words[index].text) != 1 or words[index].text not in "yn-") and not opaque(index):
            raise fail(index)
    wakeup = words[5].text
    digits = wakeup[:-1] if wakeup.endswith("?") else wakeup
    if digits != "-" and not all(c in "0123456789" for c in digits) and not opaque(5):
        raise fail(5)
    maxproc = words[6].text
    if maxproc != "-" and not all(c in "0123456789" for c in maxproc) and not opaque(6):
        raise fail(6)


def _parse_entry(entry: LogicalLine) -> tuple[Service, list[ParseWarning]]:
    text = entry.text
    words = split_words(text)
    if len(words) < 8:
        raise ConfigError(entry.path, entry.line, 1, "bad field count")
    _check_fields(entry, words)
    warnings = backslash_warnings(entry)
    overrides: list[Override] = []
    args: list[str] = []

    def flag(code: str, message: str, start: int, end: int) -> None:
        warnings.append(ParseWarning(code, message, entry.span(start, end)))

    index = 8
    while index < len(words):
        word = words[index]
        if not word.text.startswith("-") or word.text == "--":
            break
        letter = word.text.find("o", 1)
        if letter < 0:
            args.append(word.text)  # -v, -D, ...: options without a value
            index += 1
            continue
        if letter > 1:
            args.append(word.text[:letter])  # "-vo x=y": getopt reads -v then -o
        compact = letter + 1 < len(word.text)
        if compact:
            value_start, value_end = word.start + letter + 1, word.end
            last = index
            flag(
                "compact-override",
                f"write '-o {word.text[letter + 1:]}': postconf splits '{word.text}' at the next 'o'"
                " and shows a different override than the daemon uses",
                word.start,
                word.end,
            )
        elif index + 1 < len(words):
            value_start, value_end = words[index + 1].start, words[index + 1].end
            last = index + 1
        else:
            args.append(word.text)  # a lone trailing -o: nothing to override
            index += 1
            continue
        long_form = text[value_start] == "{"
        if long_form:
            inner_start, inner_end = unwrap(text, value_start, value_end)
        else:
            inner_start, inner_end = value_start, value_end
        parts = split_nameval(text, inner_start, inner_end)
        following = words[last + 1] if last + 1 < len(words) else None
        if isinstance(parts, str):  # not name=value: postconf drops it, the daemon refuses it
            if following is not None and following.text.startswith("="):
                end = words[last + 2].end if following.text == "=" and last + 2 < len(words) else following.end
                flag(
                    "override-spaces",
                    f"'{text[word.start:end]}': the daemon exits with 'invalid \"-o\" option value';"
                    " write -o name=value or -o { name = value }",
                    word.start,
                    end,
                )
            else:
                flag(
                    "override-spaces",
                    f"'{text[word.start:value_end]}' has no '=': the daemon exits with 'invalid \"-o\" option value'",
                    word.start,
                    value_end,
                )
            index = last + 1
            continue
        name_start, name_end, _, val_start, val_end = parts
        if (
            not long_form
            and val_start == val_end
            and following is not None
            and not following.text.startswith("-")
        ):
            flag(
                "override-spaces",
                f"'{text[word.start:following.end]}': the value after '=' is empty and"
                f" '{following.text}' becomes an argument; write -o {{ name = value }}",
                word.start,
                following.end,
            )
        span_end = value_end
        if long_form:
            close = text.rfind("}", value_start, value_end)
            span_end = close + 1 if close >= 0 else value_end
        overrides.append(
            Override(
                name=text[name_start:name_end],
                value=text[val_start:val_end],
                span=entry.span(word.start, span_end),
                name_span=entry.span(name_start, name_end),
                value_span=entry.span(val_start, val_end),
                long_form=long_form,
            )
        )
        index = last + 1

    for word in words[index:]:
        if word.text.startswith("{"):
            inner_start, inner_end = unwrap(text, word.start, word.end)
            args.append(text[inner_start:inner_end])
        else:
            args.append(word.text)

    for word in words[8:]:
        if word.text.startswith("#"):
            end = words[-1].end
            flag(
                "trailing-comment",
                "'#' after a command is not a comment in Postfix: the words become arguments"
                " (put comments on their own line)",
                word.start,
                end,
            )
            break
    for piece in entry.pieces[1:]:
        if _LOOKS_LIKE_SERVICE.match(piece.text):
            indent = len(piece.text) - len(piece.text.lstrip(" \t"))
            body = piece.text.rstrip(SPACE)
            warnings.append(
                ParseWarning(
                    "accidental-continuation",
                    f"this indented line continues the {words[0].text}/{words[1].text} entry;"
                    " it is not a service of its own (remove the indentation)",
                    entry.span(piece.offset + indent, piece.offset + len(body)),
                )
            )

    pieces = entry.pieces
    if words[7].end <= (pieces[1].offset if len(pieces) > 1 else len(text)):
        # the columns are on the entry's first line (as nearly always): offsets are columns
        path, line = entry.path, pieces[0].line
        fields = tuple(Token(w.text, Span(path, line, w.start + 1, line, w.end + 1)) for w in words[:8])
    else:
        fields = tuple(Token(w.text, entry.span(w.start, w.end)) for w in words[:8])
    last_end = words[-1].end
    service = Service(
        service=words[0].text,
        type=words[1].text,
        private=words[2].text,
        unprivileged=words[3].text,
        chroot=words[4].text,
        wakeup=words[5].text,
        process_limit=words[6].text,
        command=words[7].text,
        args=tuple(args),
        overrides=tuple(overrides),
        span=entry.span(words[0].start, last_end),
        fields=fields,
        templated=templates.has_template(text, postfix=True),
    )
    return service, warnings
