"""Dovecot's includes, read as ``src/config/config-parser.c`` (2.3.19.1) reads them, for
:mod:`linter.parsers.dovecot`.

* ``!include`` / ``!include_try PATTERN``: relative to the including file's
  directory, ``glob(GLOB_BRACE)`` semantics (brace alternatives in written order,
  each sorted), context kept, files read at once in match order. ``!include`` that
  matches nothing is an error (``No matches``), ``!include_try`` is not. Recursion is
  detected like Dovecot (the path is on the stack of open or pending files), and
  also by real path so that ``./x.conf`` loops cannot run away.

Includes in a repository checkout (see ``docs/robustness.md``): the repository's
``dovecot.conf`` stands for the deployed one, so its absolute includes name files of the
target host, not of the machine running the linter, which are never read. An absolute
pattern under ``/etc/dovecot`` maps to the folder of the root file
(``!include /etc/dovecot/conf.d/*.conf`` in ``repo/dovecot/dovecot.conf`` reads
``repo/dovecot/conf.d/*.conf``); other prefixes map through ``roots:`` in
``.policy-lint.yaml`` (:mod:`linter.confine`); each mapping is recorded in
``Document.meta["include_redirects"]``. Matches outside the repository root (``../x``,
a symbolic link leaving it) are not read.

What cannot be read does not stop the check: an ``!include`` that matches nothing (a
secrets file such as ``auth-sql.conf.ext`` kept out of git; doveconf would stop with
``No matches``), an absolute pattern that maps nowhere, a match outside the repository:
each is a located note (``Document.notes``), once per include line, and the rest of the
tree is checked. ``!include_try`` stays silent, as in Dovecot.

Bounds per root: at most ``MAX_INCLUDED_FILES`` inclusions (a file included twice counts
twice, as Dovecot reads it twice) and ``MAX_INCLUDED_BYTES``, so an include fan-out (each
file including all files of the next level) stops at once with a located error instead of
reading exponentially many files.
"""

from __future__ import annotations

import os

from linter import confine
from linter.model import ConfigError, Span, TemplateLine
from linter.parsers import templates
from linter.parsers.io import read_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Files of the target host that Debian's Dovecot packages ship and stock trees include
# (``!include_try /usr/share/dovecot/protocols.d/*.protocol``), with the only settings they
# set: each dovecot-<protocol>d package adds its protocol (``protocols = $protocols imap``;
# 2.4: ``protocols { imap = yes }``), checked on Debian 12 and 13.
PACKAGE_INCLUDES = (("/usr/share/dovecot/protocols.d/", frozenset({"protocols"})),)
_MAX_OPEN_FILES = 200  # far beyond any real tree; guards against include loops by odd paths
MAX_INCLUDED_FILES = 1000  # inclusions per root (Debian's stock tree: about 30)
MAX_INCLUDED_BYTES = 32 * 1024 * 1024  # bytes of included files per root


def expand_braces(pattern: str) -> list[str]:
    """glibc ``GLOB_BRACE``: the alternatives of the first brace group, in written
    order, each expanded further; a pattern without a complete group is itself."""
    depth = 0
    start = -1
    commas: list[int] = []
    for i, char in enumerate(pattern):
        if char == "{":
            if depth == 0:
                start = i
                commas = []
            depth += 1
        elif char == "," and depth == 1:
            commas.append(i)
        elif char == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                cuts = [start, *commas, i]
                head, tail = pattern[:start], pattern[i + 1 :]
                result: list[str] = []
                for a, b in zip(cuts, cuts[1:]):
                    result.extend(expand_braces(head + pattern[a + 1 : b] + tail))
                return result
    return [pattern]


def _rendered_elsewhere(pattern: str) -> bool:
    """A template of the include's target is in the repository (``10-ssl-keys.try.tpl`` for
    ``10-ssl-keys.try``): an installer renders the file the include reads."""
    from linter.parsers.common import TEMPLATE_SUFFIXES

    return any(glob_brace(pattern + suffix) for suffix in TEMPLATE_SUFFIXES)


def _realpath(path: str) -> str:
    """``os.path.realpath`` (the run's, resolved once per path: confine.realpath) that never
    raises: a link it may not read (``/proc/1/cwd``) stays as it is, and reading the file
    then fails with a located error."""
    try:
        return confine.realpath(path)
    except OSError:
        return os.path.abspath(path)


def glob_brace(pattern: str) -> list[str]:
    """Matches of ``pattern`` like ``glob(pattern, GLOB_BRACE)``: each brace
    alternative's matches sorted bytewise (C locale), alternatives in written order."""
    matches: list[str] = []
    for alternative in expand_braces(pattern):
        if "?" in alternative or "[" in alternative:
            import glob

            found = glob.glob(alternative)
        elif "*" in alternative:
            found = _star_glob(alternative)
        else:
            found = [alternative] if alternative and os.path.lexists(alternative) else []
        matches.extend(sorted(found, key=os.fsencode))
    return matches


def _star_glob(pattern: str) -> list[str]:
    """``glob.glob(pattern)`` for a pattern whose only wildcard is ``*`` (``conf.d/*.conf``),
    without glob's and fnmatch's imports and regexes: when the stars are all in the last
    part, that part is matched against the directory's entries (files, directories and
    links, a leading dot matched only by a pattern starting with one), as glob does."""
    directory, name_pattern = os.path.split(pattern)
    if "*" in directory:
        import glob

        return glob.glob(pattern)
    from linter.policy.dovecot_path import star_match

    hidden = name_pattern.startswith(".")
    names = []
    try:  # as glob: an unreadable directory matches nothing, one that fails midway what it gave
        with os.scandir(directory or os.curdir) as entries:
            for entry in entries:
                names.append(entry.name)
    except OSError:
        pass
    return [os.path.join(directory, name) for name in names
            if (hidden or name[0] != ".") and star_match(name, name_pattern)]


def relative_to(including: str, pattern: str) -> str:
    """Dovecot's ``fix_relative_path``: relative to the including file's directory."""
    if pattern.startswith("/"):
        return pattern
    slash = including.rfind("/")
    return pattern if slash < 0 else including[: slash + 1] + pattern


class IncludeReader:
    """The include handling of the Dovecot parser (a mixin of ``dovecot._Parser``): it
    needs ``root``, ``stack``, ``open``, ``notes``, ``unread``, ``redirects``,
    ``template_lines``, ``included_files``/``included_bytes``, ``_error`` and
    ``_push(match, real, text)``, which puts a read file on the stack."""

    def _note(self, span: Span, message: str) -> None:
        self.notes.setdefault((span.path, span.line), ConfigError(span.path, span.line, span.column, message))

    def _include(self, inp: Any, written: str, optional: bool, span: Span) -> None:
        if templates.has_template(written):
            # The target is only known once rendered.
            self.template_lines.append(TemplateLine(written, span))
            return
        # A templated file belongs to a tree that exists only once rendered.
        quiet = inp.templated
        keyword = "!include_try" if optional else "!include"
        if written.startswith("/"):
            pattern = self._map_absolute(written)
            package = next((names for prefix, names in PACKAGE_INCLUDES if written.startswith(prefix)), None)
            if pattern is None and package is not None:
                # a packaged file: what it sets is known, and no repository holds it
                self.unread.append((tuple(s.header for s in self.open), span.path, span.line, package))
                return
            if pattern is None:
                self._unread(span, quiet, f"{keyword} {written}: a file of the target host that maps to no folder "
                                          "of the repository; not read, the rest is checked (map its folder with "
                                          "'roots:' in .policy-lint.yaml)", optional)
                return
            self.redirects.append({"file": span.path, "line": span.line, "pattern": written, "resolved": pattern})
        else:
            pattern = relative_to(inp.path, written)
        matches = glob_brace(pattern)
        if not matches:
            if not optional:
                self._unread(span, quiet, f"{keyword} {written}: No matches (doveconf stops here; a file kept out of "
                                          "the repository?): not checked, the rest is", optional)
            elif _rendered_elsewhere(pattern):
                self._unread(span, quiet, f"{keyword} {written}: only a template of it is in the repository "
                                          "(rendered at install)", optional)
            elif written.startswith("/"):
                # a file of the target host named by its path (secrets, installer output, local
                # overrides) that the repository's copy of the folder does not hold
                self._unread(span, quiet, f"{keyword} {written}: not in the repository", optional)
            # else an optional file next to the tree that the tree does not have: doveconf reads
            # nothing there, and neither do we
            return
        outside = [m for m in matches if not confine.may_read(m)]
        if outside:
            self._unread(span, quiet, f"{keyword} {written}: {outside[0]}: {confine.outside_message(outside[0])}",
                         optional)
            matches = [m for m in matches if m not in outside]
        if len(self.stack) + len(matches) > _MAX_OPEN_FILES:
            raise self._error(f"Too many nested include files at {pattern}")
        # Like Dovecot: push the matches last-first, so the first is read first;
        # each is checked against the files already on the stack.
        for match in reversed(matches):
            real = _realpath(match)
            if any(other.path == match or other.real == real for other in self.stack):
                raise self._error(f"Recursive include file: {match}")
            if os.path.isdir(match):
                continue  # Dovecot opens a directory and reads nothing from it
            self.included_files += 1
            if self.included_files > MAX_INCLUDED_FILES:
                raise ConfigError(span.path, span.line, span.column,
                                  f"include limit: more than {MAX_INCLUDED_FILES} files included from {self.root} "
                                  "(a file included again counts again: an include fan-out?); not checked")
            try:
                text = read_text(match)
            except ConfigError as e:
                if optional:
                    self._unread(span, quiet, f"{keyword} {written}: {match}: {e.message}", optional)
                    continue
                raise self._error(f"Couldn't open include file {match}: {e.message}") from None
            self.included_bytes += len(text)
            if self.included_bytes > MAX_INCLUDED_BYTES:
                raise ConfigError(span.path, span.line, span.column,
                                  f"include limit: more than {MAX_INCLUDED_BYTES} bytes included from {self.root}; "
                                  "not checked")
            self._push(match, real, text)

    def _unread(self, span: Span, quiet: bool, message: str, optional: bool) -> None:
        """An include whose content the tool cannot read: noted once at its line (not in a
        templated file), and remembered with its section, so that rules reading a setting
        the tree leaves unset skip rather than judge the default (it may set it there).
        doveconf runs without an ``!include_try`` file: its note says what is unknown."""
        self.unread.append((tuple(s.header for s in self.open), span.path, span.line, None))
        if not quiet:
            if optional:
                message += ("; doveconf runs without it, but what it may set is unknown: rules reading a setting "
                            "this tree leaves unset are skipped")
            self._note(span, message)

    def _map_absolute(self, pattern: str) -> str | None:
        """Where an absolute include pattern is in the repository: ``/etc/dovecot/X`` is
        ``X`` in the root file's folder, other prefixes come from ``roots:``; None when
        no prefix applies (or ``..`` leaves the prefix)."""
        import posixpath

        normal = posixpath.normpath("/" + pattern.lstrip("/"))  # '//x' is '/x'; '/a/../b' is '/b'
        c = confine.current()
        prefixes = [*(c.mapping if c is not None else ()), (confine.DOVECOT_PREFIX, os.path.dirname(self.root))]
        for prefix, directory in sorted(prefixes, key=lambda item: -len(item[0])):
            prefix = "/" + prefix.strip("/")
            if normal == prefix or normal.startswith(prefix.rstrip("/") + "/"):
                tail = normal[len(prefix):].lstrip("/")
                if not directory:
                    return tail or "."
                return os.path.join(directory, tail) if tail else directory
        return None
