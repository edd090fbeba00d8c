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

from linter.lazyre import lazy
from linter.model import (
    POSTFIX_MASTER,
    Columns,
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
from linter.records import _new

BLANKS = " \t\r\n"  # PCF_MASTER_BLANKS
_PLAIN_WORD = lazy(r"[^ \t\r\n]+")
TYPES = ("unix", "unix-dgram", "fifo", "inet", "pass")  # Postfix 3.7 accepts unix-dgram too
FIELD_NAMES = ("service", "type", "private", "unprivileged", "chroot", "wakeup", "process_limit", "command")

# An indented line that reads like a service entry of its own.
_LOOKS_LIKE_SERVICE = lazy(r"[ \t]+\S+[ \t]+(?:inet|unix|unix-dgram|fifo|pass)[ \t]+[yn-][ \t]+[yn-][ \t]+[yn-][ \t]")


def _looks_like_service(text: str) -> bool:
    """``_LOOKS_LIKE_SERVICE.match(text)``, compiled only for a line whose words could match:
    a match's words (split on whitespace, which includes the pattern's blanks and ends its
    ``\\S+``) are a name, a type, and three of y, n and - (an ``-o name=value`` line is not)."""
    words = text.split(None, 5)
    return len(words) >= 5 and words[1] in TYPES and words[2] in _FLAGS and words[3] in _FLAGS \
        and words[4] in _FLAGS and _LOOKS_LIKE_SERVICE.match(text) is not None


def parse(path: str, text: str) -> Document:
    return parse_logical_lines(path, text, POSTFIX_MASTER, _parse_entry)


def split_words(text: str) -> tuple[list[str], list[int]]:
    """``mystrtokq(text, BLANKS, "{}")``: blank-separated words, ``{...}`` kept whole, as two
    lists, the words and where each starts (a word ends at its start plus its length): an
    entry's words are read by index, without a record each."""
    if "{" not in text:  # no braces: plain blank-separated words (the common case, done in C)
        # _PLAIN_WORD.findall(text): each blank made a space, the non-empty pieces between spaces
        texts = [word for word in text.replace("\t", " ").replace("\r", " ").replace("\n", " ").split(" ") if word]
        starts = []
        find, position = text.find, 0
        for word in texts:  # a word holds no blank: it is found where the blanks before it end
            position = find(word, position)
            starts.append(position)
            position += len(word)
        return texts, starts
    texts, starts = [], []
    i, n = 0, len(text)
    while True:
        plain = _PLAIN_WORD.search(text, i)  # the next run of non-blanks
        if plain is None:
            return texts, starts
        start, i = plain.start(), plain.end()
        if "{" in plain.group():  # a group: blanks inside braces do not end the word
            i, level = start, 0
            while i < n:
                ch = text[i]
                if ch == "{":
                    level += 1
                elif level > 0 and ch == "}":
                    level -= 1
                elif level == 0 and ch in BLANKS:
                    break
                i += 1
        texts.append(text[start:i])
        starts.append(start)


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


def _check_fields(entry: LogicalLine, texts: list[str], starts: list[int]) -> None:
    """``pcf_check_master_entry()``, with postconf's messages."""
    if texts[1] in TYPES and texts[2] in _FLAGS and texts[3] in _FLAGS and texts[4] in _FLAGS \
            and _count(texts[5][:-1] if texts[5].endswith("?") else texts[5]) and _count(texts[6]):
        return  # (the usual entry: the checks below, each passed)
    raw = entry.text

    def fail(index: int) -> ConfigError:
        line, column = entry.start_position(starts[index])
        return ConfigError(entry.path, line, column, f'invalid {FIELD_NAMES[index]} field "{texts[index]}" in "{raw}"')

    def opaque(index: int) -> bool:  # a template item: what it renders to is not known here
        return templates.has_template(texts[index], postfix=True)

    if texts[1] not in TYPES and not opaque(1):
        raise fail(1)
    for index in (2, 3, 4):
        if (len(texts[index]) != 1 or texts[index] not in "yn-") and not opaque(index):
            raise fail(index)
    wakeup = texts[5]
    digits = wakeup[:-1] if wakeup.endswith("?") else wakeup
    if digits != "-" and not all(c in "0123456789" for c in digits) and not opaque(5):
        raise fail(5)
    maxproc = texts[6]
    if maxproc != "-" and not all(c in "0123456789" for c in maxproc) and not opaque(6):
        raise fail(6)


_FLAGS = ("y", "n", "-")


def _count(text: str) -> bool:
    """``-`` or ASCII digits only (none: a wakeup of just ``?``), as _check_fields accepts."""
    return text == "-" or not text or (text.isascii() and text.isdigit())


def _parse_entry(entry: LogicalLine) -> tuple[Service, list[ParseWarning]]:
    """One logical line as a service: the 8 fields checked, the daemon options read, the
    arguments after them, and the warnings of the entry."""
    text = entry.text
    texts, starts = split_words(text)
    if len(texts) < 8:
        raise ConfigError(entry.path, entry.line, 1, "bad field count")
    _check_fields(entry, texts, starts)
    pieces = entry.pieces
    warnings = backslash_warnings(entry) if len(pieces) > 1 else []
    if len(texts) > 8 and texts[8][0] == "-":
        overrides, args, index = _options(entry, texts, starts, warnings)
    else:
        overrides, args, index = [], [], 8
    if index < len(texts):
        args += _arguments(text, texts, starts, index)
    if "#" in text:
        _comment_warning(entry, texts, starts, warnings)
    if len(pieces) > 1:
        _continuation_warnings(entry, texts, warnings)
    service = _new(Service, (
        texts[0], texts[1], texts[2], texts[3], texts[4], texts[5], texts[6], texts[7],  # the columns
        tuple(args),
        tuple(overrides),
        entry.span(starts[0], starts[-1] + len(texts[-1])),
        _fields(entry, texts, starts),
        templates.has_template(text, postfix=True),
    ))
    return service, warnings


def _options(entry: LogicalLine, texts: list[str], starts: list[int], warnings: list[ParseWarning]
             ) -> tuple[list[Override], list[str], int]:
    """``pcf_normalize_daemon_args()``: the options after the command, up to the first
    word that is not one (or ``--``): the overrides, the other options, and the index
    of the first argument."""
    overrides: list[Override] = []
    args: list[str] = []
    index, count = 8, len(texts)
    while index < count:
        word = texts[index]
        if word[0] != "-" or word == "--":
            break
        letter = word.find("o", 1)
        if letter < 0:
            args.append(word)  # -v, -D, ...: options without a value
            index += 1
            continue
        if letter > 1:
            args.append(word[:letter])  # "-vo x=y": getopt reads -v then -o
        if letter + 1 == len(word) and index + 1 == count:
            args.append(word)  # a lone trailing -o: nothing to override
            index += 1
            continue
        index = _override(entry, texts, starts, index, letter, overrides, warnings)
    return overrides, args, index


def _override(entry: LogicalLine, texts: list[str], starts: list[int], index: int, letter: int,
              overrides: list[Override], warnings: list[ParseWarning]) -> int:
    """The ``-o`` at ``texts[index]`` (its ``o`` at ``letter``): an Override, or the
    warning for what postconf drops and the daemon refuses; returns the next word's index."""
    text = entry.text
    word, start = texts[index], starts[index]
    end = start + len(word)
    if letter + 1 < len(word):  # "-oname=value": getopt reads the rest of the word as the value
        value_start, value_end, last = start + letter + 1, end, index
        warnings.append(ParseWarning(
            "compact-override",
            f"write '-o {word[letter + 1:]}': postconf splits '{word}' at the next 'o'"
            " and shows a different override than the daemon uses",
            entry.span(start, end)))
    else:
        last = index + 1
        value_start = starts[last]
        value_end = value_start + len(texts[last])
    long_form = text[value_start] == "{"
    inner_start, inner_end = unwrap(text, value_start, value_end) if long_form else (value_start, value_end)
    parts = split_nameval(text, inner_start, inner_end)
    following = last + 1 if last + 1 < len(texts) else None
    if isinstance(parts, str):  # not name=value: postconf drops it, the daemon refuses it
        warnings.append(_not_nameval(entry, texts, starts, start, value_end, last, following))
        return last + 1
    name_start, name_end, _, val_start, val_end = parts
    if not long_form and val_start == val_end and following is not None and texts[following][0] != "-":
        following_end = starts[following] + len(texts[following])
        warnings.append(ParseWarning(
            "override-spaces",
            f"'{text[start:following_end]}': the value after '=' is empty and"
            f" '{texts[following]}' becomes an argument; write -o {{ name = value }}",
            entry.span(start, following_end)))
    span_end = value_end
    if long_form:
        close = text.rfind("}", value_start, value_end)
        span_end = close + 1 if close >= 0 else value_end
    pieces = entry.pieces
    if len(pieces) == 1:  # one physical line: offsets are columns, as entry.span() finds them
        path, line = entry.path, pieces[0][1]
        where = _new(Span, (path, line, start + 1, line, (span_end if span_end > start else start) + 1))
        name_span = _new(Span, (path, line, name_start + 1, line, (name_end if name_end > name_start
                                                                   else name_start) + 1))
        value_span = _new(Span, (path, line, val_start + 1, line, (val_end if val_end > val_start else val_start) + 1))
    else:
        where, name_span, value_span = entry.span(start, span_end), entry.span(name_start, name_end), \
            entry.span(val_start, val_end)
    overrides.append(_new(Override, (text[name_start:name_end], text[val_start:val_end], where, name_span,
                                     value_span, long_form)))
    return last + 1


def _not_nameval(entry: LogicalLine, texts: list[str], starts: list[int], start: int, value_end: int, last: int,
                 following: int | None) -> ParseWarning:
    """``-o name = value`` or ``-o name``: postconf shows no override, the daemon exits."""
    text = entry.text
    if following is not None and texts[following][0] == "=":
        if texts[following] == "=" and last + 2 < len(texts):
            end = starts[last + 2] + len(texts[last + 2])
        else:
            end = starts[following] + len(texts[following])
        return ParseWarning("override-spaces",
                            f"'{text[start:end]}': the daemon exits with 'invalid \"-o\" option value';"
                            " write -o name=value or -o { name = value }", entry.span(start, end))
    return ParseWarning("override-spaces",
                        f"'{text[start:value_end]}' has no '=': the daemon exits with 'invalid \"-o\" option value'",
                        entry.span(start, value_end))


def _arguments(text: str, texts: list[str], starts: list[int], index: int) -> list[str]:
    """The command's arguments from ``texts[index]`` on, ``{ ... }`` groups unwrapped."""
    args = []
    for i in range(index, len(texts)):
        word = texts[i]
        if word[0] == "{":
            inner_start, inner_end = unwrap(text, starts[i], starts[i] + len(word))
            args.append(text[inner_start:inner_end])
        else:
            args.append(word)
    return args


def _comment_warning(entry: LogicalLine, texts: list[str], starts: list[int], warnings: list[ParseWarning]) -> None:
    """A ``#`` word after the command starts arguments, not a comment."""
    for i in range(8, len(texts)):
        if texts[i][0] == "#":
            warnings.append(ParseWarning(
                "trailing-comment",
                "'#' after a command is not a comment in Postfix: the words become arguments"
                " (put comments on their own line)",
                entry.span(starts[i], starts[-1] + len(texts[-1]))))
            return


def _continuation_warnings(entry: LogicalLine, texts: list[str], warnings: list[ParseWarning]) -> None:
    """An indented line that reads like a service of its own continues this entry."""
    for piece in entry.pieces[1:]:
        if _looks_like_service(piece.text):
            indent = len(piece.text) - len(piece.text.lstrip(" \t"))
            body = piece.text.rstrip(SPACE)
            warnings.append(ParseWarning(
                "accidental-continuation",
                f"this indented line continues the {texts[0]}/{texts[1]} entry;"
                " it is not a service of its own (remove the indentation)",
                entry.span(piece.offset + indent, piece.offset + len(body))))


def _fields(entry: LogicalLine, texts: list[str], starts: list[int]) -> tuple[Token, ...] | Columns:
    """The 7 columns and the command, each located: when they are on the entry's first line
    (as nearly always), only their columns, made into Tokens when asked (Service.fields)."""
    pieces = entry.pieces
    if starts[7] + len(texts[7]) <= (pieces[1].offset if len(pieces) > 1 else len(entry.text)):
        # offsets on the first line are columns
        return _new(Columns, (pieces[0].line, *starts[:8]))
    return tuple([Token(texts[i], entry.span(starts[i], starts[i] + len(texts[i]))) for i in range(8)])
