"""Semantic checks and construction of one rule: names against the catalogue, expressions
and their types, constraints, templates, fixes and examples.

A check kind's own keys are validated by its module's ``validate`` hook (see
:mod:`linter.checks`); everything common to all kinds is here.
"""

from __future__ import annotations

from collections.abc import Sequence

from linter import catalog
from linter.checks import KINDS, OWN_EDIT_KINDS
from linter.diagnostics import Applicability, Severity
from linter.model import DOVECOT, POSTFIX_MAIN, Span
from linter.policy.dovecot_path import section_kind, split_path
from linter.policy.expr import Expr, ExprError, context_calls
from linter.policy.expr_eval import regex_error
from linter.policy.expr_functions import SERVICE_COLUMNS
from linter.policy.model import CONSTRAINT_KEYS, Check, Constraints, Example, FixSpec, Rule, same_kind
from linter.policy.templates import template_fields
from linter.policy.typecheck import Typed
from linter.policy.units import parse_seconds, parse_size
from linter.policy.validate import FileContext
from linter.suggest import did_you_mean

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SERVICE_SCOPES = ("smtpd-service", "postfix-master")
# Scopes whose units see the host's Dovecot tree (a service's SASL settings meet Dovecot's).
DOVECOT_READING_SCOPES = ("dovecot", "host", "smtpd-service", "postfix-master")
BUILTIN_PLACEHOLDERS = ("value", "directive", "default", "detail")
_SHAPE_ERRORS = (KeyError, TypeError, AttributeError, IndexError, ValueError)


class RuleBuilder:
    """Semantic checks and construction of one rule.

    ``schema_errors`` are the places in the rule the schema rejected: problems there are
    not reported twice, and a part whose shape is wrong is skipped (the rule is not built)."""

    def __init__(self, ctx: FileContext, index: int, data: dict, pack_id: str,
                 schema_errors: set[tuple] | None = None):
        self.ctx = ctx
        self.base = ("rules", index)
        self.data = data
        self.pack_id = pack_id
        self.ok = True
        self.schema_errors = schema_errors or set()
        self.scope = data["scope"]
        self.params = dict(data["params"]) if isinstance(data.get("params"), dict) else {}
        self.let_names: list[str] = []
        self.let_types: dict[str, Typed] = {}  # let name -> the type of its expression

    def fail(self, key: Sequence, message: str, hint: str | None = None, on_key: bool = False,
             offset: tuple[int, int] | None = None) -> None:
        self.ok = False
        key = tuple(key)
        if any(key[:len(place)] == place for place in self.schema_errors):
            return  # the schema's error at this place says it already
        self.ctx.problem(self.base + key, message, hint, on_key, offset)

    def part(self, key: str, build, *args: Any) -> Any:  # noqa: ANN001 - a bound method
        """``build(*args)``; for a rule the schema rejected, None when the part's shape is wrong."""
        if not self.schema_errors:
            return build(*args)
        if any(place[:2] == (key, "kind") or place == (key,) for place in self.schema_errors):
            return None
        try:
            return build(*args)
        except _SHAPE_ERRORS:
            self.ok = False
            return None

    # -- names -------------------------------------------------------------------

    def postfix_known(self, name: str) -> bool:
        return catalog.postfix_param(name) is not None

    def dovecot_known(self, name: str, kind: str | None) -> bool:
        """Known to any Dovecot version we have a catalogue of: a check reads a name
        through linter.versions in the tree's version."""
        return self.dovecot_param(name, kind) is not None

    def dovecot_param(self, name: str, kind: str | None) -> Any:  # a catalog.Param, or None
        for version in catalog.VERSIONS["dovecot"]:
            param = catalog.dovecot_setting(name, kind, version)
            if param is not None:
                return param
        return None

    def suggestion(self, name: str, fmt: str) -> str | None:
        try:
            found = catalog.suggest(name, fmt)
        except Exception:  # noqa: BLE001 - a did-you-mean is a nicety; never let it break loading
            return None
        return f"did you mean {found!r}?" if found else None

    def check_postfix_name(self, key: Sequence, name: str, what: str = "Postfix parameter") -> None:
        if not self.postfix_known(name):
            self.fail(key, f"unknown {what} {name!r}", self.suggestion(name, POSTFIX_MAIN))

    def check_dovecot_sections(self, key: Sequence, headers: Sequence[str]) -> bool:
        """Each header's section kind is one Dovecot knows (a misspelt one with a did-you-mean)."""
        kinds = catalog.dovecot_section_kinds()
        for header in headers:
            kind = header.split(" ", 1)[0]
            if kind and kind not in kinds:
                self.fail(key, f"unknown Dovecot section {kind!r} in {header!r}",
                          did_you_mean(kind, sorted(kinds)))
                return False
        return True

    def check_dovecot_path(self, key: Sequence, parts: tuple[str, ...]) -> None:
        if not parts or not parts[-1]:
            self.fail(key, "empty Dovecot path")
            return
        if not self.check_dovecot_sections(key, parts[:-1]):
            return
        name = parts[-1]
        if " " in name:
            self.fail(key, f"a Dovecot path ends with a setting name, not a section ({name!r})",
                      "write 'service auth / unix_listener * / mode'")
            return
        if not self.dovecot_known(name, section_kind(parts[:-1])):
            self.fail(key, f"unknown Dovecot setting {name!r}" + (f" in {parts[-2]!r}" if len(parts) > 1 else ""),
                      self.suggestion(name, DOVECOT))

    def is_dovecot(self) -> bool:
        return self.scope == "dovecot"

    def needs_dovecot(self, key: Sequence, what: str, offset: tuple[int, int] | None = None) -> bool:
        """Whether the rule's scope sees the host's Dovecot tree; a problem when it does not."""
        if self.scope in DOVECOT_READING_SCOPES:
            return True
        self.fail(key, f"{what} needs scope {', '.join(DOVECOT_READING_SCOPES)}, not {self.scope}", offset=offset)
        return False

    # -- expressions -------------------------------------------------------------

    def expression(self, key: Sequence, text: str, defined: Sequence[str]) -> Expr | None:
        try:
            expr = Expr.parse(text)
        except ExprError as e:
            self.fail(key, e.message, e.hint, offset=self.offset_in(key, text, e.column))
            return None
        for name in sorted(expr.names):
            if name in defined:
                continue
            if self.is_dovecot():
                known = self.dovecot_known(name, None)
                fmt = DOVECOT
            else:
                known = self.postfix_known(name)
                fmt = POSTFIX_MAIN
            if not known:
                column = text.find(name) + 1 or 1
                hint = did_you_mean(name, list(defined)) or self.suggestion(name, fmt)
                self.fail(key, f"unknown name {name!r}", hint, offset=self.offset_in(key, text, column))
        for function, argument in sorted(context_calls(expr.ir)):
            column = text.find(argument) + 1 or 1
            offset = self.offset_in(key, text, column)
            if function in ("in_effect", "delivers") and self.is_dovecot():
                self.fail(key, f"{function}() needs a Postfix scope, not {self.scope}", offset=offset)
            elif function == "in_effect" and not self.postfix_known(argument):
                self.fail(key, f"{function}(): unknown Postfix parameter {argument!r}",
                          self.suggestion(argument, POSTFIX_MAIN), offset=offset)
            elif function in ("is_set", "default", "param"):
                if self.is_dovecot():
                    self.check_dovecot_path(key, split_path(argument))
                elif not self.postfix_known(argument):
                    self.fail(key, f"{function}(): unknown Postfix parameter {argument!r}",
                              self.suggestion(argument, POSTFIX_MAIN), offset=offset)
            elif function == "postfix_values":
                if not self.postfix_known(argument):
                    self.fail(key, f"{function}(): unknown Postfix parameter {argument!r}",
                              self.suggestion(argument, POSTFIX_MAIN), offset=offset)
            elif function in ("dovecot", "dovecot_exists", "dovecot_filter"):
                if self.needs_dovecot(key, f"{function}()", offset) and function == "dovecot" and argument:
                    self.check_dovecot_path(key, split_path(argument))
            elif function == "service" and self.scope not in SERVICE_SCOPES:
                self.fail(key, f"service() needs scope smtpd-service or postfix-master, not {self.scope}",
                          f"service columns: {', '.join(SERVICE_COLUMNS)}", offset=offset)
        if not self.ok:
            return None
        self.type_check(key, text, expr)
        return expr if self.ok else None

    # -- types -------------------------------------------------------------------

    def catalog_kind(self, name: str, dovecot: bool) -> str | None:
        if dovecot:
            parts = split_path(name)
            param = catalog.dovecot_setting(parts[-1], section_kind(parts[:-1]))
        else:
            param = catalog.postfix_param(name)
        return getattr(param, "type", None) if param is not None else None

    def name_type(self, name: str) -> Typed | None:
        from linter.policy.typecheck import describe_kind, kind_type, value_typed

        if name in self.let_types:
            return self.let_types[name]
        if name in self.params:
            found = value_typed(self.params[name])
            return Typed(found.type, f"{name} ({found.what.split(' (')[-1]}", focus=name)
        kind = self.catalog_kind(name, self.is_dovecot())
        if kind is None:
            return None
        return Typed(kind_type(kind), f"{name} ({describe_kind(kind)})", kind, name)

    def context_type(self, function: str, argument: str) -> Typed | None:
        from linter.policy.typecheck import describe_kind, kind_type

        if function not in ("default", "param", "in_effect", "dovecot"):
            return None
        kind = self.catalog_kind(argument, function == "dovecot" or self.is_dovecot())
        if kind is None:
            return None
        return Typed(kind_type(kind), f"{function}('{argument}') ({describe_kind(kind)})", kind, argument)

    def type_check(self, key: Sequence, text: str, expr: Expr) -> Typed:
        """Report what cannot work with the types the catalogue, params and literals give."""
        from linter.policy.typecheck import Checker

        checker = Checker(self.name_type, self.context_type)
        result = checker.check(expr.ir)
        for problem in checker.problems:
            column = (text.find(problem.focus) + 1 or 1) if problem.focus else 1
            self.fail(key, f"type error: {problem.message}", problem.hint, offset=self.offset_in(key, text, column))
        return result

    def offset_in(self, key: Sequence, text: str, column: int) -> tuple[int, int]:
        """The file position of character ``column`` (1-based) of the expression at ``key``."""
        line, col, style = self.ctx.position(self.base + tuple(key))
        before = text[: max(column - 1, 0)]
        if style == "block":  # content starts on the next line, indented past the key
            _, key_column, _ = self.ctx.position(self.base + tuple(key), on_key=True)
            return line + 1 + before.count("\n"), key_column + 2 + len(before) - (before.rfind("\n") + 1)
        if "\n" in text:
            return line, col
        return line, col + (1 if style == "quoted" else 0) + len(before)

    # -- constraints -------------------------------------------------------------

    def value_type(self, check: dict) -> str | None:
        if check.get("type"):
            return check["type"]
        directive = check.get("directive")
        param = None
        if directive and self.is_dovecot():
            parts = split_path(directive)
            param = self.dovecot_param(parts[-1], section_kind(parts[:-1]))
        elif isinstance(directive, str) and not self.is_dovecot():
            param = catalog.postfix_param(directive)
        kind = getattr(param, "type", None) if param is not None else None
        return str(kind) if kind else None

    def constraints(self, key: Sequence, data: dict, value_type: str | None, name: str = "") -> Constraints:
        from linter.policy.typecheck import constraint_problems, kind_type

        problems = constraint_problems(value_type, name or "the value", data) if value_type else []
        for constraint, message, hint in problems:
            self.fail(tuple(key) + (constraint,), message, hint)
        vtype = kind_type(value_type)
        values: dict[str, Any] = {}
        for name in CONSTRAINT_KEYS:
            if name not in data or any(p[0] == name for p in problems):
                continue
            value = data[name]
            if name in ("equals", "not_equals") and isinstance(value, list) and len(value) == 1 and \
                    vtype not in (None, "list"):
                value = value[0]  # equals: [yes] on a boolean means yes
            if name in ("min", "max") and isinstance(value, str):
                value = self.unit_number(tuple(key) + (name,), value, value_type)
            elif name in ("equals", "not_equals", "one_of", "not_one_of") and vtype == "number" and \
                    (value_type or "") in ("size", "time"):
                value = self.unit_values(tuple(key) + (name,), value, value_type)
            elif name in ("matches", "not_matches"):
                error = regex_error(value)
                if error:
                    self.fail(tuple(key) + (name,), f"invalid RE2 pattern: {error}",
                              "RE2 has no backreferences or lookaround")
            if isinstance(value, list):
                value = tuple(value)
            values[name] = value
        return Constraints(**values)

    def unit_values(self, key: tuple, value: Any, value_type: str | None) -> Any:
        """``equals: 50M`` (one_of items too) on a size or time: the number it means."""
        if isinstance(value, list):
            return [self.unit_values(key + (i,), item, value_type) for i, item in enumerate(value)]
        if isinstance(value, str) and not value.strip().isdigit():
            return self.unit_number(key, value, value_type)
        return value

    def unit_number(self, key: tuple, text: str, value_type: str | None) -> int | None:
        kind = (value_type or "").lower()
        try:
            if "size" in kind:
                return parse_size(text)
            if "time" in kind:
                return parse_seconds(text)
            if text.strip().isdigit():
                return int(text)
        except ValueError as e:
            self.fail(key, str(e))
            return None
        self.fail(key, f"{text!r}: cannot tell whether this is a size or a time",
                  "add 'type: size' or 'type: time' to the check, or write a plain number")
        return None

    # -- templates ---------------------------------------------------------------

    def template(self, key: Sequence, text: str) -> None:
        try:
            fields = template_fields(text)
        except ValueError as e:
            self.fail(key, f"bad placeholder: {e}", "write {{ and }} for literal braces")
            return
        defined = set(BUILTIN_PLACEHOLDERS) | set(self.params) | set(self.let_names)
        if self.scope in SERVICE_SCOPES:
            defined.add("service")
        for name in fields:
            if name in defined:
                continue
            if not self.is_dovecot() and self.postfix_known(name):
                continue
            hint = did_you_mean(name, sorted(defined))
            self.fail(key, f"placeholder {{{name}}} names nothing",
                      hint or "placeholders: value, directive, default, params, let names, directive names")

    # -- the rule ----------------------------------------------------------------

    def build(self) -> Rule | None:
        d = self.data
        rid = d["id"]
        if rid in self.ctx.state.rule_ids:
            self.fail(("id",), f"duplicate rule id {rid!r} (first defined at {self.ctx.state.defined_at(rid)})",
                      "rule ids must be unique across all loaded packs")
        else:
            self.ctx.state.rule_ids[rid] = self.ctx.where(self.base + ("id",))
        for name in self.params:
            if not isinstance(name, str) or not name.isidentifier():
                self.fail(("params", name), f"parameter name {name!r} is not a name", on_key=True)
        defined = list(self.params)
        lets = []
        let_data = d.get("let") if isinstance(d.get("let"), dict) else {}
        for name, text in let_data.items():
            expr = self.part("let", self.expression, ("let", name), text, defined)
            if expr is not None:
                lets.append((name, expr))
                from linter.policy.typecheck import Checker

                found = Checker(self.name_type, self.context_type).check(expr.ir)
                what = {"number": "a number", "string": "text", "bool": "a boolean", "list": "a list"}
                self.let_types[name] = Typed(found.type, f"{name} ({what[found.type]})" if found.type else name,
                                             found.kind, name)
            defined.append(name)
            self.let_names.append(name)
        when = self.part("when", self.expression, ("when",), d["when"], defined) if "when" in d else None
        check = self.part("check", self.build_check, d.get("check"), defined)
        fix = self.part("fix", self.fix, d.get("fix"), check)
        if "message" in d:
            self.part("message", self.template, ("message",), d["message"])
        examples = self.part("examples", self.examples, d.get("examples") or [], fix)
        if not self.ok or check is None or self.schema_errors:
            return None
        line, column, _ = self.ctx.position(self.base)
        return Rule(
            id=rid, name=d["name"], severity=Severity.parse(d.get("severity", "warning")), scope=self.scope,
            message=d["message"], check=check, rationale=str(d.get("rationale", "")).strip(),
            reference=d.get("reference"), params=self.params, when=when, let=tuple(lets), fix=fix,
            examples=examples, source=Span.point(self.ctx.path, line, column), pack=self.pack_id,
        )

    def build_check(self, c: dict, defined: list[str]) -> Check | None:
        kind = c["kind"]
        key = ("check",)
        directive = c.get("directive")
        name: str | None = None
        path: tuple[str, ...] = ()
        if directive is not None:
            if self.is_dovecot():
                parts = split_path(directive)
                self.check_dovecot_path(key + ("directive",), parts)
                name, path = parts[-1], parts[:-1]
            elif not isinstance(directive, str) or " " in directive.strip():
                self.fail(key + ("directive",), f"scope {self.scope} takes a Postfix parameter name, not a path",
                          "Dovecot paths need scope: dovecot")
            else:
                name = directive.strip()
                self.check_postfix_name(key + ("directive",), name)
        module = KINDS.get(kind)
        hook = getattr(module, "validate", None)
        fields = hook(self, c, defined) if hook is not None else {}
        # keys the kind declares with a schema of its own (not True: a common check key)
        declared = getattr(module, "OPTIONS", {}).get("properties", {})
        own = sorted(k for k, shape in declared.items() if shape is not True and k in c)
        if own and "options" not in fields:
            fields["options"] = tuple((k, _frozen(c[k])) for k in own)
        constraints = self.constraints(key, c, self.value_type(c), c.get("directive") if isinstance(
            c.get("directive"), str) else " / ".join(map(str, c.get("directive") or ())))
        return Check(kind=kind, directive=name, path=path, type=c.get("type"), explicit=bool(c.get("explicit")),
                     constraints=constraints, warning=c.get("warning"), format=c.get("format"), **fields)

    def fix(self, f: dict | None, check: Check | None) -> FixSpec | None:
        if f is None:
            return None
        key = ("fix",)
        self.template(key + ("title",), f["title"])
        kind = self.data["check"]["kind"]
        if kind in OWN_EDIT_KINDS and ("set" in f or "remove" in f):
            self.fail(key, f"check kind {kind!r} makes its own edit: give fix only a title and applicability",
                      on_key=True)
        sets = []
        for name, value in (f.get("set") or {}).items():
            if self.is_dovecot():
                self.check_dovecot_path(key + ("set", name), split_path(name))
            else:
                self.check_postfix_name(key + ("set", name), name)
            text = value if isinstance(value, str) else ("yes" if value is True else "no" if value is False else str(value))
            self.template(key + ("set", name), text)
            sets.append((name, text))
        for i, name in enumerate(f.get("remove") or []):
            if not self.is_dovecot():
                self.check_postfix_name(key + ("remove", i), name)
        if "after" in f and not self.is_dovecot():
            self.check_postfix_name(key + ("after",), f["after"])
        if kind not in OWN_EDIT_KINDS and not sets and not f.get("remove") and \
                Applicability.parse(f.get("applicability", "safe")) != Applicability.DISPLAY_ONLY:
            self.fail(key, "a fix needs 'set' or 'remove' (or applicability: display-only)", on_key=True)
        if f.get("override") and self.scope not in SERVICE_SCOPES:
            self.fail(key + ("override",), f"override: true needs scope smtpd-service or postfix-master, "
                                           f"not {self.scope}", "it sets an -o override of the reporting service")
        return FixSpec(f["title"], Applicability.parse(f.get("applicability", "safe")), tuple(sets),
                       tuple(f.get("remove") or ()), f.get("after"), bool(f.get("override")))

    def examples(self, items: list, fix: FixSpec | None) -> tuple[Example, ...]:
        from linter.parsers import detect_format

        out = []
        kind = self.data["check"]["kind"]
        for i, item in enumerate(items):
            key = ("examples", i)
            which = "bad" if "bad" in item else "good"
            names = [(which, n) for n in item[which]] + [("fixed", n) for n in item.get("fixed") or {}]
            for part, name in names:
                if detect_format(name) is None:
                    self.fail(key + (part, name), f"cannot tell the format of {name!r}",
                              "name files main.cf, master.cf, dovecot.conf or conf.d/NN-name.conf", on_key=True)
            if "fixed" in item and fix is None and kind not in OWN_EDIT_KINDS:
                self.fail(key + ("fixed",), "'fixed' given but the rule has no fix", on_key=True)
            params = item.get("params") or {}
            for pname, pvalue in params.items():
                if pname not in self.params:
                    self.fail(key + ("params", pname), f"the rule has no parameter {pname!r}",
                              did_you_mean(pname, list(self.params)) or
                              f"its parameters: {', '.join(sorted(self.params)) or 'none'}", on_key=True)
                elif not same_kind(self.params[pname], pvalue):
                    self.fail(key + ("params", pname), f"expected a value like the default "
                                                       f"{self.params[pname]!r}, not {pvalue!r}")
            line, column, _ = self.ctx.position(self.base + key)
            out.append(Example(
                kind=which, files=tuple(item[which].items()), name=item.get("name"), count=item.get("count"),
                fixed=tuple(item["fixed"].items()) if "fixed" in item else None,
                source=Span.point(self.ctx.path, line, column),
                roles=tuple(item.get("roles") or ()), params=tuple(params.items())))
        return tuple(out)


def _frozen(value: Any) -> Any:
    """Plain YAML data made immutable for a Check (lists as tuples; mappings as sorted pairs)."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    return value
