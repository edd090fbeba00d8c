"""``.policy-lint.yaml``: finding it, reading every key, and reporting all problems with positions."""

from __future__ import annotations

import os

import pytest

from linter.config import CONFIG_NAME, Config, ConfigFileError, check_against_policy, find_config, load_config
from linter.diagnostics import Severity
from linter.options import Host
from linter.policy import load_policy

GOLDEN_POLICY = os.path.join(os.path.dirname(__file__), "golden", "policy.yaml")


def _write(path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def _problems(path: str) -> list[str]:
    with pytest.raises(ConfigFileError) as info:
        load_config(path)
    return [str(p) for p in info.value.problems]


FULL = """\
policies: [team/policy.yaml]
builtin: false
select: PF1, DV
ignore: [PF105]
severity:
  PF101: error
params:
  PF101: {limit: 50}
fail-on: warning
formats:
  templates/main.cf.j2: postfix-main
  "*.dovecot": dovecot
hosts:
  - main: mx1/main.cf
    dovecot: mx1/dovecot/dovecot.conf
exclude: [vendor, "*.orig"]
baseline: .baseline.json
"""


def test_every_key_is_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _write(tmp_path / CONFIG_NAME, FULL)
    config = load_config(os.path.relpath(path))
    assert config.policies == ("team/policy.yaml",)
    assert config.builtin is False
    assert config.select == ("PF1", "DV")
    assert config.ignore == ("PF105",)
    assert config.severity == {"PF101": Severity.ERROR}
    assert config.params == {"PF101": {"limit": 50}}
    assert config.fail_on is Severity.WARNING
    assert config.formats == {"templates/main.cf.j2": "postfix-main", "*.dovecot": "dovecot"}
    assert config.hosts == (Host(main="mx1/main.cf", dovecot="mx1/dovecot/dovecot.conf"),)
    assert config.exclude == ("vendor", "*.orig")
    assert config.baseline == ".baseline.json"


def test_paths_and_anchored_globs_are_rebased_on_the_current_directory(tmp_path, monkeypatch):
    _write(tmp_path / "repo" / CONFIG_NAME, FULL)
    monkeypatch.chdir(tmp_path)
    config = load_config(os.path.join("repo", CONFIG_NAME))
    assert config.policies == ("repo/team/policy.yaml",)
    assert config.baseline == "repo/.baseline.json"
    assert config.hosts[0].main == "repo/mx1/main.cf"
    # a glob with '/' is anchored at the config's directory; a bare name matches anywhere
    assert config.formats == {"repo/templates/main.cf.j2": "postfix-main", "*.dovecot": "dovecot"}
    assert config.exclude == ("vendor", "*.orig")


def test_empty_file_gives_defaults(tmp_path):
    assert load_config(_write(tmp_path / CONFIG_NAME, "# nothing yet\n")) == Config(path=str(tmp_path / CONFIG_NAME))


def test_all_problems_at_once_with_positions(tmp_path):
    path = _write(tmp_path / CONFIG_NAME, """\
selct: [PF1]
builtin: "no"
severity:
  PF101: fatal
  pf102: error
fail-on: loud
formats:
  x.cf: postfix-mian
hosts:
  - main: a/main.cf
    mastr: a/master.cf
  - 3
exclude: {a: 1}
""")
    assert _problems(path) == [
        f"{path}:1:1: unknown key 'selct' (did you mean 'select'?); known keys: policies, builtin, profiles, select, ignore, "
        "severity, params, fail-on, formats, hosts, exclude, baseline, versions, roots, roles",
        f"{path}:2:10: builtin: expected true or false, not 'no'",
        f"{path}:4:10: severity.PF101: expected one of error, warning, info, not 'fatal'",
        f"{path}:5:3: severity: 'pf102' is not a rule id (like PF101)",
        f"{path}:6:10: fail-on: expected one of error, warning, info, not 'loud'",
        f"{path}:8:9: formats.x.cf: expected one of postfix-main, postfix-master, dovecot, not 'postfix-mian' "
        "(did you mean 'postfix-main'?)",
        f"{path}:11:5: hosts[0]: unknown key 'mastr' (did you mean 'master'?); known keys: main, master, dovecot, roles",
        f"{path}:12:5: hosts[1]: expected a mapping with main, master and/or dovecot, not int 3",
        f"{path}:13:10: exclude: expected a list of glob patterns, not a mapping",
    ]


def test_yaml_syntax_error_is_located(tmp_path):
    path = _write(tmp_path / CONFIG_NAME, "select: [PF1\nignore: x\n")
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}:") and "invalid YAML" in problem


def test_duplicate_key_is_an_error(tmp_path):
    path = _write(tmp_path / CONFIG_NAME, "select: PF1\nselect: PF2\n")
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}:2:1:") and "duplicate" in problem


def test_top_level_must_be_a_mapping(tmp_path):
    path = _write(tmp_path / CONFIG_NAME, "- PF1\n")
    assert _problems(path) == [f"{path}:1:1: expected a mapping of settings, not a list"]


def test_select_rejects_what_is_not_an_id(tmp_path):
    path = _write(tmp_path / CONFIG_NAME, "select: PF1, smtpd_banner\n")
    assert _problems(path) == [f"{path}:1:9: select: 'smtpd_banner' is not a rule id or prefix "
                               "(capital letters, then digits: PF101, PF, DV2)"]


def test_rule_ids_and_params_checked_against_the_policy(tmp_path):
    path = _write(tmp_path / CONFIG_NAME, """\
severity:
  GX101: error
  GX999: info
params:
  GX101:
    limit: lots
    limt: 3
""")
    config = load_config(path)
    policy = load_policy([GOLDEN_POLICY], builtin=False)
    assert [str(p) for p in check_against_policy(config, policy)] == [
        f"{path}:3:3: severity: no loaded rule has id 'GX999'",
        f"{path}:6:5: params.GX101.limit: expected a value like the default 30, not 'lots'",
        f"{path}:7:5: params.GX101: rule GX101 has no parameter 'limt' (did you mean 'limit'?); its parameters: limit",
    ]


def test_select_and_ignore_must_match_a_loaded_rule(tmp_path):
    # a typo in ignore would otherwise silently keep the rule on
    path = _write(tmp_path / CONFIG_NAME, "select: [GX, PL]\nignore: [GX10, GX9]\n")
    config = load_config(path)
    policy = load_policy([GOLDEN_POLICY], builtin=False)
    assert [str(p) for p in check_against_policy(config, policy, extra_ids=["PL001"])] == [
        f"{path}:2:1: ignore: 'GX9' matches no loaded rule",
    ]


def test_options_merge_command_line_and_file():
    config = Config(select=("PF",), ignore=("PF105",), exclude=("vendor",), formats={"*.tmpl": "dovecot"})
    options = config.options(select=["DV1"], ignore=["PF2"], exclude=["old"], formats={"x.tmpl": "postfix-main"})
    assert options.select == ("DV1",)  # the command line's select replaces the file's select and ignore
    assert options.ignore == ("PF2",)
    assert config.options(ignore=["PF2"]).ignore == ("PF105", "PF2")
    assert options.exclude == ("vendor", "old")
    assert list(options.formats.items()) == [("x.tmpl", "postfix-main"), ("*.tmpl", "dovecot")]
    assert config.options().select == ("PF",)


def test_found_walking_up_from_the_checked_path(tmp_path, monkeypatch):
    top = _write(tmp_path / CONFIG_NAME, "select: PF\n")
    inner = _write(tmp_path / "site" / "a" / CONFIG_NAME, "select: DV\n")
    (tmp_path / "site" / "a" / "postfix").mkdir()
    (tmp_path / "site" / "b").mkdir()
    monkeypatch.chdir(tmp_path / "site" / "b")
    assert os.path.samefile(find_config(["../a/postfix"]), inner)
    assert os.path.samefile(find_config(["."]), top)
    assert os.path.samefile(find_config([]), top)  # no path: from the current directory
    assert find_config(["../a/postfix/main.cf"]) == os.path.join("..", "a", CONFIG_NAME)  # relative to cwd


def test_not_found(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if any(os.path.isfile(os.path.join(p, CONFIG_NAME)) for p in (os.sep, os.path.dirname(str(tmp_path)))):
        pytest.skip("a config file above the temporary directory")
    assert find_config(["."]) is None
