"""Parse a policy expression (:mod:`linter.policy.expr`) into its intermediate form.

Python's :mod:`ast` reads the text (``mode='eval'``), every node is checked against a
whitelist and translated into nested lists of JSON types.  Imported only when a policy
is compiled (``ast`` costs start-up time that a run from a compiled pack does without).
"""

from __future__ import annotations

import ast
import warnings

from linter.policy.expr_eval import ExprError, regex_error
from linter.policy.expr_functions import (
    COMPUTED_CONTEXT_FUNCTIONS,
    CONTEXT_FUNCTIONS,
    DELIVERY_AGENTS,
    ENV_FUNCTIONS,
    FILTER_KINDS,
    FUNCTIONS,
    PURE_FUNCTIONS,
    SERVICE_COLUMNS,
)

_CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
        ast.In: "in", ast.NotIn: "not in"}
_BIN = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%"}
_CONSTANT_NAMES = {"true": True, "false": False, "True": True, "False": False, "none": None, "None": None}
_DESCRIBE = {
    ast.Attribute: "attribute access", ast.Subscript: "subscripts", ast.Lambda: "lambdas",
    ast.ListComp: "comprehensions", ast.SetComp: "comprehensions", ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions", ast.Dict: "dict literals", ast.Set: "set literals",
    ast.Starred: "starred arguments", ast.NamedExpr: "assignment expressions", ast.JoinedStr: "f-strings",
    ast.Await: "await", ast.Yield: "yield", ast.Slice: "slices",
}


def _column(text: str, node: ast.AST) -> int:
    # ast offsets count UTF-8 bytes; report characters
    offset = getattr(node, "col_offset", 0)
    return len(text.encode("utf-8")[:offset].decode("utf-8", "ignore")) + 1


def _error_column(text: str, error: SyntaxError) -> int:
    """The 1-based character column of a syntax error in one-line ``text``.

    CPython reports offset 0 for an expression that ends too early (point past its end),
    and some tokenizer errors ("leading zeros ...") count UTF-8 bytes: the same text with
    every non-ASCII character replaced by one ASCII letter gives the offset in characters.
    """
    offset = error.offset if error.offset and error.offset > 0 else len(text) + 1
    if not text.isascii():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse("".join(c if c.isascii() else "x" for c in text), mode="eval")
        except SyntaxError as same:
            if same.msg == error.msg and same.offset and same.offset > 0:
                offset = same.offset
        except (ValueError, RecursionError, MemoryError):
            pass
    return min(offset, len(text) + 1)


def parse(text: str) -> list:
    """Parse ``text`` into the intermediate form; raises :class:`ExprError`."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("empty expression", 1)
    if len(text) > 4000:
        raise ExprError("expression longer than 4000 characters", 1)
    # YAML block scalars span lines; one line keeps columns equal to offsets in the text
    flat = text.replace("\r", " ").replace("\n", " ")
    lead = len(flat) - len(flat.lstrip())
    try:
        with warnings.catch_warnings():  # "invalid decimal literal" and the like: nothing below the CLI prints
            warnings.simplefilter("ignore")
            tree = ast.parse(flat.strip(), mode="eval")
    except SyntaxError as e:
        raise ExprError(f"invalid expression: {e.msg}", lead + _error_column(flat.strip(), e)) from None
    except (ValueError, RecursionError, MemoryError):
        raise ExprError("invalid expression", 1) from None
    return _Translator(flat.strip(), lead).node(tree.body, depth=0)


class _Translator:
    def __init__(self, text: str, lead: int):
        self.text = text
        self.lead = lead

    def fail(self, node: ast.AST, message: str, hint: str | None = None) -> ExprError:
        return ExprError(message, self.lead + _column(self.text, node), hint)

    def node(self, n: ast.AST, depth: int) -> list:
        if depth > 50:
            raise self.fail(n, "expression nested too deeply")
        d = depth + 1
        if isinstance(n, ast.Constant):
            if isinstance(n.value, (bool, int, float, str)) or n.value is None:
                return ["const", n.value]
            raise self.fail(n, f"{type(n.value).__name__} literals are not allowed")
        if isinstance(n, (ast.List, ast.Tuple)):
            return ["list", [self.node(e, d) for e in n.elts]]
        if isinstance(n, ast.Name):
            if n.id in _CONSTANT_NAMES:
                return ["const", _CONSTANT_NAMES[n.id]]
            return ["name", n.id]
        if isinstance(n, ast.BoolOp):
            return ["and" if isinstance(n.op, ast.And) else "or", [self.node(v, d) for v in n.values]]
        if isinstance(n, ast.UnaryOp):
            if isinstance(n.op, ast.Not):
                return ["not", self.node(n.operand, d)]
            if isinstance(n.op, ast.USub):
                return ["neg", self.node(n.operand, d)]
            if isinstance(n.op, ast.UAdd):
                return self.node(n.operand, d)
            raise self.fail(n, "bitwise operators are not allowed")
        if isinstance(n, ast.Compare):
            ops = []
            for op in n.ops:
                if type(op) not in _CMP:
                    raise self.fail(n, "'is' comparisons are not allowed", "use == or !=")
                ops.append(_CMP[type(op)])
            return ["cmp", ops, [self.node(n.left, d)] + [self.node(c, d) for c in n.comparators]]
        if isinstance(n, ast.BinOp):
            if type(n.op) not in _BIN:
                raise self.fail(n, "only + - * / // % are allowed")
            return ["bin", _BIN[type(n.op)], self.node(n.left, d), self.node(n.right, d)]
        if isinstance(n, ast.IfExp):
            return ["if", self.node(n.test, d), self.node(n.body, d), self.node(n.orelse, d)]
        if isinstance(n, ast.Call):
            return self.call(n, d)
        what = _DESCRIBE.get(type(n), type(n).__name__)
        if isinstance(n, ast.Attribute):  # point at the dot, not at the object
            n = ast.Constant(None, col_offset=n.value.end_col_offset)
        raise self.fail(n, f"{what} not allowed in policy expressions",
                        "use a function such as contains(), words() or startswith()")

    def call(self, n: ast.Call, d: int) -> list:
        if not isinstance(n.func, ast.Name):
            raise self.fail(n.func, "only calls of the listed functions are allowed (no methods)",
                            "e.g. lower(x) instead of x.lower()")
        name = n.func.id
        if name not in FUNCTIONS:
            from linter.suggest import closest

            close = closest(name, FUNCTIONS)
            hint = f"did you mean {close}()?" if close else "allowed: " + ", ".join(FUNCTIONS)
            raise self.fail(n, f"unknown function {name}()", hint)
        if n.keywords:
            raise self.fail(n.keywords[0].value, f"{name}() takes no keyword arguments")
        args = [self.node(a, d) for a in n.args]
        if name in COMPUTED_CONTEXT_FUNCTIONS and len(args) == 1 and args[0][0] != "const":
            pass  # a computed Dovecot path: dovecot_exists('service auth / unix_listener ' + socket)
        elif name in CONTEXT_FUNCTIONS:
            if len(args) != 1 or args[0][0] != "const" or not isinstance(args[0][1], str):
                raise self.fail(n, f"{name}() takes one string literal, e.g. {name}('smtpd_tls_cert_file')"
                                if name not in COMPUTED_CONTEXT_FUNCTIONS else f"{name}() takes one Dovecot path")
            if name == "service" and args[0][1] not in SERVICE_COLUMNS:
                raise self.fail(n.args[0], f"service() has no column {args[0][1]!r}",
                                "columns: " + ", ".join(SERVICE_COLUMNS))
            if name == "dovecot_filter" and args[0][1] not in FILTER_KINDS:
                raise self.fail(n.args[0], f"dovecot_filter() takes a filter kind, not {args[0][1]!r}",
                                "kinds: " + ", ".join(FILTER_KINDS))
            if name == "delivers" and args[0][1] not in DELIVERY_AGENTS:
                raise self.fail(n.args[0], f"delivers() knows no delivery agent {args[0][1]!r}",
                                "agents: " + ", ".join(DELIVERY_AGENTS))
        else:
            low, high, _ = PURE_FUNCTIONS[name] if name in PURE_FUNCTIONS else ENV_FUNCTIONS[name]
            if not low <= len(args) <= high:
                raise self.fail(n, f"{name}() takes {low} argument{'s' if low > 1 else ''}, not {len(args)}")
            if name == "matches" and args[1][0] == "const":
                error = regex_error(args[1][1])
                if error:
                    raise self.fail(n.args[1], f"invalid RE2 pattern: {error}")
        return ["call", name, args]
