"""The expression language: whitelist, positions, UNKNOWN, serialisation, speed."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linter.policy.expr import UNKNOWN, EvalError, Expr, ExprError, UnknownValue, compile_ir, parse


class Env:
    def __init__(self, **values: object):
        self.values = values

    def lookup(self, name: str) -> object:
        value = self.values[name]
        if value is UNKNOWN:
            raise UnknownValue(name)
        return value

    def context(self, function: str, argument: str) -> object:
        return (function, argument)


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("a.b", 2, "attribute access"),
        ("x.lower()", 1, "no methods"),
        ("open('f')", 1, "unknown function open()"),
        ("__import__('os')", 1, "unknown function"),
        ("lambda: 1", 1, "lambdas"),
        ("[x for x in y]", 1, "comprehensions"),
        ("a + (b for b in c)", 5, "comprehensions"),
        ("y[0]", 1, "subscripts"),
        ("a is None", 1, "'is' comparisons"),
        ("{1: 2}", 1, "dict literals"),
        ("len(x, y)", 1, "takes 1 argument"),
        ("a and is_set(name)", 7, "string literal"),
        ("matches(a, '(')", 12, "invalid RE2 pattern"),
        ("1 +", 4, "invalid expression"),
        ("f'{a}'", 1, "f-strings"),
        ("a ** 2", 1, "only + - * / // %"),
    ],
)
def test_rejected_with_position(text: str, column: int, fragment: str) -> None:
    with pytest.raises(ExprError) as info:
        Expr.parse(text)
    assert fragment in info.value.message
    assert info.value.column == column


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a > 2 and 'x' in items", True),
        ("'plain' in mechs", True),
        ("'plaintext' in mechs", False),
        ("contains(items, 'y') and not contains(items, 'z')", True),
        ("len(items) == 2", True),
        ("size('10M') == 10485760 and seconds('1h') == 3600", True),
        ("a if a < 2 else -a", -3),
        ("1 < a < 5", True),
        ("startswith(banner, '$myhostname') and matches(banner, '^\\\\$myhostname ESMTP$')", True),
        ("join_path('/var/spool/postfix', 'private/auth')", "/var/spool/postfix/private/auth"),
        ("join_path('/var/spool/postfix', '/run/auth')", "/run/auth"),
        ("lower(words('A, B'))", ("a", "b")),
        ("removeprefix('inet:127.0.0.1', 'inet:')", "127.0.0.1"),
        ("is_set('myhostname')", ("is_set", "myhostname")),
        ("true and not false", True),
        ("[1, 2] == [1, 2]", True),
        ("7 // 2 + 7 % 2", 4),
    ],
)
def test_evaluates(text: str, expected: object) -> None:
    env = Env(a=3, items=("x", "y"), mechs="plain login", banner="$myhostname ESMTP")
    assert Expr.parse(text).evaluate(env) == expected


def test_unknown_propagates_but_short_circuit_does_not_read_it() -> None:
    env = Env(t=UNKNOWN, yes=True, no=False)
    assert Expr.parse("t == 'x'").evaluate(env) is UNKNOWN
    assert Expr.parse("yes and t").evaluate(env) is UNKNOWN
    assert Expr.parse("no and t") .evaluate(env) is False
    assert Expr.parse("yes or t").evaluate(env) is True


def test_runtime_type_error_is_an_eval_error() -> None:
    with pytest.raises(EvalError):
        Expr.parse("a < 'x'").evaluate(Env(a=1))
    with pytest.raises(EvalError):
        Expr.parse("size('ten')").evaluate(Env())


def test_ir_is_json_and_recompiles() -> None:
    expr = Expr.parse("contains(words(x), 'a') and n * 2 >= size('1k') if n else false")
    ir = json.loads(json.dumps(expr.ir))
    again = Expr.from_ir(expr.text, ir)
    env = Env(x="a b", n=600)
    assert again.evaluate(env) == expr.evaluate(env) is True


def test_names_are_collected() -> None:
    assert Expr.parse("a and len(b) > c and is_set('d')").names == {"a", "b", "c"}


def test_evaluation_reads_each_name_once_and_short_circuits() -> None:
    # an expression is compiled once; evaluating it reads only the names its value needs
    # (speed is measured by bench/, not asserted here)
    class CountingEnv(Env):
        def __init__(self, **values: object):
            super().__init__(**values)
            self.reads: list[str] = []

        def lookup(self, name: str) -> object:
            self.reads.append(name)
            return super().lookup(name)

    expr = Expr.parse("smtpd_tls_auth_only or smtpd_tls_security_level == 'encrypt' or contains(m, 'x')")
    env = CountingEnv(smtpd_tls_auth_only=True, smtpd_tls_security_level="may", m=("a", "b"))
    assert expr.evaluate(env) is True and env.reads == ["smtpd_tls_auth_only"]
    env = CountingEnv(smtpd_tls_auth_only=False, smtpd_tls_security_level="may", m=("a", "b"))
    assert expr.evaluate(env) is False
    assert env.reads == ["smtpd_tls_auth_only", "smtpd_tls_security_level", "m"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_never_crashes(text: str) -> None:
    try:
        ir = parse(text)
    except ExprError as e:
        assert e.column >= 1
        return
    compile_ir(ir)
