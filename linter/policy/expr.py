"""The policy expression language: a safe subset of Python expression syntax.

An expression is parsed once with :mod:`ast` (``mode='eval'``), every node checked
against a whitelist, and translated into a small intermediate form made only of JSON
types (nested lists of strings, numbers, booleans and null).  That form is what a
compiled-policy cache stores; :func:`compile_ir` turns it into nested closures, so
evaluation never reaches ``eval``/``exec``/``compile`` and costs microseconds.

Intermediate form (``ir``), one list per node::

    ["const", value]            ["list", [item, ...]]        ["name", "smtpd_banner"]
    ["and", [a, b, ...]]        ["or", [a, b, ...]]          ["not", a]
    ["cmp", ["<", "in"], [a, b, c]]                          ["neg", a]
    ["bin", "+", a, b]          ["if", test, then, else]     ["call", "len", [a, ...]]

Values are ``None``, ``bool``, ``int``, ``float``, ``str`` and tuples of them.  A name
whose value is unknown (a templated value) raises :class:`UnknownValue` when it is
*read*; :meth:`Expr.evaluate` turns that into :data:`UNKNOWN`, so a rule that touches
an unknown value is skipped rather than guessed (``false and x`` never reads ``x``).
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from linter import values
from linter.policy.units import parse_seconds, parse_size
from linter.values import public_networks, wide_networks


class ExprError(Exception):
    """An expression the language does not allow; ``column`` is 1-based in the text."""

    def __init__(self, message: str, column: int = 1, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.column = column
        self.hint = hint


class UnknownValue(Exception):
    """Raised by an environment when a name's value is unknown (templated)."""


class EvalError(Exception):
    """An expression that failed at run time (e.g. ``'a' < 1``): the policy's fault."""


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:  # an unknown result must never pass for true or false silently
        raise TypeError("UNKNOWN has no truth value")


UNKNOWN = _Unknown()


class Environment(Protocol):
    """What an expression can see: names and the context functions."""

    def lookup(self, name: str) -> Any: ...

    def context(self, function: str, argument: str) -> Any: ...


# -- functions -------------------------------------------------------------------


def words(value: Any) -> tuple:
    """A list value as a tuple of words (a string splits at blanks and commas)."""
    if isinstance(value, tuple):
        return value
    if value is None:
        return ()
    return tuple(w for w in str(value).replace(",", " ").split() if w)


def _contains(collection: Any, item: Any) -> bool:
    if isinstance(collection, str):
        collection = words(collection)
    if collection is None:
        return False
    return item in collection


def _lower(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(v.lower() if isinstance(v, str) else v for v in value)
    return str(value).lower()


def _join_path(base: Any, path: Any) -> str:
    path = str(path)
    if path.startswith("/"):
        return path
    return str(base).rstrip("/") + "/" + path


def _join(items: Any, separator: Any) -> str:
    """The items of a list value as one text, ``separator`` between them."""
    return str(separator).join(str(item) for item in words(items))


def _str(value: Any) -> str:
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _prefix(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"a prefix length must be a number, not {value!r}")
    return value


# name -> (minimum args, maximum args, implementation)
PURE_FUNCTIONS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "len": (1, 1, lambda x: len(x) if x is not None else 0),
    "contains": (2, 2, _contains),
    "startswith": (2, 2, lambda s, p: _str(s).startswith(p)),
    "endswith": (2, 2, lambda s, p: _str(s).endswith(p)),
    "removeprefix": (2, 2, lambda s, p: _str(s).removeprefix(p)),
    "lower": (1, 1, _lower),
    "str": (1, 1, _str),  # a number as text, e.g. a Dovecot port compared with part of a Postfix value
    "words": (1, 1, words),
    "join_path": (2, 2, _join_path),
    "join": (2, 2, _join),
    "size": (1, 1, parse_size),
    "seconds": (1, 1, parse_seconds),
    "matches": (2, 2, None),  # compiled specially: the pattern is RE2, compiled once
    # address lists (mynetworks, login_trusted_networks): the items that are networks
    # wider than /v4 or /v6, or that hold a public address
    "wide_networks": (3, 3, lambda v, v4, v6: wide_networks(v, _prefix(v4), _prefix(v6))),
    "public_networks": (1, 1, public_networks),
    "tls_floor": (1, 1, values.tls_floor),
}


# -- functions over Postfix restriction lists: they also read smtpd_restriction_classes
# and the classes it names, through the environment ------------------------------------


def _walker(env: Environment) -> values.RestrictionWalker:
    classes = env.context("param", "smtpd_restriction_classes")
    return values.RestrictionWalker(words(classes), lambda name: env.context("param", name))


def _relay_guard(env: Environment, restrictions: Any) -> bool:
    return _walker(env).has_guard(restrictions)


def _relay_outcome(env: Environment, restrictions: Any) -> str:
    return _walker(env).walk(restrictions, values.judge_relay)[0]


def _relay_decider(env: Environment, restrictions: Any) -> str:
    return _walker(env).walk(restrictions, values.judge_relay)[1]


def _auth_outcome(env: Environment, restrictions: Any) -> str:
    return _walker(env).walk(restrictions, values.judge_unauthenticated)[0]


# name -> (minimum args, maximum args, implementation(env, *args))
ENV_FUNCTIONS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "relay_guard": (1, 1, _relay_guard),
    "relay_outcome": (1, 1, _relay_outcome),
    "relay_decider": (1, 1, _relay_decider),
    "auth_outcome": (1, 1, _auth_outcome),
}
# Functions that ask the environment; their one argument must be a string literal,
# so the loader can check what they name.
CONTEXT_FUNCTIONS = ("is_set", "default", "param", "in_effect", "delivers", "service", "dovecot", "dovecot_exists",
                     "dovecot_filter", "has_role")
# Context functions whose path may be computed (a literal is checked at load, a computed one read as is).
COMPUTED_CONTEXT_FUNCTIONS = ("dovecot", "dovecot_exists")
FILTER_KINDS = ("protocol", "remote", "local", "local_name")  # dovecot_filter(): Dovecot's filter sections
FUNCTIONS = tuple(PURE_FUNCTIONS) + tuple(ENV_FUNCTIONS) + CONTEXT_FUNCTIONS
SERVICE_COLUMNS = ("service", "type", "private", "unprivileged", "chroot", "wakeup", "process_limit", "command", "args")
# The Postfix delivery agents delivers('agent') can ask about (master.cf command names).
DELIVERY_AGENTS = ("local", "virtual", "lmtp", "smtp", "pipe", "error", "discard")

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


def regex_error(pattern: Any) -> str | None:
    """Why ``pattern`` is not a valid RE2 regex, or None."""
    if not isinstance(pattern, str):
        return "the pattern must be a string"
    import re2

    try:
        re2.compile(pattern, _quiet_options())
    except Exception as e:  # noqa: BLE001 - re2 raises its own error type; the message is what matters
        message = e.args[0] if e.args else "invalid pattern"
        return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return None


def _quiet_options():  # noqa: ANN202 - re2.Options; re2 logs parse errors to stderr by default
    import re2

    options = re2.Options()
    options.log_errors = False
    return options


# -- analysis --------------------------------------------------------------------


def names(ir: list) -> set[str]:
    """Every bare name the expression reads."""
    found: set[str] = set()
    _walk(ir, lambda node: found.add(node[1]) if node[0] == "name" else None)
    return found


def context_calls(ir: list) -> set[tuple[str, str]]:
    """``(function, literal argument)`` for every context-function call (``""`` for a computed one)."""
    found: set[tuple[str, str]] = set()

    def visit(node: list) -> None:
        if node[0] == "call" and node[1] in CONTEXT_FUNCTIONS:
            found.add((node[1], node[2][0][1] if node[2][0][0] == "const" else ""))

    _walk(ir, visit)
    return found


def children(ir: list) -> list:
    """The sub-expressions of one node, in reading order (``b if a else c``: b, a, c)."""
    op = ir[0]
    if op in ("list", "and", "or"):
        return ir[1]
    if op in ("not", "neg"):
        return [ir[1]]
    if op == "cmp":
        return ir[2]
    if op == "bin":
        return [ir[2], ir[3]]
    if op == "if":
        return [ir[2], ir[1], ir[3]]
    if op == "call":
        return ir[2]
    return []


def _walk(ir: list, visit: Callable[[list], None]) -> None:
    visit(ir)
    for child in children(ir):
        _walk(child, visit)


# -- compilation -----------------------------------------------------------------

_CMP_FUNCS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    # a string on the right is a list of words: 'plain' in 'plain login' (not a substring test)
    "in": lambda a, b: _contains(b, a),
    "not in": lambda a, b: not _CMP_FUNCS["in"](a, b),
}
# Bounds on what arithmetic may build, checked before it is built: a hostile policy
# ('x' * 10**9, or let names that square each other) must not exhaust memory or time.
MAX_SEQUENCE = 100_000  # characters of a string, items of a list
MAX_INT_BITS = 4096


def _bounded_add(a: Any, b: Any) -> Any:
    if isinstance(a, (str, tuple)) and isinstance(b, (str, tuple)) and len(a) + len(b) > MAX_SEQUENCE:
        raise OverflowError(f"result longer than {MAX_SEQUENCE}")
    return _bounded_int(a + b)


def _bounded_mul(a: Any, b: Any) -> Any:
    if isinstance(a, (str, tuple)) or isinstance(b, (str, tuple)):
        raise TypeError("* multiplies numbers only (no string or list repetition)")
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        raise OverflowError("number too large")
    return a * b


def _numeric_mod(a: Any, b: Any) -> Any:
    if isinstance(a, str):  # 'x' % y would be printf-style formatting
        raise TypeError("% takes numbers only")
    return a % b


def _bounded_int(value: Any) -> Any:
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise OverflowError("number too large")
    return value


_BIN_FUNCS: dict[str, Callable[[Any, Any], Any]] = {
    "+": _bounded_add,
    "-": lambda a, b: _bounded_int(a - b),
    "*": _bounded_mul,
    "/": lambda a, b: a / b,
    "//": lambda a, b: a // b,
    "%": _numeric_mod,
}

Evaluator = Callable[[Environment], Any]


def compile_ir(ir: list) -> Evaluator:
    """Turn the intermediate form into a closure ``f(env) -> value``."""
    op = ir[0]
    if op == "const":
        value = ir[1]
        return lambda env: value
    if op == "name":
        name = ir[1]
        return lambda env: env.lookup(name)
    if op == "list":
        items = [compile_ir(i) for i in ir[1]]
        return lambda env: tuple(f(env) for f in items)
    if op == "and":
        parts = [compile_ir(i) for i in ir[1]]

        def _and(env: Environment) -> Any:
            value: Any = True
            for f in parts:
                value = f(env)
                if not value:
                    return value
            return value

        return _and
    if op == "or":
        parts = [compile_ir(i) for i in ir[1]]

        def _or(env: Environment) -> Any:
            value: Any = False
            for f in parts:
                value = f(env)
                if value:
                    return value
            return value

        return _or
    if op == "not":
        inner = compile_ir(ir[1])
        return lambda env: not inner(env)
    if op == "neg":
        inner = compile_ir(ir[1])
        return lambda env: -inner(env)
    if op == "cmp":
        ops = [_CMP_FUNCS[o] for o in ir[1]]
        operands = [compile_ir(i) for i in ir[2]]
        if len(ops) == 1:
            cmp, left, right = ops[0], operands[0], operands[1]
            return lambda env: cmp(left(env), right(env))

        def _chain(env: Environment) -> bool:
            left = operands[0](env)
            for cmp, f in zip(ops, operands[1:]):
                right = f(env)
                if not cmp(left, right):
                    return False
                left = right
            return True

        return _chain
    if op == "bin":
        fn, left, right = _BIN_FUNCS[ir[1]], compile_ir(ir[2]), compile_ir(ir[3])
        return lambda env: fn(left(env), right(env))
    if op == "if":
        test, then, other = compile_ir(ir[1]), compile_ir(ir[2]), compile_ir(ir[3])
        return lambda env: then(env) if test(env) else other(env)
    if op == "call":
        return _compile_call(ir[1], ir[2])
    raise ValueError(f"not an expression node: {op!r}")


def _compile_call(name: str, arg_irs: list) -> Evaluator:
    if name in CONTEXT_FUNCTIONS:
        if arg_irs[0][0] != "const":  # a computed path
            computed = compile_ir(arg_irs[0])
            return lambda env: env.context(name, _str(computed(env)))
        argument = arg_irs[0][1]
        return lambda env: env.context(name, argument)
    args = [compile_ir(a) for a in arg_irs]
    if name == "matches":
        subject = args[0]
        if arg_irs[1][0] == "const":
            # compiled on first use, once: a run that never reaches it does not import re2
            compiled: list = []

            def _matches_const(env: Environment) -> bool:
                if not compiled:
                    import re2

                    compiled.append(re2.compile(arg_irs[1][1], _quiet_options()).search)
                return compiled[0](_str(subject(env))) is not None

            return _matches_const
        pattern = args[1]

        def _matches(env: Environment) -> bool:
            import re2

            try:
                return re2.compile(pattern(env), _quiet_options()).search(_str(subject(env))) is not None
            except re2.error as e:
                raise ValueError(f"invalid RE2 pattern {pattern(env)!r}") from e

        return _matches
    if name in ENV_FUNCTIONS:
        env_fn = ENV_FUNCTIONS[name][2]
        return lambda env: env_fn(env, *[f(env) for f in args])
    fn = PURE_FUNCTIONS[name][2]
    if len(args) == 1:
        (a,) = args
        return lambda env: fn(a(env))
    if len(args) == 2:
        a, b = args
        return lambda env: fn(a(env), b(env))
    return lambda env: fn(*[f(env) for f in args])


@dataclass(frozen=True, slots=True)
class Expr:
    """A checked, compiled expression; ``ir`` is its serialisable form."""

    text: str
    ir: list = field(compare=False, repr=False)
    evaluator: Evaluator = field(compare=False, repr=False)

    @classmethod
    def parse(cls, text: str) -> Expr:
        ir = parse(text)
        return cls(text, ir, compile_ir(ir))

    @classmethod
    def from_ir(cls, text: str, ir: list) -> Expr:
        return cls(text, ir, compile_ir(ir))

    @property
    def names(self) -> set[str]:
        return names(self.ir)

    def evaluate(self, env: Environment) -> Any:
        """The value, or :data:`UNKNOWN` when it depends on an unknown value.

        Raises :class:`EvalError` for a run-time type error (comparing a string with a
        number, dividing by zero, a bad unit in ``size()``).
        """
        try:
            return self.evaluator(env)
        except UnknownValue:
            return UNKNOWN
        except (TypeError, ValueError, ZeroDivisionError, OverflowError) as e:
            raise EvalError(f"{self.text}: {e}") from None
