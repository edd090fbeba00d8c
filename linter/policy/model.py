"""Typed, frozen policy objects: what the loader builds and everything else reads.

The value objects are tuples and records (:mod:`linter.records`): immutable, compared by
value, and cheap to define at import (this module is on every run's start-up path).

A :class:`Policy` converts to plain JSON data (:meth:`Policy.to_data`) and back
(:meth:`Policy.from_data`) without YAML or JSON Schema, so a compiled-policy cache can
skip both on warm runs; expressions travel in their intermediate form (see
:mod:`linter.policy.expr`).
"""

from __future__ import annotations

from linter.diagnostics import Applicability, Severity
from linter.model import Span
from linter.policy.expr import Expr
from linter.records import Frozen, TupleRecord, _new, _set

TYPE_CHECKING = False
if TYPE_CHECKING:
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

    def to_data(self) -> dict:
        return {k: _plain(getattr(self, k)) for k in CONSTRAINT_KEYS if getattr(self, k) is not None}

    @classmethod
    def from_data(cls, data: dict) -> Constraints:
        return cls(**{k: _frozen(v) for k, v in data.items()})


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

    def to_data(self) -> dict:
        data: dict[str, Any] = {"kind": self.kind}
        for key in ("directive", "type", "anchor", "warning", "format"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.path:
            data["path"] = list(self.path)
        if self.explicit:
            data["explicit"] = True
        if not self.constraints.is_empty():
            data["constraints"] = self.constraints.to_data()
        if self.expr is not None:
            data["expr"] = [self.expr.text, self.expr.ir]
        if self.section:
            data["section"] = list(self.section)
        if self.settings:
            data["settings"] = [[name, c.to_data()] for name, c in self.settings]
        if self.options:
            data["options"] = [[name, _plain_deep(value)] for name, value in self.options]
        return data

    @classmethod
    def from_data(cls, data: dict) -> Check:
        return cls(
            kind=data["kind"],
            directive=data.get("directive"),
            path=tuple(data.get("path", ())),
            type=data.get("type"),
            explicit=data.get("explicit", False),
            constraints=Constraints.from_data(data.get("constraints", {})),
            expr=Expr.from_ir(*data["expr"]) if "expr" in data else None,
            anchor=data.get("anchor"),
            section=tuple(data.get("section", ())),
            settings=tuple((n, Constraints.from_data(c)) for n, c in data.get("settings", ())),
            warning=data.get("warning"),
            format=data.get("format"),
            options=tuple((name, _frozen_deep(value)) for name, value in data.get("options", ())),
        )


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

    def to_data(self) -> dict:
        return {"title": self.title, "applicability": str(self.applicability), "set": [list(p) for p in self.set],
                "remove": list(self.remove), "after": self.after, "override": self.override}

    @classmethod
    def from_data(cls, data: dict) -> FixSpec:
        return cls(data["title"], Applicability.parse(data["applicability"]), tuple(tuple(p) for p in data["set"]),
                   tuple(data["remove"]), data["after"], bool(data.get("override")))


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

    def to_data(self) -> dict:
        return {"kind": self.kind, "files": [list(f) for f in self.files], "name": self.name, "count": self.count,
                "fixed": [list(f) for f in self.fixed] if self.fixed is not None else None,
                "source": _span_data(self.source), "roles": list(self.roles),
                "params": [list(p) for p in self.params]}

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

    def to_data(self) -> dict:
        return {
            "id": self.id, "name": self.name, "severity": str(self.severity), "scope": self.scope,
            "message": self.message, "check": self.check.to_data(), "rationale": self.rationale,
            "reference": self.reference, "params": self.params,
            "when": [self.when.text, self.when.ir] if self.when else None,
            "let": [[n, e.text, e.ir] for n, e in self.let],
            "fix": self.fix.to_data() if self.fix else None,
            "examples": [e.to_data() for e in self.examples],
            "source": _span_data(self.source), "pack": self.pack,
        }

    @classmethod
    def from_data(cls, data: dict) -> Rule:
        return cls(
            id=data["id"], name=data["name"], severity=Severity.parse(data["severity"]), scope=data["scope"],
            message=data["message"], check=Check.from_data(data["check"]), rationale=data["rationale"],
            reference=data["reference"], params=data["params"],
            when=Expr.from_ir(*data["when"]) if data["when"] else None,
            let=tuple((n, Expr.from_ir(t, ir)) for n, t, ir in data["let"]),
            fix=FixSpec.from_data(data["fix"]) if data["fix"] else None,
            examples=data["examples"],  # data, or a function giving it: decoded when first read (Rule.examples)
            source=_span_from(data["source"]), pack=data["pack"],
        )


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

    def to_data(self) -> dict:
        return {"packs": [[p.id, p.title, p.reference, p.path] for p in self.packs],
                "rules": [r.to_data() for r in self.rules]}

    @classmethod
    def from_data(cls, data: dict) -> Policy:
        return cls(tuple(Pack(*p) for p in data["packs"]), tuple(Rule.from_data(r) for r in data["rules"]))


def _span_data(span: Span | None) -> list | None:
    return None if span is None else [span.path, span.line, span.column, span.end_line, span.end_column]


def _span_from(data: list | None) -> Span | None:
    return None if data is None else Span(*data)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _plain_deep(value: Any) -> Any:
    return [_plain_deep(v) for v in value] if isinstance(value, tuple) else value


def _frozen_deep(value: Any) -> Any:
    return tuple(_frozen_deep(v) for v in value) if isinstance(value, list) else value


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
