"""What a check sees: one evaluation *unit* of a scope, with effective values.

A :class:`HostDocs` holds the parsed documents of one host by format; a :class:`Unit`
is one place a rule is evaluated (the main.cf, one master.cf service, the Dovecot tree or
one of its filter blocks, the host).  Units answer "what is the effective value of X
here, where is it written, and where would a new setting go" so that check modules stay
small and scope-agnostic: a unit asks the *view* of its scope's format
(:mod:`linter.formats`), which knows how that format reads values.

This module adds what is the same for every format (the cache, the unknown-value
convention) and the Postfix semantics that span files: the transports of master.cf, the
compatibility rules of :data:`IN_EFFECT`, master.cf's columns.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from linter import catalog, formats, values
from linter.conversions import convert, policy_typed  # noqa: F401 - the checks' conversions
from linter.formats import DOVECOT_TREE, FRAGMENTS, MAIN_CF, MASTER_CF  # noqa: F401 - for the checks
from linter.formats.dovecot_view import (  # noqa: F401 - what the Dovecot checks read
    DovecotName,
    _flat_name,
    canonical_headers,
    dovecot_default,
    dovecot_name,
    dovecot_resolve,
    dovecot_sections,
    dovecot_settings,
    dovecot_typed,
    dovecot_version,
    filter_blocks,
    has_wildcard,
    is_filter_header,
    unread_could_set,
)
from linter.formats.postfix_view import (  # noqa: F401
    SMTPD_COMMANDS,
    Insertion,
    PostfixView,
    once,
    postfix_typed,
    service_overrides,
)
from linter.model import DOVECOT, POSTFIX_MAIN, POSTFIX_MASTER, Assignment, Document, Override, Section, Service, Span
from linter.parsers import templates
from linter.policy.expr import UNKNOWN, UnknownValue
from linter.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# -- hosts -----------------------------------------------------------------------


class HostDocs(Record):
    """The parsed documents of one host, by format name.

    ``missing`` names the counterparts the host has but that were not found or do not
    parse (a format's ``counterpart``: ``main.cf``, ``master.cf``, ``Dovecot
    configuration`` -> why), or a main.cf that is only part of one: what they would say
    is unknown, not their defaults.  ``fragment_names`` are the parameters that
    ``main.cf.<part>`` fragments next to a whole main.cf set (``missing[FRAGMENTS]`` says
    which): unset in main.cf, their value is unknown too.  A check that needed one
    records it in ``consulted`` (the engine then skips the rule there and says so once).
    ``roles`` say what the host is (has_role)."""

    __slots__ = ("docs", "missing", "roles", "fragment_names", "consulted", "_views", "units", "shared")
    _compare = ("docs", "missing", "roles", "fragment_names", "consulted")

    def __init__(self, docs: dict[str, Document] | None = None, missing: dict[str, str] | None = None,
                 roles: frozenset[str] = frozenset(), fragment_names: frozenset[str] = frozenset()):
        self.docs = {} if docs is None else docs
        self.missing = {} if missing is None else missing
        self.roles = roles
        self.fragment_names = fragment_names
        self.consulted: set[str] = set()
        self._views: dict[Any, Any] = {}
        self.units: dict[Any, Any] = {}  # the units of the host, shared by every rule (each works out its values once)
        self.shared: dict[Any, tuple[Any, Any]] = {}  # once(): key -> (what several checks ask, what it needed)

    def doc(self, fmt: str) -> Document | None:
        return self.docs.get(fmt)

    def close(self) -> None:
        """Drop the views and units, which refer back to the host: its documents and values
        are then freed by reference counting as soon as the host is checked, instead of
        waiting for the cyclic collector (which traverses every object still alive)."""
        self._views.clear()
        self.units.clear()
        self.shared.clear()

    def once(self, key: Any, work: Callable[[], Any]) -> Any:
        """``work()`` worked out once per host, for what several checks ask of the same host
        (the unknown Postfix names of a document), with the counterparts it needed
        (``consulted``), which are added again on every use, as :meth:`Unit.effective` does."""
        return once(self, self.shared, key, work)

    def recorded(self, work: Callable[[], Any]) -> tuple[Any, Any]:
        """``work()`` and the counterparts it needed (what it added to ``consulted``, which
        keeps what was there before)."""
        consulted = self.consulted
        outer = set(consulted) if consulted else None
        consulted.clear()
        try:
            return work(), (frozenset(consulted) if consulted else ())
        finally:
            if outer:
                consulted |= outer

    @property
    def main(self) -> Document | None:
        return self.docs.get(POSTFIX_MAIN)

    @property
    def master(self) -> Document | None:
        return self.docs.get(POSTFIX_MASTER)

    @property
    def dovecot(self) -> Document | None:
        return self.docs.get(DOVECOT)

    def view(self, fmt: str) -> Any:
        """The view of format ``fmt`` on this host (formats sharing a view share one instance)."""
        make = formats.get(fmt).view
        if make is None:
            raise ValueError(f"the format {fmt} has no view: no rule scope reads its values")
        found = self._views.get(make)
        if found is None:
            found = self._views[make] = make(self)
        return found

    def view_for(self, scope: str) -> Any:
        """The view a unit of ``scope`` reads values through."""
        found = self._views.get(scope)
        if found is None:
            found = self._views[scope] = self.view(formats.for_scope(scope).name)
        return found

    @property
    def postfix(self) -> PostfixView:
        return self.view(POSTFIX_MAIN)

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
        # (a text without '$' references nothing: most of them)
        return {name for text in texts if "$" in text for name in values.references(text)}


# master.cf's columns in order (Service.fields), as service('column') names them
_COLUMNS = ("service", "type", "private", "unprivileged", "chroot", "wakeup", "process_limit", "command")
# The implicit "smtp inet n - n - - smtpd" of a host without master.cf (the stock one's).
IMPLICIT_SMTP = {"service": "smtp", "type": "inet", "private": "n", "unprivileged": "y", "chroot": "n",
                 "wakeup": "0", "process_limit": "-", "command": "smtpd", "args": ()}
# What "-" means in a column (master(5), Postfix >= 3.0); process_limit's is default_process_limit.
COLUMN_DEFAULTS = {"private": "y", "unprivileged": "y", "chroot": "n", "wakeup": "0"}


# -- units -----------------------------------------------------------------------


class Unit(Record):
    """One evaluation of a rule: a host, and for service scopes one master.cf service.

    Values, locations and edits come from ``view``, the view of the scope's format.
    ``service`` None in smtpd-service scope is the implicit "smtp inet".  In Dovecot scope,
    ``within`` is the concrete section path this unit judges (a filter block such as
    ("protocol pop3",), or one match of a wildcard path; () is the top level) and ``block``
    the section of ``within``."""

    __slots__ = ("scope", "host", "service", "overrides", "cache", "within", "block", "view")
    _compare = ("scope", "host", "service", "overrides", "cache", "within", "block")

    def __init__(self, scope: str, host: HostDocs, service: Service | None = None,
                 overrides: dict[str, Override] | None = None,
                 within: tuple[str, ...] = (), block: Section | None = None):
        self.scope = scope
        self.host = host
        self.service = service
        self.overrides = {} if overrides is None else overrides
        self.cache: dict[str, tuple[Any, Any]] = {}  # name -> (its value, what it needed)
        self.within = within
        self.block = block
        self.view = host.view_for(scope)

    @property
    def dovecot_scope(self) -> bool:
        return self.scope == "dovecot"

    # -- values
    def effective(self, name: str) -> Any:
        """The typed effective value of ``name`` here (a Postfix parameter, a Dovecot path).

        Worked out once per unit (every rule of the host shares the unit), with the
        counterparts it needed (``host.consulted``), which are added again on every use."""
        found = self.cache.get(name)
        if found is None:  # (once(), inlined: a unit's values are asked for thousands of times)
            found = self.cache[name] = self.host.recorded(lambda: self._effective(name))
        elif found[1]:
            self.host.consulted.update(found[1])
        if found[0] is UNKNOWN:
            raise UnknownValue(name)
        return found[0]

    def _effective(self, name: str) -> Any:
        try:
            return self.view.effective(self, name)
        except UnknownValue:
            return UNKNOWN

    def raw(self, name: str) -> str | None:
        """The value as written (Postfix ``$name`` not expanded), or its default."""
        return self.view.raw(self, name)

    def expanded(self, name: str) -> str | None:
        """The value with Postfix ``$name`` expanded (Dovecot: as read)."""
        return self.view.expanded(self, name)

    def typed_as(self, name: str, policy_type: str) -> Any:
        """The expanded value converted by a check's ``type:`` instead of the catalogue's."""
        return policy_typed(self.expanded(name) or "", policy_type, self.view.product)

    def is_set(self, name: str) -> bool:
        return self.view.is_set(self, name)

    def default(self, name: str) -> Any:
        return self.view.default(self, name)

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
        master.cf was not found has unknown transports: the rule is skipped (and says so).
        Worked out once per unit and agent (PF005, PF006 and PF014 ask)."""
        return once(self.host, self.cache, ("delivers", agent), self._delivers, agent)

    def _delivers(self, agent: str) -> bool:
        if self.host.lacks(MASTER_CF):
            raise UnknownValue("master.cf")
        commands = self.host.once("unix-commands", self._unix_commands)
        for domains, transport in ADDRESS_CLASSES:
            if domains is not None and not self._has_items(domains):
                continue
            if commands.get(self._transport_name(transport)) == agent:
                return True
        return False

    def _unix_commands(self) -> dict[str, str]:
        """master.cf's unix services -> the program each runs (the first entry of a name)."""
        commands: dict[str, str] = {}
        for service, kind, command in self.host.transports():
            if kind == "unix":
                commands.setdefault(service, os.path.basename(command))
        return commands

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

    # -- the host's Dovecot tree, from any scope (dovecot(), dovecot_exists(), dovecot_filter())
    def dovecot_value(self, path: str) -> Any:
        return self.host.view(DOVECOT).effective(self, path)

    def dovecot_exists(self, path: str) -> bool:
        return self.host.view(DOVECOT).exists(self, path)

    def dovecot_filter(self, kind: str) -> str:
        return self.host.view(DOVECOT).filter(self, kind)

    def postfix_values(self, name: str) -> tuple[str, ...]:
        """Every value the host's Postfix gives ``name`` (expanded), distinct, in order: main.cf's
        (its default when unset) and each master.cf ``-o name=``; () when the host has no
        Postfix files (a Dovecot tree alone: no Postfix client is known). Unknown (a template,
        a main.cf not found beside a master.cf) raises UnknownValue."""
        host = self.host
        if host.main is None and host.master is None:
            return ()
        found = [host.postfix.expanded_with(name, {})]  # raises UnknownValue when not knowable
        for service in (host.master.entries if host.master else ()):
            if isinstance(service, Service):
                overrides = service_overrides(service)
                if name in overrides:
                    found.append(host.postfix.expanded_with(name, overrides))
        return tuple(dict.fromkeys(v for v in found if v))

    def service_column(self, column: str) -> Any:
        s = self.service
        if s is None:  # the implicit smtp inet service of a host without master.cf
            value = IMPLICIT_SMTP[column]
        elif column in IMPLICIT_SMTP:  # the columns, named as the Service fields holding them
            value = getattr(s, column)
        else:
            raise KeyError(column)
        if isinstance(value, str) and templates.has_template(value, postfix=True):
            return UNKNOWN  # PH_MAX_SERVERS, {{ maxproc }}: filled in by a template engine
        if value == "-":  # the column's default (master(5), Postfix >= 3.0)
            if column == "process_limit":
                return self.host.postfix.effective_with("default_process_limit", {})
            value = COLUMN_DEFAULTS.get(column, value)
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
        return self.view.explicit_span(self, name)

    def insertion(self, sections: tuple[str, ...] = (), after: str | None = None) -> Insertion | None:
        """Where a new setting of ``name`` goes (in the section at ``sections``, after
        ``after``'s line where the format orders lines), or None when nowhere."""
        return self.view.insertion(self, sections, after)

    def anchor_span(self) -> Span | None:
        """Where a finding about this unit as a whole points."""
        if self.service is not None:
            return self.service.span
        return self.view.anchor(self)


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
