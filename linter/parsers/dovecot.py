"""Dovecot 2.3 configuration, read as ``src/config/config-parser.c`` (2.3.19.1) reads it.

One pass over a stack of open files, like Dovecot's ``input_stack``:

* A physical line is split at LF (a CR before it is dropped). Leading blanks go; a
  line that is then empty or starts with ``#`` is skipped, **and a pending
  continuation is dropped with it** (Dovecot resets its joined line on every
  skipped line). ``#`` outside quotes ends the line; one not after a blank gives
  the ``ambiguous-hash`` warning, as doveconf warns. Trailing blanks go; a trailing
  ``\\`` joins the next line with one space (even across an include's end).
* ``key = value``: blanks around ``=`` go. ``<file`` is kept as ``<file`` (blanks
  after ``<`` dropped). A value that does not start with a quote and holds ``$`` is
  split on spaces and re-joined with single spaces; a ``$key`` token naming the
  setting itself is replaced by the value it had before in this section or a parent
  (``mail_plugins = $mail_plugins quota``), other ``$tokens`` stay as written (what
  ``doveconf -n`` prints). A value starting and ending with the same quote loses the
  quotes and is backslash-unescaped.
* ``name [arg] {`` opens a section (``arg`` may be double-quoted; nothing may follow
  ``{``); ``}`` alone closes it. Filters (``protocol``, ``remote``, ``local``,
  ``local_name``) are sections too, with Dovecot's nesting rules.
* ``!include`` / ``!include_try``: :mod:`linter.parsers.dovecot_include` (patterns,
  recursion, the repository's mapping of absolute paths, what cannot be read, bounds).

``*.conf.ext`` files given as the root (passdb/userdb/dict ``args`` files) are read by
Dovecot's simpler ``lib-settings`` parser: the same lines, sections and includes, but
no ``<file`` and no ``$`` handling, so values are kept as written.

Templates: template control lines are kept as :class:`TemplateLine`; values holding
template expressions are ``templated``. In a file that holds template syntax, a line
that does not parse, a stray ``}`` and sections left open at the end (a ``{% if %}``
around a section header) are tolerated instead of failing the whole file.

In a templated file an ``!include`` that matches nothing is skipped like
``!include_try`` (no note): the tree it names exists only once rendered.

Unknown setting names (even an empty one: ``= x``, which ``plugin { }`` accepts),
and invalid values are not errors here (doveconf rejects
them; lint rules report them).
"""

from __future__ import annotations

import os

from linter.model import (
    DOVECOT,
    ConfigError,
    Document,
    MarkedComment,
    ParseWarning,
    Section,
    Setting,
    Span,
    TemplateLine,
)
from linter.parsers import templates
from linter.parsers.common import detect_newline, find_marked_comments, strip_template_suffix
from linter.parsers.dovecot_include import (  # noqa: F401 (re-exported: tests, formats.dovecot_view)
    MAX_INCLUDED_BYTES,
    MAX_INCLUDED_FILES,
    PACKAGE_INCLUDES,
    IncludeReader,
    _realpath,
    expand_braces,
    glob_brace,
)
from linter.parsers.dovecot_values import SELF_REFERENCE_DEFAULTS, ValueReader  # noqa: F401

BLANK = " \t"
FILTERS = ("protocol", "remote", "local", "local_name")
# Where a filter may not appear: (filter, enclosing filter, doveconf's message).
_FILTER_NESTING = (
    ("protocol", "protocol", "protocol must not be under protocol"),
    ("local", "remote", "local must not be under remote"),
    ("local", "protocol", "local must not be under protocol"),
    ("local", "local_name", "local must not be under local_name"),
    ("local_name", "remote", "local_name must not be under remote"),
    ("local_name", "protocol", "local_name must not be under protocol"),
    ("remote", "protocol", "remote must not be under protocol"),
)


def parse(path: str, text: str) -> Document:
    """Parse the Dovecot root file ``path`` (content ``text``) with its includes."""
    name = strip_template_suffix(os.path.basename(path))
    return _Parser(path, simple=name.endswith(".conf.ext")).run(text)


def unescape(text: str) -> str:
    """Dovecot's ``str_unescape``: a backslash keeps the next character (a lone
    trailing backslash is dropped)."""
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 1
            if i == len(text):
                break
            char = text[i]
        out.append(char)
        i += 1
    return "".join(out)


class _SyntaxError(ConfigError):
    """A line that does not parse (tolerated in files holding template syntax)."""


# -- reading -----------------------------------------------------------------------


class _Input:
    """One open file on the include stack: ``path`` as Dovecot builds it (root path, or
    including dir + pattern); ``percent``: an installer's '%' template, '%name' in a value
    is its placeholder."""

    __slots__ = ("path", "real", "lines", "templated", "index", "started", "percent")

    def __init__(self, path: str, real: str, lines: list[str], templated: bool, index: int = 0,
                 started: bool = False, percent: bool = False):
        self.path = path
        self.real = real
        self.lines = lines
        self.templated = templated
        self.index = index
        self.started = started
        self.percent = percent


class _Pending:
    """A logical line being built from continued physical lines; ``where`` holds the (path,
    line, column) of every character of ``text``."""

    __slots__ = ("text", "where")

    def __init__(self) -> None:
        self.text = ""
        self.where = _Positions()


class _Positions:
    """The (path, line, column) of every character of a logical line, as a sequence (index,
    ``len``, ``[-1]``), kept as the runs of physical lines that make it: a tuple is made for
    the few characters a span asks about, not for every character read."""

    __slots__ = ("runs", "length")

    def __init__(self) -> None:
        self.runs: list[tuple[int, str, int, int]] = []  # (first index, path, line, its column)
        self.length = 0

    def add(self, path: str, line: int, column: int, count: int) -> None:
        """``count`` characters from ``column`` of ``line`` in ``path``."""
        if count > 0:
            self.runs.append((self.length, path, line, column))
            self.length += count

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> tuple[str, int, int]:
        if index < 0:
            index += self.length
        if not 0 <= index < self.length:
            raise IndexError(index)
        for first, path, line, column in reversed(self.runs):  # a logical line has a few runs
            if first <= index:
                return path, line, column + index - first
        raise AssertionError("unreachable: the first run starts at 0")


class _OpenSection:
    __slots__ = ("kind", "name", "header", "span", "templated_file")

    def __init__(self, kind: str, name: str, header: str, span: Span, templated_file: bool):
        self.kind = kind
        self.name = name
        self.header = header
        self.span = span
        self.templated_file = templated_file


def _physical_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # a final LF ends the last line
    if "\r" not in text:
        return lines
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def has_template_syntax(lines: list[str]) -> bool:
    return any(templates.may_hold_template(line)
               and (templates.is_template_line(line) or templates.has_template(line)
                    or templates.has_percent_lines(line))
               for line in lines)


def _percent_dialect(path: str, lines: list[str]) -> bool:
    """A file of an installer's '%' template dialect (templates.percent_line): a line starts
    with a '%' placeholder, or a template file escapes Dovecot's own '%' as '%%'.  Only
    there is '%name' a placeholder: elsewhere '%u', '%{user}' are Dovecot's variables."""
    if any(templates.has_percent_lines(line) for line in lines):
        return True
    name = os.path.basename(path)
    return strip_template_suffix(name) != name and any("%%" in line for line in lines)


class _Parser(IncludeReader, ValueReader):
    def __init__(self, root: str, simple: bool):
        self.root = root
        self.simple = simple  # lib-settings (``*.conf.ext``): no '<file', no '$'
        self.stack: list[_Input] = []
        self.entries: list[Setting] = []
        self.sections: list[Section] = []
        self.open: list[_OpenSection] = []
        self.template_lines: list[TemplateLine] = []
        self.warnings: list[ParseWarning] = []
        self.files: list[str] = []
        self.redirects: list[dict] = []
        self.values: dict[tuple[tuple[str, ...], str], str] = {}
        self.pending = _Pending()
        self.saw_template = False
        self.conditional = False  # the line is behind an installer's '%{flag}': set or not
        self.marked_comments: list[MarkedComment] = []
        self.config_version: str | None = None  # dovecot_config_version: Dovecot 2.4 reads the tree
        self.notes: dict[tuple[str, int], ConfigError] = {}  # (file, line) -> the note of that include
        # includes whose content the tool could not read: (the section they are in, file, line,
        # the names they may set or None for any)
        self.unread: list[tuple[tuple[str, ...], str, int, frozenset[str] | None]] = []
        self.included_files = 0
        self.included_bytes = 0

    # The current physical position, for errors.
    def _here(self) -> tuple[str, int]:
        inp = self.stack[-1]
        return inp.path, inp.index

    def _error(self, message: str, column: int = 1) -> ConfigError:
        path, line = self._here()
        return ConfigError(path, line, column, message)

    def _syntax_error(self, message: str, column: int = 1) -> _SyntaxError:
        path, line = self._here()
        return _SyntaxError(path, line, column, message)

    def run(self, text: str) -> Document:
        lines = _physical_lines(text)
        self.marked_comments += find_marked_comments(self.root, text)
        self.stack.append(_Input(self.root, _realpath(self.root), lines, has_template_syntax(lines),
                                 percent=_percent_dialect(self.root, lines)))
        while self.stack:
            inp = self.stack[-1]
            if not inp.started:
                inp.started = True
                self.files.append(inp.path)
                self.saw_template = self.saw_template or inp.templated
            if inp.index >= len(inp.lines):
                self.stack.pop()
                continue
            raw = inp.lines[inp.index]
            inp.index += 1
            self._line(inp, raw)
        self._finish()
        last = lines[-1] if lines else ""
        newline = detect_newline(text)
        return Document(
            path=self.root,
            format=DOVECOT,
            entries=tuple(self.entries),
            sections=tuple(self.sections),
            templates=tuple(self.template_lines),
            warnings=tuple(self.warnings),
            files=tuple(self.files),
            newline=newline,
            end=Span.point(self.root, max(len(lines), 1), len(last) + 1),
            meta={**({"include_redirects": tuple(self.redirects)} if self.redirects else {}),
                  **({"unread_includes": tuple(self.unread)} if self.unread else {}),
                  **({"dovecot_config_version": self.config_version} if self.config_version is not None else {})},
            marked_comments=tuple(self.marked_comments),
            notes=tuple(self.notes.values()),
        )

    def _finish(self) -> None:
        if not self.open:
            return
        if self.saw_template:
            # Template control flow (an ``{% if %}`` around a header) can leave
            # braces unbalanced in the source; the rendered file is balanced.
            while self.open:
                self._close(None)
            return
        first = self.open[-1]
        raise ConfigError(
            first.span.path,
            first.span.line,
            first.span.column,
            f"Missing '}}' (section started at {first.span.path}:{first.span.line})",
        )

    # -- one physical line -----------------------------------------------------

    def _line(self, inp: _Input, raw: str) -> None:
        number = inp.index
        if templates.is_template_line(raw):
            self.template_lines.append(TemplateLine(raw, Span(inp.path, number, 1, number, len(raw) + 1)))
            return
        start = len(raw) - len(raw.lstrip(BLANK))
        if start == len(raw) or raw[start] == "#":
            if self.pending.text or self.pending.where:
                self.pending = _Pending()  # Dovecot drops a pending continuation here
            return
        self.conditional = False
        if raw[start] == "%" and not self.pending.text:
            flag = templates.percent_line(raw, start)
            if flag is not None and flag[0] == templates.OPAQUE:  # '%protocols', '%name = %value'
                self.template_lines.append(TemplateLine(raw, Span(inp.path, number, 1, number, len(raw) + 1)))
                return
            if flag is not None:  # '%{flag}name = value', '%{flag}section {': what follows the flag
                start, self.conditional = flag[1], True
                while start < len(raw) and raw[start] in BLANK:
                    start += 1
        end = self._strip_comment(inp, raw, start)
        while end > start and raw[end - 1] in BLANK:
            end -= 1
        if end > start and raw[end - 1] == "\\":
            end -= 1
            while end > start and raw[end - 1] in BLANK:
                end -= 1
            if end > start:  # a lone '\\' adds nothing, not even the space
                self._append(inp.path, number, raw, start, end)
                self.pending.text += " "
                self.pending.where.add(inp.path, number, end + 1, 1)
            return
        self._append(inp.path, number, raw, start, end)
        logical, self.pending = self.pending, _Pending()
        try:
            self._logical(inp, logical)
        except _SyntaxError:
            if not inp.templated:
                raise
            # A line of a templated file that only parses once rendered.
            self.template_lines.append(TemplateLine(raw, Span(inp.path, number, 1, number, len(raw) + 1)))

    def _append(self, path: str, number: int, raw: str, start: int, end: int) -> None:
        self.pending.text += raw[start:end]
        self.pending.where.add(path, number, start + 1, end - start)

    def _strip_comment(self, inp: _Input, raw: str, start: int) -> int:
        """The end of the line before a comment (Dovecot's quote-aware scan)."""
        i = start
        while i < len(raw):
            char = raw[i]
            if char in "'\"":
                i += 1
                while i < len(raw) and raw[i] != char:
                    if raw[i] == "\\" and i + 1 < len(raw):
                        i += 1
                    i += 1
                if i >= len(raw):
                    return len(raw)  # an unclosed quote: no comment on this line
            elif char == "#":
                if raw[i - 1] not in BLANK:
                    self.warnings.append(
                        ParseWarning(
                            "ambiguous-hash",
                            "'#' not preceded by a blank starts a comment: the rest of the line "
                            "is ignored (add a space before it, or quote the value)",
                            Span(inp.path, inp.index, i + 1, inp.index, i + 2),
                        )
                    )
                return i
            i += 1
        return len(raw)

    # -- one logical line --------------------------------------------------------

    def _span(self, where: _Positions, start: int, end: int) -> Span:
        """The span of logical characters ``start:end`` (kept within the first file)."""
        if not where:
            path, line = self._here()
            return Span.point(path, line, 1)
        if start >= len(where):
            path, line, column = where[-1]
            return Span.point(path, line, column + 1)
        path, line, column = where[start]
        if end <= start:
            return Span.point(path, line, column)
        last = end - 1
        while last > start and where[last][0] != path:
            last -= 1
        _, end_line, end_column = where[last]
        return Span(path, line, column, end_line, end_column + 1)

    def _logical(self, inp: _Input, logical: _Pending) -> None:
        text, where = logical.text, logical.where
        i = 0
        while i < len(text) and text[i] not in BLANK and text[i] != "=":
            i += 1
        key = text[:i]
        j = i
        while j < len(text) and text[j] in BLANK:
            j += 1
        rest = text[j:]

        def column(index: int) -> int:
            if index < len(where) and where[index][0] == inp.path and where[index][1] == inp.index:
                return where[index][2]
            return where[-1][2] + 1 if where and where[-1][1] == inp.index else 1

        if key in ("!include", "!include_try"):
            self._include(inp, rest, key == "!include_try", self._span(where, 0, len(text)))
            return
        if rest.startswith("="):
            k = j + 1
            while k < len(text) and text[k] in BLANK:
                k += 1
            if templates.has_template(text) and not templates.has_template(text[k:]):
                # ``<%= @extra %>`` or ``{{ name }} = v``: the template is the name.
                raise self._syntax_error("a template expression where a setting name belongs", column(0))
            self._setting(key, text, where, k)
            return
        if key == "}" and not rest:
            if not self.open:
                raise self._syntax_error("Unexpected '}'", column(0))
            self._close(self._span(where, 0, 1))
            return
        # A section header, or an error.
        if rest.startswith("{"):
            name, written, brace = "", "", j
        elif rest.startswith('"'):
            close = text.find('"', j + 1)
            if close < 0:
                raise self._syntax_error("Expecting '{'", column(len(text)))
            name, written = unescape(text[j + 1 : close]), text[j : close + 1]
            brace = close + 1
            while brace < len(text) and text[brace] in BLANK:
                brace += 1
        else:
            k = j
            while k < len(text) and text[k] not in BLANK:
                k += 1
            name, written = text[j:k], text[j:k]
            brace = k
            while brace < len(text) and text[brace] in BLANK:
                brace += 1
            if key == "group" and name.startswith("@") and self.config_version is not None \
                    and brace < len(text) and text[brace] != "{":
                # 2.4 settings group: ``group @label name {`` (2.3: "Expecting '{'")
                k = brace
                while k < len(text) and text[k] not in BLANK:
                    k += 1
                name = written = text[j:k]
                brace = k
                while brace < len(text) and text[brace] in BLANK:
                    brace += 1
                if self.open and brace < len(text) and text[brace] == "{":
                    raise self._syntax_error("groups must defined at top-level, not under filters", column(0))
        if brace >= len(text) or text[brace] != "{":
            raise self._syntax_error("Expecting '{'", column(brace))
        if brace + 1 < len(text):
            raise self._syntax_error("Garbage after '{'", column(brace + 1))
        self._open(inp, key, name, written, self._span(where, 0, brace + 1))

    def _setting(self, key: str, text: str, where: _Positions, k: int) -> None:
        written = text[k:]
        section = tuple(s.header for s in self.open)
        if key == "dovecot_config_version" and not section and self.config_version is None:
            self.config_version = written  # from here on the tree is read as 2.4 reads it
        if not self.simple and written.startswith("<"):
            p = k + 1
            while p < len(text) and text[p] in BLANK:
                p += 1
            value = "<" + text[p:]
        elif not self.simple and written[:1] not in ("'", '"') and "$" in written:
            value = self._expand(section, key, written)
        elif len(written) > 0 and written[0] in "'\"" and written[-1] == written[0]:
            value = unescape(written[1:-1])
        else:
            value = written
        self.values[(section, key)] = value
        name_span = self._span(where, 0, len(key))
        value_span = self._span(where, k, len(text)) if written else self._span(where, k, k)
        whole = self._span(where, 0, len(text))
        templated = templates.has_template(written) or self.conditional or \
            (self.stack[-1].percent and templates.has_percent_placeholder(written))
        self.entries.append(Setting(section, key, value, whole, name_span, value_span, templated=templated,
                                    conditional=self.conditional))
        if not self.simple and self.config_version is None and not templated and all(
            s.kind in FILTERS for s in self.open
        ):
            self._obsolete(section, key, value, whole, name_span, value_span)
        if key == "mode" and value.isdigit() and value.isascii() and not value.startswith("0"):
            self.warnings.append(
                ParseWarning(
                    "mode-without-leading-zero",
                    f"mode = {value} is read as decimal (octal 0{int(value):o}); "
                    f"write 0{value} if octal was meant",
                    value_span,
                )
            )

    # -- sections ------------------------------------------------------------------

    def _open(self, inp: _Input, kind: str, name: str, written: str, span: Span) -> None:
        if kind in FILTERS:
            enclosing = {s.kind for s in self.open if s.kind in FILTERS}
            for inner, outer, message in _FILTER_NESTING:
                if kind == inner and outer in enclosing:
                    raise self._syntax_error(message, span.column)
        header = f"{kind} {written}" if written else kind
        self.open.append(_OpenSection(kind, name, header, span, inp.templated))

    def _close(self, close_span: Span | None) -> None:
        section = self.open[-1]
        path = tuple(s.header for s in self.open)
        self.open.pop()
        self.sections.append(Section(section.kind, section.name, path, section.span, close_span))

    # -- includes --------------------------------------------------------------------

    def _push(self, match: str, real: str, text: str) -> None:
        """An included file, read: on the stack, its suppression comments collected."""
        lines = _physical_lines(text)
        self.marked_comments += find_marked_comments(match, text)
        self.stack.append(_Input(match, real, lines, has_template_syntax(lines),
                                 percent=_percent_dialect(match, lines)))
