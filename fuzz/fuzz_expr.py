"""atheris harness: arbitrary text through the expression compiler and evaluator.

Compiling raises only ExprError (with a column inside the text, or just past it);
a compiled expression evaluates to a value or UNKNOWN, or raises EvalError; the
serialised form (``ir``) compiles to an expression that gives the same result.
See fuzz/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz import common
from linter.policy.expr import EvalError, Expr, ExprError, UnknownValue

# What names and context functions see: the kinds of values directives have.
VALUES = {
    "a": "yes", "b": "", "x": "permit_mynetworks, reject", "y": 10, "z": 2.5, "n": None,
    "t": ("a", "b", "c"), "big": 10**30, "s": "x" * 50,
}


class FakeEnvironment:
    def lookup(self, name: str):
        if name.startswith("u"):
            raise UnknownValue(name)  # a templated value
        return VALUES.get(name, VALUES[sorted(VALUES)[len(name) % len(VALUES)]])

    def context(self, function: str, argument: str):
        if function in ("is_set", "dovecot_exists"):
            return len(argument) % 2 == 0
        return self.lookup(argument)


def _result(expr: Expr):
    try:
        return ("value", expr.evaluate(FakeEnvironment()))
    except EvalError as e:
        return ("error", type(e).__name__)


def one_input(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    try:
        expr = Expr.parse(text)
    except ExprError as e:
        if not 1 <= e.column <= len(text) + 1:
            raise common.InvariantError(f"{text!r}: ExprError column {e.column} outside 1..{len(text) + 1}") from None
        return
    first = _result(expr)
    again = _result(Expr.from_ir(text, expr.ir))
    if repr(first) != repr(again):  # repr: a NaN result equals itself
        raise common.InvariantError(f"{text!r}: {first!r} from the text but {again!r} from its ir")


def seeds() -> list[bytes]:
    return common.expr_seeds()


if __name__ == "__main__":
    common.run(one_input, seeds(), "expr")
