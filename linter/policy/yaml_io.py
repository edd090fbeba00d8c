"""YAML files of ours (policy packs and ``.policy-lint.yaml``): the hostile-YAML guard and
the located read.

Both kinds of file pass :func:`hostile_yaml_problem` before ruamel.yaml builds anything
(alias bombs, absurd nesting) and are parsed by :func:`parse_yaml`, which turns every
ruamel error into one located :class:`YamlProblem`.  Policy files are then converted to
plain data with the position of every key and value (:func:`read_located`).
"""

from __future__ import annotations

import re
import warnings

from linter.policy.problems import PolicyProblem
from linter.records import Record, TupleRecord, _new

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_FILE_BYTES = 2 * 1024 * 1024  # a policy file
MAX_DEPTH = 40
MAX_NODES = 200_000  # after alias expansion: a "billion laughs" file stops here
UNHASHABLE_KEY = "a mapping key holds a nested list or mapping, which cannot be a key"


class YamlProblem(TupleRecord):
    """Why a YAML text cannot be read; ``line``/``column`` 0 when no position applies."""

    __slots__ = ()
    _fields = (
        "line",
        "column",
        "message",
        "hint",
        "syntax",  # invalid YAML (False: valid YAML the guard refuses)
    )

    def __new__(cls, line: int, column: int, message: str, hint: str | None = None, syntax: bool = True) -> YamlProblem:
        return _new(cls, (line, column, message, hint, syntax))


class Located(Record):
    """A YAML file as plain data, with the position of every key and value: ``values`` map
    a path to (line, col, style), ``keys`` to (line, col); 1-based."""

    __slots__ = ("data", "values", "keys")

    def __init__(self, data: Any, values: dict[tuple, tuple[int, int, str]], keys: dict[tuple, tuple[int, int]]):
        self.data = data
        self.values = values
        self.keys = keys


def prescan(text: str, path: str) -> PolicyProblem | None:
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


def may_be_hostile(text: str) -> bool:
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


def hostile_yaml_problem(text: str, path: str) -> PolicyProblem | None:
    """The guard every YAML file of ours passes before ruamel reads it (policies and
    ``.policy-lint.yaml``): alias bombs and deep nesting, prescanned only when the text
    could hold them."""
    return prescan(text, path) if may_be_hostile(text) else None



def parse_yaml(text: str, path: str) -> tuple[Any, YamlProblem | None]:
    """ruamel.yaml's round-trip tree of ``text`` (keys and values keep their positions), or
    the located reason it cannot be read: the guard first, then every ruamel error."""
    bomb = hostile_yaml_problem(text, path)
    if bomb is not None:
        return None, YamlProblem(bomb.line, bomb.column, bomb.message, bomb.hint, syntax=False)
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    try:
        with warnings.catch_warnings():  # ReusedAnchorWarning: legal YAML; nothing below the CLI prints
            warnings.simplefilter("ignore")
            return yaml.load(text), None
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        message = " ".join(str(e.problem or e.context or "invalid YAML").split())
        if e.context and e.problem:
            message = " ".join(f"{e.context}: {e.problem}".split())
        hint = "a key may appear only once in a mapping" if "duplicate key" in message else None
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        return None, YamlProblem(line, column, message, hint)
    except (YAMLError, RecursionError, ValueError) as e:
        return None, YamlProblem(0, 0, " ".join(str(e).split()))
    except TypeError:
        line, column = unhashable_key(text) or (1, 1)
        return None, YamlProblem(line, column, UNHASHABLE_KEY)


def read_located(path: str) -> tuple[Located | None, list[PolicyProblem]]:
    """A policy file as located plain data, or its problems (unreadable, too large, not
    UTF-8, hostile or invalid YAML)."""
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
    document, problem = parse_yaml(text, path)
    if problem is not None:
        where = (problem.line, problem.column) if problem.line else (1, 1)
        message = f"YAML: {problem.message}" if problem.syntax else problem.message
        return None, [PolicyProblem(path, *where, None, message, problem.hint)]
    located = Located(None, {}, {})
    located.data = _located_data(document, (), located, (1, 1, ""))
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


def _located_data(node: Any, path: tuple, located: Located, position: tuple[int, int, str]) -> Any:
    """ruamel's tree as plain data, recording in ``located`` where each key and value is."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    located.values[path] = position
    if isinstance(node, CommentedMap):
        out = {}
        for key, value in node.items():
            skey = str(key)
            kline, kcol = node.lc.key(key)
            vline, vcol = node.lc.value(key)
            located.keys[path + (skey,)] = (kline + 1, kcol + 1)
            out[skey] = _located_data(value, path + (skey,), located, (vline + 1, vcol + 1, _style(value)))
        return out
    if isinstance(node, CommentedSeq):
        out_list = []
        for i, value in enumerate(node):
            line, col = node.lc.item(i)
            out_list.append(_located_data(value, path + (i,), located, (line + 1, col + 1, _style(value))))
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

