"""The policy expression language: a safe subset of Python expression syntax.

An expression is parsed once with :mod:`ast` (``mode='eval'``, in
:mod:`linter.policy.expr_parse`), every node checked against a whitelist, and translated
into a small intermediate form made only of JSON types (nested lists of strings, numbers,
booleans and null).  That form is what a
compiled-policy cache stores; :func:`compile_ir` turns it into nested closures, which cost
microseconds to make and to evaluate; an expression evaluated many times (a bulk run) is
then compiled to one Python function (:func:`linter.policy.expr_compiled.compile_function`),
whose source is made of operators and the names of a namespace only: no text of a policy
is ever parsed as Python.

Intermediate form (``ir``), one list per node::

    ["const", value]            ["list", [item, ...]]        ["name", "smtpd_banner"]
    ["and", [a, b, ...]]        ["or", [a, b, ...]]          ["not", a]
    ["cmp", ["<", "in"], [a, b, c]]                          ["neg", a]
    ["bin", "+", a, b]          ["if", test, then, else]     ["call", "len", [a, ...]]

A policy from the compiled-policy cache holds the same nodes as tuples (marshal decodes
them about twice as fast as lists; :func:`linter.policy.stored.policy_to_rows`): whatever
reads an ir only indexes and iterates it, and the data form (``policy_to_data``) is lists again.

Values are ``None``, ``bool``, ``int``, ``float``, ``str`` and tuples of them.  A name
whose value is unknown (a templated value) raises :class:`UnknownValue` when it is
*read*; :meth:`Expr.evaluate` turns that into :data:`UNKNOWN`, so a rule that touches
an unknown value is skipped rather than guessed (``false and x`` never reads ``x``).
"""

from __future__ import annotations

from collections.abc import Callable

from linter.policy.expr_eval import (
    UNKNOWN,
    EvalError,
    Evaluator,
    ExprError,
    UnknownValue,
    compile_ir,
)
from linter.policy.expr_functions import CONTEXT_FUNCTIONS, Environment
from linter.records import Frozen, _set

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# the language's function tables and helpers live in linter.policy.expr_functions, its
# parser in linter.policy.expr_parse, its evaluator in linter.policy.expr_eval
__all__ = ["UNKNOWN", "Environment", "EvalError", "Expr", "ExprError", "UnknownValue", "children", "compile_ir",
           "context_calls", "names", "parse"]


def parse(text: str) -> list:
    """Parse ``text`` into the intermediate form; raises :class:`ExprError`.

    The parser (:mod:`linter.policy.expr_parse`, with :mod:`ast`) is imported only when a
    policy is compiled: a run from a compiled pack never needs it."""
    from linter.policy.expr_parse import parse as parse_text

    return parse_text(text)


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


# Evaluations of one expression after which it is compiled to one function (expr_compiled.compile_function).
COMPILE_AFTER = 32


def _tiered(expr: Expr, closures: Evaluator) -> Evaluator:
    """``closures``, counting its uses; the :data:`COMPILE_AFTER`-th replaces the expression's
    evaluator with the compiled function (the same results: expr_compiled.compile_function)."""
    uses = 0

    def counted(env: Environment) -> Any:
        nonlocal uses
        uses += 1
        if uses == COMPILE_AFTER:
            from linter.policy.expr_compiled import compile_function  # once per expression, in bulk runs only

            _set(expr, "_evaluator", compile_function(expr.ir))
        return closures(env)

    return counted


class Expr(Frozen):
    """A checked, compiled expression; ``ir`` is its serialisable form.  Compared by its text."""

    __slots__ = ("text", "ir", "_evaluator")
    _fields = ("text", "ir")
    _compare = ("text",)

    def __init__(self, text: str, ir: list):
        _set(self, "text", text)
        _set(self, "ir", ir)
        _set(self, "_evaluator", None)

    @property
    def evaluator(self) -> Evaluator:
        """The compiled expression, made on first use (a rule that never runs here, e.g. of a
        format the run has no file of, costs nothing but its data): closures, which cost
        next to nothing to make, replaced by one compiled function once the expression has
        been evaluated :data:`COMPILE_AFTER` times (a bulk run; a one-host check never pays
        for compiling)."""
        evaluator = self._evaluator
        if evaluator is None:
            evaluator = _tiered(self, compile_ir(self.ir))
            _set(self, "_evaluator", evaluator)
        return evaluator

    def __repr__(self) -> str:
        return f"Expr(text={self.text!r})"

    @classmethod
    def parse(cls, text: str) -> Expr:
        expr = cls(text, parse(text))
        expr.evaluator  # noqa: B018 - made now: a node the evaluator does not know fails here
        return expr

    @classmethod
    def from_ir(cls, text: str, ir: list) -> Expr:
        return cls(text, ir)

    @property
    def names(self) -> set[str]:
        return names(self.ir)

    def evaluate(self, env: Environment) -> Any:
        """The value, or :data:`UNKNOWN` when it depends on an unknown value.

        Raises :class:`EvalError` for a run-time type error (comparing a string with a
        number, dividing by zero, a bad unit in ``size()``).
        """
        evaluator = self._evaluator
        try:
            return (evaluator or self.evaluator)(env)
        except UnknownValue:
            return UNKNOWN
        except (TypeError, ValueError, ZeroDivisionError, OverflowError) as e:
            raise EvalError(f"{self.text}: {e}") from None
