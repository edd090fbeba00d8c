"""The composite GitHub Action: its inputs are used, and its scripts work as GitHub runs them.

The ``run:`` scripts are executed with ``bash --noprofile --norc -eo pipefail`` (GitHub's
``shell: bash``), the step's ``env:``, a fake ``GITHUB_*`` environment, and every
``${{ }}`` expression replaced by the test's value; an expression the test does not
know fails the test, so the action uses only what is emulated here.  The install
step runs against a stand-in ``python`` that records its arguments (installing would
replace the editable install the tests run from); the check step runs the real
``policy-lint``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@pytest.fixture(scope="module")
def action() -> dict:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load((ROOT / "action.yml").read_text())


def substitute(text: str, values: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        expression = match.group(1)
        assert expression in values, f"action.yml uses ${{{{ {expression} }}}}, which the test does not emulate"
        return values[expression]

    return EXPRESSION.sub(value, text)


def test_inputs_are_declared_and_used(action):
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert set(inputs) == {"paths", "args", "fail-on", "sarif-file", "version", "python-version"}
    steps_text = json.dumps(action["runs"]["steps"])
    for name, spec in inputs.items():
        assert spec.get("description"), name
        assert f"inputs.{name}" in steps_text, f"input {name} is declared but never used"
    used = set(re.findall(r"inputs\.([\w-]+)", steps_text))
    assert used <= set(inputs), f"steps use undeclared inputs {used - set(inputs)}"
    [setup] = [s for s in action["runs"]["steps"] if s.get("uses", "").startswith("actions/setup-python@")]
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"
    assert all(s.get("shell") == "bash" for s in action["runs"]["steps"] if "run" in s)
    # user inputs are passed through env:, never spliced into the script text
    for step in action["runs"]["steps"]:
        assert "inputs." not in step.get("run", ""), step["name"]
    assert action["outputs"]["sarif-file"]["value"] == "${{ steps.check.outputs.sarif-file }}"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    shutil.copytree(ROOT / "examples" / "insecure", workspace / "mail", ignore=shutil.ignore_patterns(".policy-lint.yaml"))
    shutil.copytree(ROOT / "examples" / "hardened", workspace / "hardened",
                    ignore=shutil.ignore_patterns(".policy-lint.yaml"))
    return workspace


def run_steps(action: dict, workspace: Path, inputs: dict[str, str], python_dir: Path | None = None):
    """Run every ``run:`` step as GitHub would; returns per step (status, stdout, stderr) and the outputs."""
    runner = workspace.parent / "runner"
    runner.mkdir(exist_ok=True)
    values = {f"inputs.{name}": str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    values.update({f"inputs.{name}": value for name, value in inputs.items()})
    values["github.action_path"] = str(ROOT)
    results = {}
    outputs: dict[str, str] = {}
    for step in action["runs"]["steps"]:
        if "run" not in step:
            continue
        output_file = runner / f"output-{len(results)}"
        output_file.write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_", "INPUT_"))}
        env.update(GITHUB_ACTIONS="true", CI="true", GITHUB_WORKSPACE=str(workspace),
                   GITHUB_OUTPUT=str(output_file), GITHUB_ENV=str(runner / "env"),
                   GITHUB_STEP_SUMMARY=str(runner / "summary"), GITHUB_ACTION_PATH=str(ROOT),
                   GITHUB_REPOSITORY="example/mail", GITHUB_SHA="0" * 40, RUNNER_TEMP=str(runner), NO_COLOR="1")
        env.update({k: substitute(str(v), values) for k, v in step.get("env", {}).items()})
        if python_dir is not None and step["name"].startswith("Install"):
            env["PATH"] = f"{python_dir}{os.pathsep}{env['PATH']}"
        script = substitute(step["run"], values)
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=workspace,
                                env=env, capture_output=True, text=True, timeout=120, check=False)
        results[step["name"]] = (result.returncode, result.stdout, result.stderr)
        for line in output_file.read_text().splitlines():
            key, _, value = line.partition("=")
            outputs[key] = value
        if result.returncode:
            break  # GitHub stops at the first failing step
    return results, outputs


@pytest.fixture
def fake_python(tmp_path: Path) -> Path:
    directory = tmp_path / "bin"
    directory.mkdir()
    script = directory / "python"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{directory}/args"\n')
    script.chmod(0o755)
    return directory


def test_install_step_installs_the_action_source_or_the_version(action, workspace, fake_python):
    results, _ = run_steps(action, workspace, {"paths": "hardened"}, python_dir=fake_python)
    assert results["Install policy-lint"][0] == 0
    args = (fake_python / "args").read_text().splitlines()
    assert args[:3] == ["-m", "pip", "install"] and args[-1] == str(ROOT)
    run_steps(action, workspace, {"paths": "hardened", "version": "1.2.3"}, python_dir=fake_python)
    assert (fake_python / "args").read_text().splitlines()[-1] == "policy-lint==1.2.3"


def test_check_step_annotates_and_writes_sarif(action, workspace, fake_python):
    results, outputs = run_steps(action, workspace, {"paths": "mail", "sarif-file": "reports/policy-lint.sarif",
                                                     "fail-on": "error"}, python_dir=fake_python)
    status, stdout, stderr = results["Check"]
    assert status == 1, stdout + stderr
    assert re.search(r"^::error file=mail/main\.cf,line=\d+,endLine=\d+,col=\d+,endColumn=\d+,title=PF\d+ [a-z-]+::",
                     stdout, flags=re.M), stdout
    assert re.search(r"^::warning file=mail/dovecot/conf\.d/10-auth\.conf,", stdout, flags=re.M) or \
        re.search(r"^::error file=mail/dovecot/conf\.d/10-auth\.conf,", stdout, flags=re.M), stdout
    assert "hardened/" not in stdout
    assert outputs["sarif-file"] == "reports/policy-lint.sarif"
    sarif = json.loads((workspace / "reports" / "policy-lint.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    [run] = sarif["runs"]
    assert run["tool"]["driver"]["name"] == "policy-lint"
    annotations = [line for line in stdout.splitlines() if line.startswith("::")]
    assert len(run["results"]) == len(annotations)
    rule_ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    for result in run["results"]:
        assert result["ruleId"] in rule_ids and result["level"] in ("error", "warning", "note")
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"].startswith("mail/")
        assert location["region"]["startLine"] >= 1


def test_a_clean_tree_passes_and_writes_no_sarif_unless_asked(action, workspace, fake_python):
    results, outputs = run_steps(action, workspace, {"paths": "hardened"}, python_dir=fake_python)
    status, stdout, stderr = results["Check"]
    assert status == 0, stdout + stderr
    assert stdout == ""
    assert outputs["sarif-file"] == ""
    assert not list(workspace.rglob("*.sarif"))


def test_fail_on_and_args_reach_policy_lint(action, workspace, fake_python):
    # only warnings selected: they do not fail the step with fail-on=error
    results, _ = run_steps(action, workspace, {"paths": "mail", "fail-on": "error", "args": "--select PF101,PF104"},
                           python_dir=fake_python)
    status, stdout, _ = results["Check"]
    assert status == 0
    assert {m for m in re.findall(r"title=(PF\d+)", stdout)} == {"PF101", "PF104"}
    results, _ = run_steps(action, workspace, {"paths": "mail", "fail-on": "warning", "args": "--select PF101"},
                           python_dir=fake_python)
    assert results["Check"][0] == 1
