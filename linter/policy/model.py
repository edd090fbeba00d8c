"""Typed, frozen policy objects: what the loader builds and everything else reads.

The value objects are tuples and records (:mod:`linter.records`): immutable, compared by
value, and cheap to define at import (this module is on every run's start-up path).

A :class:`Policy` is stored as plain JSON data (the shipped built-in pack,
``linter/data/builtin-pack.json``) and as rows of tuples (the compiled-policy cache), both
made by :mod:`linter.policy.stored`; the rows are read back here (:func:`policy_from_rows`,
on every warm run), and so are a rule's examples (:meth:`Example.from_data`, when first asked
for).  Expressions travel in their intermediate form (see :mod:`linter.policy.expr`).
"""

from __future__ import annotations

from linter.diagnostics import Applicability, Severity
from linter.model import Span
from linter.policy.expr import Expr
from linter.records import Frozen, TupleRecord, _new, _set

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

CONSTRAINT_KEYS = ("min", "max", "equals", "not_equals", "one_of", "not_one_of", "contains", "contains_any",
                   "excludes", "matches", "not_matches", "octal", "absolute", "empty")
# Constraints that judge the value as written, so they need no expansion.
WRITTEN_KEYS = ("matches", "not_matches", "octal", "absolute", "empty")


class Constraints(TupleRecord):
    """Value constraints; sizes and times are already ints (bytes, seconds)."""

    __slots__ = ()
    _fields = CONSTRAINT_KEYS

    def __new__(
        cls,
        min: int | float | None = None,
        max: int | float | None = None,
        equals: Any = None,
        not_equals: Any = None,
        one_of: tuple | None = None,
        not_one_of: tuple | None = None,
        contains: tuple | None = None,
        contains_any: tuple | None = None,
        excludes: tuple | None = None,
        matches: str | None = None,
        not_matches: str | None = None,
        octal: bool | None = None,
        absolute: bool | None = None,
        empty: bool | None = None,
    ) -> Constraints:
        return _new(cls, (min, max, equals, not_equals, one_of, not_one_of, contains, contains_any, excludes, matches,
                          not_matches, octal, absolute, empty))

    def is_empty(self) -> bool:
        return all(value is None for value in self)

    def judges_only_written(self) -> bool:
        """True when every constraint judges the value as written (no expansion needed)."""
        return all(getattr(self, k) is None for k in CONSTRAINT_KEYS if k not in WRITTEN_KEYS)


class Check(TupleRecord):
    """What a rule looks for; which fields matter depends on ``kind``."""

    __slots__ = ()
    _fields = (
        "kind",
        "directive",  # Postfix parameter, or a Dovecot setting name
        "path",  # Dovecot: enclosing section headers (may hold '*' and {placeholders})
        "type",
        "explicit",
        "constraints",
        "expr",
        "anchor",
        "section",  # dovecot-section: the section path (may hold {placeholders})
        "settings",
        "warning",
        "format",
        "options",  # a kind's own keys (see linter.checks), sorted by name
    )

    def __new__(
        cls,
        kind: str,
        directive: str | None = None,
        path: tuple[str, ...] = (),
        type: str | None = None,
        explicit: bool = False,
        constraints: Constraints = Constraints(),  # noqa: B008 - immutable, made once
        expr: Expr | None = None,
        anchor: str | None = None,
        section: tuple[str, ...] = (),
        settings: tuple[tuple[str, Constraints], ...] = (),
        warning: str | None = None,
        format: str | None = None,
        options: tuple[tuple[str, Any], ...] = (),
    ) -> Check:
        return _new(cls, (kind, directive, path, type, explicit, constraints, expr, anchor, section, settings,
                          warning, format, options))

    def option(self, name: str, default: Any = None) -> Any:
        """The value of the kind's own key ``name`` (lists as tuples), or ``default``."""
        return dict(self.options).get(name, default)


class FixSpec(TupleRecord):
    """How to fix a finding: ``set``/``remove`` directives, or the check kind's own edit."""

    __slots__ = ()
    _fields = (
        "title",
        "applicability",
        "set",  # (directive, value template)
        "remove",
        "after",  # insert new lines after this directive's assignment when it exists
        "override",  # service scopes: set an -o override of the reporting service, not main.cf
    )

    def __new__(
        cls,
        title: str,
        applicability: Applicability = Applicability.SAFE,
        set: tuple[tuple[str, str], ...] = (),
        remove: tuple[str, ...] = (),
        after: str | None = None,
        override: bool = False,
    ) -> FixSpec:
        return _new(cls, (title, applicability, set, remove, after, override))


class Example(TupleRecord):
    """A policy test: the files of one host and what the rule must find in them."""

    __slots__ = ()
    _fields = (
        "kind",  # "bad" | "good"
        "files",  # (relative file name, content)
        "name",
        "count",
        "fixed",
        "source",
        "roles",  # the host's roles (has_role)
        "params",  # the rule's params as .policy-lint.yaml would set them
    )

    def __new__(
        cls,
        kind: str,
        files: tuple[tuple[str, str], ...],
        name: str | None = None,
        count: int | None = None,
        fixed: tuple[tuple[str, str], ...] | None = None,
        source: Span | None = None,
        roles: tuple[str, ...] = (),
        params: tuple[tuple[str, Any], ...] = (),
    ) -> Example:
        return _new(cls, (kind, files, name, count, fixed, source, roles, params))

    @classmethod
    def from_data(cls, data: dict) -> Example:
        return cls(data["kind"], tuple(tuple(f) for f in data["files"]), data["name"], data["count"],
                   tuple(tuple(f) for f in data["fixed"]) if data["fixed"] is not None else None,
                   _span_from(data["source"]), tuple(data.get("roles", ())),
                   tuple((k, v) for k, v in data.get("params", ())))


class Rule(Frozen):
    __slots__ = ("id", "name", "severity", "scope", "message", "check", "rationale", "reference", "params",
                 "when", "let", "fix", "_examples", "source", "pack")
    _fields = tuple(name.removeprefix("_") for name in __slots__)  # examples: a property over _examples
    _unhashed = ("params",)

    def __init__(self, id: str, name: str, severity: Severity, scope: str, message: str, check: Check,
                 rationale: str = "", reference: str | None = None, params: dict | None = None,
                 when: Expr | None = None, let: tuple[tuple[str, Expr], ...] = (), fix: FixSpec | None = None,
                 examples: tuple[Example, ...] = (), source: Span | None = None, pack: str = ""):
        _set(self, "id", id)
        _set(self, "name", name)
        _set(self, "severity", severity)
        _set(self, "scope", scope)
        _set(self, "message", message)
        _set(self, "check", check)
        _set(self, "rationale", rationale)
        _set(self, "reference", reference)
        _set(self, "params", {} if params is None else params)
        _set(self, "when", when)
        _set(self, "let", let)
        _set(self, "fix", fix)
        _set(self, "_examples", examples)
        _set(self, "source", source)
        _set(self, "pack", pack)

    @property
    def examples(self) -> tuple[Example, ...]:
        """The rule's examples; from a compiled pack they stay data until first asked for
        (only ``policy-lint test`` and the rule docs read them, never a check)."""
        examples = self._examples
        if type(examples) is not tuple:  # data (a list), or a function that reads it (the cache's)
            examples = tuple(Example.from_data(e) for e in (examples if type(examples) is list else examples()))
            _set(self, "_examples", examples)
        return examples


class Pack(TupleRecord):
    __slots__ = ()
    _fields = ("id", "title", "reference", "path")

    def __new__(cls, id: str, title: str, reference: str | None, path: str) -> Pack:
        return _new(cls, (id, title, reference, path))


class Policy(Frozen):
    __slots__ = ("packs", "rules", "_by_id")
    _compare = ("packs", "rules")

    def __init__(self, packs: tuple[Pack, ...], rules: tuple[Rule, ...]):
        _set(self, "packs", packs)
        _set(self, "rules", rules)
        _set(self, "_by_id", {r.id: r for r in rules})

    def rule(self, rule_id: str) -> Rule | None:
        return self._by_id.get(rule_id)


# -- rows: the compiled-policy cache's form of a policy ---------------------------------------
#
# A cache entry (linter.cache, linter.store) holds a policy as rows: each record a tuple of
# its field values in the record's own field order, enums as their numbers, expressions as
# (text, ir) with the ir in nested tuples.  marshal decodes tuples about twice as fast as the
# dicts and lists of the data form (no keys, no over-allocated lists: the built-in pack's 107
# rules 0.54 -> 0.30 ms; 0.13 ms with the sharing of linter.store._dumps), and the records
# are built from them without a lookup per field (1.0 -> 0.37 ms).
# A row is what the record holds, so every value comes back as the compile made it.
# An entry's digest and owner are checked before it is read (linter.store); the arity of
# every row is checked too, so a well-formed entry of another shape raises ValueError or
# TypeError and is a miss, compiled afresh.

_SEVERITY = {int(s): s for s in Severity}
_APPLICABILITY = {int(a): a for a in Applicability}


def _constraints(row: tuple) -> Constraints:
    if len(row) != len(CONSTRAINT_KEYS):
        raise ValueError("not a constraints row")
    return _new(Constraints, row)


def policy_from_rows(rows: tuple, examples: Callable[[int], Any]) -> Policy:
    """The policy of :func:`linter.policy.stored.policy_to_rows`; ``examples(i)`` is what the ``i``-th rule keeps
    as its examples until they are asked for (:attr:`Rule.examples`).  Raises ValueError,
    TypeError, KeyError (the enums) or IndexError on rows of another shape."""
    if type(rows) is not tuple:
        raise TypeError("not policy rows")
    packs, rules = rows
    built = []
    for index, row in enumerate(rules):
        (rule_id, name, severity, scope, message, check, rationale, reference, params, when, let, fix, source,
         pack) = row
        (kind, directive, path, value_type, explicit, constraints, expr, anchor, section, settings, warning,
         warning_format, options) = check
        check = _new(Check, (kind, directive, path, value_type, explicit, _constraints(constraints),
                             None if expr is None else Expr(*expr), anchor, section,
                             tuple([(n, _constraints(c)) for n, c in settings]) if settings else (), warning,
                             warning_format, options))
        if fix is not None:
            title, applicability, to_set, remove, after, override = fix
            fix = _new(FixSpec, (title, _APPLICABILITY[applicability], to_set, remove, after, override))
        built.append(Rule(rule_id, name, _SEVERITY[severity], scope, message, check, rationale, reference, params,
                          None if when is None else Expr(*when),
                          tuple([(n, Expr(text, ir)) for n, text, ir in let]) if let else (), fix,
                          examples(index), _span_from(source), pack))
    return Policy(tuple([Pack(*p) for p in packs]), tuple(built))


def _span_from(data: list | None) -> Span | None:
    return None if data is None else Span(*data)


class Compiled(TupleRecord):
    """Packs and rules, and where each rule id and pack id is defined (``file:line``, the
    pack file): the duplicate-id checks of later files need them."""

    __slots__ = ()
    _fields = (
        "packs",
        "rules",
        "id_locations",  # rule id -> (file, line)
        "pack_ids",
    )

    def __new__(
        cls,
        packs: tuple[Pack, ...] = (),
        rules: tuple[Rule, ...] = (),
        id_locations: dict[str, tuple[str, int]] | None = None,
        pack_ids: dict[str, str] | None = None,
    ) -> Compiled:
        return _new(cls, (packs, rules, {} if id_locations is None else id_locations, {} if pack_ids is None else pack_ids))

    @property
    def policy(self) -> Policy:
        return Policy(self.packs, self.rules)


def same_kind(default: Any, value: Any) -> bool:
    """Whether ``value`` can stand for a parameter whose default is ``default``."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))
