"""The repository root of a run: what may be read and written.

policy-lint runs on untrusted pull requests (often as root in CI) and in pre-commit.
A repository's files must not make it read or write the machine's own files, so every
run has one or more *repository roots*: for each path given on the command line, the
git top level that holds it (the nearest directory with a ``.git`` entry), else the
checked directory itself (a file's own directory).  Files are read only inside a root,
or when named on the command line; files are written only inside a root (a symbolic
link leaving it is not followed for writing).

The roots of the running command are a context variable (:func:`confined`), so the
readers deep down (:func:`linter.parsers.read_text`, Dovecot's includes, counterpart
lookup, discovery, the fixer) ask :func:`current` without being handed them.  Outside
:func:`confined` (the library used directly, policy tests on temporary files) nothing
is confined.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterable

from linter.records import Frozen, _set

DOVECOT_PREFIX = "/etc/dovecot"  # maps to the folder of the root dovecot.conf by default


def _start(path: str) -> str:
    # where the path is, not where a link named by it leads: the link is in this repository
    absolute = os.path.abspath(path)
    return os.path.realpath(absolute if os.path.isdir(absolute) and not os.path.islink(absolute)
                            else os.path.dirname(absolute))


def git_top(path: str) -> str | None:
    """The nearest directory at or above ``path`` holding a ``.git`` entry (real path), or None."""
    return git_dir_above(_start(path))


def git_dir_above(directory: str) -> str | None:
    """``directory`` or the nearest directory above it (as spelt) holding a ``.git`` entry
    (a directory, or a file for worktrees and submodules), or None."""
    while True:
        if os.path.lexists(os.path.join(directory, ".git")):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def repository_root(path: str) -> str:
    """The git top level holding ``path`` (real path), else the directory ``path`` is or is in."""
    return git_top(path) or _start(path)


def inside(path: str, directory: str) -> bool:
    """Whether real path ``path`` is ``directory`` or below it (both real, absolute)."""
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


class PathResolver:
    """Real paths, cached for one run (realpath costs a few lstat calls per path; a
    path's target may change between runs: the fixer, tests).  A file's real path is its
    directory's (resolved once) joined with its name, unless the name is a link: one
    lstat per file instead of one per component."""

    __slots__ = ("_cache",)

    def __init__(self) -> None:
        self._cache: dict[str, str] = {}

    def __call__(self, path: str, is_link: bool | None = None) -> str:
        """The real path of ``path``; ``is_link``: whether it is a symbolic link, when the
        caller knows (a directory walk's entry says so without another lstat)."""
        real = self._cache.get(path)
        if real is None:
            directory, name = os.path.split(path)
            if directory and name not in ("", ".", "..") and \
                    not (os.path.islink(path) if is_link is None else is_link):
                real = os.path.join(self(directory), name)
            else:
                real = os.path.realpath(path)
            self._cache[path] = real
        return real


class Confinement(Frozen):
    """``roots``: real paths of the repository roots; ``named``: real paths named on the
    command line (readable wherever they are); ``mapping``: absolute prefix -> directory
    (real) for Dovecot includes (``roots:`` in .policy-lint.yaml)."""

    __slots__ = ("roots", "named", "mapping", "_real")

    def __init__(self, roots: tuple[str, ...], named: frozenset[str] = frozenset(),
                 mapping: tuple[tuple[str, str], ...] = ()):
        _set(self, "roots", roots)
        _set(self, "named", named)
        _set(self, "mapping", mapping)
        # os.path.realpath, once per path: a confinement is one run's, and a bulk run asks for
        # every file and its counterparts several times
        _set(self, "_real", PathResolver())

    def root_of(self, real: str) -> str | None:
        return next((r for r in self.roots if inside(real, r)), None)

    def may_read(self, path: str) -> bool:
        real = self._real(path)
        # a named directory (a link to one too) is read whole
        return self.root_of(real) is not None or any(real == n or inside(real, n) for n in self.named)

    def may_write(self, path: str) -> bool:
        return self.root_of(os.path.realpath(path)) is not None

    def describe(self) -> str:
        return ", ".join(self.roots)


_CURRENT: contextvars.ContextVar[Confinement | None] = contextvars.ContextVar("confinement", default=None)


def current() -> Confinement | None:
    return _CURRENT.get()


def for_paths(paths: Iterable[str], extra_named: Iterable[str] = (),
              mapping: Iterable[tuple[str, str]] = (), config: str | None = None) -> Confinement:
    """The confinement of a run checking ``paths`` (each also readable since it is named).

    Outside git, a path below the directory of the run's ``config`` file has that
    directory (or the config's git top level) as its root: the config's ``hosts:`` pair
    files across its tree."""
    paths = list(paths)
    config_root = repository_root(config) if config else None
    roots: list[str] = []
    for path in paths:
        root = git_top(path)
        if root is None:
            start = _start(path)
            root = config_root if config_root is not None and inside(start, config_root) else start
        if root not in roots:
            roots.append(root)
    named = frozenset(os.path.realpath(p) for p in (*paths, *extra_named))
    return Confinement(tuple(roots), named, tuple(mapping))


class ContextSetting:
    """``with ContextSetting(variable, value):`` sets a context variable for the block and
    restores it after, as a ``contextlib.contextmanager`` around ``set`` and ``reset`` would
    (without importing contextlib, about 0.3 ms of a run's start-up)."""

    __slots__ = ("_variable", "_value", "_token")

    def __init__(self, variable: contextvars.ContextVar, value: object):
        self._variable = variable
        self._value = value

    def __enter__(self) -> None:
        self._token = self._variable.set(self._value)

    def __exit__(self, *exc_info: object) -> None:
        self._variable.reset(self._token)


def confined(confinement: Confinement | None) -> ContextSetting:
    """``with confined(confinement):`` the block runs under ``confinement``."""
    return ContextSetting(_CURRENT, confinement)


def may_read(path: str) -> bool:
    c = _CURRENT.get()
    return c is None or c.may_read(path)


def resolver() -> PathResolver:
    """The running command's real paths (its confinement's, resolved once for discovery,
    grouping, the reader and the workers forked from it), or new ones outside a command."""
    c = _CURRENT.get()
    return PathResolver() if c is None else c._real


def realpath(path: str) -> str:
    """``os.path.realpath(path)``, from the current run's resolved paths when there is one."""
    c = _CURRENT.get()
    return os.path.realpath(path) if c is None else c._real(path)


def may_write(path: str) -> bool:
    c = _CURRENT.get()
    return c is None or c.may_write(path)


def outside_message(path: str) -> str:
    """Why ``path`` is not read: it (or the link's target) is outside every root."""
    c = _CURRENT.get()
    real = os.path.realpath(path)
    via = f" (a symbolic link to {real})" if real != os.path.abspath(path) else ""
    where = f" {c.describe()}" if c is not None else ""
    return f"outside the repository root{where}{via}: not read (name it on the command line to check it)"
