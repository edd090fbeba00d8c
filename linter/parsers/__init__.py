"""Format detection and the one entry point to every parser.

Each parser module exposes ``parse(path: str, text: str) -> Document`` (Dovecot's
reads its includes from disk itself); :func:`parse_file` reads the file, decodes it
losslessly and dispatches.  Parsers raise :class:`~linter.model.ConfigError` for what
the reference parser rejects and record :class:`~linter.model.ParseWarning` for what
it accepts but is almost certainly a mistake.
"""

from __future__ import annotations

import contextlib
import contextvars
import fnmatch
import os
import re
from collections.abc import Iterator
from pathlib import PurePath

from linter.model import (
    DOVECOT,
    FORMATS,
    POSTFIX_MAIN,
    POSTFIX_MASTER,
    ConfigError,
    Document,
    MarkedComment,
    decode,
)

TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2", ".tmpl", ".tpl", ".erb", ".template", ".in", ".epp")


# Names of files that sit next to a live config but are not one: prototypes and examples
# (Postfix's main.cf.proto and main.cf.default, Debian's main.cf.dist, FreeBSD's
# *.sample), backups and package-manager leftovers. A directory walk skips them; a file
# named on the command line (or matched by a formats: glob) is checked as given.
NOT_LIVE_SUFFIXES = (
    ".proto", ".dist", ".default", ".sample", ".example", ".orig", ".bak", ".old", ".save",
    ".dpkg-dist", ".dpkg-old", ".dpkg-new", ".dpkg-bak", ".ucf-dist", ".ucf-old", ".ucf-new",
    ".rpmnew", ".rpmsave", ".rpmorig", ".pacnew", ".pacsave", "~",
)


def is_not_live(path: str) -> bool:
    """A prototype, example or backup of a config (``main.cf.proto``, ``master.cf.orig``)."""
    return strip_template_suffix(os.path.basename(path)).endswith(NOT_LIVE_SUFFIXES)


def is_fragment_name(path: str) -> bool:
    """``main.cf.<part>`` (``main.cf.amavisd``): a piece installers append to main.cf, not
    a template (``main.cf.j2``), prototype or backup of one."""
    name = strip_template_suffix(os.path.basename(path))
    return name.startswith("main.cf.") and len(name) > len("main.cf.") and not is_not_live(path)


def strip_template_suffix(name: str) -> str:
    for suffix in TEMPLATE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def detect_newline(text: str) -> str:
    """The line ending a fix should write: CRLF when at least half the lines end so."""
    return "\r\n" if "\r\n" in text and text.count("\r\n") * 2 >= text.count("\n") else "\n"


def detect_format(path: str, overrides: dict[str, str] | None = None) -> str | None:
    """The format of ``path`` from its name, or None when it is no config we know.

    ``overrides`` maps glob patterns (matched against the path as given, and against
    its name) to formats, and wins over the name.
    """
    if overrides:
        for pattern, fmt in overrides.items():
            if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(os.path.basename(path), pattern):
                return fmt
    p = PurePath(path)
    name = strip_template_suffix(p.name)
    for base, fmt in (("main.cf", POSTFIX_MAIN), ("master.cf", POSTFIX_MASTER)):
        if (
            name == base
            or name.startswith(base + ".")  # main.cf.dovecot, main.cf.orig
            or name.endswith(("-" + base, "_" + base, "." + base))  # postfix-main.cf
        ):
            return fmt
    if name == "dovecot.conf" or name.endswith((".conf.ext", "_dovecot.conf")):
        return DOVECOT
    if name.endswith(".conf") and (name.startswith(("dovecot", "etc_dovecot")) or in_conf_d(path)):
        return DOVECOT
    return None


def in_conf_d(path: str) -> bool:
    """Whether ``path`` is in a directory named ``conf.d``, judged by its absolute path (and
    its resolved one), so that ``10-master.conf`` given inside ``conf.d/`` is recognised as
    from the repository root: the answer must not depend on the current directory."""
    if PurePath(os.path.abspath(path)).parent.name == "conf.d":
        return True
    try:
        return PurePath(os.path.realpath(path)).parent.name == "conf.d"
    except (OSError, ValueError):
        return False


# A "# policy-lint:" comment (linter.suppressions reads what follows the colon).
SUPPRESSION_MARKER = re.compile(r"^([ \t]*)#[ \t]*policy-lint[ \t]*:")


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
            if SUPPRESSION_MARKER.match(line):
                pending.append((number, line))
            continue
        if pending:
            target = number if stripped else None  # a blank line detaches the comments above it
            found += (MarkedComment(path, n, t, target) for n, t in pending)
            pending = []
    found += (MarkedComment(path, n, t, None) for n, t in pending)
    return tuple(found)


def parse_text(path: str, text: str, fmt: str) -> Document:
    """Parse already-decoded text as ``fmt`` (Dovecot includes are read from disk)."""
    if fmt == POSTFIX_MAIN:
        from linter.parsers import postfix_main as parser
    elif fmt == POSTFIX_MASTER:
        from linter.parsers import postfix_master as parser
    elif fmt == DOVECOT:
        from linter.parsers import dovecot as parser
    else:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return parser.parse(path, text)


# Pending (unwritten) texts by real path: the fixer re-checks its edits without touching disk.
_OVERLAY: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("overlay", default=None)


@contextlib.contextmanager
def overlay(texts: dict[str, str]) -> Iterator[None]:
    """While active, :func:`read_text` returns ``texts[path]`` (keyed by any spelling of the path)."""
    token = _OVERLAY.set({os.path.realpath(p): t for p, t in texts.items()})
    try:
        yield
    finally:
        _OVERLAY.reset(token)


# The bytes each file held when the check read it (real path -> digest; None when two reads
# during one check differed): the fixer edits a file only while it still holds them
# (issue 14 point 4).  engine.check() clears it and hands it on in its Report.
READ_DIGESTS: dict[str, bytes | None] = {}


def content_digest(data: bytes) -> bytes:
    import hashlib

    return hashlib.blake2b(data, digest_size=20).digest()


def _record_read(path: str, data: bytes) -> None:
    real = os.path.realpath(path)
    digest = content_digest(data)
    if READ_DIGESTS.setdefault(real, digest) != digest:
        READ_DIGESTS[real] = None  # changed between two reads of the same check


def read_text(path: str) -> str:
    """Read and decode a config file, turning every OS error into a ConfigError."""
    pending = _OVERLAY.get()
    if pending:
        text = pending.get(os.path.realpath(path))
        if text is not None:
            return text
    from linter import confine

    if not confine.may_read(path):
        raise ConfigError(path, 0, 0, confine.outside_message(path))
    try:
        if os.path.isdir(path):
            raise ConfigError(path, 0, 0, "is a directory, not a config file")
        data = read_regular_file(path)
    except ConfigError:
        raise
    except OSError as e:
        raise ConfigError(path, 0, 0, f"cannot read: {e.strerror or e}") from None
    _record_read(path, data)
    return decode(data, path)


def read_regular_file(path: str, limit: int = -1) -> bytes:
    """The bytes of a regular file (at most ``limit``); ConfigError for a FIFO, socket or device.

    Opened non-blocking and checked on the open descriptor: reading a FIFO would
    wait forever for a writer, a device such as /dev/zero would never end.
    """
    import stat

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError(path, 0, 0, "not a regular file (a FIFO, socket or device), not a config file")
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(limit)
    finally:
        os.close(fd)


def parse_file(path: str, fmt: str | None = None) -> Document:
    """Read, decode and parse one config file."""
    fmt = fmt or detect_format(path)
    if fmt is None:
        raise ConfigError(path, 0, 0, "cannot tell the format from the name; use --as postfix-main|postfix-master|dovecot")
    return parse_text(path, read_text(path), fmt)
