"""Evaluating rules: the units of a rule on a host, the expression environment, and
the diagnostic of a finding with its fix (the edits come from the unit's format view)."""

from __future__ import annotations

from linter.checks import DOCUMENT_KINDS, REGISTRY
from linter.checks.base import Finding
from linter.checks.context import HostDocs, Unit
from linter.diagnostics import Diagnostic, Edit, Fix, fix_with_edits
from linter.formats import HOST_SCOPE
from linter.model import Section, Span
from linter.policy.expr import UNKNOWN, EvalError, UnknownValue
from linter.policy.model import Rule
from linter.policy.templates import render, template_names, unfilled
from linter.records import _new

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Env:
    """The expression environment of one rule on one unit: let, params, then directives."""

    __slots__ = ("unit", "rule", "lets", "filled", "values")

    def __init__(self, unit: Unit, rule: Rule, lets: dict[str, Any], filled: frozenset[str]):
        self.unit = unit
        self.rule = rule
        # made once per rule and run (RunState.check_rule): name -> Expr (``dict(rule.let)``),
        # and the placeholders the rule's message and fix fill (:func:`filled_names`)
        self.lets = lets
        self.filled = filled
        self.values: dict[str, Any] = {}

    def lookup(self, name: str) -> Any:
        lets = self.lets
        if name in lets:  # (``values`` holds let values only)
            values = self.values
            if name in values:
                value = values[name]
            else:
                value = values[name] = lets[name].evaluate(self)  # UNKNOWN or a value; EvalError propagates
            if value is UNKNOWN:
                raise UnknownValue(name)
            return value
        params = self.rule.params
        if name in params:
            return params[name]
        return self.unit.effective(name)

    def context(self, function: str, argument: str) -> Any:
        if function == "has_role":
            return argument in self.unit.host.roles
        try:
            method, may_be_unknown = _CONTEXT[function]
        except KeyError:
            raise ValueError(f"unknown function {function}") from None
        value = getattr(self.unit, method)(argument)
        if may_be_unknown and value is UNKNOWN:
            raise UnknownValue(argument)
        return value


# A context function -> the Unit method answering it, and whether that may return UNKNOWN
# (the others answer a value, or raise UnknownValue themselves); has_role reads the host.
_CONTEXT = {
    "service": ("service_column", True),
    "param": ("effective", False),
    "is_set": ("is_set", False),
    "default": ("default", True),
    "in_effect": ("in_effect", False),
    "delivers": ("delivers", False),
    "dovecot": ("dovecot_value", True),
    "dovecot_exists": ("dovecot_exists", False),
    "dovecot_filter": ("dovecot_filter", False),
    "postfix_values": ("postfix_values", False),
}


def units(rule: Rule, host: HostDocs, key: tuple | None = None) -> list[Unit]:
    """The units a rule is evaluated on: one per host for a per-document kind and for
    the host scope (when the host has a document), else those of the scope's view (worked
    out once per host for the rules that share a scope and what the view's places depend
    on: a master.cf's services, a Dovecot section path).  ``key``: :func:`units_key` of the
    rule, when the caller keeps it."""
    scope = rule.scope
    if rule.check.kind in DOCUMENT_KINDS:
        return [_unit(host, scope, {})]
    if scope == HOST_SCOPE:
        return [_unit(host, scope, {})] if host.docs else []
    view = host.view_for(scope)
    # (what a view's places consulted, a counterpart not found, is added again on every use)
    return host.once(key or units_key(rule, view),
                     lambda: [_unit(host, scope, place) for place in view.places(rule, scope)])


def units_key(rule: Rule, view: Any) -> tuple:
    """What the units of ``rule`` in its scope's ``view`` are kept by on a host: the rules
    with the same key share them.  The same on every host (a scope has one view class)."""
    return ("units", rule.scope, view.places_key(rule, rule.scope))


def _unit(host: HostDocs, scope: str, place: dict[str, Any]) -> Unit:
    """The host's unit of ``scope`` at ``place``, made once and shared by every rule: the
    place's values (a service, its overrides, a section) are objects of the host's
    documents and views, which live as long as the host, so their ids name them."""
    key = (scope, *map(id, place.values())) if place else scope
    found = host.units.get(key)
    if found is None:
        found = host.units[key] = Unit(scope, host, **place)
    return found


def inside(span: Span, section: Section) -> bool:
    close = section.close_span
    return span.path == section.span.path and close is not None and \
        section.span.line <= span.line <= close.line


def evaluate_rule(rule: Rule, unit: Unit, env: Env, skipped: list[str] | None = None) -> list[Finding]:
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


def filled_names(rule: Rule) -> frozenset[str]:
    """The placeholders a rule's message and fix fill."""
    spec = rule.fix
    templates = (rule.message,) if spec is None else (rule.message, spec.title, *(t for _n, t in spec.set))
    return frozenset(name for t in templates for name in template_names(t))


def placeholders(rule: Rule, unit: Unit, env: Env, finding: Finding) -> dict[str, Any]:
    # a let value or the default is worked out only when a template fills it (a file of
    # 100,000 different unknown names renders a message each)
    filled = env.filled
    values: dict[str, Any] = dict(rule.params)
    for name, _expr in rule.let:
        if name not in filled:
            continue
        try:
            values[name] = env.lookup(name)
        except (UnknownValue, EvalError):
            pass
    directive = finding.directive or rule.check.directive or ""
    values["directive"] = directive
    values["value"] = finding.value if finding.value is not None else ""
    values["detail"] = finding.detail or ""
    if not directive:
        values["default"] = finding.default if finding.default is not None else ""
    elif "default" in filled:
        default = unit.view.default_placeholder(unit, directive, finding.default)
        if default is not UNKNOWN:  # an unknown default leaves {default} unfilled
            values["default"] = default
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

    def __missing__(self, name: str) -> object:
        if self._load(str(name)):
            return dict.__getitem__(self, name)
        raise KeyError(name)

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
    if finding.edits is not None:  # the check kind's own edits
        return fix_with_edits(title, spec.applicability, finding.edits, finding.span)
    edits: list[Edit] = []
    for name, template in spec.set:
        content = render(template, values)
        edit = unit.view.override_edit(unit, name, content) if spec.override and unit.service is not None else None
        edit = edit or unit.view.set_edit(unit, name, content, spec.after, finding)
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
        edits += unit.view.remove_edits(unit, name)
    if not edits:
        return None if spec.applicability > 1 else _shown_only(title, spec.applicability)
    return Fix(title, spec.applicability, tuple(edits))


# (title, applicability) -> the one Fix without edits (a display-only advice such as
# "Correct or remove the parameter"): a large file's findings share it
_SHOWN_ONLY: dict[tuple, Fix] = {}


def _shown_only(title: str, applicability: Any) -> Fix:
    key = (title, applicability)
    fix = _SHOWN_ONLY.get(key)
    if fix is None:
        if len(_SHOWN_ONLY) >= 1024:  # titles with placeholders: kept bounded
            _SHOWN_ONLY.clear()
        fix = _SHOWN_ONLY[key] = Fix(title, applicability, ())
    return fix


def diagnose(rule: Rule, unit: Unit, finding: Finding, env: Env, texts: dict) -> Diagnostic:
    """The diagnostic of a finding; ``env`` is the one the rule was evaluated in (its let values are kept).

    ``texts``: a table the caller keeps for the rule on this unit.  Findings whose
    placeholders are the same strings (every duplicate of one name, every line of one
    unknown name) then share one message and fix title, rendered once."""
    span, directive, value, default, _missing, edits, related, detail, note, _section = finding
    key = None
    if (rule.fix is None or not (rule.fix.set or rule.fix.remove)) \
            and type(directive) in _PLAIN and type(value) in _PLAIN and type(default) in _PLAIN \
            and type(detail) in _PLAIN and type(note) in _PLAIN:
        # what the message and fix title depend on besides the rule and unit (the placeholders
        # the finding fills), when that is all: a fix that sets or removes directives is the
        # finding's own.  Only strings: 1, 1.0 and True are equal keys but are not written alike
        key = (directive, value, default, detail, note, edits is None)
    known = texts.get(key) if key is not None else None
    if known is not None:
        message, fix = known
        if fix is not None and edits is not None:  # the check kind's own edits: this finding's
            fix = fix_with_edits(fix[0], fix[1], edits, span)
    else:
        values = placeholders(rule, unit, env, finding)
        message = render(rule.message, values)
        if note:
            message += f" ({note})"
        fix = build_fix(rule, unit, finding, values)
        if key is not None:
            if len(texts) >= 4096:  # a file of thousands of different names: kept bounded
                texts.clear()
            texts[key] = (message, fix)
    service = unit.service
    if service is not None and not _within(span, service.span) and service.span not in related \
            and not any(f.span in related for f in service.fields):
        related = related + (service.span,)
    return _new(Diagnostic, (rule.id, rule.name, rule.severity, message, span, fix, related, rule.reference))


_PLAIN = frozenset((str, type(None)))  # placeholder values a finding's texts may be keyed by


def _within(span: Span, outer: Span) -> bool:
    return span.path == outer.path and (outer.line, outer.column) <= (span.line, span.column) \
        and (span.end_line, span.end_column) <= (outer.end_line, outer.end_column)
