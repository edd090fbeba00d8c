"""Which files to check: explicit files as given, directories walked.

Walking skips ``.git``, ``node_modules``, hidden directories and ``exclude`` globs,
and keeps the files whose format is known by name (``formats`` globs first), except
prototypes and backups (``main.cf.proto``, ``master.cf.orig``: see
:data:`linter.parsers.NOT_LIVE_SUFFIXES`) that no ``formats`` glob names.  A file
named explicitly must have a known format (or be forced with ``--as``).  Symbolic
links to directories are followed once: a link back into a directory already being
walked is a loop and is skipped with a note, and so is a link that leaves the repository
root (:mod:`linter.confine`): a repository cannot make the walk read the machine's files.

Paths come out relative to the current directory (absolute when given so and outside it), the
frame the ``formats`` and ``exclude`` globs of the config are expressed in.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from linter import confine
from linter.model import ConfigError
from linter.records import Frozen, _set

SKIPPED_DIRECTORIES = frozenset({".git", "node_modules", "__pycache__"})
FORMAT_HINT = "use --as postfix-main|postfix-master|dovecot, or a formats entry in .policy-lint.yaml"


class Discovery(Frozen):
    """The files found; ``errors``: a path that cannot be checked (exit status 2);
    ``notes``: skipped on purpose (a symlink loop), shown, not fatal."""

    __slots__ = ("files", "errors", "notes")

    def __init__(self, files: tuple[str, ...], errors: tuple[ConfigError, ...], notes: tuple[ConfigError, ...] = ()):
        _set(self, "files", files)
        _set(self, "errors", errors)
        _set(self, "notes", notes)


def normalize(path: str) -> str:
    """Relative to the current directory; a path given absolute stays so when outside it."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    outside = relative == os.pardir or relative.startswith(os.pardir + os.sep)
    return absolute if outside and os.path.isabs(path) else relative


def is_excluded(path: str, patterns: Sequence[str]) -> bool:
    """A glob matches the path, its name, or (``dir/*`` style) any parent directory."""
    if not patterns:
        return False
    from linter.parsers import glob_names

    return any(glob_names(pattern.rstrip("/") or pattern, path) for pattern in patterns)


def discover(paths: Sequence[str], formats: dict[str, str] | None = None, exclude: Sequence[str] = (),
             forced_format: str | None = None) -> Discovery:
    """The config files among ``paths``; ``forced_format`` (``--as``) applies to explicit files."""
    from linter.parsers import detect_format

    files: list[str] = []
    errors: list[ConfigError] = []
    notes: list[ConfigError] = []
    seen: set[str] = set()
    real = confine.resolver()  # a walked directory resolved once, not once per file in it

    def add(path: str, is_link: bool | None = None) -> None:
        key = real(path, is_link)
        if key not in seen:
            seen.add(key)
            files.append(path)

    for given in paths:
        path = normalize(given)
        if not os.path.lexists(given):
            errors.append(ConfigError(given, 0, 0, "no such file or directory"))
        elif os.path.isdir(given):
            _walk(path, formats, exclude, add, errors, notes)
        elif not os.path.exists(given):
            errors.append(ConfigError(given, 0, 0, "broken symbolic link"))
        elif forced_format is None and detect_format(path, formats) is None:
            errors.append(ConfigError(given, 0, 0, f"cannot tell the format from the name; {FORMAT_HINT}"))
        else:
            add(path)
    return Discovery(tuple(files), tuple(errors), tuple(notes))


def _forced(path: str, formats: dict[str, str] | None) -> bool:
    """Whether a ``formats:`` glob names ``path`` (the user asked for it by name)."""
    if not formats:
        return False
    from linter.parsers import glob_names

    return any(glob_names(pattern, path) for pattern in formats)


def _walk(root: str, formats: dict[str, str] | None, exclude: Sequence[str], add: Callable[..., None], errors: list,
          notes: list) -> None:
    from linter.parsers import detect_format, is_not_live

    # (device, inode) of the directories on the current path: a link to one is a loop
    def identity(path: str) -> tuple[int, int]:
        st = os.stat(path)
        return st.st_dev, st.st_ino

    def visit(directory: str, ancestors: frozenset) -> None:
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            errors.append(ConfigError(directory, 0, 0, f"cannot read directory: {e.strerror or e}"))
            return
        for entry in entries:
            path = os.path.join(directory, entry.name) if directory != "." else entry.name
            try:
                is_dir = entry.is_dir()  # follows symlinks
                is_file = not is_dir and entry.is_file()
            except OSError as e:
                notes.append(ConfigError(path, 0, 0, f"skipped: {e.strerror or e}"))
                continue
            if (is_dir or is_file) and entry.is_symlink() and not confine.may_read(path):
                if is_dir or detect_format(path, formats) is not None:
                    notes.append(ConfigError(path, 0, 0, f"skipped: {confine.outside_message(path)}"))
                continue
            if is_dir:
                if entry.name in SKIPPED_DIRECTORIES or entry.name.startswith(".") or is_excluded(path, exclude):
                    continue
                try:
                    key = identity(path)
                except OSError as e:
                    notes.append(ConfigError(path, 0, 0, f"skipped: {e.strerror or e}"))
                    continue
                if key in ancestors:
                    notes.append(ConfigError(path, 0, 0, "skipped: symbolic link loop (links back to "
                                                         "a directory being walked)"))
                    continue
                visit(path, ancestors | {key})
            elif is_file:
                if is_excluded(path, exclude) or detect_format(path, formats) is None:
                    continue
                if is_not_live(path) and not _forced(path, formats):
                    continue  # main.cf.proto, master.cf.orig: not what the daemon reads
                add(path, entry.is_symlink())
            elif entry.is_symlink() and detect_format(path, formats) is not None:
                notes.append(ConfigError(path, 0, 0, "skipped: broken symbolic link"))

    try:
        start = identity(root)
    except OSError as e:
        errors.append(ConfigError(root, 0, 0, f"cannot read directory: {e.strerror or e}"))
        return
    visit(root, frozenset({start}))
