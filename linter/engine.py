"""The engine: group files into hosts, evaluate rules per scope unit, build diagnostics.

Which rules run and how they are configured (select/ignore, severity, params) is
decided first, apart from checking (:func:`configure`).  Counterpart files (master.cf
next to main.cf, the Dovecot root of a ``conf.d`` file) are read from disk so that
cross-file rules work when only one file is passed (pre-commit passes changed files),
but findings are reported only in the files that were passed, or that a passed
Dovecot root includes.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from linter import confine
from linter.checks import DOCUMENT_KINDS, REGISTRY
from linter.checks.base import Finding
from linter.checks.context import (
    DOVECOT_TREE,
    FRAGMENTS,
    MAIN_CF,
    MASTER_CF,
    SMTPD_COMMANDS,
    HostDocs,
    Unit,
    service_overrides,
)
from linter.diagnostics import Diagnostic, Edit, Fix
from linter.model import (
    DOVECOT,
    POSTFIX_MAIN,
    POSTFIX_MASTER,
    Assignment,
    ConfigError,
    Document,
    MarkedComment,
    Section,
    Service,
    Span,
)
from linter.options import Host, Options
from linter.policy.dovecot_path import split_path
from linter.policy.expr import UNKNOWN, EvalError, UnknownValue
from linter.policy.model import Policy, Rule
from linter.policy.templates import render, unfilled


@dataclass(frozen=True)
class Report:
    diagnostics: tuple[Diagnostic, ...]
    errors: tuple[ConfigError, ...]
    files: tuple[str, ...]
    # the "# policy-lint:" comments of the checked files (inline suppressions), found by the
    # parsers, so that nobody re-reads a file for them
    comments: tuple[MarkedComment, ...] = ()
    # what was not checked, said rather than silent and never an exit status of its own:
    # rules skipped somewhere for an error in their expression (a value of a type the rule
    # does not expect), a counterpart of the host not found (one note per file), an
    # include kept out of the repository or leading out of it
    notes: tuple[ConfigError, ...] = ()
    # real path -> digest of the bytes the findings were computed from (None: the file changed
    # while it was being checked); the fixer edits only files that still hold them
    digests: dict[str, bytes | None] = field(default_factory=dict, compare=False)


# -- the decision engine: which rules, how configured -------------------------------


def _longest_match(rule_id: str, prefixes: Sequence[str]) -> int:
    return max((len(p) for p in prefixes if rule_id.startswith(p)), default=-1)


def is_selected(rule_id: str, options: Options) -> bool:
    """flake8-style: the longer matching prefix of ``select`` and ``ignore`` wins."""
    selected = _longest_match(rule_id, options.select) if options.select else 0
    if selected < 0:
        return False
    ignored = _longest_match(rule_id, options.ignore)
    return ignored < 0 or selected > ignored


def configure(policy: Policy, options: Options, rule_ids: Sequence[str] | None = None) -> list[Rule]:
    """The rules to run, with severity and params overrides applied."""
    rules = []
    for rule in policy.rules:
        if rule_ids is not None:
            if rule.id not in rule_ids:
                continue
        elif not is_selected(rule.id, options):
            continue
        changes: dict[str, Any] = {}
        if rule.id in options.severity:
            changes["severity"] = options.severity[rule.id]
        if options.params.get(rule.id):
            changes["params"] = {**rule.params, **options.params[rule.id]}
        rules.append(dataclasses.replace(rule, **changes) if changes else rule)
    return rules


# -- grouping files into hosts --------------------------------------------------------


@dataclass
class _HostFiles:
    main: str | None = None
    master: str | None = None
    dovecot: str | None = None
    reported: set[str] = field(default_factory=set)  # real paths whose findings are shown
    roles: set[str] = field(default_factory=set)  # has_role(): from hosts: and the roles: globs
    # counterparts this host has but that were not found (MAIN_CF, MASTER_CF, DOVECOT_TREE
    # -> why): values they hold are unknown, never their defaults
    missing: dict[str, str] = field(default_factory=dict)



_REALPATHS: dict[str, str] = {}  # per check() run: realpath costs a few lstat calls per path


def _real(path: str) -> str:
    real = _REALPATHS.get(path)
    if real is None:
        real = _REALPATHS[path] = os.path.realpath(path)
    return real


def _sibling(directory: str, name: str) -> str | None:
    path = os.path.join(directory, name)
    # a counterpart outside the repository root (or a link leaving it) is not read
    return path if os.path.isfile(path) and confine.may_read(path) else None


def _dovecot_root_for(path: str) -> str:
    """The root ``dovecot.conf`` a conf.d file belongs to (the file itself when none)."""
    from linter.parsers import in_conf_d

    if in_conf_d(path):
        # from the directory's absolute path: "10-master.conf" given inside conf.d/ has the
        # same root as "etc/dovecot/conf.d/10-master.conf" given from the repository root
        directory = os.path.dirname(path) or os.curdir
        if os.path.basename(os.path.abspath(directory)) == "conf.d":
            parent = os.path.normpath(os.path.join(directory, os.pardir))
        else:  # the file links into a conf.d: the tree it resolves to
            parent = os.path.dirname(os.path.dirname(os.path.realpath(path)))
        root = _sibling(parent, "dovecot.conf")
        if root:
            return root
    return path


def _dovecot_for_postfix(directory: str) -> str | None:
    """The Dovecot root of a Postfix directory: ``HOST/dovecot.conf``,
    ``HOST/dovecot/dovecot.conf``, or for ``X/postfix/`` the sibling ``X/dovecot/``."""
    found = _sibling(directory, "dovecot.conf") or _sibling(os.path.join(directory, "dovecot"), "dovecot.conf")
    if found:
        return found
    if os.path.basename(os.path.abspath(directory)) == "postfix":
        return _sibling(os.path.normpath(os.path.join(directory, os.pardir, "dovecot")), "dovecot.conf")
    return None


def is_dovecot_root(path: str) -> bool:
    """``dovecot.conf`` (also ``x_dovecot.conf``, ``dovecot.conf.j2``): a file Dovecot starts
    from, unlike an included ``*.conf.ext`` or a dict/SQL driver file next to it."""
    from linter.parsers import strip_template_suffix

    name = strip_template_suffix(os.path.basename(path))
    return name == "dovecot.conf" or name.endswith(("-dovecot.conf", "_dovecot.conf", ".dovecot.conf"))


def _postfix_for_dovecot(root: str) -> tuple[str | None, str | None]:
    """The inverse of :func:`_dovecot_for_postfix`: main.cf/master.cf next to the root,
    or for ``X/dovecot/dovecot.conf`` in ``X/`` or ``X/postfix/``; none for a file
    that is no root (its settings say nothing about the host's auth service)."""
    if not is_dovecot_root(root):
        return None, None
    directory = os.path.dirname(root)
    main, master = _sibling(directory, "main.cf"), _sibling(directory, "master.cf")
    if not (main or master) and os.path.basename(os.path.abspath(directory)) == "dovecot":
        parent = os.path.normpath(os.path.join(directory, os.pardir))
        for other in (parent, os.path.join(parent, "postfix")):
            main, master = _sibling(other, "main.cf"), _sibling(other, "master.cf")
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
    from linter.parsers import strip_template_suffix

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


def _candidates(directory: str, name: str, this: str, other: str) -> list[tuple[int, str]]:
    out = []
    try:
        with os.scandir(directory or os.curdir) as it:
            entries = sorted(e.name for e in it)
    except OSError:
        return []
    for entry in entries:
        rank = _rank(entry, name, this, other)
        if rank is not None:
            path = _sibling(directory, entry)
            if path is not None:
                out.append((rank, path))
    return out


def find_counterpart(path: str, this: str, other: str) -> tuple[str | None, str]:
    """The ``other`` file (``master.cf`` for ``main.cf`` and the reverse) of ``path``, or
    (None, why not).

    First the file's own directory, then its neighbours (:func:`_neighbours`); at each
    step the best-ranked candidate wins (:func:`_rank`), and two equally good ones are
    ambiguous: no guess is made, the caller skips what needs the counterpart."""
    directory, name = os.path.split(path)
    for step in ([directory], _neighbours(directory)):
        found: list[tuple[int, str]] = []
        seen: set[str] = set()
        for place in step:
            for rank, candidate in _candidates(place, name, this, other):
                if _real(candidate) not in seen and _real(candidate) != _real(path):
                    seen.add(_real(candidate))
                    found.append((rank, candidate))
        if found:
            best = min(rank for rank, _ in found)
            winners = [candidate for rank, candidate in found if rank == best]
            if len(winners) == 1:
                return winners[0], ""
            return None, f"{len(winners)} files could be its {other} ({', '.join(winners)}), so none is assumed"
    return None, f"no {other} was found next to it, in its parent or subdirectories, or in a templates/ or " \
                 "files/ mirror"


def _postfix_pair(main: str | None, master: str | None) -> tuple[str | None, str | None, dict[str, str]]:
    """main.cf and master.cf of a host found from one of them, and what is missing."""
    if main and master:
        return main, master, {}
    given, this, other = (main, MAIN_CF, MASTER_CF) if main else (master, MASTER_CF, MAIN_CF)
    found, why = find_counterpart(given, this, other)
    missing = {other: why} if found is None else {}
    return (main, found, missing) if main else (found, master, missing)


def group_hosts(files: Sequence[str], options: Options) -> tuple[list[_HostFiles], list[ConfigError], dict]:
    """Hosts (with the files whose findings are reported), format errors, path -> format."""
    from linter.parsers import detect_format

    formats: dict[str, str] = {}
    errors: list[ConfigError] = []
    hosts: dict[tuple, _HostFiles] = {}
    explicit = {(_real(p)): h for h in options.hosts for p in (h.main, h.master, h.dovecot) if p}

    def add(main: str | None, master: str | None, dovecot: str | None, reported: str,
            missing: dict[str, str] | None = None) -> None:
        key = tuple(_real(p) if p else None for p in (main, master, dovecot))
        host = hosts.setdefault(key, _HostFiles(main, master, dovecot))
        host.reported.add(_real(reported))
        for kind, why in (missing or {}).items():
            host.missing.setdefault(kind, why)

    for path in files:
        fmt = detect_format(path, options.formats)
        if fmt is None:
            errors.append(ConfigError(path, 0, 0, "cannot tell the format from the name; "
                                      "use --as postfix-main|postfix-master|dovecot"))
            continue
        formats[_real(path)] = fmt
        if _real(path) in explicit:
            h: Host = explicit[_real(path)]
            add(h.main, h.master, h.dovecot, path)
            hosts[tuple(_real(p) if p else None for p in (h.main, h.master, h.dovecot))].roles.update(h.roles)
            continue
        # a host found by its directories: a counterpart not found is unknown, not stock
        if fmt in (POSTFIX_MAIN, POSTFIX_MASTER):
            main, master, missing = _postfix_pair(path if fmt == POSTFIX_MAIN else None,
                                                  path if fmt == POSTFIX_MASTER else None)
            dovecot = None
            for directory in dict.fromkeys(os.path.dirname(p) for p in (main, master) if p):
                dovecot = dovecot or _dovecot_for_postfix(directory)
            if dovecot is None:
                missing[DOVECOT_TREE] = "no Dovecot configuration (dovecot.conf) was found for it"
            add(main, master, dovecot, path, missing)
        else:
            root = _dovecot_root_for(path)
            main, master = _postfix_for_dovecot(root)
            missing = {}
            if main or master:
                main, master, missing = _postfix_pair(main, master)
            add(main, master, root, path, missing)
    for host in hosts.values():  # roles: by directory glob
        for pattern, roles in options.roles:
            if any(_role_glob_matches(p, pattern) for p in (host.main, host.master, host.dovecot) if p):
                host.roles.update(roles)
    return list(hosts.values()), errors, formats


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


# -- checking -------------------------------------------------------------------------


class _Env:
    """The expression environment of one rule on one unit: let, params, then directives."""

    __slots__ = ("unit", "rule", "lets", "values")

    def __init__(self, unit: Unit, rule: Rule):
        self.unit = unit
        self.rule = rule
        self.lets = dict(rule.let)
        self.values: dict[str, Any] = {}

    def lookup(self, name: str) -> Any:
        if name in self.values:
            value = self.values[name]
        elif name in self.lets:
            value = self.lets[name].evaluate(self)  # UNKNOWN or a value; EvalError propagates
            self.values[name] = value
        elif name in self.rule.params:
            return self.rule.params[name]
        else:
            return self.unit.effective(name)
        if value is UNKNOWN:
            raise UnknownValue(name)
        return value

    def context(self, function: str, argument: str) -> Any:
        unit = self.unit
        if function == "is_set":
            return unit.is_set(argument)
        if function == "has_role":
            return argument in unit.host.roles
        if function == "default":
            value = unit.default(argument)
        elif function == "param":
            return unit.effective(argument)
        elif function == "in_effect":
            return unit.in_effect(argument)
        elif function == "delivers":
            return unit.delivers(argument)
        elif function == "service":
            value = unit.service_column(argument)
        elif function == "dovecot":
            value = unit.dovecot_value(argument)
        elif function == "dovecot_exists":
            return unit.dovecot_exists(argument)
        elif function == "dovecot_filter":
            return unit.dovecot_filter(argument)
        elif function == "postfix_values":
            return unit.postfix_values(argument)
        else:
            raise ValueError(f"unknown function {function}")
        if value is UNKNOWN:
            raise UnknownValue(argument)
        return value


def _units(rule: Rule, host: HostDocs, services: _HostServices) -> Iterator[Unit]:
    scope = rule.scope
    if rule.check.kind in DOCUMENT_KINDS:
        yield Unit(scope, host)
        return
    if scope == "postfix-main":
        if host.main is not None:
            yield Unit(scope, host)
    elif scope == "host":
        if host.main or host.master or host.dovecot:
            yield Unit(scope, host)
    elif scope == "dovecot":
        if host.dovecot is not None:
            yield from _dovecot_units(rule, host)
    elif scope == "postfix-master":
        for service, overrides in services.all:
            yield Unit(scope, host, service, overrides)
    elif scope == "smtpd-service":
        if host.master is None:
            # the implicit "smtp inet ... smtpd" of the stock master.cf, unless the host has
            # a master.cf of its own that was not found: its services are unknown
            if host.main is not None and not host.lacks(MASTER_CF):
                yield Unit(scope, host)
            return
        for service, overrides in services.smtpd:
            yield Unit(scope, host, service, overrides)


def _dovecot_units(rule: Rule, host: HostDocs) -> Iterator[Unit]:
    """The top level, then each filter block (``protocol pop3 { }``, ``local ... { }``) that
    sets something: a setting is judged wherever its effective value can differ.  A rule
    on a wildcard path (``protocol * / ssl``) is judged once per matching section; for an
    ``assert``, the path is its anchor's (``service auth / inet_listener * / address``)."""
    from linter.checks.context import dovecot_sections, filter_blocks, has_wildcard, is_filter_header

    path = rule.check.path
    if not path and rule.check.kind == "assert" and rule.check.anchor:
        path = split_path(rule.check.anchor)[:-1]
    if rule.check.kind == "dovecot-section":
        yield Unit("dovecot", host)
        return
    if has_wildcard(path):
        matches = dovecot_sections(host.dovecot, path)
        for section in matches:
            yield Unit("dovecot", host, within=section.path, block=section)
        if not matches:
            yield Unit("dovecot", host)
        return
    yield Unit("dovecot", host)
    if path and is_filter_header(path[0]):
        return
    for section in filter_blocks(host.dovecot):
        yield Unit("dovecot", host, within=section.path, block=section)


def _inside(span: Span, section: Section) -> bool:
    close = section.close_span
    return span.path == section.span.path and close is not None and \
        section.span.line <= span.line <= close.line


class _HostServices:
    """A host's master.cf services with their overrides, worked out once for all its rules."""

    __slots__ = ("all", "smtpd")

    def __init__(self, host: HostDocs):
        self.all = [(service, service_overrides(service)) for service in _services(host)]
        self.smtpd = [(service, overrides) for service, overrides in self.all
                      if os.path.basename(service.command) in SMTPD_COMMANDS[:1]]


def _services(host: HostDocs) -> list[Service]:
    if host.master is None:
        return []
    return [e for e in host.master.entries if isinstance(e, Service)]


def evaluate_rule(rule: Rule, unit: Unit, env: _Env, skipped: list[str] | None = None) -> list[Finding]:
    """Findings of one rule on one unit (none when its condition is false or unknown).

    A run-time error of an expression (a value of a type the rule does not expect)
    skips the rule here; why is appended to ``skipped``."""
    try:
        if rule.when is not None:
            condition = rule.when.evaluate(env)
            if condition is UNKNOWN or not condition:
                return []
        return list(REGISTRY[rule.check.kind](rule, unit, env))
    except UnknownValue:
        return []  # a value the rule needs is unknown (templated): skipped rather than guessed
    except EvalError as e:
        if skipped is not None:
            skipped.append(str(e))
        return []


def _placeholders(rule: Rule, unit: Unit, env: _Env, finding: Finding) -> dict[str, Any]:
    values: dict[str, Any] = dict(rule.params)
    for name, _expr in rule.let:
        try:
            values[name] = env.lookup(name)
        except (UnknownValue, EvalError):
            pass
    directive = finding.directive or rule.check.directive or ""
    values["directive"] = directive
    values["value"] = finding.value if finding.value is not None else ""
    values["detail"] = finding.detail or ""
    if directive and not unit.dovecot_scope:
        try:
            default = unit.default(directive) if finding.default is None else finding.default
        except UnknownValue:
            default = UNKNOWN
        if default is not UNKNOWN:  # an unknown default leaves {default} unfilled
            values["default"] = default
    else:
        values["default"] = finding.default if finding.default is not None else ""
    if unit.service is not None or rule.scope == "smtpd-service":
        values["service"] = unit.service.service if unit.service else "smtp"
    return _LazyDirectives(values, unit)


class _LazyDirectives(dict):
    """Placeholders; a directive name is looked up only when a template uses it."""

    def __init__(self, values: dict, unit: Unit):
        super().__init__(values)
        self.unit = unit

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or self._load(str(name))

    def _load(self, name: str) -> bool:
        try:
            raw = self.unit.raw(name)
        except (UnknownValue, ValueError, KeyError):
            return False
        if raw is None:
            return False
        self[name] = raw
        return True


def build_fix(rule: Rule, unit: Unit, finding: Finding, values: dict) -> Fix | None:
    spec = rule.fix
    if spec is None:
        return None
    # a fix that would write '?' for a value we do not know is worse than none
    if unfilled(spec.title, values) or any(unfilled(template, values) for _name, template in spec.set):
        return None
    title = render(spec.title, values)
    if finding.edits is not None:
        return Fix(title, spec.applicability, finding.edits)
    edits: list[Edit] = []
    for name, template in spec.set:
        content = render(template, values)
        edit = _override_edit(unit, name, content) if spec.override and unit.service is not None else None
        edit = edit or _set_edit(unit, name, content, spec.after, finding)
        if edit is None:
            continue
        same_point = [i for i, e in enumerate(edits) if e.span == edit.span and e.span[1:3] == e.span[3:5]]
        if same_point and edit.span[1:3] == edit.span[3:5]:
            # two new lines at one place: one insertion, in the order the fix lists them
            # (Fix sorts its edits, which would order them by their text)
            edits[same_point[0]] = Edit(edit.span, edits[same_point[0]].content + edit.content)
        else:
            edits.append(edit)
    for name in spec.remove:
        edits += _remove_edits(unit, name)
    if not edits and spec.applicability > 1:
        return None
    return Fix(title, spec.applicability, tuple(edits))


def _set_edit(unit: Unit, name: str, value: str, after: str | None, finding: Finding) -> Edit | None:
    if unit.dovecot_scope:
        target = unit.dovecot_name(name)  # the name and value as the tree's version spells them
        value = target.tree_value(value)
        span, entry = unit.explicit_span(name)
        if entry is not None:
            # already the wanted value: no edit (a fix that also keeps related settings
            # right, like DC203's user and group, must not claim to change them)
            return None if entry.value == value and not entry.templated else Edit(entry.value_span, value)
        sections = target.parts[:-1] or finding.section
        place = unit.dovecot_insertion(sections)
        if place is None:
            return None
        return Edit(place[1], f"{place[2]}{target.parts[-1]} = {value}\n")
    if name in unit.overrides:
        override = unit.overrides[name]
        if override.long_form or not any(c.isspace() for c in value):
            return Edit(override.value_span, value)
        # "-o name=a b" would split at the blank: master(5) needs the long form
        return Edit(override.span, f"-o {{ {name} = {value} }}")
    explicit = unit.host.postfix.explicit.get(name)
    if explicit is not None:
        if explicit.value == "" and explicit.span.line == explicit.span.end_line:
            return Edit(explicit.span, f"{name} = {value}")  # "name =" gets its blank too
        return Edit(explicit.value_span, value)
    place = unit.main_insertion(after)
    if place is None or place[1] is None:
        return None  # no main.cf, or every place is inside a template block
    return Edit(place[1], f"{name} = {value}\n")


def _override_edit(unit: Unit, name: str, value: str) -> Edit | None:
    """``fix.override``: the reporting service's ``-o name=value`` (changed, or added as a
    continuation line after the entry), so that the other services keep main.cf's value."""
    if name in unit.overrides:
        return None  # _set_edit changes the override itself
    service = unit.service
    if service is None or service.templated:
        return None
    text = f"-o {{ {name} = {value} }}" if any(c.isspace() for c in value) else f"-o {name}={value}"
    end = service.span
    return Edit(Span.point(end.path, end.end_line, end.end_column), f"\n  {text}")


def _remove_edits(unit: Unit, name: str) -> list[Edit]:
    if unit.dovecot_scope:
        from linter.checks.context import dovecot_settings

        target = unit.dovecot_name(name)
        return [Edit(Span(s.span.path, s.span.line, 1, s.span.end_line + 1, 1), "")
                for s in dovecot_settings(unit.host.dovecot, target.parts, target.version)]
    if name in unit.overrides:
        o = unit.overrides[name].span
        start = max(o.column - 1, 1)  # the blank before "-o" goes too
        return [Edit(Span(o.path, o.line, start, o.end_line, o.end_column), "")]
    doc = unit.host.main
    if doc is None:
        return []
    return [Edit(Span(a.span.path, a.span.line, 1, a.span.end_line + 1, 1), "")
            for a in doc.entries if getattr(a, "name", None) == name and hasattr(a, "value_span")]


def diagnose(rule: Rule, unit: Unit, finding: Finding, env: _Env) -> Diagnostic:
    """The diagnostic of a finding; ``env`` is the one the rule was evaluated in (its let values are kept)."""
    values = _placeholders(rule, unit, env, finding)
    message = render(rule.message, values)
    if finding.note:
        message += f" ({finding.note})"
    related = finding.related
    if unit.service is not None and not _within(finding.span, unit.service.span) and unit.service.span not in related \
            and not any(f.span in related for f in unit.service.fields):
        related = related + (unit.service.span,)
    return Diagnostic(rule=rule.id, name=rule.name, severity=rule.severity, message=message, span=finding.span,
                      fix=build_fix(rule, unit, finding, values), related=related, help_uri=rule.reference)


def _within(span: Span, outer: Span) -> bool:
    return span.path == outer.path and (outer.line, outer.column) <= (span.line, span.column) \
        and (span.end_line, span.end_column) <= (outer.end_line, outer.end_column)


def _merge_services(diagnostics: set[Diagnostic]) -> list[Diagnostic]:
    """One finding where several services found the same thing at the same place (a
    missing Dovecot listener that smtp and submission both need), or the same thing with
    the same fix (a main.cf line missing for every service, each found at its own
    master.cf entry); the other places are kept as related locations."""
    merged: dict[tuple, Diagnostic] = {}
    for d in sorted(diagnostics, key=lambda d: (d.sort_key(), d.related)):
        key = (d.rule, d.message, d.fix) if d.fix is not None and d.fix.edits else (d.rule, d.span, d.message, d.fix)
        first = merged.get(key)
        if first is None:
            merged[key] = d
        else:
            more = (() if d.span == first.span else (d.span,)) + d.related
            related = first.related + tuple(dict.fromkeys(r for r in more if r not in first.related))
            merged[key] = dataclasses.replace(first, related=related)
    return list(merged.values())


PARALLEL_MIN_FILES = 500  # below this, starting worker processes costs more than it saves


def check(files: Sequence[str], policy: Policy, options: Options,
          rule_ids: Sequence[str] | None = None, jobs: int | None = None) -> Report:
    """Check ``files`` (already discovered) against ``policy``.

    ``rule_ids`` restricts the run to those rules regardless of select/ignore (policy tests).
    ``jobs``: worker processes; None picks the CPU count for large runs (at least
    ``PARALLEL_MIN_FILES`` files), else one.  The report does not depend on it.
    """
    from linter.parsers import READ_DIGESTS

    rules = configure(policy, options, rule_ids)
    from linter import catalog

    # The versions a run reads (forked workers inherit them); no JSON is loaded here.
    catalog.select(postfix=options.versions.get("postfix"), dovecot=options.versions.get("dovecot"))
    _REALPATHS.clear()  # a path's target may have changed since the last run (the fixer, tests)
    READ_DIGESTS.clear()
    digests: dict[str, bytes | None] = {}
    try:
        groups, errors, formats = group_hosts(files, options)
        passed: dict[str, str] = {}  # real path -> the path as given (the first spelling)
        for f in files:
            passed.setdefault(_real(f), f)
        workers = _worker_count(jobs, len(files), len(groups))
        if workers > 1:
            diagnostics, parse_errors, comments, notes = _check_parallel(groups, rules, formats, passed, workers,
                                                                         digests)
        else:
            diagnostics, parse_errors, comments, notes = _check_groups(groups, rules, formats, passed)
        _merge_digests(digests, READ_DIGESTS)
    finally:
        _REALPATHS.clear()
        READ_DIGESTS.clear()
    unique = {(e.path, e.line, e.column, e.message): e for e in (*errors, *parse_errors)}
    ordered = tuple(sorted(_merge_services(diagnostics), key=Diagnostic.sort_key))
    return Report(ordered, tuple(sorted(unique.values(), key=lambda e: (e.path, e.line, e.column))), tuple(files),
                  tuple(sorted(comments, key=lambda c: (c.path, c.line))),
                  tuple(ConfigError(*note) for note in sorted(notes)), digests)


def _merge_digests(into: dict[str, bytes | None], found: dict[str, bytes | None]) -> None:
    """Digests of several readers (worker processes): a file read with two contents is None."""
    for real, digest in found.items():
        if into.setdefault(real, digest) != digest:
            into[real] = None


def _check_groups(groups: Sequence[_HostFiles], rules: Sequence[Rule], formats: dict[str, str],
                  passed: dict[str, str]
                  ) -> tuple[set[Diagnostic], list[ConfigError], set[MarkedComment], set[tuple]]:
    """Check host groups one by one; a parsed file is dropped once no later group needs it."""
    parsed: dict[str, Document | None] = {}
    comments: set[MarkedComment] = set()
    failed: set[str] = set()
    errors: list[ConfigError] = []
    uses: dict[str, int] = {}
    for group in groups:
        for p in (group.main, group.master, group.dovecot):
            if p:
                uses[_real(p)] = uses.get(_real(p), 0) + 1

    def parse(path: str | None, fmt: str) -> Document | None:
        if path is None:
            return None
        real = _real(path)
        if real not in parsed:
            from linter.parsers import parse_file

            try:
                parsed[real] = parse_file(path, formats.get(real, fmt))
            except ConfigError as e:
                parsed[real] = None
                if real in passed and real not in failed:  # a counterpart's error belongs to its own run
                    errors.append(e)
                failed.add(real)
        return parsed[real]

    diagnostics: set[Diagnostic] = set()
    notes: set[tuple] = set()  # (path, line, column, message)
    for group in groups:
        _check_group(group, rules, parse, failed, diagnostics, passed, comments, notes)
        for p in (group.main, group.master, group.dovecot):
            if p:
                real = _real(p)
                uses[real] -= 1
                if not uses[real]:
                    parsed.pop(real, None)  # no file's content is held after it is checked
    return diagnostics, errors, comments, notes


def _check_group(group: _HostFiles, rules: Sequence[Rule], parse, failed: set[str],  # noqa: ANN001
                 diagnostics: set[Diagnostic], passed: dict[str, str], comments: set[MarkedComment],
                 notes: set[tuple]) -> None:
    if any(_real(p) in failed for p in (group.main, group.master, group.dovecot) if p) and \
            all(r in failed for r in group.reported):
        return
    main, master, dovecot = (parse(group.main, POSTFIX_MAIN), parse(group.master, POSTFIX_MASTER),
                             parse(group.dovecot, DOVECOT))
    missing = dict(group.missing)
    for kind, path, doc in ((MAIN_CF, group.main, main), (MASTER_CF, group.master, master),
                            (DOVECOT_TREE, group.dovecot, dovecot)):
        if path and doc is None:
            missing[kind] = f"its {kind} {passed.get(_real(path), path)} does not parse"
    fragment_names: frozenset[str] = frozenset()
    if main is not None and MAIN_CF not in missing:
        partial = _partial_main(passed.get(_real(group.main), group.main), main)
        if partial:
            missing[MAIN_CF] = partial
        else:
            fragment_names, fragments = _fragment_names(group.main)
            if fragment_names:
                missing[FRAGMENTS] = f"{', '.join(fragments)} next to it may be appended to it (an installer's " \
                                     "main.cf.<part> fragments) and set what it leaves unset"
    docs = HostDocs(main, master, dovecot, main_path=group.main, missing=missing, fragment_names=fragment_names,
                    roles=frozenset(group.roles))
    reported = set(group.reported)
    if docs.dovecot is not None and docs.dovecot.files and _real(group.dovecot) in reported:
        reported |= {_real(f) for f in docs.dovecot.files}
    reported -= failed
    if not reported:
        return
    if docs.dovecot is not None:
        notes.update((passed.get(_real(n.path), n.path), n.line, n.column, n.message)
                     for n in docs.dovecot.notes if _real(n.path) in reported)
    for doc in (docs.main, docs.master, docs.dovecot):
        for comment in doc.marked_comments if doc is not None else ():
            real = _real(comment.path)
            if real in reported:  # a suppression speaks only for the file it is in
                spelled = passed.get(real, comment.path)
                comments.add(comment if spelled == comment.path else comment._replace(path=spelled))
    services = _HostServices(docs)
    lacking: dict[str, set[str]] = {}  # missing counterpart -> ids of the rules that needed it
    for rule in rules:
        seen: set[Span] = set()  # Dovecot: a setting inherited by several blocks is reported once
        docs.consulted.clear()
        units = list(_units(rule, docs, services))
        needed = set(docs.consulted)
        for unit in units:
            docs.consulted.clear()
            env = _Env(unit, rule)
            skipped: list[str] = []
            found = evaluate_rule(rule, unit, env, skipped)
            # a value from a missing counterpart made the rule skip here (a per-document kind
            # skips only the names that needed it, and may still report others)
            if docs.consulted and (not found or rule.check.kind in DOCUMENT_KINDS):
                needed |= docs.consulted
            for finding in found:
                if unit.block is not None:
                    if finding.span in seen:
                        continue
                    if not _inside(finding.span, unit.block) and unit.block.span not in finding.related:
                        # judged in the block, but found where the block inherits it from
                        finding = finding._replace(related=(*finding.related, unit.block.span))
                seen.add(finding.span)
                if _real(finding.span.path) not in reported and finding.missing and finding.related \
                        and _real(finding.related[0].path) in reported:
                    # master.cf was not passed (pre-commit on main.cf): shown where the fix goes
                    finding = finding._replace(span=finding.related[0],
                                               related=(finding.span, *finding.related[1:]))
                real = _real(finding.span.path)
                side = _side(docs, real)
                if side is not None and rule.check.kind not in DOCUMENT_KINDS and side not in _HOME[rule.scope]:
                    # a cross-file finding: it carries the other side (what the rule read there)
                    finding = finding._replace(related=(*finding.related, *_other_side(rule, unit, finding)))
                    if real not in reported and real not in failed:
                        # a file of the host not passed (pre-commit passes changed files): the
                        # finding is reported anyway, unless that file suppresses it
                        if _suppressed(docs, finding.span, rule.id):
                            continue
                        reported_elsewhere = True
                    else:
                        reported_elsewhere = False
                else:
                    reported_elsewhere = False
                if real in reported or reported_elsewhere:
                    diagnostics.add(_respelled(diagnose(rule, unit, finding, env), passed))
            if skipped:
                notes.update(_skipped_notes(rule, unit, skipped, reported, passed))
        for kind in needed:
            lacking.setdefault(kind, set()).add(rule.id)
    if lacking:
        notes.update(_lacking_notes(group, docs, lacking, reported, passed))


# Where a scope's own findings are; a finding elsewhere is a cross-file finding.
_HOME = {"postfix-main": ("main",), "smtpd-service": ("main", "master"), "postfix-master": ("main", "master"),
         "dovecot": ("dovecot",), "host": ()}


def _side(docs: HostDocs, real: str) -> str | None:
    """Which file of the host ``real`` is: main, master or dovecot (any file of the tree)."""
    if docs.main is not None and _real(docs.main.path) == real:
        return "main"
    if docs.master is not None and _real(docs.master.path) == real:
        return "master"
    if docs.dovecot is not None and real in {_real(f) for f in (docs.dovecot.path, *docs.dovecot.files)}:
        return "dovecot"
    return None


def _other_side(rule: Rule, unit: Unit, finding: Finding) -> list[Span]:
    """The Postfix settings a cross-file rule read (``smtpd_sasl_path`` for a Dovecot
    listener it looked for), where they are set, as related locations."""
    if unit.dovecot_scope:
        return []
    names: set[str] = set()
    for expr in (*(e for _n, e in rule.let), rule.check.expr):
        if expr is not None:
            names |= expr.names
    names -= set(rule.params) | {n for n, _e in rule.let}
    spans = []
    for name in sorted(names):
        try:
            span, _entry = unit.explicit_span(name)
        except (UnknownValue, ValueError, KeyError):
            continue
        if span is not None and span != finding.span and span not in finding.related:
            spans.append(span)
    return spans


def _suppressed(docs: HostDocs, span: Span, rule_id: str) -> bool:
    """Whether an inline suppression in ``span``'s file (not passed, so not collected) covers the finding."""
    from linter.suppressions import suppressions_from_comments

    real = _real(span.path)
    comments = [c for doc in (docs.main, docs.master, docs.dovecot) if doc is not None
                for c in doc.marked_comments if _real(c.path) == real]
    if not comments:
        return False
    found, _invalid = suppressions_from_comments(comments)
    return any((s.file_wide or s.target == span.line) and any(r.rule == rule_id for r in s.rules) for s in found)


def _skipped_notes(rule: Rule, unit: Unit, why: list[str], reported: set[str],
                   passed: dict[str, str]) -> list[tuple]:
    span = unit.anchor_span()
    if span is None or _real(span.path) not in reported:
        return []
    path = passed.get(_real(span.path), span.path)
    return [(path, span.line, span.column, f"rule {rule.id} skipped here: its expression failed on a value of "
             f"another type: {reason}") for reason in why]


_DEFAULTS_OF = {MAIN_CF: "Postfix's defaults", MASTER_CF: "Postfix's stock master.cf",
                DOVECOT_TREE: "Dovecot's defaults", FRAGMENTS: "Postfix's defaults"}


def _lacking_notes(group: _HostFiles, docs: HostDocs, lacking: dict[str, set[str]], reported: set[str],
                   passed: dict[str, str]) -> Iterator[tuple]:
    """One note per missing counterpart, on the host's file that lacks it (its Postfix
    file when it has one that was passed, else its first reported file)."""
    postfix = [p for p in (group.main, group.master) if p and _real(p) in reported]
    if postfix:
        path = passed.get(_real(postfix[0]), postfix[0])
    else:
        path = min(passed.get(r, r) for r in reported)
    for kind, ids in sorted(lacking.items()):
        why = docs.missing[kind]
        if kind == FRAGMENTS:
            hint = "for what they set"
        elif kind == MAIN_CF and docs.main is not None:  # a fragment or a stub: nothing to pair
            hint = "for what it does not set"
        else:
            hint = "(name the files of this host with 'hosts:' in .policy-lint.yaml to pair them)"
        yield (path, 0, 0, f"{why}: {', '.join(sorted(ids))} skipped rather than judged with {_DEFAULTS_OF[kind]} "
                           + hint)


def _fragment_names(path: str) -> tuple[frozenset[str], list[str]]:
    """The parameters that ``main.cf.<part>`` fragments next to main.cf ``path`` set, and
    the fragments' names (a fragment that cannot be read or parsed is left out)."""
    from linter.parsers import is_fragment_name, parse_file

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


def _partial_main(path: str, doc: Document) -> str | None:
    """Why ``doc`` is only part of a main.cf (what it does not set is set elsewhere), or None.

    A file that sets no parameter at all is a stub ("# managed by puppet") or a template
    whose every line is generated; ``main.cf.<part>`` (``main.cf.amavisd``, not a template
    suffix, a prototype or a backup) is a piece an installer appends to main.cf."""
    from linter.parsers import is_fragment_name

    if not any(isinstance(e, Assignment) for e in doc.entries):
        return "it sets no parameter (a stub, or a template that generates every line)"
    if doc.meta.get("unread_include"):  # linter.parsers.postfix_main: an include it could not read
        return f"it includes a template the tool could not read ({'; '.join(doc.meta['unread_include'])})"
    if is_fragment_name(path):
        return "it is a main.cf.<part> fragment, not a whole main.cf"
    return None


def _respelled(d: Diagnostic, passed: dict[str, str]) -> Diagnostic:
    """``d`` with its paths spelled as the files were passed: a file reached through its
    Dovecot root (``../conf.d/10-master.conf`` from inside conf.d/) is shown as given."""

    def spell(span: Span) -> Span:
        given = passed.get(_real(span.path), span.path)
        return span if given == span.path else span._replace(path=given)

    fix = d.fix
    paths = {d.span.path, *(r.path for r in d.related), *(e.span.path for e in (fix.edits if fix else ()))}
    if all(passed.get(_real(p), p) == p for p in paths):
        return d
    if fix is not None:
        fix = dataclasses.replace(fix, edits=tuple(Edit(spell(e.span), e.content) for e in fix.edits))
    return dataclasses.replace(d, span=spell(d.span), related=tuple(spell(r) for r in d.related), fix=fix)


# -- the bulk path: host groups checked in worker processes ----------------------------------


def _worker_count(jobs: int | None, files: int, groups: int) -> int:
    if jobs is None:
        if files < PARALLEL_MIN_FILES:
            return 1
        try:
            jobs = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            jobs = os.cpu_count() or 1
    if jobs <= 1 or groups <= 1 or _fork_context() is None:
        return 1
    return min(jobs, groups)


def _fork_context():  # noqa: ANN202 - multiprocessing context or None
    """Workers are forked so they inherit the compiled rules (closures do not pickle);
    where fork is unavailable or unsafe (Windows, macOS) the run stays serial."""
    import sys

    if sys.platform in ("win32", "darwin"):
        return None
    import multiprocessing

    try:
        return multiprocessing.get_context("fork")
    except ValueError:
        return None


_WORKER_STATE: tuple | None = None  # (rules, formats, passed), set in each worker process


def _init_worker(state: tuple) -> None:
    global _WORKER_STATE
    _WORKER_STATE = state


def _check_chunk(chunk: list[_HostFiles]) -> tuple[list[Diagnostic], list[tuple], list[MarkedComment], list[tuple],
                                                   dict]:
    from linter.parsers import READ_DIGESTS

    assert _WORKER_STATE is not None
    rules, formats, passed = _WORKER_STATE
    READ_DIGESTS.clear()
    diagnostics, errors, comments, notes = _check_groups(chunk, rules, formats, passed)
    # ConfigError does not survive pickling (its args are not its constructor's): send fields
    return (list(diagnostics), [(e.path, e.line, e.column, e.message) for e in errors], list(comments), list(notes),
            dict(READ_DIGESTS))


def _check_parallel(groups: Sequence[_HostFiles], rules: Sequence[Rule], formats: dict[str, str],
                    passed: dict[str, str], workers: int, digests: dict | None = None
                    ) -> tuple[set[Diagnostic], list[ConfigError], set[MarkedComment], set[tuple]]:
    """Host groups in chunks over a process pool; the merge (a set, sorted by the caller)
    does not depend on which worker finished first."""
    context = _fork_context()
    size = max(4, min(64, len(groups) // (workers * 8) or 1))
    chunks = [list(groups[i:i + size]) for i in range(0, len(groups), size)]
    diagnostics: set[Diagnostic] = set()
    errors: list[ConfigError] = []
    comments: set[MarkedComment] = set()
    notes: set[tuple] = set()
    with context.Pool(workers, initializer=_init_worker, initargs=((list(rules), formats, passed),)) as pool:
        for found, failed, marked, skipped, read in pool.imap_unordered(_check_chunk, chunks):
            _merge_digests(digests if digests is not None else {}, read)
            diagnostics.update(found)
            errors += [ConfigError(*fields) for fields in failed]
            comments.update(marked)
            notes.update(skipped)
    return diagnostics, errors, comments, notes
