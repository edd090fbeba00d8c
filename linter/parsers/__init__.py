"""Format detection and the one entry point to every parser.

Each parser module exposes ``parse(path: str, text: str) -> Document`` (Dovecot's
reads its includes from disk itself); :func:`parse_file` reads the file, decodes it
losslessly and dispatches.  Parsers raise :class:`~linter.model.ConfigError` for what
the reference parser rejects and record :class:`~linter.model.ParseWarning` for what
it accepts but is almost certainly a mistake.
"""

from __future__ import annotations

import os

from linter import confine
from linter.lazyre import lazy
from linter.model import (
    ConfigError,
    Document,
)
from linter.parsers.common import (
    TEMPLATE_SUFFIXES,
    detect_newline,
    find_marked_comments,
    strip_template_suffix,
)
from linter.parsers.io import READ_DIGESTS, content_digest, overlay, read_regular_file, read_text

__all__ = ["NOT_LIVE_SUFFIXES", "READ_DIGESTS", "NotThisFormat", "is_override_file", "is_override_list",
           "is_packaging_prototype", "TEMPLATE_SUFFIXES", "content_digest", "detect_format", "detect_newline",
           "find_marked_comments", "glob_names", "in_conf_d", "is_fragment_name", "is_not_live",
           "overlay", "parse_file", "parse_text", "read_regular_file", "read_text", "strip_template_suffix"]


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


def is_override_file(path: str) -> bool:
    """docker-mailserver's ``postfix-main.cf``: lines its start-up script applies over the
    image's main.cf (``postconf -e``), not a whole main.cf."""
    return strip_template_suffix(os.path.basename(path)) == "postfix-main.cf"


def is_packaging_prototype(path: str) -> bool:
    """``debian/main.cf.in``: an input of a Debian source package that its build or maintainer
    scripts substitute and complete (``postconf -e``), not the file the daemon reads."""
    parent = os.path.basename(os.path.dirname(os.path.abspath(path)))
    return parent == "debian" and os.path.basename(path).endswith(".in")


# docker-mailserver's postfix-master.cf: one ``postconf -P`` argument per line,
# ``service/type/parameter=value`` (its start-up script skips lines not starting so)
_OVERRIDE_LINE = lazy(r"[0-9a-z][^\s/]*/[^\s/]+/[A-Za-z0-9_]+[ \t]*=")


def is_override_list(text: str) -> bool:
    """Whether ``text`` is a list of ``postconf -P`` overrides rather than a master.cf: it
    has lines starting with a letter or digit, and each is one (a master.cf's first
    service line answers no)."""
    found = False
    for line in text.splitlines():
        if line[:1].isalnum():
            if "/" not in line or not _OVERRIDE_LINE.match(line):  # (a match needs a /: a service line seldom has one)
                return False
            found = True
    return found


class NotThisFormat(ConfigError):
    """A file named like a config of format ``fmt`` that holds something else (``holds``):
    skipped with a note, never an error."""

    def __init__(self, path: str, fmt: str, holds: str):
        self.fmt_name = fmt
        self.holds = holds
        super().__init__(path, 0, 0, f"{holds}, not a {fmt}: not checked")


def glob_names(pattern: str, path: str) -> bool:
    """Whether the glob ``pattern`` (fnmatch's, as ``formats:`` and ``exclude:`` write them)
    matches ``path`` as given or its name."""
    import fnmatch  # only for a config's globs: a plain check has none

    return fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(os.path.basename(path), pattern)


def detect_format(path: str, overrides: dict[str, str] | None = None) -> str | None:
    """The format of ``path`` from its name, or None when it is no config we know.

    ``overrides`` maps glob patterns (matched against the path as given, and against
    its name) to formats, and wins over the name.
    """
    if overrides:
        for pattern, fmt in overrides.items():
            if glob_names(pattern, path):
                return fmt
    from linter import formats

    return formats.detect(strip_template_suffix(os.path.basename(os.path.normpath(path))), path)


def in_conf_d(path: str) -> bool:
    """Whether ``path`` is in a directory named ``conf.d``, judged by its absolute path (and
    its resolved one), so that ``10-master.conf`` given inside ``conf.d/`` is recognised as
    from the repository root: the answer must not depend on the current directory."""
    if os.path.basename(os.path.dirname(os.path.abspath(path))) == "conf.d":
        return True
    try:  # the command's real paths: discovery resolved this one already
        return os.path.basename(os.path.dirname(confine.realpath(path))) == "conf.d"
    except (OSError, ValueError):
        return False


def parse_text(path: str, text: str, fmt: str) -> Document:
    """Parse already-decoded text as ``fmt`` (Dovecot includes are read from disk)."""
    from linter import formats

    return formats.get(fmt).parse(path, text)


def parse_file(path: str, fmt: str | None = None) -> Document:
    """Read, decode and parse one config file."""
    fmt = fmt or detect_format(path)
    if fmt is None:
        from linter import formats

        raise ConfigError(path, 0, 0, f"cannot tell the format from the name; use --as {formats.choices_hint()}")
    return parse_text(path, read_text(path), fmt)
