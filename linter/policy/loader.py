"""Load policy files: YAML with positions -> JSON Schema -> semantic checks -> typed rules.

Every problem in every file is collected before anything is raised, each with the
policy file's line and column, a breadcrumb naming the rule by id and a hint
(``path:12:7: rule PF101, check.min: ... (hint)``).  A rule the schema rejects still
gets the semantic checks of its schema-valid parts, so one run shows every error.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from linter.diagnostics import Applicability, Severity
from linter.model import DOVECOT, POSTFIX_MAIN, Span
from linter.policy.dovecot_path import section_kind, split_path
from linter.policy.expr import SERVICE_COLUMNS, Expr, ExprError, context_calls, regex_error
from linter.policy.model import (
    CONSTRAINT_KEYS,
    Check,
    Constraints,
    Example,
    FixSpec,
    Pack,
    Policy,
    Rule,
)
from linter.policy.templates import template_fields
from linter.policy.typecheck import Typed
from linter.policy.units import parse_seconds, parse_size

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 40
MAX_NODES = 200_000  # after alias expansion: a "billion laughs" file stops here
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "data" / "policy.schema.json"
POSTFIX_SCOPES = ("postfix-main", "smtpd-service", "postfix-master", "host")
SERVICE_SCOPES = ("smtpd-service", "postfix-master")
# Scopes whose units see the host's Dovecot tree (a service's SASL settings meet Dovecot's).
DOVECOT_READING_SCOPES = ("dovecot", "host", "smtpd-service", "postfix-master")
OWN_EDIT_KINDS = ("syntax", "duplicate", "unknown-directive")  # kinds that know their own fix edit
BUILTIN_PLACEHOLDERS = ("value", "directive", "default", "detail")
UNHASHABLE_KEY = "YAML: a mapping key holds a nested list or mapping, which cannot be a key"


class PolicyProblem(NamedTuple):
    path: str
    line: int
    column: int
    rule_id: str | None
    message: str
    hint: str | None = None
    key: str | None = None  # where in the rule (or file): "check.min", "examples[0].bad"

    def __str__(self) -> str:
        where = ", ".join(part for part in (f"rule {self.rule_id}" if self.rule_id else "", self.key or "") if part)
        out = f"{self.path}:{self.line}:{self.column}: " + (f"{where}: {self.message}" if where else self.message)
        if self.hint:
            out += f" ({self.hint})"
        return out


class PolicyError(Exception):
    """One or more problems in the policy files; ``problems`` lists them all.

    ``loaded`` holds the rules that did load and ``defined`` every rule id the files
    define, so that the config file can be checked in the same run."""

    def __init__(self, problems: Sequence[PolicyProblem], loaded: Policy | None = None,
                 defined: Sequence[str] = ()):
        self.problems = tuple(sorted(problems, key=lambda p: (p.path, p.line, p.column, p.message)))
        self.loaded = loaded
        self.defined = tuple(defined)
        super().__init__("\n".join(str(p) for p in self.problems))


def builtin_pack_dir() -> Path:
    """``policies/`` at the repository root in a checkout, ``linter/policies`` in a wheel."""
    package = Path(__file__).resolve().parent.parent
    checkout = package.parent / "policies"
    if checkout.is_dir() and (package.parent / "pyproject.toml").exists():
        return checkout
    return package / "policies"


def policy_files(paths: Sequence[str], builtin: bool = True) -> list[str]:
    """The policy files to load: the built-in pack first, then ``paths`` (directories walked)."""
    files: list[str] = []
    if builtin and builtin_pack_dir().is_dir():
        files += sorted(str(p) for p in builtin_pack_dir().iterdir() if p.suffix in (".yaml", ".yml"))
    for path in paths:
        if os.path.isdir(path):
            files += sorted(str(p) for p in Path(path).iterdir() if p.suffix in (".yaml", ".yml"))
        else:
            files.append(str(path))
    seen: set[str] = set()
    unique = []
    for f in files:
        key = os.path.realpath(f)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def load_policy(paths: Sequence[str], builtin: bool = True) -> Policy:
    """Load, validate and build every policy file; raises :class:`PolicyError` with all problems."""
    loader = _Loader()
    files = policy_files(paths, builtin)
    if builtin:
        builtin_files = policy_files([], builtin=True)
        if files[:len(builtin_files)] == builtin_files:
            from linter.policy import precompiled

            # the shipped compile of the very same YAML: no ruamel.yaml, no jsonschema
            pack = precompiled.load(builtin_files)
            if pack is not None:
                loader.packs += pack.packs
                loader.rules += pack.rules
                loader.rule_ids.update(pack.id_locations)
                loader.pack_ids.update((p.id, p.path) for p in pack.packs if p.id)
                files = files[len(builtin_files):]
    for path in files:
        loader.load_file(path)
    if loader.problems:
        raise PolicyError(loader.problems, Policy(tuple(loader.packs), tuple(loader.rules)), list(loader.rule_ids))
    return Policy(tuple(loader.packs), tuple(loader.rules))


def load_schema() -> dict:
    import json

    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


# -- YAML with positions -----------------------------------------------------------


@dataclass
class _Located:
    """A YAML file as plain data, with the position of every key and value."""

    data: Any
    values: dict[tuple, tuple[int, int, str]]  # path -> (line, col, style); 1-based
    keys: dict[tuple, tuple[int, int]]


def _prescan(text: str, path: str) -> PolicyProblem | None:
    """Reject alias bombs and absurd nesting from the event stream, before building anything."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.events import (
        AliasEvent,
        CollectionEndEvent,
        CollectionStartEvent,
        ScalarEvent,
    )

    stack: list[list] = []
    anchors: dict[str, int] = {}
    try:
        for event in YAML(typ="safe", pure=True).parse(text):
            weight = 0
            if isinstance(event, ScalarEvent):
                weight = 1
                if event.anchor:
                    anchors[event.anchor] = 1
            elif isinstance(event, AliasEvent):
                if any(anchor == event.anchor for _, anchor in stack):
                    mark = event.start_mark
                    return PolicyProblem(path, mark.line + 1, mark.column + 1, None,
                                         f"alias *{event.anchor} inside the collection it names (a recursive value)",
                                         "policy values cannot contain themselves")
                weight = anchors.get(event.anchor, 1)
            elif isinstance(event, CollectionStartEvent):
                stack.append([1, event.anchor])
                if len(stack) > MAX_DEPTH:
                    mark = event.start_mark
                    return PolicyProblem(path, mark.line + 1, mark.column + 1, None,
                                         f"nesting deeper than {MAX_DEPTH} levels", "policy files are shallow")
                continue
            elif isinstance(event, CollectionEndEvent):
                weight, anchor = stack.pop()
                if anchor:
                    anchors[anchor] = weight
            else:
                continue
            if stack:
                stack[-1][0] += weight
                if stack[-1][0] > MAX_NODES:
                    mark = event.start_mark
                    return PolicyProblem(path, mark.line + 1, mark.column + 1, None,
                                         f"more than {MAX_NODES} values once aliases are expanded",
                                         "YAML aliases multiply; write the values out or use fewer aliases")
    except YAMLError:  # also ReaderError (a NUL byte), which has no mark
        return None  # the real load reports the error with its position
    return None


_INDICATORS = " \t-?:"
_FLOW_OPENER = re.compile(r"(?<=[:\-?,\[{\n])[\[{]")  # what may precede a nested block collection's content on its line


def _may_be_hostile(text: str) -> bool:
    """False when ``text`` can hold neither an alias bomb nor nesting deeper than MAX_DEPTH,
    so the prescan (a second pure-Python parse) can be skipped.

    An alias needs an anchor, and an anchor needs '&'.  Block nesting needs indentation:
    a nested block collection starts further right than its parent, except a sequence
    under a mapping key, so depth is at most twice the widest line prefix of blanks and
    indicators (plus one).  Flow nesting needs a '[' or '{' per level.  Both bounds only
    over-estimate (indicators inside scalars, brackets in strings), never under.
    """
    if "&" in text:
        return True
    widest = 0
    for line in text.split("\n"):
        prefix = len(line) - len(line.lstrip(_INDICATORS))
        if prefix > widest:
            widest = prefix
    if "!" in text:  # a tag may stand between an indicator and a flow collection
        openers = text.count("[") + text.count("{")
    else:
        # a flow collection starts only where a node may: at a line start or after an
        # indicator or another opener (blanks aside), never after a word ("{value}")
        squeezed = text.replace(" ", "").replace("\t", "")
        openers = squeezed.startswith(("[", "{")) + len(_FLOW_OPENER.findall(squeezed))
    return 2 * (widest + 1) + openers + 1 > MAX_DEPTH


def unhashable_key(text: str) -> tuple[int, int] | None:
    """Where a mapping key holds a nested collection (``? [[x]]``, ``[?*alias]``): ruamel
    cannot build such a key and raises a bare TypeError, without a position."""
    from ruamel.yaml import YAML
    from ruamel.yaml.nodes import CollectionNode, MappingNode

    def pairs(node: CollectionNode) -> list:
        return node.value if isinstance(node, MappingNode) else [(None, item) for item in node.value]

    def walk(node: Any, seen: set[int]) -> tuple[int, int] | None:
        if id(node) in seen or not isinstance(node, CollectionNode):
            return None
        seen.add(id(node))
        for key, value in pairs(node):
            if isinstance(key, CollectionNode) and any(isinstance(n, CollectionNode) for p in pairs(key) for n in p):
                return key.start_mark.line + 1, key.start_mark.column + 1
            found = walk(key, seen) or walk(value, seen)
            if found:
                return found
        return None

    try:
        with warnings.catch_warnings():  # ReusedAnchorWarning: nothing below the CLI prints
            warnings.simplefilter("ignore")
            root = YAML(typ="rt", pure=True).compose(text)
    except Exception:  # noqa: BLE001 - only a position is wanted; the load reported the rest
        return None
    return walk(root, set())


def yaml_bomb(text: str, path: str) -> PolicyProblem | None:
    """The guard every YAML file of ours passes before ruamel reads it (policies and
    ``.policy-lint.yaml``): alias bombs and deep nesting, prescanned only when the text
    could hold them."""
    return _prescan(text, path) if _may_be_hostile(text) else None


def _read_yaml(path: str) -> tuple[_Located | None, list[PolicyProblem]]:
    from linter.model import ConfigError
    from linter.parsers import read_regular_file

    try:
        raw = read_regular_file(path, MAX_FILE_BYTES + 1)  # a FIFO would block forever
    except OSError as e:
        return None, [PolicyProblem(path, 0, 0, None, f"cannot read policy file: {e.strerror or e}")]
    except ConfigError as e:
        return None, [PolicyProblem(path, 0, 0, None, e.message.replace("config file", "policy file"))]
    if len(raw) > MAX_FILE_BYTES:
        return None, [PolicyProblem(path, 1, 1, None, f"policy file larger than {MAX_FILE_BYTES} bytes")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        return None, [PolicyProblem(path, line, 1, None, "policy file is not UTF-8")]
    bomb = yaml_bomb(text, path)
    if bomb:
        return None, [bomb]

    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    try:
        with warnings.catch_warnings():  # ReusedAnchorWarning: legal YAML; nothing below the CLI prints
            warnings.simplefilter("ignore")
            document = yaml.load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(str(e.problem or e.context or "invalid YAML").split())
        hint = "a key may appear only once in a mapping" if "duplicate key" in message else None
        return None, [PolicyProblem(path, line, column, None, f"YAML: {message}", hint)]
    except (YAMLError, RecursionError, ValueError) as e:
        return None, [PolicyProblem(path, 1, 1, None, f"YAML: {' '.join(str(e).split())}")]
    except TypeError:
        line, column = unhashable_key(text) or (1, 1)
        return None, [PolicyProblem(path, line, column, None, UNHASHABLE_KEY)]
    located = _Located(None, {}, {})
    located.data = _plain(document, (), located, (1, 1, ""))
    return located, []


def _style(value: Any) -> str:
    from ruamel.yaml.scalarstring import (
        DoubleQuotedScalarString,
        FoldedScalarString,
        LiteralScalarString,
        SingleQuotedScalarString,
    )

    if isinstance(value, (DoubleQuotedScalarString, SingleQuotedScalarString)):
        return "quoted"
    if isinstance(value, (LiteralScalarString, FoldedScalarString)):
        return "block"
    return ""


def _plain(node: Any, path: tuple, located: _Located, position: tuple[int, int, str]) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    located.values[path] = position
    if isinstance(node, CommentedMap):
        out = {}
        for key, value in node.items():
            skey = str(key)
            kline, kcol = node.lc.key(key)
            vline, vcol = node.lc.value(key)
            located.keys[path + (skey,)] = (kline + 1, kcol + 1)
            out[skey] = _plain(value, path + (skey,), located, (vline + 1, vcol + 1, _style(value)))
        return out
    if isinstance(node, CommentedSeq):
        out_list = []
        for i, value in enumerate(node):
            line, col = node.lc.item(i)
            out_list.append(_plain(value, path + (i,), located, (line + 1, col + 1, _style(value))))
        return out_list
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node  # timestamps and the like: the schema rejects them with a position


# -- the loader ----------------------------------------------------------------------


def _catalog() -> Any:
    try:
        from linter import catalog
    except ImportError:  # the catalogue is optional for loading: names are then not checked
        return None
    return catalog


def _suggest(name: str, choices: Sequence[str]) -> str | None:
    from difflib import get_close_matches

    close = get_close_matches(name, list(choices), 1, 0.7)
    return f"did you mean {close[0]!r}?" if close else None


def _key_text(path: Sequence) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class _Loader:
    def __init__(self) -> None:
        self.problems: list[PolicyProblem] = []
        self.packs: list[Pack] = []
        self.rules: list[Rule] = []
        self.rule_ids: dict[str, str] = {}  # id -> "file:line" where first defined
        self.pack_ids: dict[str, str] = {}
        self._validator = None
        self.catalog = _catalog()

    @property
    def validator(self) -> Any:
        if self._validator is None:
            from jsonschema import Draft202012Validator

            self._validator = Draft202012Validator(load_schema())
        return self._validator

    def load_file(self, path: str) -> None:
        located, problems = _read_yaml(path)
        self.problems += problems
        if located is None:
            return
        ctx = _FileContext(self, path, located)
        data = located.data
        if not isinstance(data, dict):
            ctx.problem((), "a policy file is a mapping with 'policy' and 'rules'",
                        "start with 'policy: my-pack' and 'rules:'")
            return
        bad_rules = ctx.validate()
        pack_id = data.get("policy") if isinstance(data.get("policy"), str) else ""
        if pack_id:
            if pack_id in self.pack_ids:
                ctx.problem(("policy",), f"pack id {pack_id!r} is already used by {self.pack_ids[pack_id]}",
                            "pack ids must be unique among loaded packs")
            else:
                self.pack_ids[pack_id] = path
        if isinstance(data.get("title"), str) or pack_id:
            self.packs.append(Pack(pack_id, str(data.get("title", "")), data.get("reference"), path))
        rules = data.get("rules") if isinstance(data.get("rules"), list) else []
        for index, rule_data in enumerate(rules):
            bad = bad_rules.get(index)
            if bad is not None and (not isinstance(rule_data, dict) or _UNBUILDABLE & {p[:1] for p in bad}):
                rid = rule_data.get("id") if isinstance(rule_data, dict) else None
                if isinstance(rid, str):
                    if rid in self.rule_ids:
                        ctx.problem(("rules", index, "id"), f"duplicate rule id {rid!r} (first defined at "
                                    f"{self.rule_ids[rid]})", "rule ids must be unique across all loaded packs")
                    self.rule_ids.setdefault(rid, ctx.where(("rules", index, "id")))
                continue
            if not isinstance(rule_data, dict):
                continue
            # a rule the schema rejects still gets the semantic checks of its other parts
            # (every error of a file in one run); it is not built
            rule = _RuleBuilder(ctx, index, rule_data, pack_id, bad or set()).build()
            if rule is not None and bad is None:
                self.rules.append(rule)


class _FileContext:
    def __init__(self, loader: _Loader, path: str, located: _Located):
        self.loader = loader
        self.path = path
        self.located = located

    def position(self, path: tuple, on_key: bool = False) -> tuple[int, int, str]:
        probe = tuple(path)
        if on_key and probe in self.located.keys:
            return (*self.located.keys[probe], "")
        while probe not in self.located.values and probe:
            probe = probe[:-1]
        return self.located.values.get(probe, (1, 1, ""))

    def where(self, path: tuple) -> str:
        line, _, _ = self.position(path)
        return f"{self.path}:{line}"

    def rule_id(self, path: Sequence) -> str | None:
        if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
            rules = self.located.data.get("rules") if isinstance(self.located.data, dict) else None
            rule = rules[path[1]] if isinstance(rules, list) and path[1] < len(rules) else None
            rid = rule.get("id") if isinstance(rule, dict) else None
            return rid if isinstance(rid, str) else f"#{path[1] + 1}"
        return None

    def problem(self, path: Sequence, message: str, hint: str | None = None, on_key: bool = False,
                offset: tuple[int, int] | None = None) -> None:
        path = tuple(path)
        line, column, _ = self.position(path, on_key)
        if offset:
            line, column = offset
        rid = self.rule_id(path)
        key = _key_text(path[2:] if rid is not None else path) or None
        self.loader.problems.append(PolicyProblem(self.path, line, column, rid, message, hint, key))

    def validate(self) -> dict[int, set[tuple]]:
        """Schema-check the file; returns, for each rule with errors, where in the rule
        they are (``("check", "min")``; ``()`` for the rule as a whole)."""
        bad: dict[int, set[tuple]] = {}
        for error in self.loader.validator.iter_errors(self.located.data):
            path = tuple(error.absolute_path)
            if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
                places = bad.setdefault(path[1], set())
                inner = path[2:]
                instance = error.instance if isinstance(error.instance, dict) else {}
                if error.validator == "additionalProperties":
                    places.update(inner + (k,) for k in instance if k not in error.schema.get("properties", {}))
                elif error.validator == "required":
                    places.update(inner + (k,) for k in error.validator_value if k not in instance)
                else:
                    places.add(inner)
            self._schema_problem(error, path)
        return bad

    def _schema_problem(self, error: Any, path: tuple) -> None:
        validator = error.validator
        hint = None
        message = error.message
        if validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = list(error.schema.get("properties", {}))
            extra = [k for k in error.instance if k not in allowed]
            for key in extra:
                suggestion = _suggest(key, allowed)
                kind = error.instance.get("kind") if path and path[-1] == "check" else None
                context = f" for kind {kind!r}" if isinstance(kind, str) else ""
                self.problem(path + (key,), f"unexpected key {key!r}{context}",
                             suggestion or ("allowed keys: " + ", ".join(k for k in allowed if k != "kind")),
                             on_key=True)
            return
        if validator == "enum":
            choices = [str(c) for c in error.validator_value]
            message = f"{error.instance!r} is not one of {', '.join(choices)}"
            hint = _suggest(str(error.instance), choices)
        elif validator == "oneOf" and error.schema.get("title") == "Example":
            message = "an example has exactly one of 'bad' or 'good' ('count' and 'fixed' go with 'bad')"
        elif validator == "pattern" and path and path[-1] == "id":
            hint = "capital letters then digits, e.g. PF101"
        elif validator == "pattern" and path and path[-1] == "name":
            hint = "kebab case saying what is wrong, e.g. connection-rate-unlimited"
        elif validator == "propertyNames" or (validator == "pattern" and error.relative_schema_path
                                                and "propertyNames" in error.relative_schema_path):
            message = f"invalid name: {error.message}"
        self.problem(path, message, hint)


# A schema error here leaves nothing to check semantically: the rule as a whole, its
# identity, its scope (names mean different things per scope).
_UNBUILDABLE = {(), ("id",), ("scope",)}
_SHAPE_ERRORS = (KeyError, TypeError, AttributeError, IndexError, ValueError)


def _same_kind(default: Any, value: Any) -> bool:
    from linter.config import _same_kind as same

    return same(default, value)


class _RuleBuilder:
    """Semantic checks and construction of one rule.

    ``schema_errors`` are the places in the rule the schema rejected: problems there are
    not reported twice, and a part whose shape is wrong is skipped (the rule is not built)."""

    def __init__(self, ctx: _FileContext, index: int, data: dict, pack_id: str,
                 schema_errors: set[tuple] | None = None):
        self.ctx = ctx
        self.base = ("rules", index)
        self.data = data
        self.pack_id = pack_id
        self.ok = True
        self.schema_errors = schema_errors or set()
        self.scope = data["scope"]
        self.catalog = ctx.loader.catalog
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
        if self.catalog is None:
            return True
        return self.catalog.postfix_param(name) is not None

    def dovecot_known(self, name: str, kind: str | None) -> bool:
        """Known to any Dovecot version we have a catalogue of: a check reads a name
        through linter.versions in the tree's version."""
        if self.catalog is None:
            return True
        return self.dovecot_param(name, kind) is not None

    def dovecot_param(self, name: str, kind: str | None) -> Any:  # a catalog.Param, or None
        for version in self.catalog.VERSIONS["dovecot"]:
            param = self.catalog.dovecot_setting(name, kind, version)
            if param is not None:
                return param
        return None

    def suggestion(self, name: str, fmt: str) -> str | None:
        if self.catalog is None:
            return None
        try:
            found = self.catalog.suggest(name, fmt)
        except Exception:  # noqa: BLE001 - a did-you-mean is a nicety; never let it break loading
            return None
        return f"did you mean {found!r}?" if found else None

    def check_postfix_name(self, key: Sequence, name: str, what: str = "Postfix parameter") -> None:
        if not self.postfix_known(name):
            self.fail(key, f"unknown {what} {name!r}", self.suggestion(name, POSTFIX_MAIN))

    def check_dovecot_sections(self, key: Sequence, headers: Sequence[str]) -> bool:
        """Each header's section kind is one Dovecot knows (a misspelt one with a did-you-mean)."""
        if self.catalog is None:
            return True
        kinds = self.catalog.dovecot_section_kinds()
        for header in headers:
            kind = header.split(" ", 1)[0]
            if kind and kind not in kinds:
                self.fail(key, f"unknown Dovecot section {kind!r} in {header!r}",
                          _suggest(kind, sorted(kinds)))
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
                hint = _suggest(name, list(defined)) or self.suggestion(name, fmt)
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
            elif function in ("dovecot", "dovecot_exists", "dovecot_filter"):
                if self.scope not in DOVECOT_READING_SCOPES:
                    self.fail(key, f"{function}() needs scope {', '.join(DOVECOT_READING_SCOPES)}, not {self.scope}",
                              offset=offset)
                elif function == "dovecot" and argument:
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
        if self.catalog is None:
            return None
        if dovecot:
            parts = split_path(name)
            param = self.catalog.dovecot_setting(parts[-1], section_kind(parts[:-1]))
        else:
            param = self.catalog.postfix_param(name)
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
        if self.catalog is not None and directive and self.is_dovecot():
            parts = split_path(directive)
            param = self.dovecot_param(parts[-1], section_kind(parts[:-1]))
        elif self.catalog is not None and isinstance(directive, str) and not self.is_dovecot():
            param = self.catalog.postfix_param(directive)
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
            if not self.is_dovecot() and self.catalog is not None and self.postfix_known(name):
                continue
            hint = _suggest(name, sorted(defined))
            self.fail(key, f"placeholder {{{name}}} names nothing",
                      hint or "placeholders: value, directive, default, params, let names, directive names")

    # -- the rule ----------------------------------------------------------------

    def build(self) -> Rule | None:
        d = self.data
        rid = d["id"]
        if rid in self.ctx.loader.rule_ids:
            self.fail(("id",), f"duplicate rule id {rid!r} (first defined at {self.ctx.loader.rule_ids[rid]})",
                      "rule ids must be unique across all loaded packs")
        else:
            self.ctx.loader.rule_ids[rid] = self.ctx.where(self.base + ("id",))
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
        check = self.part("check", self.check, d.get("check"), defined)
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
            examples=examples, source=Span(self.ctx.path, line, column, line, column), pack=self.pack_id,
        )

    def check(self, c: dict, defined: list[str]) -> Check | None:
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
        expr = anchor = None
        if kind == "assert":
            expr = self.expression(key + ("expr",), c["expr"], defined)
            anchor = c.get("anchor")
            if anchor is not None:
                if self.is_dovecot():
                    self.check_dovecot_path(key + ("anchor",), split_path(anchor))
                else:
                    self.check_postfix_name(key + ("anchor",), anchor)
        section: tuple[str, ...] = ()
        settings: list[tuple[str, Constraints]] = []
        if kind == "dovecot-section":
            if self.scope not in DOVECOT_READING_SCOPES:
                self.fail(key + ("kind",),
                          f"dovecot-section needs scope {', '.join(DOVECOT_READING_SCOPES)}, not {self.scope}")
            section = split_path(c["section"])
            for header in section:
                self.template(key + ("section",), header)
            self.check_dovecot_sections(key + ("section",), section)
            kind_name = section_kind(section)
            for setting, constraint_data in (c.get("settings") or {}).items():
                if not self.dovecot_known(setting, kind_name):
                    self.fail(key + ("settings", setting), f"unknown Dovecot setting {setting!r} in {section[-1]!r}",
                              self.suggestion(setting, DOVECOT), on_key=True)
                param = self.catalog.dovecot_setting(setting, kind_name) if self.catalog is not None else None
                settings.append((setting, self.constraints(key + ("settings", setting), constraint_data,
                                                           getattr(param, "type", None), setting)))
        constraints = self.constraints(key, c, self.value_type(c), c.get("directive") if isinstance(
            c.get("directive"), str) else " / ".join(map(str, c.get("directive") or ())))
        if kind == "value" and not any(k in c for k in CONSTRAINT_KEYS):
            self.fail(key, "a value check needs at least one constraint",
                      "e.g. min, max, equals, one_of, contains, matches")
        return Check(kind=kind, directive=name, path=path, type=c.get("type"), explicit=bool(c.get("explicit")),
                     constraints=constraints, expr=expr, anchor=anchor, section=section, settings=tuple(settings),
                     warning=c.get("warning"), format=c.get("format"))

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
                              _suggest(pname, list(self.params)) or
                              f"its parameters: {', '.join(sorted(self.params)) or 'none'}", on_key=True)
                elif not _same_kind(self.params[pname], pvalue):
                    self.fail(key + ("params", pname), f"expected a value like the default "
                                                       f"{self.params[pname]!r}, not {pvalue!r}")
            line, column, _ = self.ctx.position(self.base + key)
            out.append(Example(
                kind=which, files=tuple(item[which].items()), name=item.get("name"), count=item.get("count"),
                fixed=tuple(item["fixed"].items()) if "fixed" in item else None,
                source=Span(self.ctx.path, line, column, line, column),
                roles=tuple(item.get("roles") or ()), params=tuple(params.items())))
        return tuple(out)
