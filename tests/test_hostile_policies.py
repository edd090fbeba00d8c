"""Hostile policy files: rejected fast with a located message, or run harmlessly (issue 6).

A policy is data from whoever wrote it.  It must not run code, read files, open
sockets, or make the linter hang or exhaust memory.  The inputs below are sized so
that a naive implementation would take minutes or gigabytes; the tests have no timing
assertions, they simply would not finish.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from linter.engine import check
from linter.options import Options
from linter.policy import PolicyError, load_policy

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def rule_yaml(check_yaml: str, *, rule_id: str = "HX001", extra: str = "", message: str = "m") -> str:
    return (f"  - id: {rule_id}\n    name: hostile-rule-{rule_id.lower()}\n    scope: postfix-main\n"
            f"    message: {message!r}\n{extra}    check:\n{check_yaml}")


def pack(*rules: str, name: str = "hostile") -> str:
    return f"policy: {name}\nrules:\n" + "".join(rules)


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy([str(path)], builtin=False)
    return [str(p) for p in info.value.problems]


def assert_expr_rejected(tmp_path: Path, expr: str, words: str) -> str:
    text = pack(rule_yaml(f"      kind: assert\n      expr: {expr!r}\n"))
    problems = problems_of(tmp_path, text)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{tmp_path / 'p.yaml'}:9:"), problems
    assert "rule HX001, check.expr:" in problems[0]
    assert words in problems[0], problems
    return problems[0]


def loaded(tmp_path: Path, text: str):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return load_policy([str(path)], builtin=False)


def findings(tmp_path: Path, policy, main_cf: str) -> list:
    (tmp_path / "main.cf").write_text(main_cf, encoding="utf-8")
    report = check([str(tmp_path / "main.cf")], policy, Options())
    assert not report.errors, report.errors
    return [d for d in report.diagnostics if d.rule.startswith("HX")]


# -- YAML that a naive loader would expand forever -------------------------------------------------


def test_billion_laughs_is_rejected_before_expansion(tmp_path: Path) -> None:
    # 9 levels of 9 aliases: 387 million strings once expanded
    lines = ["policy: bomb", "x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    problems = problems_of(tmp_path, "\n".join(lines) + "\nrules: []\n")
    assert len(problems) == 1
    assert "aliases are expanded" in problems[0]
    assert problems[0].startswith(f"{tmp_path / 'p.yaml'}:")


def test_alias_bomb_inside_a_rule_is_rejected(tmp_path: Path) -> None:
    anchors = "".join(f"      a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 10))
    text = pack(rule_yaml("      kind: required\n      directive: smtpd_banner\n",
                          extra="    params:\n      a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + anchors))
    problems = problems_of(tmp_path, text)
    assert any("aliases are expanded" in p for p in problems), problems


@pytest.mark.parametrize("depth", [100_000])
def test_deep_flow_nesting_is_rejected(tmp_path: Path, depth: int) -> None:
    # deep enough to blow the recursion limit of a recursive composer
    problems = problems_of(tmp_path, "policy: deep\nrules: " + "[" * depth + "]" * depth + "\n")
    assert len(problems) == 1
    assert "nesting deeper than" in problems[0]
    assert problems[0].startswith(f"{tmp_path / 'p.yaml'}:2:")


def test_deep_block_nesting_is_rejected(tmp_path: Path) -> None:
    body = "".join(" " * i + f"k{i}:\n" for i in range(1000)) + " " * 1000 + "v\n"
    problems = problems_of(tmp_path, "policy: deep\nrules: []\nextra:\n" + body)
    assert any("nesting deeper than" in p for p in problems), problems


def test_huge_policy_file_is_refused_unread(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "policy: big\nrules: []\n" + "# " + "x" * (3 * 1024 * 1024) + "\n")
    assert problems == [f"{tmp_path / 'p.yaml'}:1:1: policy file larger than 2097152 bytes"]


def test_policy_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"policy: x\nrules: []\n# caf\xe9\n")
    with pytest.raises(PolicyError) as info:
        load_policy([str(path)], builtin=False)
    assert [str(p) for p in info.value.problems] == [f"{path}:3:1: policy file is not UTF-8"]


# -- schema and semantics ------------------------------------------------------------------------


def test_schema_violations_are_all_reported(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "policy: 12\nrules: {a: 1}\n")
    assert len(problems) == 2
    assert problems[0].startswith(f"{tmp_path / 'p.yaml'}:1:9:") and "'string'" in problems[0]
    assert problems[1].startswith(f"{tmp_path / 'p.yaml'}:2:8:") and "'array'" in problems[1]


def test_unknown_check_kind(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, pack(rule_yaml("      kind: exec_shell\n      directive: smtpd_banner\n")))
    assert any(":8:13:" in p and "check.kind: 'exec_shell' is not one of" in p for p in problems), problems


def test_rule_id_defined_twice(tmp_path: Path) -> None:
    rule = rule_yaml("      kind: required\n      directive: smtpd_banner\n")
    problems = problems_of(tmp_path, pack(rule, rule))
    assert any("duplicate rule id 'HX001' (first defined at" in p for p in problems), problems


def test_directive_no_format_has(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, pack(rule_yaml("      kind: value\n      directive: no_such_directive_anywhere\n"
                                                    "      min: 1\n")))
    assert len(problems) == 1
    assert ":9:18:" in problems[0] and "unknown Postfix parameter 'no_such_directive_anywhere'" in problems[0]


@pytest.mark.parametrize("template", ["{value.__class__}", "{value[0]}", "{value:>999999999}", "{value!r}"])
def test_message_placeholders_cannot_reach_attributes_or_formats(tmp_path: Path, template: str) -> None:
    problems = problems_of(tmp_path, pack(rule_yaml("      kind: required\n      directive: smtpd_banner\n",
                                                    message=template)))
    assert any("must be a plain name" in p for p in problems), problems


# -- expressions: no code, no reflection ----------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        ("myhostname.__class__", "attribute access not allowed"),
        ("().__class__.__bases__[0].__subclasses__()", "only calls of the listed functions"),
        ("myhostname[0]", "subscripts not allowed"),
        ("myhostname[::-1]", "subscripts not allowed"),
        ("open('/etc/passwd')", "unknown function open()"),
        ("__import__('os').system('id')", "only calls of the listed functions"),
        ("__import__('os')", "unknown function __import__()"),
        ("eval('1')", "unknown function eval()"),
        ("getattr(myhostname, 'upper')", "unknown function getattr()"),
        ("(lambda: 1)()", "only calls of the listed functions"),
        ("lambda: 1", "lambdas not allowed"),
        ("[x for x in mydestination]", "comprehensions not allowed"),
        ("{x: 1 for x in mydestination}", "comprehensions not allowed"),
        ("(x := 1)", "assignment expressions not allowed"),
        ("f'{myhostname}'", "f-strings not allowed"),
        ("9**9**9", "only + - * / // % are allowed"),
        ("1 << 100000", "only + - * / // % are allowed"),
        ("myhostname is None", "'is' comparisons are not allowed"),
        ("len(myhostname, key=open)", "takes no keyword arguments"),
        ("b'bytes'", "bytes literals are not allowed"),
        ("matches(myhostname, '(a)\\\\1')", "invalid RE2 pattern"),
        ("not " * 200 + "true", "nested too deeply"),
        ("1 + " * 3000 + "1", "is too long"),
    ],
    ids=lambda v: v if len(v) < 40 else v[:37] + "...",
)
def test_expression_escape_attempts_are_policy_errors(tmp_path: Path, expr: str, words: str) -> None:
    assert_expr_rejected(tmp_path, expr, words)


def test_rejection_points_at_the_offending_column(tmp_path: Path) -> None:
    problem = assert_expr_rejected(tmp_path, "len(myhostname) > 0 and open('x')", "unknown function open()")
    # line 9 is `      expr: '...'`; the value's quote is column 13, the expression starts at 14
    assert problem.startswith(f"{tmp_path / 'p.yaml'}:9:{14 + len('len(myhostname) > 0 and ')}:"), problem


# -- expressions that load but would exhaust memory or time when evaluated -------------------------


@pytest.mark.parametrize(
    "expr",
    ["len('x' * 1000000000) > 0", "len([1] * 100000000 * 100000000) > 0", "len('%999999999d' % 1) > 0",
     "len(myhostname * 1000000000) > 0"],
)
def test_repetition_and_formatting_cannot_exhaust_memory(tmp_path: Path, expr: str) -> None:
    # the loader knows the types: a located type error
    assert_expr_rejected(tmp_path, expr, "type error: '")
    # and evaluation stays bounded where types are not known at load: an error, no 1 GB string
    from linter.policy.expr import EvalError, Expr

    class Env:
        def lookup(self, name: str) -> str:
            return "mx.example"

    with pytest.raises(EvalError):
        Expr.parse(expr).evaluate(Env())


def test_let_names_cannot_square_their_way_to_huge_numbers(tmp_path: Path) -> None:
    lets = "    let:\n      n0: '99999999'\n" + "".join(f"      n{i}: 'n{i - 1} * n{i - 1}'\n" for i in range(1, 60))
    lets += "      s0: \"'xxxxxxxx'\"\n" + "".join(f"      s{i}: 's{i - 1} + s{i - 1}'\n" for i in range(1, 60))
    policy = loaded(tmp_path, pack(
        rule_yaml("      kind: assert\n      expr: 'n59 > 0'\n", extra=lets),
        rule_yaml("      kind: assert\n      expr: 'len(s59) > 0'\n", rule_id="HX002", extra=lets)))
    assert findings(tmp_path, policy, "myhostname = mx.example\n") == []


def test_bounded_arithmetic_still_computes(tmp_path: Path) -> None:
    policy = loaded(tmp_path, pack(rule_yaml(
        "      kind: assert\n      expr: 'message_size_limit * 2 + 1 == 20480001 and len(myhostname + \"x\") == 3'\n")))
    assert findings(tmp_path, policy, "myhostname = mx\n") == []
    found = findings(tmp_path, policy, "myhostname = mxx\n")
    assert [d.rule for d in found] == ["HX001"]


def test_catastrophic_regex_runs_in_linear_time(tmp_path: Path) -> None:
    # (a+)+$ against 'a' * n + '!' takes 2**n steps with a backtracking engine
    subject = "a" * 200_000 + "!"
    policy = loaded(tmp_path, pack(
        rule_yaml("      kind: value\n      directive: myhostname\n      matches: '(a+)+$'\n"),
        rule_yaml("      kind: assert\n      expr: \"not matches(myhostname, '(a|aa)+$')\"\n", rule_id="HX002"),
        rule_yaml("      kind: value\n      directive: myhostname\n      not_matches: '^(a|a?)+!$'\n",
                  rule_id="HX003")))
    found = findings(tmp_path, policy, f"myhostname = {subject}\n")
    # HX001: the value does not match (a+)+$; HX002: it does not match either; HX003: it matches
    assert sorted(d.rule for d in found) == ["HX001", "HX003"]


# -- no code, no files, no network ----------------------------------------------------------------


class _Audit:
    """Records file opens and socket use while active (an audit hook cannot be removed)."""

    active = False
    opened: list[str] = []
    sockets: list[str] = []

    @classmethod
    def hook(cls, event: str, args: tuple) -> None:
        if not cls.active:
            return
        if event == "open" and args and isinstance(args[0], (str, bytes)):
            cls.opened.append(args[0] if isinstance(args[0], str) else args[0].decode("utf-8", "replace"))
        elif event.startswith("socket.") or event in ("subprocess.Popen", "os.system", "os.exec", "os.spawn"):
            cls.sockets.append(event)


_HOOKED: list[bool] = []


def _audit() -> type[_Audit]:
    if not _HOOKED:
        sys.addaudithook(_Audit.hook)
        _HOOKED.append(True)
    return _Audit


def test_a_full_check_reads_only_its_files_and_uses_no_network(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    if not (EXAMPLES / "insecure").is_dir():
        pytest.skip("examples/insecure is absent")
    import shutil

    from linter.cli import main

    host = tmp_path / "host"
    shutil.copytree(EXAMPLES / "insecure", host)

    def no_network(*_args, **_kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POLICY_LINT_CACHE_DIR", str(tmp_path / "cache"))  # the compiled-policy cache
    audit = _audit()
    audit.opened.clear()
    audit.sockets.clear()
    audit.active = True
    try:
        status = main(["--no-config", "--fix", "--unsafe-fixes", "--format", "json", "host"])
    finally:
        audit.active = False
    assert status in (0, 1)
    assert audit.sockets == []
    # every file opened is one of the checked files (or a temporary file the fixer
    # writes next to it), the package's own data and policies, or Python's own modules
    allowed = (str(host), str(tmp_path / "cache"), str(ROOT / "linter"), str(ROOT / "policies"), sys.prefix, sys.base_prefix,
               "/dev/null", "/dev/urandom")
    outside = [p for p in audit.opened
               if not str(Path(p).resolve() if not p.startswith("/dev/") else p).startswith(allowed)
               and not p.startswith(tuple(sys.path[1:]))]
    assert outside == [], outside
    assert any(str(Path(p).resolve()).startswith(str(host)) for p in audit.opened)  # the hook did see the reads
