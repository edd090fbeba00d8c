"""A policy's stored forms, made: plain JSON data (:func:`policy_to_data`, read back by
:func:`policy_from_data`) for the shipped built-in pack (``linter/data/builtin-pack.json``)
and a rule's examples in the compiled-policy cache, and rows of tuples
(:func:`policy_to_rows`) for the cache's policy entries.

Rows are read back on every warm run, by :func:`linter.policy.model.policy_from_rows`, and
a rule's examples when first asked for (:attr:`linter.policy.model.Rule.examples`); the
rest is for the runs that compile a policy or load the shipped pack, so it is kept out of
:mod:`linter.policy.model`, which every run imports.  Neither form needs YAML or JSON
Schema; expressions travel in their intermediate form (see :mod:`linter.policy.expr`).
"""

from __future__ import annotations

from linter.diagnostics import Applicability, Severity
from linter.model import Span
from linter.policy.expr import Expr
from linter.policy.model import CONSTRAINT_KEYS, Check, Constraints, Example, FixSpec, Pack, Policy, Rule, _span_from

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


# -- data: lists and dicts, as JSON holds them ----------------------------------------------


def policy_to_data(policy: Policy) -> dict:
    return {"packs": [[p.id, p.title, p.reference, p.path] for p in policy.packs],
            "rules": [_rule_data(r) for r in policy.rules]}


def policy_from_data(data: dict) -> Policy:
    return Policy(tuple(Pack(*p) for p in data["packs"]), tuple(_rule_from(r) for r in data["rules"]))


def example_to_data(example: Example) -> dict:
    """:meth:`linter.policy.model.Example.from_data` reads it back."""
    return {"kind": example.kind, "files": [list(f) for f in example.files], "name": example.name,
            "count": example.count, "fixed": [list(f) for f in example.fixed] if example.fixed is not None else None,
            "source": _span_data(example.source), "roles": list(example.roles),
            "params": [list(p) for p in example.params]}


def _rule_data(rule: Rule) -> dict:
    return {
        "id": rule.id, "name": rule.name, "severity": str(rule.severity), "scope": rule.scope,
        "message": rule.message, "check": _check_data(rule.check), "rationale": rule.rationale,
        "reference": rule.reference, "params": rule.params,
        "when": [rule.when.text, _listed(rule.when.ir)] if rule.when else None,
        "let": [[n, e.text, _listed(e.ir)] for n, e in rule.let],
        "fix": _fix_data(rule.fix) if rule.fix else None,
        "examples": [example_to_data(e) for e in rule.examples],
        "source": _span_data(rule.source), "pack": rule.pack,
    }


def _rule_from(data: dict) -> Rule:
    return Rule(
        id=data["id"], name=data["name"], severity=Severity.parse(data["severity"]), scope=data["scope"],
        message=data["message"], check=_check_from(data["check"]), rationale=data["rationale"],
        reference=data["reference"], params=data["params"],
        when=Expr.from_ir(*data["when"]) if data["when"] else None,
        let=tuple((n, Expr.from_ir(t, ir)) for n, t, ir in data["let"]),
        fix=_fix_from(data["fix"]) if data["fix"] else None,
        examples=data["examples"],  # data, or a function giving it: decoded when first read (Rule.examples)
        source=_span_from(data["source"]), pack=data["pack"],
    )


def _check_data(check: Check) -> dict:
    data: dict[str, Any] = {"kind": check.kind}
    for key in ("directive", "type", "anchor", "warning", "format"):
        if getattr(check, key) is not None:
            data[key] = getattr(check, key)
    if check.path:
        data["path"] = list(check.path)
    if check.explicit:
        data["explicit"] = True
    if not check.constraints.is_empty():
        data["constraints"] = _constraints_data(check.constraints)
    if check.expr is not None:
        data["expr"] = [check.expr.text, _listed(check.expr.ir)]
    if check.section:
        data["section"] = list(check.section)
    if check.settings:
        data["settings"] = [[name, _constraints_data(c)] for name, c in check.settings]
    if check.options:
        data["options"] = [[name, _listed(value)] for name, value in check.options]
    return data


def _check_from(data: dict) -> Check:
    return Check(
        kind=data["kind"],
        directive=data.get("directive"),
        path=tuple(data.get("path", ())),
        type=data.get("type"),
        explicit=data.get("explicit", False),
        constraints=_constraints_from(data.get("constraints", {})),
        expr=Expr.from_ir(*data["expr"]) if "expr" in data else None,
        anchor=data.get("anchor"),
        section=tuple(data.get("section", ())),
        settings=tuple((n, _constraints_from(c)) for n, c in data.get("settings", ())),
        warning=data.get("warning"),
        format=data.get("format"),
        options=tuple((name, _tupled(value)) for name, value in data.get("options", ())),
    )


def _constraints_data(constraints: Constraints) -> dict:
    return {k: _plain(getattr(constraints, k)) for k in CONSTRAINT_KEYS if getattr(constraints, k) is not None}


def _constraints_from(data: dict) -> Constraints:
    return Constraints(**{k: _frozen(v) for k, v in data.items()})


def _fix_data(fix: FixSpec) -> dict:
    return {"title": fix.title, "applicability": str(fix.applicability), "set": [list(p) for p in fix.set],
            "remove": list(fix.remove), "after": fix.after, "override": fix.override}


def _fix_from(data: dict) -> FixSpec:
    return FixSpec(data["title"], Applicability.parse(data["applicability"]), tuple(tuple(p) for p in data["set"]),
                   tuple(data["remove"]), data["after"], bool(data.get("override")))


def _span_data(span: Span | None) -> list | None:
    return None if span is None else [span.path, span.line, span.column, span.end_line, span.end_column]


def _listed(value: Any) -> Any:
    """``value`` with every nested tuple a list: the data form of an expression's ir (from
    the cache it is tuples) and of a check kind's own options."""
    return [_listed(item) for item in value] if isinstance(value, (list, tuple)) else value


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


# -- rows: the compiled-policy cache's form (see linter.policy.model, policy_from_rows) -------


def policy_to_rows(policy: Policy) -> tuple[tuple, tuple]:
    """The policy as the compiled-policy cache stores it (:func:`linter.policy.model.policy_from_rows`
    reads it), its rules' examples left out (:func:`example_to_data` has them)."""
    return tuple(tuple(p) for p in policy.packs), tuple(_rule_row(r) for r in policy.rules)


def _tupled(value: Any) -> Any:
    """``value`` with every nested list a tuple: an expression's ir or a check kind's options
    as a record holds them (the constants are scalars)."""
    return tuple([_tupled(item) for item in value]) if isinstance(value, (list, tuple)) else value


def _expr_row(expr: Expr | None) -> tuple | None:
    return None if expr is None else (expr.text, _tupled(expr.ir))


def _rule_row(rule: Rule) -> tuple:
    check, fix = rule.check, rule.fix
    return (
        rule.id, rule.name, int(rule.severity), rule.scope, rule.message,
        (check.kind, check.directive, check.path, check.type, check.explicit, tuple(check.constraints),
         _expr_row(check.expr), check.anchor, check.section, tuple((n, tuple(c)) for n, c in check.settings),
         check.warning, check.format, check.options),
        rule.rationale, rule.reference, rule.params, _expr_row(rule.when),
        tuple((n, e.text, _tupled(e.ir)) for n, e in rule.let),
        None if fix is None else (fix.title, int(fix.applicability), fix.set, fix.remove, fix.after, fix.override),
        None if rule.source is None else tuple(rule.source), rule.pack,
    )
