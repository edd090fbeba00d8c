"""The shipped precompiled built-in pack (linter/data/builtin-pack.json) equals a fresh
compile of policies/*.yaml, and the loader uses it only for the very same YAML."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from linter.policy import PolicyError, load_policy, precompiled
from linter.policy import loader as policy_loader
from linter.policy.loader import policy_files
from linter.policy.stored import policy_to_data

REGENERATE = f"the shipped built-in pack is stale: run '{precompiled.REGENERATE}' and commit linter/data/builtin-pack.json"


def _yaml_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(precompiled, "load", lambda files: None)


def test_shipped_file_equals_a_fresh_compile_of_the_yaml() -> None:
    with open(precompiled.PRECOMPILED_PATH, encoding="utf-8") as f:
        shipped = json.load(f)
    fresh = precompiled.compile_data(policy_files([], builtin=True))
    assert shipped == fresh, REGENERATE


def test_precompiled_policy_equals_the_yaml_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    files = policy_files([], builtin=True)
    assert precompiled.load(files) is not None, REGENERATE
    from_json = load_policy([], builtin=True)
    _yaml_only(monkeypatch)
    from_yaml = load_policy([], builtin=True)
    assert policy_to_data(from_json) == policy_to_data(from_yaml)
    assert from_json.packs == from_yaml.packs
    assert [r.source for r in from_json.rules] == [r.source for r in from_yaml.rules]
    assert all(Path(r.source.path).is_file() for r in from_json.rules), "sources point at the real YAML files"


def test_a_user_policy_duplicating_a_builtin_id_is_reported_as_with_yaml(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    builtin = load_policy([], builtin=True)
    taken = builtin.rules[0]
    pack = builtin.packs[0]
    user = tmp_path / "local.yaml"
    user.write_text(
        f"policy: {pack.id}\nrules:\n  - id: {taken.id}\n    name: banner-names-host\n    severity: warning\n"
        "    scope: postfix-main\n    message: m\n    check:\n      kind: required\n      directive: smtpd_banner\n",
        encoding="utf-8")
    with pytest.raises(PolicyError) as from_json:
        load_policy([str(user)], builtin=True)
    _yaml_only(monkeypatch)
    with pytest.raises(PolicyError) as from_yaml:
        load_policy([str(user)], builtin=True)
    assert [str(p) for p in from_json.value.problems] == [str(p) for p in from_yaml.value.problems]
    messages = " ".join(p.message for p in from_json.value.problems)
    assert f"duplicate rule id {taken.id!r}" in messages and "already used by" in messages


def test_an_edited_pack_is_compiled_from_yaml_not_taken_from_the_stale_file(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    pack_dir = tmp_path / "policies"
    shutil.copytree(policy_loader.builtin_pack_dir(), pack_dir)
    monkeypatch.setattr(policy_loader, "builtin_pack_dir", lambda: pack_dir)
    files = policy_files([], builtin=True)
    assert precompiled.load(files) is not None, "a copy of the same YAML matches the shipped file"
    original = load_policy([], builtin=True)
    first = Path(files[0])
    first.write_text(first.read_text(encoding="utf-8").replace("severity: warning", "severity: error", 1),
                     encoding="utf-8")
    assert precompiled.load(files) is None
    edited = load_policy([], builtin=True)
    assert policy_to_data(edited) != policy_to_data(original), "the edit must be seen"
    _yaml_only(monkeypatch)
    assert policy_to_data(edited) == policy_to_data(load_policy([], builtin=True))


def test_damaged_shipped_file_falls_back_to_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    damaged = tmp_path / "builtin-pack.json"
    damaged.write_text('{"format": 1, "sources": "x"', encoding="utf-8")
    monkeypatch.setattr(precompiled, "PRECOMPILED_PATH", str(damaged))
    assert precompiled.load(policy_files([], builtin=True)) is None
    assert len(load_policy([], builtin=True).rules) > 40


def test_builtin_only_load_imports_neither_yaml_nor_jsonschema() -> None:
    import subprocess
    import sys

    code = ("import sys\nfrom linter.policy import load_policy\nload_policy([], builtin=True)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ruamel', 'jsonschema')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
