"""Evaluation of the policy expression language: the intermediate form (see
:mod:`linter.policy.expr`) compiled into nested closures (into one Python function for an
expression evaluated many times: :mod:`linter.policy.expr_compiled`), with bounds on what arithmetic may build, and the values
and errors evaluation yields."""

from __future__ import annotations

from collections.abc import Callable

from linter.policy.expr_functions import CONTEXT_FUNCTIONS, ENV_FUNCTIONS, PURE_FUNCTIONS, Environment, as_text, contains
from linter.policy.regex import re2_compile, re2_searcher, searcher

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class UnknownValue(Exception):
    """Raised by an environment when a name's value is unknown (templated)."""


class ExprError(Exception):
    """An expression the language does not allow; ``column`` is 1-based in the text."""

    def __init__(self, message: str, column: int = 1, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.column = column
        self.hint = hint


class EvalError(Exception):
    """An expression that failed at run time (e.g. ``'a' < 1``): the policy's fault."""


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:  # an unknown result must never pass for true or false silently
        raise TypeError("UNKNOWN has no truth value")


UNKNOWN = _Unknown()


def regex_error(pattern: Any) -> str | None:
    """Why ``pattern`` is not a valid RE2 regex, or None."""
    if not isinstance(pattern, str):
        return "the pattern must be a string"
    try:
        re2_compile(pattern)
    except Exception as e:  # noqa: BLE001 - re2 raises its own error type; the message is what matters
        message = e.args[0] if e.args else "invalid pattern"
        return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return None


# -- analysis --------------------------------------------------------------------


# -- compilation -----------------------------------------------------------------

_CMP_FUNCS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    # a string on the right is a list of words: 'plain' in 'plain login' (not a substring test)
    "in": lambda a, b: contains(b, a),
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

if TYPE_CHECKING:
    Evaluator = Callable[[Environment], Any]  # a compiled expression
else:
    Evaluator = Callable


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
            return lambda env: env.context(name, as_text(computed(env)))
        argument = arg_irs[0][1]
        return lambda env: env.context(name, argument)
    args = [compile_ir(a) for a in arg_irs]
    if name == "matches":
        subject = args[0]
        if arg_irs[1][0] == "const":
            constant = arg_irs[1][1]  # checked at load; compiled on first use (searcher)
            return lambda env: searcher(constant)(as_text(subject(env)))
        pattern = args[1]

        def _matches(env: Environment) -> bool:
            written = pattern(env)
            try:
                search = re2_searcher(written)  # computed, maybe from config values: RE2's bounds
            except Exception as e:
                import re2

                if isinstance(e, re2.error):
                    raise ValueError(f"invalid RE2 pattern {written!r}") from e
                raise
            return search(as_text(subject(env)))

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
