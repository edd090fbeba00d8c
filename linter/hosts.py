"""Which files belong to one host: the files passed, grouped with their counterparts
(master.cf next to main.cf, the Dovecot root of a ``conf.d`` file, the Dovecot tree of a
Postfix directory) found on disk, so that cross-file rules work when only one file is
passed (pre-commit passes changed files).  A counterpart the host has but that was not
found is recorded as missing: what it would say is unknown, never its defaults.

Paths are compared by their real path, resolved once per run (:class:`linter.confine.PathResolver`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from linter import confine, formats
from linter.confine import PathResolver
from linter.formats import DOVECOT_TREE, MAIN_CF, MASTER_CF
from linter.model import DOVECOT, POSTFIX_MAIN, POSTFIX_MASTER, Assignment, ConfigError, Document
from linter.options import Host, Options
from linter.parsers import (
    detect_format,
    in_conf_d,
    is_fragment_name,
    is_override_file,
    is_packaging_prototype,
    parse_file,
    strip_template_suffix,
)


class HostFiles:
    """The files of one host by format name, and what is known about the host (a plain
    class: a bulk run makes one per host, and this module is on every run's start-up path)."""

    __slots__ = ("files", "missing", "reported", "roles")

    def __init__(self, files: dict[str, str]):
        self.files = files  # format -> path (as found)
        self.reported: set[str] = set()  # real paths whose findings are shown
        self.roles: set[str] = set()  # has_role(): from hosts: and the roles: globs
        # counterparts this host has but that were not found (a format's counterpart name,
        # or FRAGMENTS -> why): values they hold are unknown, never their defaults
        self.missing: dict[str, str] = {}

    def paths(self) -> list[str]:
        return list(self.files.values())


def explicit_files(host: Host) -> dict[str, str]:
    """A ``hosts:`` entry of .policy-lint.yaml as files by format."""
    named = {POSTFIX_MAIN: host.main, POSTFIX_MASTER: host.master, DOVECOT: host.dovecot}
    return {fmt: path for fmt, path in named.items() if path}


def _by_format(main: str | None, master: str | None, dovecot: str | None) -> dict[str, str]:
    named = {POSTFIX_MAIN: main, POSTFIX_MASTER: master, DOVECOT: dovecot}
    return {fmt: path for fmt, path in named.items() if path}


class Listings:
    """The directories one grouping pass has read (name -> its ``os.DirEntry``; whether it is
    a file is answered with links followed, as ``os.path.isfile`` answers): a host's files ask
    about the same directory several times (main.cf and master.cf for each other, both for
    dovecot.conf)."""

    __slots__ = ("_dirs",)

    def __init__(self) -> None:
        self._dirs: dict[str, dict[str, os.DirEntry] | None] = {}

    def entries(self, directory: str) -> dict[str, os.DirEntry] | None:
        """The entries of ``directory`` by name; None when it cannot be read."""
        if directory not in self._dirs:
            try:
                with os.scandir(directory or os.curdir) as it:
                    self._dirs[directory] = {e.name: e for e in it}
            except OSError:
                self._dirs[directory] = None
        return self._dirs[directory]

    def is_file(self, directory: str, name: str) -> bool:
        entries = self.entries(directory)
        if entries is None:  # (not a directory, or unreadable: as isfile finds it)
            return os.path.isfile(os.path.join(directory, name))
        entry = entries.get(name)
        if entry is None:
            return False
        try:
            return entry.is_file()
        except OSError:
            return False


def _sibling(directory: str, name: str, listings: Listings | None = None) -> str | None:
    path = os.path.join(directory, name)
    # a counterpart outside the repository root (or a link leaving it) is not read
    found = os.path.isfile(path) if listings is None else listings.is_file(directory, name)
    return path if found and confine.may_read(path) else None


def _dovecot_root_for(path: str, listings: Listings) -> str:
    """The root ``dovecot.conf`` a conf.d file belongs to (the file itself when none)."""
    if in_conf_d(path):
        # from the directory's absolute path: "10-master.conf" given inside conf.d/ has the
        # same root as "etc/dovecot/conf.d/10-master.conf" given from the repository root
        directory = os.path.dirname(path) or os.curdir
        if os.path.basename(os.path.abspath(directory)) == "conf.d":
            parent = os.path.normpath(os.path.join(directory, os.pardir))
        else:  # the file links into a conf.d: the tree it resolves to
            parent = os.path.dirname(os.path.dirname(os.path.realpath(path)))
        root = _sibling(parent, "dovecot.conf", listings)
        if root:
            return root
    return path


def _template_suffix(path: str) -> str:
    """``.tpl`` of ``main.cf.tpl``: templates of one host share their suffix."""
    name = os.path.basename(path)
    return name[len(strip_template_suffix(name)):]


def _dovecot_for_postfix(directory: str, suffix: str, listings: Listings) -> str | None:
    """The Dovecot root of a Postfix directory: ``HOST/dovecot.conf``,
    ``HOST/dovecot/dovecot.conf``, or for ``X/postfix/`` the sibling ``X/dovecot/``; for
    Postfix templates (``main.cf.tpl``) also the template with the same suffix."""
    names = ("dovecot.conf", "dovecot.conf" + suffix) if suffix else ("dovecot.conf",)
    places = [directory, os.path.join(directory, "dovecot")]
    if os.path.basename(os.path.abspath(directory)) == "postfix":
        places.append(os.path.normpath(os.path.join(directory, os.pardir, "dovecot")))
    for place in places:
        for name in names:
            found = _sibling(place, name, listings)
            if found:
                return found
    return None


def is_dovecot_root(path: str) -> bool:
    """``dovecot.conf`` (also ``x_dovecot.conf``, ``dovecot.conf.j2``): a file Dovecot starts
    from, unlike an included ``*.conf.ext`` or a dict/SQL driver file next to it."""
    name = strip_template_suffix(os.path.basename(path))
    return name == "dovecot.conf" or name.endswith(("-dovecot.conf", "_dovecot.conf", ".dovecot.conf"))


def _postfix_for_dovecot(root: str, listings: Listings) -> tuple[str | None, str | None]:
    """The inverse of :func:`_dovecot_for_postfix`: main.cf/master.cf next to the root,
    or for ``X/dovecot/dovecot.conf`` in ``X/`` or ``X/postfix/``; none for a file
    that is no root (its settings say nothing about the host's auth service)."""
    if not is_dovecot_root(root):
        return None, None
    directory = os.path.dirname(root)
    suffix = _template_suffix(root)

    def pair(place: str) -> tuple[str | None, str | None]:
        main, master = _sibling(place, "main.cf", listings), _sibling(place, "master.cf", listings)
        if suffix and not (main or master):  # dovecot.conf.tpl beside main.cf.tpl
            main, master = _sibling(place, "main.cf" + suffix, listings), _sibling(place, "master.cf" + suffix, listings)
        return main, master

    main, master = pair(directory)
    if not (main or master) and os.path.basename(os.path.abspath(directory)) == "dovecot":
        parent = os.path.normpath(os.path.join(directory, os.pardir))
        for other in (parent, os.path.join(parent, "postfix")):
            main, master = pair(other)
            if main or master:
                break
    return main, master


# Where configuration-management repositories keep a role's files: Ansible roles, Puppet
# modules, Chef cookbooks and Salt formulas put rendered templates in ``templates/`` and
# copied files in ``files/``, under the same relative path (or a flattened name).
_ROLE_DIRECTORIES = ("templates", "files")


def _rank(candidate: str, name: str, this: str, other: str) -> int | None:
    """How well the file name ``candidate`` answers for the counterpart of ``name``
    (``this`` = main.cf, ``other`` = master.cf or the reverse): 0 the same name with
    ``other`` for ``this`` (``x-main.cf.j2`` -> ``x-master.cf.j2``), 1 the same but
    templated otherwise (``main.cf.tmpl`` -> ``master.cf``), 2 the plain ``other`` for a
    variant (``main.cf.dovecot`` -> ``master.cf``); None when it is none of those."""
    if this in name and candidate == name.replace(this, other, 1):
        return 0
    stem, wanted = strip_template_suffix(candidate), strip_template_suffix(name)
    if this in wanted and stem == wanted.replace(this, other, 1):
        return 1
    if stem == other:
        return 2
    return None


def _neighbours(directory: str) -> list[str]:
    """The directories searched when a counterpart is not next to a file: the parent,
    the subdirectories (``conf/postfix/main.cf`` with ``conf/postfix/plain/master.cf``)
    and the role mirror (``templates/...`` with ``files/...``)."""
    found: list[str] = []
    absolute = os.path.abspath(directory)
    parent = os.path.normpath(os.path.join(directory, os.pardir))
    if os.path.dirname(absolute) != absolute:
        found.append(parent)
    try:
        with os.scandir(directory or os.curdir) as it:
            found += sorted(os.path.join(directory, e.name) for e in it
                            if not e.name.startswith(".") and e.is_dir())
    except OSError:
        pass
    parts = directory.split(os.sep) if directory else []
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] in _ROLE_DIRECTORIES:
            mirror = _ROLE_DIRECTORIES[1 - _ROLE_DIRECTORIES.index(parts[i])]
            found.append(os.sep.join([*parts[:i], mirror, *parts[i + 1:]]))
            break
    return found


def _candidates(directory: str, name: str, this: str, other: str, listings: Listings) -> list[tuple[int, str]]:
    out = []
    found = listings.entries(directory)
    if found is None:
        return []
    entries = sorted(found)
    for entry in entries:
        rank = _rank(entry, name, this, other)
        if rank is not None:
            path = _sibling(directory, entry, listings)
            if path is not None:
                out.append((rank, path))
    return out


def find_counterpart(path: str, this: str, other: str, real: PathResolver, listings: Listings
                     ) -> tuple[str | None, str]:
    """The ``other`` file (``master.cf`` for ``main.cf`` and the reverse) of ``path``, or
    (None, why not).

    First the file's own directory, then its neighbours (:func:`_neighbours`); at each
    step the best-ranked candidate wins (:func:`_rank`), and two equally good ones are
    ambiguous: no guess is made, the caller skips what needs the counterpart."""
    directory, name = os.path.split(path)
    for step in (lambda: [directory], lambda: _neighbours(directory)):  # the neighbours only when needed
        found: list[tuple[int, str]] = []
        seen: set[str] = set()
        for place in step():
            for rank, candidate in _candidates(place, name, this, other, listings):
                if real(candidate) not in seen and real(candidate) != real(path):
                    seen.add(real(candidate))
                    found.append((rank, candidate))
        if found:
            best = min(rank for rank, _ in found)
            winners = [candidate for rank, candidate in found if rank == best]
            if len(winners) == 1:
                return winners[0], ""
            return None, f"{len(winners)} files could be its {other} ({', '.join(winners)}), so none is assumed"
    return None, f"no {other} was found next to it, in its parent or subdirectories, or in a templates/ or " \
                 "files/ mirror"


def _postfix_pair(main: str | None, master: str | None, real: PathResolver, listings: Listings
                  ) -> tuple[str | None, str | None, dict[str, str]]:
    """main.cf and master.cf of a host found from one of them, and what is missing."""
    if main and master:
        return main, master, {}
    given, this, other = (main, MAIN_CF, MASTER_CF) if main else (master, MASTER_CF, MAIN_CF)
    found, why = find_counterpart(given, this, other, real, listings)
    missing = {other: why} if found is None else {}
    return (main, found, missing) if main else (found, master, missing)


def detect_formats(files: Sequence[str], options: Options, real: PathResolver
                   ) -> tuple[list[str | None], list[ConfigError], dict[str, str]]:
    """The format of each file (None: not told by its name, with an error), and real path
    -> format: what every host group of the run is checked with, known before any host is
    grouped (so that worker processes can start on the first hosts)."""
    found_formats: dict[str, str] = {}
    errors: list[ConfigError] = []
    detected: list[str | None] = []
    for path in files:
        fmt = detect_format(path, options.formats)
        detected.append(fmt)
        if fmt is None:
            errors.append(ConfigError(path, 0, 0, "cannot tell the format from the name; "
                                      f"use --as {formats.choices_hint()}"))
        else:
            found_formats[real(path)] = fmt
    return detected, errors, found_formats


def hosts_as_grouped(files: Sequence[str], detected: Sequence[str | None], options: Options,
                     real: PathResolver) -> Iterator[HostFiles]:
    """The hosts of ``files`` (``detected``: their formats, :func:`detect_formats`), in the
    order they are first met, each given as soon as no later file can join it.

    A file joins the host whose files include it (a Postfix file, a Dovecot root, a file of
    another format), or, for a Dovecot file in a ``conf.d``, the host of its root: so a
    host is complete once the last passed spelling of each of its files is grouped and,
    when it has a Dovecot root, the last passed ``conf.d`` file of that root.  With
    ``hosts:`` entries in the configuration, hosts are given only at the end."""
    hosts: dict[tuple, HostFiles] = {}
    listings = Listings()  # the directories read for counterparts, each once
    explicit = {real(p): h for h in options.hosts for p in explicit_files(h).values()}
    last: dict[str, int] = {}  # real path -> index of its last passed spelling
    roots: dict[int, str] = {}  # index of a Dovecot file in a conf.d -> its root
    last_conf_d: dict[str, int] = {}  # real path of a Dovecot root -> index of its last conf.d file
    try:
        here = os.getcwd()
    except OSError:  # removed: every Dovecot file is asked below
        here = "conf.d"
    for i, (path, fmt) in enumerate(zip(files, detected)):
        if fmt is None:
            continue
        last[real(path)] = i
        # "conf.d" in the path, the current directory or the real path: a superset of
        # parsers.in_conf_d (which resolves the path again) to find the few that may be
        if fmt == DOVECOT and ("conf.d" in path or "conf.d" in here or "conf.d" in real(path)):
            root = roots[i] = _dovecot_root_for(path, listings)
            if root != path:
                last_conf_d[real(root)] = i
    waiting: list[tuple[int, HostFiles]] = []  # hosts not given yet, in order: (ready after index, host)
    given = 0  # hosts of ``waiting`` already given

    def key(files: dict[str, str]) -> tuple:
        return tuple(sorted((fmt, real(p)) for fmt, p in files.items()))

    def add(files: dict[str, str], reported: str, missing: dict[str, str] | None = None) -> HostFiles:
        k = key(files)
        host = hosts.get(k)
        if host is None:
            host = hosts[k] = HostFiles(files)
            ready = len(detected) if explicit else max(last.get(real_path, -1) for _fmt, real_path in k)
            if DOVECOT in files:
                ready = max(ready, last_conf_d.get(real(files[DOVECOT]), -1))
            waiting.append((ready, host))
        host.reported.add(real(reported))
        for kind, why in (missing or {}).items():
            host.missing.setdefault(kind, why)
        return host

    def ready(upto: int) -> Iterator[HostFiles]:
        nonlocal given
        while given < len(waiting) and waiting[given][0] <= upto:
            host = waiting[given][1]
            given += 1
            for pattern, roles in options.roles:  # roles: by directory glob
                if any(_role_glob_matches(p, pattern) for p in host.paths()):
                    host.roles.update(roles)
            yield host

    for i, (path, fmt) in enumerate(zip(files, detected)):
        if fmt is None:
            continue
        if real(path) in explicit:
            h: Host = explicit[real(path)]
            add(explicit_files(h), path).roles.update(h.roles)
        # a host found by its directories: a counterpart not found is unknown, not stock
        elif fmt in (POSTFIX_MAIN, POSTFIX_MASTER):
            main, master, missing = _postfix_pair(path if fmt == POSTFIX_MAIN else None,
                                                  path if fmt == POSTFIX_MASTER else None, real, listings)
            dovecot = None
            for p in (main, master):
                if p:
                    dovecot = dovecot or _dovecot_for_postfix(os.path.dirname(p), _template_suffix(p), listings)
            if dovecot is None:
                missing[DOVECOT_TREE] = "no Dovecot configuration (dovecot.conf) was found for it"
            add(_by_format(main, master, dovecot), path, missing)
        elif fmt == DOVECOT:
            root = roots.get(i, path)  # the file itself unless it is in a conf.d
            main, master = _postfix_for_dovecot(root, listings)
            missing = {}
            if main or master:
                main, master, missing = _postfix_pair(main, master, real, listings)
            add(_by_format(main, master, root), path, missing)
        else:  # a format with no counterparts: a host of its own
            add({fmt: path}, path)
        yield from ready(i)
    yield from ready(len(detected))


def _role_glob_matches(path: str, pattern: str) -> bool:
    """``roles:`` globs: the file, or any directory above it (``relays``, ``relays/*``, ``**/relay-*``)."""
    import fnmatch

    from linter.discovery import normalize

    path = normalize(path)
    pattern = pattern.rstrip("/")
    while path and path not in (".", "/"):
        if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern + "/*"):
            return True
        path = os.path.dirname(path)
    return False


def fragment_names(path: str) -> tuple[frozenset[str], list[str]]:
    """The parameters that ``main.cf.<part>`` fragments next to main.cf ``path`` set, and
    the fragments' names (a fragment that cannot be read or parsed is left out)."""
    directory = os.path.dirname(path) or os.curdir
    if os.path.basename(path) != "main.cf":
        return frozenset(), []
    try:
        names = sorted(n for n in os.listdir(directory) if is_fragment_name(n))
    except OSError:
        return frozenset(), []
    found: set[str] = set()
    used: list[str] = []
    for name in names:
        fragment = _sibling(directory, name)
        if fragment is None:
            continue
        try:
            doc = parse_file(fragment, POSTFIX_MAIN)
        except ConfigError:
            continue
        found |= {e.name for e in doc.entries if isinstance(e, Assignment)}
        used.append(name)
    return frozenset(found), used


def partial_main(path: str, doc: Document) -> str | None:
    """Why ``doc`` is only part of a main.cf (what it does not set is set elsewhere), or None.

    A file that sets no parameter at all is a stub ("# managed by puppet") or a template
    whose every line is generated; ``main.cf.<part>`` (``main.cf.amavisd``, not a template
    suffix, a prototype or a backup) is a piece an installer appends to main.cf."""
    if not any(isinstance(e, Assignment) for e in doc.entries):
        return "it sets no parameter (a stub, or a template that generates every line)"
    if doc.meta.get("unread_include"):  # linter.parsers.postfix_main: an include it could not read
        return f"it includes a template the tool could not read ({'; '.join(doc.meta['unread_include'])})"
    if is_fragment_name(path):
        return "it is a main.cf.<part> fragment, not a whole main.cf"
    if is_override_file(path):
        return "it is docker-mailserver's postfix-main.cf, whose lines are applied over the image's main.cf"
    if is_packaging_prototype(path):
        return "it is a Debian packaging prototype (debian/*.in), which the package's maintainer scripts complete"
    if any(isinstance(e, Assignment) and e.name == "setgid_group" and not e.value.strip() for e in doc.entries):
        # Postfix's own conf/main.cf leaves it for postfix-install to fill in: no Postfix
        # program starts with it ("fatal: bad string length 0 < 1: setgid_group = ")
        return "it leaves setgid_group empty, as Postfix's installer prototype does (no Postfix program starts so)"
    return None
