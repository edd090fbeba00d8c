"""Compilation of a policy expression to one Python function: what an expression evaluated
many times (a bulk run) becomes, after :data:`linter.policy.expr.COMPILE_AFTER` evaluations
by the closures of :func:`linter.policy.expr_eval.compile_ir`.

A bulk run evaluates each expression thousands of times: a tree of closures pays a Python
call per node.  :func:`compile_function` writes the same tree as one Python expression and
compiles it once, so that a node costs what the operator costs.  The source holds only
operators and names this module makes (``_k3``, ``_f1``): every constant, name and function
of the policy is passed in the namespace, never written into the text, so nothing of a
policy is ever parsed as Python.  The result is the closures' to the byte: the same
operands evaluated in the same order, short-circuits, truth tests, helpers and errors.

A one-host check evaluates no expression that often, and does without this module.
"""

from __future__ import annotations

from linter.policy.expr_eval import _BIN_FUNCS, _CMP_FUNCS, Evaluator, compile_ir
from linter.policy.expr_functions import CONTEXT_FUNCTIONS, ENV_FUNCTIONS, PURE_FUNCTIONS, as_text
from linter.policy.regex import searcher

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_MAX_DEPTH = 40  # deeper (a generated or hostile policy): the closures, which have no nesting limit


def compile_function(ir: list) -> Evaluator:
    """The expression ``ir`` as one compiled function ``f(env) -> value`` (the closures of
    :func:`compile_ir` when it nests too deep for Python's compiler)."""
    namespace: dict[str, Any] = {}
    try:
        body = _source(ir, namespace, 0)
    except _TooDeep:
        return compile_ir(ir)
    namespace["__builtins__"] = {}  # the names are the namespace's (read as the function's globals)
    return eval(compile(f"lambda env: {body}", "<policy expression>", "eval"), namespace)


class _TooDeep(Exception):
    pass


def _bind(namespace: dict[str, Any], prefix: str, value: Any) -> str:
    """A name for ``value`` in the function's namespace."""
    name = f"_{prefix}{len(namespace)}"
    namespace[name] = value
    return name


# operators written as Python's own (a == b); the others call what the closures call
# (_CMP_FUNCS, _BIN_FUNCS)
_CMP_INLINE = frozenset(("==", "!=", "<", "<=", ">", ">="))
_BIN_INLINE = frozenset(("/", "//"))


def _source(ir: list, ns: dict[str, Any], depth: int) -> str:
    if depth > _MAX_DEPTH:
        raise _TooDeep
    depth += 1
    op = ir[0]
    if op == "const":
        return _bind(ns, "k", ir[1])
    if op == "name":
        return f"env.lookup({_bind(ns, 'k', ir[1])})"
    if op == "list":
        items = [_source(i, ns, depth) for i in ir[1]]
        return f"({', '.join(items)},)" if items else "()"
    if op in ("and", "or"):
        parts = [_source(i, ns, depth) for i in ir[1]]
        if len(parts) < 2:  # not made by the parser; the closures answer it
            return _closure(ir, ns)
        return "(" + f" {op} ".join(parts) + ")"
    if op == "not":
        return f"(not {_source(ir[1], ns, depth)})"
    if op == "neg":
        return f"(-{_source(ir[1], ns, depth)})"
    if op == "cmp":
        if len(ir[1]) != 1:  # a chain (a < b < c): rare, the closures answer it
            return _closure(ir, ns)
        cmp = ir[1][0]
        left, right = _source(ir[2][0], ns, depth), _source(ir[2][1], ns, depth)
        if cmp in _CMP_INLINE:
            return f"({left} {cmp} {right})"
        return f"{_bind(ns, 'f', _CMP_FUNCS[cmp])}({left}, {right})"
    if op == "bin":
        left, right = _source(ir[2], ns, depth), _source(ir[3], ns, depth)
        if ir[1] in _BIN_INLINE:
            return f"({left} {ir[1]} {right})"
        return f"{_bind(ns, 'f', _BIN_FUNCS[ir[1]])}({left}, {right})"
    if op == "if":
        test, then, other = (_source(i, ns, depth) for i in (ir[1], ir[2], ir[3]))
        return f"({then} if {test} else {other})"
    if op == "call":
        return _call_source(ir[1], ir[2], ns, depth)
    raise ValueError(f"not an expression node: {op!r}")


def _call_source(name: str, arg_irs: list, ns: dict[str, Any], depth: int) -> str:
    if name in CONTEXT_FUNCTIONS:
        function = _bind(ns, "k", name)
        if arg_irs[0][0] != "const":  # a computed path
            return f"env.context({function}, {_bind(ns, 'f', as_text)}({_source(arg_irs[0], ns, depth)}))"
        return f"env.context({function}, {_bind(ns, 'k', arg_irs[0][1])})"
    if name == "matches":
        if arg_irs[1][0] != "const":  # a computed pattern: the closures say which one failed
            return _closure(["call", name, arg_irs], ns)
        search, pattern = _bind(ns, "f", searcher), _bind(ns, "k", arg_irs[1][1])
        subject = _source(arg_irs[0], ns, depth)
        return f"{search}({pattern})({_bind(ns, 'f', as_text)}({subject}))"
    args = [_source(a, ns, depth) for a in arg_irs]
    if name in ENV_FUNCTIONS:
        return f"{_bind(ns, 'f', ENV_FUNCTIONS[name][2])}(env, {', '.join(args)})"
    return f"{_bind(ns, 'f', PURE_FUNCTIONS[name][2])}({', '.join(args)})"


def _closure(ir: list, ns: dict[str, Any]) -> str:
    """A node the closures evaluate, called from the compiled function."""
    return f"{_bind(ns, 'f', compile_ir(ir))}(env)"
