"""Type checking of policy expressions and constraints at load, where types are known.

Types are those values have at run time (:mod:`linter.checks.context`): ``number``
(catalogue ``int``, ``uint``, ``size``, ``time``, ``octal``), ``bool``, ``list`` and
``string`` (``string``, ``path``, ``enum``).  Names get the type of their catalogue
entry, a ``params`` default or a ``let`` expression; literals their own.  A mix that
can only fail or mean nothing (``message_size_limit <= '50M'``: a number against text,
``smtpd_helo_required == 'yes'``: a boolean never equals a string) is a located policy
error instead of a rule that is silently skipped or always true.
"""

from __future__ import annotations

from collections.abc import Callable

from linter.records import TupleRecord, _new

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

NUMBER_KINDS = ("int", "uint", "size", "time", "octal")
LIST_KINDS = ("list", "maptype-list", "restriction-list")
BOOL_WORDS = ("yes", "no", "true", "false", "y", "n", "1", "0")


class Typed(TupleRecord):
    """A type (``number bool list string``, None when unknown) and how to name the operand."""

    __slots__ = ()
    _fields = (
        "type",
        "what",  # "message_size_limit (a size)", "'50M' (text)"
        "kind",  # the catalogue kind (size, time ...) when known
        "focus",  # text to find in the expression to locate a problem
    )

    def __new__(cls, type: str | None, what: str, kind: str | None = None, focus: str | None = None) -> Typed:
        return _new(cls, (type, what, kind, focus))


class TypeProblem(TupleRecord):
    __slots__ = ()
    _fields = ("message", "hint", "focus")

    def __new__(cls, message: str, hint: str | None, focus: str | None) -> TypeProblem:
        return _new(cls, (message, hint, focus))


def kind_type(kind: str | None) -> str | None:
    """The run-time type of a catalogue kind."""
    if kind is None:
        return None
    if kind in NUMBER_KINDS:
        return "number"
    if kind == "bool":
        return "bool"
    if kind in LIST_KINDS:
        return "list"
    return "string"


def describe_kind(kind: str | None) -> str:
    return {"size": "a size, in bytes", "time": "a time, in seconds", "bool": "a boolean", "int": "a number",
            "uint": "a number", "octal": "an octal number", "enum": "one of fixed words", "path": "a path",
            "string": "text"}.get(kind or "", "a list" if kind in LIST_KINDS else "a value")


def value_typed(value: Any) -> Typed:
    if isinstance(value, bool):
        return Typed("bool", f"{'true' if value else 'false'} (a boolean)", focus=None)
    if isinstance(value, (int, float)):
        return Typed("number", f"{value} (a number)", focus=str(value))
    if isinstance(value, str):
        return Typed("string", f"{value!r} (text)", focus=value)
    if isinstance(value, (list, tuple)):
        return Typed("list", "a list")
    return Typed(None, "a value")


_ANY = Typed(None, "a value")
_ERROR = Typed(None, "a value", focus=None)  # what a reported problem yields: no second report from it
_FUNCTION_RESULTS = {"len": "number", "contains": "bool", "startswith": "bool", "endswith": "bool",
                     "removeprefix": "string", "str": "string", "matches": "bool", "words": "list",
                     "join_path": "string", "size": "number", "seconds": "number", "is_set": "bool",
                     "dovecot_exists": "bool", "dovecot_filter": "string", "wide_networks": "list",
                     "public_networks": "list", "networks_outside": "list", "remote_inet": "list",
                     "postfix_values": "list", "join": "string", "delivers": "bool"}
_SERVICE_COLUMNS = {"process_limit": "number", "args": "list"}


class Checker:
    """Infers types over an expression's IR and collects the problems.

    ``name_type(name)`` and ``context_type(function, argument)`` give what the loader
    knows (a :class:`Typed`, or None when unknown)."""

    def __init__(self, name_type: Callable[[str], Typed | None],
                 context_type: Callable[[str, str], Typed | None]):
        self.name_type = name_type
        self.context_type = context_type
        self.problems: list[TypeProblem] = []

    def check(self, ir: list) -> Typed:
        op = ir[0]
        if op == "const":
            return value_typed(ir[1])
        if op == "list":
            for item in ir[1]:
                self.check(item)
            return Typed("list", "a list")
        if op == "name":
            return self.name_type(ir[1]) or Typed(None, ir[1], focus=ir[1])
        if op in ("and", "or"):
            types = [self.check(x) for x in ir[1]]
            first = types[0].type
            return Typed(first, "a value") if all(t.type == first for t in types) else _ANY
        if op == "not":
            self.check(ir[1])
            return Typed("bool", "a boolean")
        if op == "neg":
            inner = self.check(ir[1])
            if inner.type not in (None, "number"):
                self.problems.append(TypeProblem(f"'-' needs a number, not {inner.what}", None, inner.focus))
            return Typed("number", "a number")
        if op == "cmp":
            operands = [self.check(x) for x in ir[2]]
            for operator, left, right in zip(ir[1], operands, operands[1:]):
                self.compare(operator, left, right)
            return Typed("bool", "a boolean")
        if op == "bin":
            return self.arithmetic(ir[1], self.check(ir[2]), self.check(ir[3]))
        if op == "if":
            self.check(ir[1])
            then, other = self.check(ir[2]), self.check(ir[3])
            return then if then.type == other.type else _ANY
        if op == "call":
            return self.call(ir[1], ir[2])
        return _ANY

    def compare(self, operator: str, left: Typed, right: Typed) -> None:
        if operator in ("in", "not in"):
            if right.type in ("number", "bool"):
                self.problems.append(TypeProblem(f"'{operator}' needs a list or words on the right, not {right.what}",
                                                 None, right.focus))
            elif left.type == "list":
                self.problems.append(TypeProblem(f"'{operator}' tests one item, not {left.what}",
                                                 "contains(list, item) tests one item; compare lists with ==",
                                                 left.focus))
            return
        if left.type is None or right.type is None:
            return
        if operator in ("<", "<=", ">", ">="):
            if left.type == right.type and left.type in ("number", "string"):
                return
            self.problems.append(TypeProblem(f"'{operator}' compares {left.what} with {right.what}",
                                             _conversion_hint(left, right), _focus(left, right)))
            return
        if left.type != right.type:
            outcome = "false" if operator == "==" else "true"
            self.problems.append(TypeProblem(f"'{operator}' compares {left.what} with {right.what}: always {outcome}",
                                             _conversion_hint(left, right), _focus(left, right)))

    def arithmetic(self, operator: str, left: Typed, right: Typed) -> Typed:
        if left is _ERROR or right is _ERROR:
            return _ERROR
        if left.type is None or right.type is None:
            # '-', '*', '/', '//' and '%' take numbers only (no string repetition or formatting)
            return Typed("number" if operator != "+" else None, "a number" if operator != "+" else "a value")
        if operator == "+" and left.type == right.type and left.type in ("number", "string", "list"):
            return Typed(left.type, f"a {left.type}")
        if left.type == right.type == "number":
            return Typed("number", "a number")
        hint = "'+' joins two texts or two lists" if operator == "+" else f"'{operator}' takes numbers only"
        self.problems.append(TypeProblem(f"'{operator}' on {left.what} and {right.what}", hint,
                                         _focus(left, right)))
        return _ERROR

    def call(self, function: str, args: list) -> Typed:
        if function in ("is_set", "default", "param", "in_effect", "delivers", "service", "dovecot", "dovecot_exists",
                        "dovecot_filter", "has_role", "postfix_values"):
            argument = args[0][1] if args and args[0][0] == "const" else ""
            if function == "service":
                return Typed(_SERVICE_COLUMNS.get(argument, "string"), f"service('{argument}')")
            if function in ("is_set", "dovecot_exists", "has_role", "delivers"):
                return Typed("bool", "a boolean")
            if function == "dovecot_filter":
                return Typed("string", f"dovecot_filter('{argument}') (text)")
            if function == "postfix_values":
                return Typed("list", f"postfix_values('{argument}') (a list)")
            found = self.context_type(function, argument)
            return found or Typed(None, f"{function}('{argument}')")
        types = [self.check(a) for a in args]
        if function == "len" and types and types[0].type in ("number", "bool"):
            self.problems.append(TypeProblem(f"len() of {types[0].what}", None, types[0].focus))
        if function == "contains" and types and types[0].type in ("number", "bool"):
            self.problems.append(TypeProblem(f"contains() needs a list first, not {types[0].what}", None,
                                             types[0].focus))
        if function in ("size", "seconds") and types and types[0].type not in (None, "string"):
            self.problems.append(TypeProblem(f"{function}() reads text such as '10M', not {types[0].what}", None,
                                             types[0].focus))
        if function == "lower" and types:
            return Typed("list" if types[0].type == "list" else "string", "a value")
        result = _FUNCTION_RESULTS.get(function)
        return Typed(result, f"{function}()") if result else _ANY


def _focus(left: Typed, right: Typed) -> str | None:
    return left.focus or right.focus


def _conversion_hint(left: Typed, right: Typed) -> str | None:
    for number, text in ((left, right), (right, left)):
        if number.type == "number" and text.type == "string" and text.focus is not None:
            if number.kind == "size":
                return f"write size('{text.focus}') to compare sizes"
            if number.kind == "time":
                return f"write seconds('{text.focus}') to compare times"
            return "compare with a number (no quotes)"
        if number.type == "bool" and text.type == "string":
            return "compare a boolean with true or false"
    return None


# -- constraints ---------------------------------------------------------------------


def constraint_problems(kind: str | None, name: str, constraints: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(constraint key, message, hint) for constraints that cannot apply to a value of
    catalogue ``kind`` (the directive is ``name``)."""
    vtype = kind_type(kind)
    if vtype is None:
        return []
    what = f"{name} is {describe_kind(kind)}"
    out: list[tuple[str, str, str | None]] = []
    for key in ("min", "max"):
        if key in constraints and vtype != "number":
            out.append((key, f"{key} compares numbers, but {what}",
                        "use equals or one_of" if vtype == "bool" else
                        "use equals or one_of, or type: int to read it as a number" if vtype == "string" else
                        "use contains or excludes"))
    for key in ("contains", "contains_any", "excludes"):
        if key in constraints and vtype in ("number", "bool"):
            out.append((key, f"{key} looks for list items, but {what}", "use equals or one_of"))
    for key in ("equals", "not_equals", "one_of", "not_one_of"):
        if key not in constraints:
            continue
        value = constraints[key]
        items = value if key in ("one_of", "not_one_of") else [value]
        if key in ("equals", "not_equals") and isinstance(value, list) and vtype != "list":
            if len(value) != 1:  # one item is read as that item
                out.append((key, f"{key} takes one value, not a list, and {what}",
                            f"use {'one_of' if key == 'equals' else 'not_one_of'} for several values"))
                continue
            items = value
        for item in items if isinstance(items, list) else [items]:
            problem = _item_problem(vtype, kind, item)
            if problem:
                out.append((key, f"{key}: {_show(item)} {problem}, but {what}", _item_hint(vtype)))
    return out


def _item_problem(vtype: str, kind: str | None, item: Any) -> str | None:
    if vtype == "bool":
        if isinstance(item, bool) or (isinstance(item, (str, int)) and str(item).strip().lower() in BOOL_WORDS):
            return None
        return "is not a boolean"
    if vtype == "number":
        if isinstance(item, bool):
            return "is a boolean"
        if isinstance(item, (int, float)) or (isinstance(item, str) and item.strip().isdigit()):
            return None
        if isinstance(item, str) and kind in ("size", "time"):
            return None  # converted with its unit by the loader (or reported there)
        return "is not a number"
    if vtype == "string" and isinstance(item, list):
        return "is a list"
    return None


def _item_hint(vtype: str) -> str | None:
    return {"bool": "write yes or no", "number": "write a number"}.get(vtype)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)
