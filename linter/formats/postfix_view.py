"""How rules read a host's Postfix values: main.cf, a master.cf service's ``-o``
overrides, the catalogue's defaults; where a value is written, where a new line goes,
and the edits that set or remove one.

One :class:`PostfixView` serves both Postfix formats of a host (a master.cf service reads
main.cf through its overrides).  What the view cannot know raises
:class:`~linter.policy.expr.UnknownValue`: a templated value, or a value of a main.cf
that was not found, is only part of one, or that a ``main.cf.<part>`` fragment may set
(``HostDocs.lacks`` records that a rule needed it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import lru_cache

from linter import catalog, values
from linter.conversions import POSTFIX, convert
from linter.diagnostics import Edit
from linter.formats import MAIN_CF, MASTER_CF
from linter.model import POSTFIX_MAIN, Assignment, Document, Override, Service, Span
from linter.parsers.templates import control_blocks, enclosing_block
from linter.policy.expr import UNKNOWN, UnknownValue
from linter.records import TupleRecord, _new

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Insertion(TupleRecord):
    """Where a new setting goes: ``at`` is where a finding about a value set nowhere
    points, ``edit`` the zero-width span the new line is inserted at (None: no safe
    place), ``indent`` what the new line starts with."""

    __slots__ = ()
    _fields = ("at", "edit", "indent")

    def __new__(cls, at: Span, edit: Span | None, indent: str = "") -> Insertion:
        return _new(cls, (at, edit, indent))


SMTPD_COMMANDS = ("smtpd", "postscreen")


_UNKNOWABLE = object()  # a value that raises UnknownValue (templated, from a file not found)


def once(host: Any, memo: dict, key: Any, compute: Any, *args: Any) -> Any:
    """``compute(*args)``, worked out once per host for ``key`` (kept in ``memo``): what the
    computation needed of a missing counterpart (``host.consulted``, which the engine
    clears per unit and reads after it) is recorded with the result (:meth:`HostDocs.recorded`)
    and added again on every later use, as if it had been computed there; an UnknownValue
    is raised again."""
    found = memo.get(key)
    if found is None:
        found = memo[key] = host.recorded(lambda: _attempt(compute, args))
    elif found[1]:
        host.consulted.update(found[1])
    if type(found[0]) is _Raise:
        raise UnknownValue(*found[0].args)
    return found[0]


def _attempt(compute: Any, args: tuple) -> Any:
    """``compute(*args)``, or the UnknownValue it raised, remembered as a :class:`_Raise`."""
    try:
        return compute(*args)
    except UnknownValue as e:
        return _Raise(e.args)


class _Raise:
    """A remembered UnknownValue."""

    __slots__ = ("args",)

    def __init__(self, args: tuple):
        self.args = args


class _Value:
    """A Postfix value of one host as services read it: expanded (or _UNKNOWABLE), typed
    (worked out on first use), the counterparts its lookups needed (``host.consulted``),
    and the names its expansion read."""

    __slots__ = ("expanded", "typed", "needed", "reads")

    def __init__(self, expanded: Any, needed: frozenset | tuple, reads: set[str]):
        self.expanded = expanded
        self.typed: Any = _UNKNOWABLE
        self.needed = needed
        self.reads = reads


def service_overrides(service: Service | None) -> dict[str, Override]:
    return {o.name: o for o in service.overrides} if service is not None else {}


def postfix_typed(name: str, text: str) -> Any:
    param = catalog.postfix_param(name)
    if param is None:
        return text
    return convert(text, param.type, POSTFIX, name, param.unit)


_NOT_YET = object()


def _typed(name: str, expanded: str) -> Any:
    """postfix_typed(name, expanded), once per process for each (name, text, catalogue version):
    every host converts the same defaults."""
    return _typed_in(name, expanded, catalog.selected("postfix"))


@lru_cache(maxsize=4096)  # the values are strings, numbers, booleans and tuples, never changed
def _typed_in(name: str, expanded: str, _version: str) -> Any:
    return postfix_typed(name, expanded)


class PostfixView:
    """A host's explicit main.cf assignments, with lookups that apply ``-o`` overrides first."""

    product = POSTFIX
    # a cross-file finding names the Postfix settings its rule read (engine: the other side)
    names_related = True

    def __init__(self, host: Any):
        self.host = host
        self.doc: Document | None = host.doc(POSTFIX_MAIN)
        # (name, command) of master.cf: the service-defined parameters exist
        self.services: tuple[tuple[str, str], ...] = tuple((name, command) for name, _t, command in host.transports())
        self.explicit: dict[str, Assignment] = {}  # the last assignment of each name
        if self.doc is not None:
            for entry in self.doc.entries:
                if isinstance(entry, Assignment):
                    self.explicit[entry.name] = entry
        self._defaults = values.postfix_lookup({}, self.services)
        self._units: tuple[list, list] | None = None
        self._memo: dict[Any, _Value] = {}  # name, or (name, overrides key) -> its value
        self._override_keys: dict[int, tuple[dict, tuple]] = {}
        self._last: Any = _NOT_YET  # the default insertion's anchor (_last_assignment)

    # -- units
    def places(self, rule: Any, scope: str) -> Iterator[dict[str, Any]]:
        """Where a rule of ``scope`` is evaluated, as the fields of each ``Unit``: main.cf
        as one unit; each master.cf service (its smtpd ones for smtpd-service)."""
        host = self.host
        if scope == "postfix-main":
            if self.doc is not None:
                yield {}
        elif scope == "postfix-master":
            for service, overrides in self._services()[0]:
                yield {"service": service, "overrides": overrides}
        elif scope == "smtpd-service":
            if host.master is None:
                # the implicit "smtp inet ... smtpd" of the stock master.cf, unless the host has
                # a master.cf of its own that was not found: its services are unknown
                if host.main is not None and not host.lacks(MASTER_CF):
                    yield {}
                return
            for service, overrides in self._services()[1]:
                yield {"service": service, "overrides": overrides}

    @staticmethod
    def places_key(rule: Any, scope: str) -> None:
        """What :meth:`places` depends on of a rule besides its scope: nothing."""
        return None

    def _services(self) -> tuple[list, list]:
        """(every master.cf service, the smtpd ones), each with its overrides, worked out once."""
        if self._units is None:
            master = self.host.master
            services = [e for e in master.entries if isinstance(e, Service)] if master is not None else []
            every = [(service, service_overrides(service)) for service in services]
            smtpd = [(service, overrides) for service, overrides in every
                     if os.path.basename(service.command) in SMTPD_COMMANDS[:1]]
            self._units = (every, smtpd)
        return self._units

    # -- values, for a service's overrides
    def lookup(self, overrides: dict[str, Override], reads: set[str] | None = None) -> values.Lookup:
        """Raw values as the daemon of a service sees them: ``-o``, main.cf, defaults
        (``reads`` collects the names asked)."""
        host = self.host

        def lookup(name: str) -> Any:
            if reads is not None:
                reads.add(name)
            if name in overrides:
                return overrides[name].value
            assignment = self.explicit.get(name)
            if assignment is not None:
                return values.UNKNOWN if assignment.templated else assignment.value
            if host.lacks(MAIN_CF):
                return values.UNKNOWN
            if name in host.fragment_names:
                host.fragment_used()
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

    def expanded_with(self, name: str, overrides: dict[str, Override]) -> str | None:
        """The value with ``$name`` expanded; a *raw* parameter (expanded by the daemon
        at run time) stays as written.  Raises UnknownValue for unknown or unexpandable values."""
        found = self._value(name, overrides)
        if found.needed:
            self.host.consulted.update(found.needed)
        if found.expanded is _UNKNOWABLE:
            raise UnknownValue(name)
        return found.expanded

    def effective_with(self, name: str, overrides: dict[str, Override]) -> Any:
        """The typed value; UNKNOWN when the name is neither set nor known."""
        found = self._value(name, overrides)
        if found.needed:
            self.host.consulted.update(found.needed)
        if found.expanded is _UNKNOWABLE:
            raise UnknownValue(name)
        if found.typed is _UNKNOWABLE:
            found.typed = UNKNOWN if found.expanded is None else _typed(name, found.expanded)
        return found.typed

    def _value(self, name: str, overrides: dict[str, Override]) -> _Value:
        """The value of ``name`` for a service with ``overrides``, worked out once per host:
        main.cf's (no overrides) is shared by every service whose overrides name none of
        the parameters its expansion read (the lookups, hence the result, are the same)."""
        memo = self._memo
        found = memo.get(name)
        if found is None:
            found = memo[name] = self._work_out(name, {})
        if overrides and not found.reads.isdisjoint(overrides):
            key = (name, self._overrides_key(overrides))
            own = memo.get(key)
            if own is None:
                own = memo[key] = self._work_out(name, overrides)
            return own
        return found

    def _work_out(self, name: str, overrides: dict[str, Override]) -> _Value:
        """Expand ``name``, recording the names read and the counterparts it needed
        (``host.consulted``, which the engine reads per unit: added again on every use)."""
        reads: set[str] = set()
        (expanded, needed) = self.host.recorded(lambda: self._expand(name, self.lookup(overrides, reads)))
        return _Value(expanded, needed, reads)

    def _expand(self, name: str, lookup: values.Lookup) -> Any:
        raw = lookup(name)
        if raw is None:
            return None
        param = catalog.postfix_param(name)
        try:
            expanded = raw if param is not None and param.raw else values.expand(raw, lookup)
        except values.ExpansionError:
            return _UNKNOWABLE  # postconf -x rejects it; nothing to judge
        return _UNKNOWABLE if expanded is values.UNKNOWN else expanded

    def _overrides_key(self, overrides: dict[str, Override]) -> tuple:
        """What a lookup reads of a service's ``-o`` overrides (their names and values),
        worked out once per overrides mapping (kept alive here, so that its id stays its own)."""
        found = self._override_keys.get(id(overrides))
        if found is None:
            found = self._override_keys[id(overrides)] = \
                (overrides, tuple([(n, o.value) for n, o in overrides.items()]))
        return found[1]

    # -- the view: values of a unit
    def raw(self, unit: Any, name: str) -> str | None:
        return self.written(name, unit.overrides)

    def expanded(self, unit: Any, name: str) -> str | None:
        return self.expanded_with(name, unit.overrides)

    def effective(self, unit: Any, name: str) -> Any:
        return self.effective_with(name, unit.overrides)

    def is_set(self, unit: Any, name: str) -> bool:
        if name in unit.overrides or name in self.explicit:
            return True
        if self.host.lacks(MAIN_CF):
            raise UnknownValue(name)
        if name in self.host.fragment_names:
            self.host.fragment_used()
            raise UnknownValue(name)
        return False

    def default(self, unit: Any, name: str) -> Any:
        param = catalog.postfix_param(name)
        if param is None or param.default is None:
            return UNKNOWN
        return postfix_typed(name, param.default)

    def default_placeholder(self, unit: Any, name: str, found: Any) -> Any:
        """A message's ``{default}``: the finding's, else the catalogue's (UNKNOWN leaves it unfilled)."""
        if found is not None:
            return found
        try:
            return unit.default(name)
        except UnknownValue:
            return UNKNOWN

    # -- the view: locations
    def explicit_span(self, unit: Any, name: str) -> tuple[Span | None, Any]:
        if name in unit.overrides:
            return unit.overrides[name].span, unit.overrides[name]
        if name in self.explicit:
            a = self.explicit[name]
            return a.span, a
        return None, None

    def insertion(self, unit: Any, sections: tuple[str, ...] = (), after: str | None = None) -> Insertion | None:
        """A new main.cf line: after ``after``'s assignment when it is set, else after the
        last assignment, else at the end of the file; never inside a template control
        block (after its closer instead).  ``edit`` is None when no place is safe (a block
        that is never closed)."""
        doc = self.doc
        if doc is None:
            return None
        anchor = self.explicit.get(after) if after else None
        blocks = _template_blocks(doc)
        if anchor is None:
            anchor = self._last_assignment(blocks)
        if anchor is not None:
            line = anchor.span.end_line
            at_end = Span.point(doc.path, line, anchor.span.end_column)
            block = enclosing_block(blocks, anchor.span.line)
            if block is not None:  # after the block, never inside it
                if block[1] is None:
                    return Insertion(at_end, None)  # an unclosed block: no safe place
                closer = next(t for t in doc.templates if t.span.line == block[1])
                return Insertion(Span.point(doc.path, block[1], closer.span.end_column),
                                 Span.point(doc.path, block[1] + 1, 1))
            return Insertion(at_end, Span.point(doc.path, line + 1, 1))
        if doc.end is not None:
            end = doc.end
            edit_line = end.line + 1 if end.column > 1 else end.line
            if enclosing_block(blocks, edit_line) is not None:
                return Insertion(end, None)
            return Insertion(end, Span.point(doc.path, edit_line, 1))
        return Insertion(Span.point(doc.path, 1, 1), Span.point(doc.path, 1, 1))

    def _last_assignment(self, blocks: list[tuple[int, int | None]]) -> Assignment | None:
        """The last assignment outside template blocks (a line added inside "{% if %} ...
        {% endif %}" would be rendered on some hosts only), else the last one; worked out
        once per host (each missing parameter's finding and fix asks)."""
        if self._last is _NOT_YET:
            assignments = [e for e in self.doc.entries if isinstance(e, Assignment)]
            outside = [a for a in assignments if enclosing_block(blocks, a.span.line) is None] if blocks \
                else assignments
            self._last = max(outside or assignments, key=lambda a: a.span.end_line) if assignments else None
        return self._last

    # why a finding about a value set nowhere comes without a fix (Insertion.edit is None)
    no_insertion = "no fix offered: main.cf ends inside a template block that is never closed"

    def anchor(self, unit: Any) -> Span | None:
        """Where a finding about the unit as a whole points."""
        place = self.insertion(unit)
        return place.at if place else None

    # -- the view: edits
    def set_edit(self, unit: Any, name: str, value: str, after: str | None, finding: Any) -> Edit | None:
        """The edit giving ``name`` the value ``value``: its ``-o`` override, its main.cf
        line, or a new main.cf line (None when there is no safe place for one)."""
        if name in unit.overrides:
            override = unit.overrides[name]
            if override.long_form or not any(c.isspace() for c in value):
                return Edit(override.value_span, value)
            # "-o name=a b" would split at the blank: master(5) needs the long form
            return Edit(override.span, f"-o {{ {name} = {value} }}")
        explicit = self.explicit.get(name)
        if explicit is not None:
            if explicit.templated:
                return None  # a template expression (or a macro call) is never overwritten
            if explicit.value == "" and explicit.span.line == explicit.span.end_line:
                return Edit(explicit.span, f"{name} = {value}")  # "name =" gets its blank too
            return Edit(explicit.value_span, value)
        place = self.insertion(unit, (), after)
        if place is None or place.edit is None:
            return None  # no main.cf, or every place is inside a template block
        return Edit(place.edit, f"{name} = {value}\n")

    def override_edit(self, unit: Any, name: str, value: str) -> Edit | None:
        """``fix.override``: the reporting service's ``-o name=value`` (changed, or added as a
        continuation line after the entry), so that the other services keep main.cf's value."""
        if name in unit.overrides:
            return None  # set_edit changes the override itself
        service = unit.service
        if service is None or service.templated:
            return None
        text = f"-o {{ {name} = {value} }}" if any(c.isspace() for c in value) else f"-o {name}={value}"
        end = service.span
        return Edit(Span.point(end.path, end.end_line, end.end_column), f"\n  {text}")

    def remove_edits(self, unit: Any, name: str) -> list[Edit]:
        if name in unit.overrides:
            o = unit.overrides[name].span
            start = max(o.column - 1, 1)  # the blank before "-o" goes too
            return [Edit(Span(o.path, o.line, start, o.end_line, o.end_column), "")]
        if self.doc is None:
            return []
        return [Edit(a.span.whole_lines(), "")
                for a in self.doc.entries if getattr(a, "name", None) == name and hasattr(a, "value_span")]


def _template_blocks(doc: Document) -> list[tuple[int, int | None]]:
    lines = [(t.span.line, t.text) for t in doc.templates]
    return control_blocks(lines) if lines else []
