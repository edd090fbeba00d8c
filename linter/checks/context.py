"""What a check sees: one evaluation *unit* of a scope, with effective values.

A :class:`HostDocs` holds the parsed files of one host; a :class:`Unit` is one place a
rule is evaluated (the main.cf, one master.cf service, the Dovecot tree, the host).
Units answer "what is the effective value of X here, where is it written, and where
would a new setting go" so that check modules stay small and scope-agnostic.

Values come from :mod:`linter.values` (``$`` expansion, typed conversion) and
:mod:`linter.catalog` (defaults, types); this module only decides which text applies
(``-o`` override, main.cf, default) and turns an unknown value into
:class:`~linter.policy.expr.UnknownValue`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from linter import catalog, values
from linter.model import Assignment, Document, Override, Section, Service, Setting, Span
from linter.parsers import templates
from linter.parsers.templates import control_blocks, enclosing_block
from linter.policy.dovecot_path import header_matches, section_kind, section_matches, split_path
from linter.policy.expr import FILTER_KINDS, UNKNOWN, UnknownValue  # FILTER_KINDS: catalog filter_sections

# A policy's ``type:`` -> the catalogue type whose conversion it asks for.
_POLICY_TYPES = {"string": "string", "path": "string", "bool": "bool", "int": "int", "size": "size",
                 "time": "time", "list": "list", "octal": "octal"}


def convert(text: str, kind: str | None, fmt: str = values.POSTFIX, name: str = "", unit: str | None = None) -> Any:
    """``text`` (already expanded) converted as the daemon would read a value of
    catalogue type ``kind``.  A value the daemon rejects (``10M`` as a Postfix size)
    stays a string: a numeric constraint then reports it, an expression skips it."""
    if kind is None:
        return text
    if fmt == values.DOVECOT and kind == "int":
        kind = "uint"
    param = catalog.Param(name=name, default=None, type=kind, unit=unit)
    try:
        return values.typed_value(param, text, fmt)
    except ValueError:
        return text


def policy_typed(text: str, policy_type: str, fmt: str = values.POSTFIX) -> Any:
    """``text`` converted by a check's ``type:`` (``string bool int size time list octal path``)."""
    return convert(text, _POLICY_TYPES.get(policy_type, "string"), fmt)


# -- Postfix values --------------------------------------------------------------


@dataclass
class PostfixView:
    """Explicit main.cf assignments, with lookups that apply ``-o`` overrides first."""

    doc: Document | None
    services: tuple[tuple[str, str], ...] = ()  # (name, command) of master.cf: service-defined parameters
    explicit: dict[str, Assignment] = field(default_factory=dict)  # the last assignment of each name
    # set when the host's main.cf was not found, does not parse, or is only part of one (a
    # fragment, a stub): a value it does not set is then unknown (never its default), and
    # this is called to say so
    missing_main: Callable[[], None] | None = None
    # names set by main.cf.<part> fragments an installer may append: unknown when unset here
    fragment_names: frozenset[str] = frozenset()
    fragment_used: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        if self.doc is not None:
            for entry in self.doc.entries:
                if isinstance(entry, Assignment):
                    self.explicit[entry.name] = entry
        self._defaults = values.postfix_lookup({}, self.services)

    def lookup(self, overrides: dict[str, Override]) -> values.Lookup:
        """Raw values as the daemon of a service sees them: ``-o``, main.cf, defaults."""

        def lookup(name: str) -> Any:
            if name in overrides:
                return overrides[name].value
            assignment = self.explicit.get(name)
            if assignment is not None:
                return values.UNKNOWN if assignment.templated else assignment.value
            if self.missing_main is not None:
                self.missing_main()
                return values.UNKNOWN
            if name in self.fragment_names and self.fragment_used is not None:
                self.fragment_used()
                return values.UNKNOWN
            return self._defaults(name)

        return lookup

    def written(self, name: str, overrides: dict[str, Override]) -> str | None:
        """The value as written (not expanded): override, main.cf, or the default;
        None when neither set nor known.  Raises UnknownValue for template values."""
        raw = self.lookup(overrides)(name)
        if raw is values.UNKNOWN:
            raise UnknownValue(name)
        return raw

    def expanded(self, name: str, overrides: dict[str, Override]) -> str | None:
        """The value with ``$name`` expanded; a *raw* parameter (expanded by the daemon
        at run time) stays as written.  Raises UnknownValue for unknown or unexpandable values."""
        lookup = self.lookup(overrides)
        raw = lookup(name)
        if raw is None:
            return None
        param = catalog.postfix_param(name)
        try:
            result = raw if param is not None and param.raw else values.expand(raw, lookup)
        except values.ExpansionError:
            raise UnknownValue(name) from None  # postconf -x rejects it; nothing to judge
        if result is values.UNKNOWN:
            raise UnknownValue(name)
        return result

    def effective(self, name: str, overrides: dict[str, Override]) -> Any:
        value = self.expanded(name, overrides)
        if value is None:
            return UNKNOWN
        return postfix_typed(name, value)


def postfix_typed(name: str, text: str) -> Any:
    param = catalog.postfix_param(name)
    if param is None:
        return text
    return convert(text, param.type, values.POSTFIX, name, param.unit)


# -- Dovecot values --------------------------------------------------------------


def dovecot_version(doc: Document | None) -> str:
    """The catalogue version that reads this Dovecot tree (see catalog.dovecot_tree_version)."""
    return catalog.dovecot_tree_version(doc.meta.get("dovecot_config_version") if doc is not None else None)


def canonical_headers(headers: tuple[str, ...], version: str) -> tuple[str, ...]:
    """2.4: a nested section's kind as doveconf names it: ``key_field x`` inside
    ``dict_map y`` is ``dict_map_key_field x`` (the parent's kind is a prefix of it)."""
    out: list[str] = []
    parent = None
    for header in headers:
        kind, sep, arg = header.partition(" ")
        if kind in ("protocol", "remote", "local", "local_name"):
            out.append(header)
            continue
        if parent is not None and not kind.startswith(parent + "_") and \
                catalog.dovecot_is_prefix(f"{parent}_{kind}", version):
            kind = f"{parent}_{kind}"
        out.append(kind + sep + arg)
        parent = kind
    return tuple(out)


def _flat_name(name: str, headers: tuple[str, ...], version: str) -> tuple[str, tuple[str, ...]]:
    """2.4: (flat name, the filter path it applies under) of ``name`` written in ``headers``:
    nameless groups fold into the name (``ssl_server { cert_file }`` is
    ``ssl_server_cert_file``), a named section resolves it (``passdb sql { query }`` is
    ``passdb_sql_query``); the path keeps the filters and named sections."""
    headers = canonical_headers(tuple(headers), version)
    while headers:
        kind, _, arg = headers[-1].partition(" ")
        param = catalog.dovecot_setting(name, kind, version, arg.strip('"') or None)
        if arg or kind in ("protocol", "remote", "local", "local_name"):
            return (param.name if param is not None and param.section is not None else name), headers
        if param is None or param.section is None:
            return name, headers  # a list item, or an unknown group: as written
        name, headers = param.name, headers[:-1]
    return name, headers


def dovecot_settings(doc: Document | None, path: tuple[str, ...], version: str | None = None) -> list[Setting]:
    """Settings at ``path`` (section patterns then a name), in read order.  In a 2.4 tree
    the name is compared as a flat name (``mode`` in a unix_listener is
    ``unix_listener_mode``, however the tree spells it)."""
    if doc is None:
        return []
    *sections, name = path
    version = version or dovecot_version(doc)
    if not catalog.dovecot_is_flat(version):
        return [e for e in doc.entries if isinstance(e, Setting) and e.name == name
                and section_matches(tuple(sections), e.section)]
    kind, _, arg = sections[-1].partition(" ") if sections else (None, "", "")
    arg = arg.strip('"')
    target = catalog.dovecot_setting(name, kind, version, arg if arg and arg != "*" else None)
    wanted = target.name if target is not None else name
    found = []
    for e in doc.entries:
        if not isinstance(e, Setting):
            continue
        flat, headers = _flat_name(e.name, e.section, version)
        if flat == wanted and section_matches(tuple(sections), headers):
            found.append(e)
    return found




def is_filter_header(header: str) -> bool:
    return header.split(" ", 1)[0] in FILTER_KINDS


def dovecot_resolve(doc: Document | None, path: tuple[str, ...], version: str | None = None) -> list[Setting]:
    """The settings that give the effective value at ``path``: the path itself, else, for
    a path inside filter sections (``protocol pop3 / ssl``, ``local 10.0.0.0/8 /
    protocol imap / ssl``), the enclosing filter's (innermost first), else the top level's.
    A filter block inherits what it does not set, as Dovecot reads it."""
    *sections, name = path
    filters = 0
    while filters < len(sections) and is_filter_header(sections[filters]):
        filters += 1
    for keep in range(filters, -1, -1):
        found = dovecot_settings(doc, (*sections[:keep], *sections[filters:], name), version)
        if found:
            return found
    return []


def unread_could_set(doc: Document | None, parts: tuple[str, ...]) -> bool:
    """An include of ``doc`` that the tool could not read (kept out of the repository, a
    file of the target host, rendered at install) may set the setting at ``parts``: it
    is at the top level, or inside the sections the path goes through (``parts`` ending in
    '' asks whether it may hold the sections)."""
    if doc is None:
        return False
    sections, name = tuple(parts[:-1]), parts[-1]
    for within, _path, _line, names in doc.meta.get("unread_includes", ()):
        if names is not None and name not in names:
            continue  # a packaged file that sets only these (parsers.dovecot.PACKAGE_INCLUDES)
        if len(within) <= len(sections) and section_matches(sections[:len(within)], within):
            return True
    return False


def filter_blocks(doc: Document | None) -> list[Section]:
    """The filter sections of ``doc`` (nested ones too) that set something directly."""
    if doc is None:
        return []
    setting = {e.section for e in doc.entries if isinstance(e, Setting) and e.section}
    return [s for s in doc.sections if s.path in setting and all(is_filter_header(h) for h in s.path)]


def has_wildcard(patterns: tuple[str, ...]) -> bool:
    return any(c in header.partition(" ")[2] for header in patterns for c in "*?[")


def dovecot_sections(doc: Document | None, patterns: tuple[str, ...]) -> list[Section]:
    if doc is None:
        return []
    return [s for s in doc.sections if section_matches(patterns, s.path)]


def dovecot_typed(setting_name: str, sections: tuple[str, ...], raw: str, version: str | None = None) -> Any:
    kind, _, arg = sections[-1].partition(" ") if sections else (None, "", "")
    param = catalog.dovecot_setting(setting_name, kind, version, arg.strip('"') or None)
    if param is None:
        return raw
    return convert(raw, param.type, values.DOVECOT, setting_name, param.unit)


def dovecot_default(parts: tuple[str, ...], version: str | None = None) -> str | None:
    """The default of a Dovecot setting at ``parts`` (named services' own defaults first)."""
    return catalog.dovecot_named_default(parts[:-1], parts[-1], version)


@dataclass(frozen=True)
class DovecotName:
    """A policy's Dovecot path as one tree reads it: the tree's ``parts`` (the name
    translated to the tree's version), value conversions both ways, and the version
    whose catalogue types the policy's name."""

    parts: tuple[str, ...]
    version: str
    name_version: str
    to_policy: Any = None  # tree value -> the policy name's value (None: the same)
    to_tree: Any = None

    def policy_value(self, raw: str) -> str:
        return self.to_policy(raw) if self.to_policy is not None else raw

    def tree_value(self, value: str) -> str:
        return self.to_tree(value) if self.to_tree is not None else value


def dovecot_name(doc: Document | None, path: str | tuple[str, ...]) -> DovecotName:
    """How the tree ``doc`` reads the policy's Dovecot ``path`` (linter.versions)."""
    from linter import versions

    parts = split_path(path) if isinstance(path, str) else tuple(path)
    version = dovecot_version(doc)
    kind = section_kind(parts[:-1])
    known = catalog.dovecot_setting(parts[-1], kind, version) is not None
    found = None if known else versions.translate(kind, parts[-1], version)
    if found is None:
        return DovecotName(parts, version, version)
    other = next(v for v in catalog.VERSIONS["dovecot"]
                 if catalog.dovecot_is_flat(v) != catalog.dovecot_is_flat(version))
    tree_name, to_policy, to_tree = found
    return DovecotName(parts[:-1] + (tree_name,), version, other, to_policy, to_tree)


# -- hosts and units -------------------------------------------------------------

# The counterparts of a host, as HostDocs.missing names them.
MAIN_CF, MASTER_CF, DOVECOT_TREE = "main.cf", "master.cf", "Dovecot configuration"
# main.cf.<part> fragments next to a whole main.cf, which an installer may append to it
FRAGMENTS = "main.cf fragments"


@dataclass
class HostDocs:
    """The parsed files of one host; ``main_path`` is where main.cf is or would be.

    ``missing`` names the counterparts the host has but that were not found or do not
    parse (``main.cf``, ``master.cf``, ``Dovecot configuration`` -> why), or a main.cf
    that is only part of one: what they would say is unknown, not their defaults.
    ``fragment_names`` are the parameters that ``main.cf.<part>`` fragments next to a
    whole main.cf set (``missing[FRAGMENTS]`` says which): unset in main.cf, their value
    is unknown too.  A check that needed one records it in ``consulted`` (the engine
    then skips the rule there and says so once)."""

    main: Document | None = None
    master: Document | None = None
    dovecot: Document | None = None
    main_path: str | None = None
    missing: dict[str, str] = field(default_factory=dict)
    roles: frozenset[str] = frozenset()  # what the host is (has_role)
    fragment_names: frozenset[str] = frozenset()
    postfix: PostfixView = field(init=False)
    consulted: set[str] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        missing_main = None
        if MAIN_CF in self.missing:
            def missing_main() -> None:
                self.consulted.add(MAIN_CF)
        services = tuple((name, command) for name, _type, command in self.transports())
        self.postfix = PostfixView(self.main, services, missing_main=missing_main,
                                   fragment_names=self.fragment_names, fragment_used=self.fragment_used)

    def fragment_used(self) -> None:
        self.consulted.add(FRAGMENTS)

    def lacks(self, kind: str) -> bool:
        """Whether counterpart ``kind`` is missing, or only partly there (a main.cf fragment),
        and record that a check needed it."""
        if kind in self.missing:
            self.consulted.add(kind)
            return True
        return False

    def transports(self) -> tuple[tuple[str, str, str], ...]:
        """(service, type, command) of master.cf, or of the stock master.cf when the host's
        is not known (its transports and their ``<transport>_*`` parameters exist on every host)."""
        if self.master is None:
            return catalog.stock_services()
        return tuple((e.service, e.type, e.command) for e in self.master.entries if isinstance(e, Service))

    def referenced_names(self) -> set[str]:
        """Names used as ``$name`` anywhere in main.cf and master.cf (postconf counts them as used)."""
        texts = [a.value for a in (self.main.entries if self.main else ()) if isinstance(a, Assignment)]
        for service in (self.master.entries if self.master else ()):
            if isinstance(service, Service):
                texts += [o.value for o in service.overrides] + list(service.args)
        return {name for text in texts for name in values.references(text)}


SMTPD_COMMANDS = ("smtpd", "postscreen")
# master.cf's columns in order (Service.fields), as service('column') names them
_COLUMNS = ("service", "type", "private", "unprivileged", "chroot", "wakeup", "process_limit", "command")


def service_overrides(service: Service | None) -> dict[str, Override]:
    return {o.name: o for o in service.overrides} if service is not None else {}


@dataclass
class Unit:
    """One evaluation of a rule: a host, and for service scopes one master.cf service."""

    scope: str
    host: HostDocs
    service: Service | None = None  # None in smtpd-service scope = the implicit "smtp inet"
    overrides: dict[str, Override] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)
    # Dovecot scope: the concrete section path this unit judges (a filter block such as
    # ("protocol pop3",), or one match of a wildcard path); () is the top level
    within: tuple[str, ...] = ()
    block: Section | None = None  # the section of ``within``

    @property
    def dovecot_scope(self) -> bool:
        return self.scope == "dovecot"

    def dovecot_parts(self, path: str) -> tuple[str, ...]:
        """A Dovecot path as this unit reads it: a path whose sections match ``within``
        (a wildcard's match) is narrowed to it; in a filter block, a path that does not
        start with a filter section is read inside the block (inheriting what it does not set)."""
        parts = split_path(path)
        within = self.within
        if not within:
            return parts
        sections = parts[:-1]
        if sections and section_matches(sections, within):
            return (*within, parts[-1])
        if all(is_filter_header(h) for h in within) and not (sections and is_filter_header(sections[0])):
            return (*within, *parts)
        return parts

    # -- values
    def effective(self, name: str) -> Any:
        """Typed effective value of a Postfix parameter (or a top-level/pathed Dovecot setting)."""
        if name in self.cache:
            value = self.cache[name]
        else:
            try:
                value = self.dovecot_value(name) if self.dovecot_scope else \
                    self.host.postfix.effective(name, self.overrides)
            except UnknownValue:
                value = UNKNOWN
            self.cache[name] = value
        if value is UNKNOWN:
            raise UnknownValue(name)
        return value

    def dovecot_name(self, name: str | tuple[str, ...]) -> DovecotName:
        return dovecot_name(self.host.dovecot, name)

    def raw(self, name: str) -> str | None:
        """The value as written (Postfix ``$name`` not expanded), or its default."""
        if self.dovecot_scope:
            if self.host.lacks(DOVECOT_TREE):
                raise UnknownValue(name)
            target = self.dovecot_name(self.dovecot_parts(name))
            found = dovecot_resolve(self.host.dovecot, target.parts, target.version)
            if found and found[-1].templated:
                raise UnknownValue(name)
            if not found and unread_could_set(self.host.dovecot, target.parts):
                raise UnknownValue(name)  # an include the tool could not read may set it
            raw = found[-1].value if found else dovecot_default(target.parts, target.version)
            return None if raw is None else target.policy_value(raw)
        return self.host.postfix.written(name, self.overrides)

    def expanded(self, name: str) -> str | None:
        """The value with Postfix ``$name`` expanded (Dovecot: as read)."""
        if self.dovecot_scope:
            return self.raw(name)
        return self.host.postfix.expanded(name, self.overrides)

    def typed_as(self, name: str, policy_type: str) -> Any:
        """The expanded value converted by a check's ``type:`` instead of the catalogue's."""
        fmt = values.DOVECOT if self.dovecot_scope else values.POSTFIX
        return policy_typed(self.expanded(name) or "", policy_type, fmt)

    def is_set(self, name: str) -> bool:
        if self.dovecot_scope:
            if self.host.lacks(DOVECOT_TREE):
                raise UnknownValue(name)
            target = self.dovecot_name(self.dovecot_parts(name))
            return bool(dovecot_resolve(self.host.dovecot, target.parts, target.version))
        if name in self.overrides or name in self.host.postfix.explicit:
            return True
        if self.host.lacks(MAIN_CF):
            raise UnknownValue(name)
        if name in self.host.fragment_names:
            self.host.fragment_used()
            raise UnknownValue(name)
        return False

    def default(self, name: str) -> Any:
        if self.dovecot_scope:
            target = self.dovecot_name(self.dovecot_parts(name))
            raw = dovecot_default(target.parts, target.version)
            return UNKNOWN if raw is None else target.policy_value(raw)
        param = catalog.postfix_param(name)
        if param is None or param.default is None:
            return UNKNOWN
        return postfix_typed(name, param.default)

    def in_effect(self, name: str) -> Any:
        """The value the daemon acts on: the effective value, after the compatibility rules
        Postfix applies to it (:data:`IN_EFFECT`)."""
        derive = IN_EFFECT.get(name)
        return derive(self) if derive is not None else self.effective(name)

    def delivers(self, agent: str) -> bool:
        """Whether the delivery agent ``agent`` (a master.cf command: ``local``, ``virtual``...)
        receives mail here: the transport of an address class that has domains (local:
        mydestination, virtual mailbox: virtual_mailbox_domains, relay: relay_domains,
        default: everything else) is a master.cf service running that command.
        transport_maps are not read (their content is not in the repository).  A host whose
        master.cf was not found has unknown transports: the rule is skipped (and says so)."""
        if self.host.lacks(MASTER_CF):
            raise UnknownValue("master.cf")
        commands = {}
        for service, kind, command in self.host.transports():
            if kind == "unix":
                commands.setdefault(service, os.path.basename(command))
        for domains, transport in ADDRESS_CLASSES:
            if domains is not None and not self._has_items(domains):
                continue
            if commands.get(self._transport_name(transport)) == agent:
                return True
        return False

    def _has_items(self, name: str) -> bool:
        """Whether a list parameter has items; known from the text when the expansion is not
        (``$myhostname, localhost`` has items whatever myhostname is)."""
        try:
            return len(self.effective(name)) > 0
        except UnknownValue:
            written = self.raw(name) or ""
            literal = [w for w in values.split_list(written) if not w.startswith("$")]
            if literal:
                return True
            raise

    def _transport_name(self, name: str) -> str:
        """The transport of ``transport:nexthop`` (``local:$myhostname`` -> ``local``)."""
        written = self.raw(name) or ""
        transport = written.split(":", 1)[0].strip()
        if "$" in transport:
            transport = str(self.expanded(name) or "").split(":", 1)[0].strip()
        return transport

    def dovecot_value(self, path: str) -> Any:
        if self.host.lacks(DOVECOT_TREE):
            raise UnknownValue(path)
        parts = self.dovecot_parts(path)
        target = self.dovecot_name(parts)
        found = dovecot_resolve(self.host.dovecot, target.parts, target.version)
        if found:
            if found[-1].templated:
                raise UnknownValue(path)
            raw = found[-1].value
        else:
            if unread_could_set(self.host.dovecot, parts):
                raise UnknownValue(path)  # an include the tool could not read may set it
            raw = dovecot_default(target.parts, target.version)
            if raw is None:
                return UNKNOWN
        return dovecot_typed(parts[-1], parts[:-1], target.policy_value(raw), target.name_version)

    def dovecot_exists(self, path: str) -> bool:
        if self.host.lacks(DOVECOT_TREE):
            raise UnknownValue(path)
        parts = split_path(path)
        target = self.dovecot_name(parts)
        if dovecot_settings(self.host.dovecot, target.parts, target.version):
            return True
        return bool(dovecot_sections(self.host.dovecot, parts))

    def postfix_values(self, name: str) -> tuple[str, ...]:
        """Every value the host's Postfix gives ``name`` (expanded), distinct, in order: main.cf's
        (its default when unset) and each master.cf ``-o name=``; () when the host has no
        Postfix files (a Dovecot tree alone: no Postfix client is known). Unknown (a template,
        a main.cf not found beside a master.cf) raises UnknownValue."""
        host = self.host
        if host.main is None and host.master is None:
            return ()
        found = [self.host.postfix.expanded(name, {})]  # raises UnknownValue when not knowable
        for service in (host.master.entries if host.master else ()):
            if isinstance(service, Service):
                overrides = service_overrides(service)
                if name in overrides:
                    found.append(self.host.postfix.expanded(name, overrides))
        return tuple(dict.fromkeys(v for v in found if v))

    def dovecot_filter(self, kind: str) -> str:
        """The argument of the innermost ``kind`` filter section (``protocol``, ``local``,
        ...) this unit is judged in: ``lmtp`` inside ``protocol lmtp { }``; '' at the top
        level and outside such a section."""
        for header in reversed(self.within):
            hkind, _, argument = " ".join(header.split()).partition(" ")
            if hkind == kind and is_filter_header(header):
                return argument.strip('"').strip("'")
        return ""

    def service_column(self, column: str) -> Any:
        s = self.service
        if s is None:  # the implicit smtp inet service of a host without master.cf
            values = {"service": "smtp", "type": "inet", "private": "n", "unprivileged": "y", "chroot": "n",
                      "wakeup": "0", "process_limit": "-", "command": "smtpd", "args": ()}
        else:
            values = {"service": s.service, "type": s.type, "private": s.private, "unprivileged": s.unprivileged,
                      "chroot": s.chroot, "wakeup": s.wakeup, "process_limit": s.process_limit,
                      "command": s.command, "args": s.args}
        value = values[column]
        if isinstance(value, str) and templates.has_template(value, postfix=True):
            return UNKNOWN  # PH_MAX_SERVERS, {{ maxproc }}: filled in by a template engine
        if value == "-":  # the column's default (master(5), Postfix >= 3.0)
            if column == "process_limit":
                return self.host.postfix.effective("default_process_limit", {})
            value = {"private": "y", "unprivileged": "y", "chroot": "n", "wakeup": "0"}.get(column, value)
        if column == "process_limit":
            try:
                return int(value)
            except ValueError:
                return value
        return value

    # -- locations
    def service_field(self, column: str | None = None) -> Span:
        """Where this unit's master.cf entry has ``column`` (default: the service name)."""
        assert self.service is not None
        fields = self.service.fields
        index = _COLUMNS.index(column) if column in _COLUMNS else 0
        return fields[index].span if index < len(fields) else self.service.span

    def explicit_span(self, name: str) -> tuple[Span | None, Any]:
        """Where ``name`` is explicitly set here: (value span, entry) or (None, None)."""
        if self.dovecot_scope:
            target = self.dovecot_name(self.dovecot_parts(name))
            found = dovecot_resolve(self.host.dovecot, target.parts, target.version)
            return (found[-1].span, found[-1]) if found else (None, None)
        if name in self.overrides:
            return self.overrides[name].span, self.overrides[name]
        if name in self.host.postfix.explicit:
            a = self.host.postfix.explicit[name]
            return a.span, a
        return None, None

    def main_insertion(self, after: str | None = None) -> tuple[Span, Span | None] | None:
        """(finding span, edit span) for a new main.cf line: after ``after``'s assignment
        when it is set, else after the last assignment, else at the end of the file;
        never inside a template control block (after its closer instead). The edit span
        is None when no place is safe (a block that is never closed)."""
        doc = self.host.main
        if doc is None:
            return None
        assignments = [e for e in doc.entries if isinstance(e, Assignment)]
        anchor = self.host.postfix.explicit.get(after) if after else None
        blocks = _template_blocks(doc)
        if anchor is None and assignments:
            # the last assignment outside template blocks: a line added inside
            # "{% if %} ... {% endif %}" would be rendered on some hosts only
            outside = [a for a in assignments if enclosing_block(blocks, a.span.line) is None]
            anchor = max(outside or assignments, key=lambda a: a.span.end_line)
        if anchor is not None:
            line = anchor.span.end_line
            at_end = Span.point(doc.path, line, anchor.span.end_column)
            block = enclosing_block(blocks, anchor.span.line)
            if block is not None:  # after the block, never inside it
                if block[1] is None:
                    return at_end, None  # an unclosed block: no safe place
                closer = next(t for t in doc.templates if t.span.line == block[1])
                return Span.point(doc.path, block[1], closer.span.end_column), Span.point(doc.path, block[1] + 1, 1)
            return at_end, Span.point(doc.path, line + 1, 1)
        if doc.end is not None:
            end = doc.end
            edit_line = end.line + 1 if end.column > 1 else end.line
            if enclosing_block(blocks, edit_line) is not None:
                return end, None
            return end, Span.point(doc.path, edit_line, 1)
        return Span.point(doc.path, 1, 1), Span.point(doc.path, 1, 1)

    def dovecot_insertion(self, sections: tuple[str, ...]) -> tuple[Span, Span, str] | None:
        """(finding span, edit span, indentation) for a new setting in the section at
        ``sections`` (before its closing brace), or at the end of the root file."""
        doc = self.host.dovecot
        if doc is None:
            return None
        if sections and self.within and section_matches(sections, self.within):
            sections = self.within
        if sections:
            found = [s for s in dovecot_sections(doc, sections) if s.close_span is not None]
            if not found:
                return None
            close = found[0].close_span
            indent = " " * (max(close.column - 1, 0) + 2)
            return close, Span.point(close.path, close.line, 1), indent
        if doc.end is not None:
            end = doc.end
            return end, Span.point(end.path, end.line + 1 if end.column > 1 else end.line, 1), ""
        return Span.point(doc.path, 1, 1), Span.point(doc.path, 1, 1), ""

    def anchor_span(self) -> Span | None:
        """Where a finding about this unit as a whole points."""
        if self.service is not None:
            return self.service.span
        if self.dovecot_scope and self.host.dovecot is not None:
            return self.host.dovecot.end
        place = self.main_insertion()
        return place[0] if place else None


def _template_blocks(doc: Document) -> list[tuple[int, int | None]]:
    lines = [(t.span.line, t.text) for t in doc.templates]
    return control_blocks(lines) if lines else []


def _smtpd_tls_level(unit: Unit) -> str:
    """smtpd.c: a non-empty smtpd_tls_security_level wins (secure, verify and fprint act as
    encrypt); an empty one leaves TLS to the obsolete smtpd_enforce_tls and smtpd_use_tls
    (postconf(5): "This overrides the obsolete parameters smtpd_use_tls and
    smtpd_enforce_tls")."""
    level = unit.effective("smtpd_tls_security_level")
    if level:
        return "encrypt" if level in ("secure", "verify", "fprint") else level
    if unit.effective("smtpd_enforce_tls"):
        return "encrypt"
    return "may" if unit.effective("smtpd_use_tls") else "none"


# Parameters whose meaning Postfix derives from others: name -> the value in effect.
IN_EFFECT: dict[str, Callable[[Unit], Any]] = {
    "smtpd_tls_security_level": _smtpd_tls_level,
}

# (the parameter listing the domains of an address class, its transport parameter); None:
# the default class, which gets whatever no other class takes.  ADDRESS_CLASS_README.
ADDRESS_CLASSES = (
    ("mydestination", "local_transport"),
    ("virtual_mailbox_domains", "virtual_transport"),
    ("relay_domains", "relay_transport"),
    (None, "default_transport"),
)


def matches_header(pattern: str, header: str) -> bool:
    return header_matches(pattern, header)
