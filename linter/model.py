"""The located document model shared by every config format.

Every parser turns a file into a :class:`Document`; every value in it carries a
:class:`Span` (file, 1-based line and column, exclusive end column), so a check can
point at the exact characters and a fix can replace them.  Documents do not keep the
file's text: the fixer re-reads the file it edits, and a checked file's content is
not held once it has been parsed.

Text positions are in characters of the file decoded as UTF-8 with
``surrogateescape`` (see :func:`decode`), so undecodable bytes survive a fix round trip.

The located values are tuples with named fields (:class:`linter.records.TupleRecord`):
immutable, compared by value, cheap to define (this module is on every run's start-up
path) and to build (a bulk run makes about a million spans).  :class:`Document` is a
frozen record.
"""

from __future__ import annotations

from linter.formats import FORMATS  # noqa: F401 - every format's name (linter.formats.TABLE)
from linter.records import Frozen, TupleRecord, _new, _set

POSTFIX_MAIN = "postfix-main"
POSTFIX_MASTER = "postfix-master"
DOVECOT = "dovecot"


class Span(TupleRecord):
    """A range of characters in one file; 1-based, ``end_column`` exclusive.

    A zero-width span (``end == start``) marks an insertion point.
    """

    __slots__ = ()
    _fields = ("path", "line", "column", "end_line", "end_column")

    def __new__(cls, path: str, line: int, column: int, end_line: int, end_column: int) -> Span:
        return _new(cls, (path, line, column, end_line, end_column))

    def whole_lines(self) -> Span:
        """The whole lines the span is on, with their line ending (to the start of the next)."""
        return _new(Span, (self[0], self[1], 1, self[3] + 1, 1))

    @classmethod
    def point(cls, path: str, line: int, column: int) -> Span:
        return cls(path, line, column, line, column)


class Token(TupleRecord):
    """A piece of text exactly as written, with its location."""

    __slots__ = ()
    _fields = ("text", "span")

    def __new__(cls, text: str, span: Span) -> Token:
        return _new(cls, (text, span))


class ParseWarning(TupleRecord):
    """Something the reference parser accepts (or ignores) but that is almost
    certainly a mistake; checks of kind ``syntax`` turn these into findings.

    ``code`` is one of the stable codes listed in ``docs/policy-language.md``
    (e.g. ``trailing-comment``, ``accidental-continuation``).
    """

    __slots__ = ()
    _fields = (
        "code",
        "message",
        "span",
        "replacement",  # the text that repairs ``span`` keeping its meaning, if known
    )

    def __new__(cls, code: str, message: str, span: Span, replacement: str | None = None) -> ParseWarning:
        return _new(cls, (code, message, span, replacement))


class TemplateLine(TupleRecord):
    """A line of template syntax (Jinja, ERB, ...) kept opaque and located."""

    __slots__ = ()
    _fields = ("text", "span")

    def __new__(cls, text: str, span: Span) -> TemplateLine:
        return _new(cls, (text, span))


# --- Postfix main.cf -------------------------------------------------------------


class Assignment(TupleRecord):
    """``name = value`` in main.cf; ``value`` is exactly what Postfix stores."""

    __slots__ = ()
    _fields = (
        "name",
        "value",
        "span",  # the whole logical line, continuations included
        "name_span",
        "value_span",  # zero-width just after '=' (and blanks) when the value is empty
        "templated",  # the value holds template expressions: its value is unknown
        "conditional",  # behind an installer's '%{flag}' (rendered or commented out)
    )

    def __new__(
        cls,
        name: str,
        value: str,
        span: Span,
        name_span: Span,
        value_span: Span,
        templated: bool = False,
        conditional: bool = False,
    ) -> Assignment:
        return _new(cls, (name, value, span, name_span, value_span, templated, conditional))

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def end_line(self) -> int:
        return self.span.end_line


# --- Postfix master.cf -----------------------------------------------------------


class Override(TupleRecord):
    """``-o name=value`` or ``-o { name = value }`` on a master.cf service."""

    __slots__ = ()
    _fields = (
        "name",
        "value",
        "span",  # from '-o' to the end of the value (or closing brace)
        "name_span",
        "value_span",
        "long_form",
    )

    def __new__(
        cls,
        name: str,
        value: str,
        span: Span,
        name_span: Span,
        value_span: Span,
        long_form: bool = False,
    ) -> Override:
        return _new(cls, (name, value, span, name_span, value_span, long_form))


class Service(TupleRecord):
    """One master.cf entry; the seven columns as written (``-`` kept)."""

    __slots__ = ()
    _fields = (
        "service",
        "type",
        "private",
        "unprivileged",
        "chroot",
        "wakeup",
        "process_limit",
        "command",
        "args",
        "overrides",
        "span",  # the whole logical entry, continuations included
        "fields",  # the 7 columns and the command, each located (a Token each; see Columns)
        "templated",
    )

    def __new__(
        cls,
        service: str,
        type: str,
        private: str,
        unprivileged: str,
        chroot: str,
        wakeup: str,
        process_limit: str,
        command: str,
        args: tuple[str, ...],
        overrides: tuple[Override, ...],
        span: Span,
        fields: tuple[Token, ...] | Columns,
        templated: bool = False,
    ) -> Service:
        return _new(cls, (service, type, private, unprivileged, chroot, wakeup, process_limit, command, args,
                          overrides, span, fields, templated))

    def __repr__(self) -> str:  # the fields as Tokens, whatever holds them
        return TupleRecord.__repr__(self._replace(fields=self.fields))

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def end_line(self) -> int:
        return self.span.end_line


class Columns(tuple):
    """Where a master.cf entry's 7 columns and command are, when they are all on its first
    line (nearly every entry): ``(line, offset, ...)``, where each of the 8 fields starts on
    that line (0-based; each ends its text's length later).
    :attr:`Service.fields` makes the Tokens when asked (a finding's related locations):
    a bulk run parses hundreds of thousands of fields and locates a few."""

    __slots__ = ()


def _fields_of(service: Service) -> tuple[Token, ...]:
    fields = service[11]
    if type(fields) is not Columns:
        return fields
    line, path = fields[0], service[10][0]  # the entry's span has the path
    return tuple([_new(Token, (service[i], _new(Span, (path, line, fields[i + 1] + 1, line,
                                                        fields[i + 1] + len(service[i]) + 1))))
                  for i in range(8)])


Service.fields = property(_fields_of, doc="The 7 columns and the command, each a located Token.")  # type: ignore[assignment,method-assign]


# --- Dovecot ---------------------------------------------------------------------


class Section(TupleRecord):
    """A Dovecot section such as ``service auth {`` ... ``}``.

    ``path`` holds the headers of the enclosing sections and this one, outermost
    first, each as written minus the brace (``("service auth", "unix_listener auth")``).
    ``close_span`` is the closing brace (the place to insert a missing setting).
    """

    __slots__ = ()
    _fields = ("kind", "name", "path", "span", "close_span")

    def __new__(cls, kind: str, name: str, path: tuple[str, ...], span: Span, close_span: Span | None) -> Section:
        return _new(cls, (kind, name, path, span, close_span))


class Setting(TupleRecord):
    """``name = value`` in Dovecot config, in read order with includes expanded."""

    __slots__ = ()
    _fields = (
        "section",
        "name",
        "value",  # as Dovecot reads it: quotes stripped, '<file' kept, comments removed
        "span",  # span.path is the file the setting is written in
        "name_span",
        "value_span",  # the value as written (quotes included)
        "templated",
        # The obsolete setting this one was converted from (Dovecot 2.3 reads
        # ``ssl_protocols = !SSLv3`` as ``ssl_min_protocol = TLSv1``); spans are that line's.
        "converted_from",
        "conditional",  # behind an installer's '%{flag}' (rendered or commented out)
    )

    def __new__(
        cls,
        section: tuple[str, ...],
        name: str,
        value: str,
        span: Span,
        name_span: Span,
        value_span: Span,
        templated: bool = False,
        converted_from: str = "",
        conditional: bool = False,
    ) -> Setting:
        return _new(cls, (section, name, value, span, name_span, value_span, templated, converted_from, conditional))

    @property
    def file(self) -> str:
        return self.span.path

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def end_line(self) -> int:
        return self.span.end_line


Entry = Assignment | Service | Setting


class MarkedComment(TupleRecord):
    """A comment line that mentions ``policy-lint`` (an inline suppression, or a
    malformed one), found while parsing, so that nobody re-reads the file for it."""

    __slots__ = ()
    _fields = (
        "path",
        "line",
        "text",  # the line as written, without its line ending
        "target",  # the next line that is not a comment; None when it is blank or absent
    )

    def __new__(cls, path: str, line: int, text: str, target: int | None) -> MarkedComment:
        return _new(cls, (path, line, text, target))


class Document(Frozen):
    """A parsed config file (for Dovecot: a root file with its includes expanded).

    ``files`` is every file read, the root first; ``end`` the zero-width span at the end of
    the root file's last line; ``marked_comments`` the "# policy-lint:" comments of every
    file read; ``notes`` what the tool could not check but that does not stop the check (an
    include kept out of the repository, one outside it): located, shown once as notes, never
    an exit status 2.  ``meta``, ``marked_comments`` and ``notes`` are not compared."""

    __slots__ = ("path", "format", "entries", "sections", "templates", "warnings", "files", "newline",
                 "end", "meta", "marked_comments", "notes")
    _compare = ("path", "format", "entries", "sections", "templates", "warnings", "files", "newline", "end")

    def __init__(self, path: str, format: str, entries: tuple[Entry, ...], sections: tuple[Section, ...] = (),
                 templates: tuple[TemplateLine, ...] = (), warnings: tuple[ParseWarning, ...] = (),
                 files: tuple[str, ...] = (), newline: str = "\n", end: Span | None = None,
                 meta: dict | None = None, marked_comments: tuple[MarkedComment, ...] = (),
                 notes: tuple[ConfigError, ...] = ()):
        _set(self, "path", path)
        _set(self, "format", format)
        _set(self, "entries", entries)
        _set(self, "sections", sections)
        _set(self, "templates", templates)
        _set(self, "warnings", warnings)
        _set(self, "files", files)
        _set(self, "newline", newline)
        _set(self, "end", end)
        _set(self, "meta", {} if meta is None else meta)
        _set(self, "marked_comments", marked_comments)
        _set(self, "notes", notes)


class ConfigError(Exception):
    """A config file the reference parser rejects, or one that cannot be read.

    Rendered as ``path:line:col: message`` (line 0 when no line applies).
    """

    def __init__(self, path: str, line: int, column: int, message: str):
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column
        self.message = message

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.column}: {self.message}"
        return f"{self.path}: {self.message}"


def decode(data: bytes, path: str) -> str:
    """Decode a config file losslessly; reject binary content with a located error."""
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        start = data.rfind(b"\n", 0, nul) + 1
        column = len(data[start:nul].decode("utf-8", "surrogateescape")) + 1  # characters, not bytes
        raise ConfigError(path, line, column, "binary file (NUL byte), not a config file")
    return data.decode("utf-8", "surrogateescape")


def encode(text: str) -> bytes:
    """The inverse of :func:`decode`: the exact original bytes."""
    return text.encode("utf-8", "surrogateescape")
