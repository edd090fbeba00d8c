"""The policy loader: schema ok/fail files, breadcrumbs, serialisation, the built-in pack."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from linter.policy import PolicyError, load_policy
from linter.policy.kinds import SCHEMA_PATH
from linter.policy.stored import policy_from_data, policy_to_data

HERE = Path(__file__).parent / "policies"
FAIL = sorted((HERE / "fail").glob("*.yaml"))
OK = sorted((HERE / "ok").glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (\d+):(\d+) (.*)$", re.M)


@pytest.mark.parametrize("path", OK, ids=lambda p: p.name)
def test_ok_policy_loads(path: Path) -> None:
    policy = load_policy([str(path)], builtin=False)
    assert policy.rules


@pytest.mark.parametrize("path", FAIL, ids=lambda p: p.name)
def test_fail_policy_reports_the_expected_line(path: Path) -> None:
    expected = EXPECT.findall(path.read_text())
    assert expected, f"{path.name} has no '# expect: LINE:COL message' comment"
    with pytest.raises(PolicyError) as info:
        load_policy([str(path)], builtin=False)
    rendered = [str(p) for p in info.value.problems]
    for line, column, text in expected:
        prefix = f"{path}:{line}:{column}:"
        assert any(r.startswith(prefix) and text in r for r in rendered), (prefix, text, rendered)


def test_breadcrumb_names_the_rule_and_key_and_all_problems_are_collected(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "policy: p\nrules:\n"
        "  - id: PF101\n    name: a-rule\n    scope: postfix-main\n    message: m\n"
        "    check: {kind: value, directive: smtpd_banner, min: soon}\n"
        "  - id: PF102\n    name: b-rule\n    scope: postfix-main\n    message: m\n"
        "    when: 'x[0]'\n    check: {kind: required, directive: smtpd_banner}\n"
    )
    with pytest.raises(PolicyError) as info:
        load_policy([str(policy)], builtin=False)
    text = [str(p) for p in info.value.problems]
    assert len(text) == 2
    assert text[0].startswith(f"{policy}:7:") and "rule PF101, check.min:" in text[0]
    assert text[1].startswith(f"{policy}:12:") and "rule PF102, when: subscripts" in text[1]
    assert info.value.problems[1].rule_id == "PF102" and info.value.problems[1].hint


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    rule = "  - id: PF101\n    name: a-rule\n    scope: postfix-main\n    message: m\n" \
           "    check: {kind: required, directive: smtpd_banner}\n"
    (tmp_path / "a.yaml").write_text("policy: a\nrules:\n" + rule)
    (tmp_path / "b.yaml").write_text("policy: b\nrules:\n" + rule)
    with pytest.raises(PolicyError) as info:
        load_policy([str(tmp_path)], builtin=False)
    (problem,) = info.value.problems
    assert problem.path.endswith("b.yaml") and problem.line == 3 and "first defined at" in problem.message


def test_unknown_placeholders_in_fix_and_section(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "policy: p\nrules:\n  - id: DV101\n    name: a-rule\n    scope: dovecot\n    message: m\n"
        "    check: {kind: dovecot-section, section: 'service auth / unix_listener {sockt}'}\n"
        "    fix: {title: 'add {nope}', applicability: display-only}\n"
    )
    with pytest.raises(PolicyError) as info:
        load_policy([str(policy)], builtin=False)
    messages = [p.message for p in info.value.problems]
    assert "placeholder {sockt} names nothing" in messages and "placeholder {nope} names nothing" in messages


def test_deep_nesting_rejected_fast(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("policy: p\nrules: " + "[" * 5000 + "]" * 5000 + "\n")
    # the guard rejects the text before the YAML parser recurses into it (no RecursionError)
    with pytest.raises(PolicyError) as info:
        load_policy([str(policy)], builtin=False)
    assert "nesting deeper" in info.value.problems[0].message


def test_policy_round_trips_through_json() -> None:
    policy = load_policy([str(OK[0])], builtin=False)
    data = json.loads(json.dumps(policy_to_data(policy)))
    rebuilt = policy_from_data(data)
    assert [r.id for r in rebuilt.rules] == [r.id for r in policy.rules]
    assert rebuilt.rules == policy.rules
    assert rebuilt.rule("TF102").check.expr.text == policy.rule("TF102").check.expr.text


def test_schema_has_title_and_description_everywhere() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema)
    missing = []

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            for name, sub in (node.get("properties") or {}).items():
                if isinstance(sub, dict) and not ({"title", "description"} <= set(sub) or "$ref" in sub):
                    missing.append(f"{path}.{name}")
            for key, sub in node.items():
                if key not in ("if", "then"):  # kind switches, not user-facing properties
                    walk(sub, f"{path}.{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{path}[{i}]")

    walk(schema, "$")
    assert not missing


def test_builtin_pack_loads_from_the_precompiled_data_without_yaml() -> None:
    # the shipped pack is read from its precompiled JSON: loading it parses no YAML
    # (how fast it loads is measured by bench/, not asserted here)
    import subprocess
    import sys

    code = ("import sys; from linter.policy import load_policy; p = load_policy([], builtin=True); "
            "print(len(p.rules), 'ruamel.yaml' in sys.modules, 'jsonschema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert int(out[0]) > 0 and out[1:] == ["False", "False"]


