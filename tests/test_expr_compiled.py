"""The compiled form of an expression (one Python function, which a bulk run switches to
after a few evaluations) gives exactly what the closures give: the same value, the same
error with the same message, and the same names read in the same order (short-circuits)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from linter.policy import expr as expr_module
from linter.policy.expr import UnknownValue, compile_ir
from linter.policy.expr_compiled import compile_function

# -- random expressions over a recording environment -----------------------------------

_VALUES = {
    "n": 3, "zero": 0, "big": 2 ** 4000, "f": 2.5, "t": True, "no": False, "none": None,
    "s": "plain login", "empty": "", "words": ("a", "b", "plain"), "nets": "10.0.0.0/8 192.0.2.1",
}
_UNKNOWN_NAMES = ("templated",)
_CONTEXT = {
    ("service", "type"): "inet", ("service", "process_limit"): 100, ("is_set", "x"): True,
    ("is_set", "y"): False, ("dovecot", "ssl"): "required", ("param", "mynetworks"): "127.0.0.0/8",
}


class Recording:
    """An environment that answers from tables and records what is asked, in order."""

    def __init__(self) -> None:
        self.asked: list[tuple] = []

    def lookup(self, name: str) -> object:
        self.asked.append(("lookup", name))
        if name in _UNKNOWN_NAMES:
            raise UnknownValue(name)
        if name not in _VALUES:
            raise ValueError(f"unknown name {name}")
        return _VALUES[name]

    def context(self, function: str, argument: str) -> object:
        self.asked.append(("context", function, argument))
        if (function, argument) not in _CONTEXT:
            raise UnknownValue(argument)
        return _CONTEXT[(function, argument)]


_CONSTS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from([2 ** 4000, 0.5, -1.5]),
                    st.sampled_from(["", "a", "plain", "10.0.0.0/8", "1k", "2s", "x y", "TLSv1"]),
                    st.tuples(st.sampled_from(["a", "b", "plain"])))
_NAMES = st.sampled_from([*_VALUES, *_UNKNOWN_NAMES, "missing"])
_PURE = {"len": 1, "contains": 2, "startswith": 2, "endswith": 2, "removeprefix": 2, "lower": 1, "str": 1,
         "words": 1, "join_path": 2, "join": 2, "size": 1, "seconds": 1, "wide_networks": 3,
         "public_networks": 1, "networks_outside": 2, "remote_inet": 2, "tls_floor": 1}
_CMP = ["==", "!=", "<", "<=", ">", ">=", "in", "not in"]
_BIN = ["+", "-", "*", "/", "//", "%"]


def _leaves() -> st.SearchStrategy:
    return st.one_of(
        st.builds(lambda v: ["const", v], _CONSTS),
        st.builds(lambda n: ["name", n], _NAMES),
        st.builds(lambda key: ["call", key[0], [["const", key[1]]]],
                  st.sampled_from([*_CONTEXT, ("service", "chroot"), ("dovecot", "listen")])),
    )


def _node(inner: st.SearchStrategy) -> st.SearchStrategy:
    def call(name: str) -> st.SearchStrategy:
        return st.builds(lambda args: ["call", name, args], st.lists(inner, min_size=_PURE[name],
                                                                       max_size=_PURE[name]))

    return st.one_of(
        st.builds(lambda items: ["list", items], st.lists(inner, max_size=3)),
        st.builds(lambda op, parts: [op, parts], st.sampled_from(["and", "or"]), st.lists(inner, min_size=2, max_size=4)),
        st.builds(lambda a: ["not", a], inner),
        st.builds(lambda a: ["neg", a], inner),
        st.integers(1, 2).flatmap(lambda n: st.builds(lambda ops, operands: ["cmp", ops, operands],
                                                      st.lists(st.sampled_from(_CMP), min_size=n, max_size=n),
                                                      st.lists(inner, min_size=n + 1, max_size=n + 1))),
        st.builds(lambda op, a, b: ["bin", op, a, b], st.sampled_from(_BIN), inner, inner),
        st.builds(lambda a, b, c: ["if", a, b, c], inner, inner, inner),
        st.sampled_from(sorted(_PURE)).flatmap(call),
        st.builds(lambda subject, pattern: ["call", "matches", [subject, ["const", pattern]]], inner,
                  st.sampled_from(["^p", "(a|b)$", "login"])),
        st.builds(lambda a, b: ["call", "matches", [a, b]], inner, inner),  # a computed pattern
        st.builds(lambda a: ["call", "dovecot", [a]], inner),  # a computed path
    )


_IRS = st.recursive(_leaves(), _node, max_leaves=25)


def _outcome(evaluator: object) -> tuple:
    env = Recording()
    try:
        value = evaluator(env)  # type: ignore[operator]
    except Exception as e:  # the error is part of the outcome compared
        # (an object's address in a message, re2's Options, differs from one run to the next)
        return ("raised", type(e), re.sub(" at 0x[0-9a-f]+", "", str(e)), env.asked)
    return ("value", type(value), repr(value), env.asked)


@settings(max_examples=1500, deadline=None)
@given(_IRS)
def test_the_compiled_function_gives_what_the_closures_give(ir: list) -> None:
    assert _outcome(compile_function(ir)) == _outcome(compile_ir(ir))


def test_an_expression_nested_too_deep_for_pythons_compiler_is_still_evaluated() -> None:
    ir: list = ["name", "n"]
    for _ in range(500):
        ir = ["neg", ir]
    assert _outcome(compile_function(ir)) == _outcome(compile_ir(ir)) == ("value", int, "3", [("lookup", "n")])


def test_a_policy_constant_is_never_read_as_python() -> None:
    # constants, names and paths go to the function's namespace, not into its source
    ir = ["cmp", ["=="], [["const", "__import__('os').system('false')"], ["call", "dovecot", [["const", ")"]]]]]
    assert _outcome(compile_function(ir)) == _outcome(compile_ir(ir))


# -- the built-in pack on the corpus ------------------------------------------------------

_DIFFERENTIAL = """
import sys
from linter import cli
from linter.policy import expr
from linter.policy.expr_compiled import compile_function
from linter.policy.expr_eval import compile_ir

compared = [0]
mismatches = []


def outcome(evaluator, env):
    try:
        value = evaluator(env)
    except Exception as e:
        return ("raised", type(e), str(e))
    return ("value", type(value), repr(value))


def tiered(e, closures):
    compiled = compile_function(e.ir)

    def both(env):
        compared[0] += 1
        old, new = outcome(closures, env), outcome(compiled, env)
        if old != new:
            mismatches.append((e.text, old, new))
        return closures(env)

    return both


expr._tiered = tiered
status = cli.main(sys.argv[1:])
print(compared[0], len(mismatches), mismatches[:5], file=sys.__stdout__)
"""


def test_the_builtin_pack_on_the_corpus_evaluates_alike(corpus: Path, tmp_path: Path) -> None:
    # every evaluation of every expression of the built-in pack, on every unit of the corpus
    done = subprocess.run([sys.executable, "-c", _DIFFERENTIAL, "check", str(corpus), "--format", "json",
                           "--output", str(tmp_path / "out.json"), "--jobs", "1", "--no-cache"],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "POLICY_LINT_CACHE_DIR": str(tmp_path / "cache")})
    compared, mismatches, shown = done.stdout.split(" ", 2)
    assert int(compared) > 5_000, done.stderr[-2000:]
    assert int(mismatches) == 0, shown


def test_an_expression_evaluated_many_times_answers_alike_before_and_after_it_is_compiled() -> None:
    cases = {"len(s) > 2 and not t": False, "templated == 1": expr_module.UNKNOWN}
    for text, expected in cases.items():
        expr = expr_module.Expr.parse(text)
        assert all(expr.evaluate(Recording()) is expected for _ in range(2 * expr_module.COMPILE_AFTER))
    failing = expr_module.Expr.parse("s < n")
    for _ in range(2 * expr_module.COMPILE_AFTER):
        try:
            failing.evaluate(Recording())
        except expr_module.EvalError as e:
            assert str(e) == "s < n: '<' not supported between instances of 'str' and 'int'"
        else:
            raise AssertionError("no EvalError")
