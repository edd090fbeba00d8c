"""The check path's start-up (issue 13): what a warm one-host ``check`` imports.

A one-host run is mostly interpreter start-up and imports, so its module list is guarded
by counting, not timing: the modules ``python -m linter check examples/hardened`` has
imported when it ends, with a warm policy cache (the cold run also writes the cache).
Heavy modules that the check path does without must stay out, and the total may not grow
past a bound set a little above today's count (lower it as the path gets leaner).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Not needed to check one host with the built-in pack: the command line is read without
# argparse (shutil, gettext with it), user policies are not compiled (ruamel.yaml,
# jsonschema), did-you-mean and worker pools are not used, no cache entry is written
# (tempfile), digests use the built-in BLAKE2 module (hashlib loads OpenSSL); the records
# are plain classes (linter.records), not dataclasses (dataclasses brings inspect, ast, dis
# and tokenize, and each frozen dataclass compiles its methods at import: ~0.5 ms apiece);
# typing is for type checkers only; policy expressions are parsed (ast) only when a policy
# is compiled; paths are os.path (pathlib brings urllib); reporters load without importlib
# (it brings warnings); message templates are parsed without the string module; the config
# file's key readers are for reading a config file (there is none here); the pack's regexes
# are of the simple kind matched without RE2 (linter/policy/regex.py: loading re2 cost 3.5 ms);
# cache entries are marshal data and keep the catalogues decoded (json: 1.5 ms to import);
# plain IP addresses are read without ipaddress (linter/networks.py: 1 ms to import); no
# regular expression is compiled (below), so re and the modules it brings are not imported
# (linter.lazyre imports re on the first compile; about 1 ms); Dovecot's conf.d/*.conf is
# listed without glob (which brings fnmatch and contextlib) and fnmatch is for ``formats:``,
# ``exclude:`` and '?' or '[' patterns; context variables are set without contextlib.
# Nor are these, each imported where it is needed: did-you-mean (linter.suggest) for a name
# that is wrong (a config problem, a file's first unknown directive); the profiles when the
# config or --profile names one; the suppressions when a file holds a '# policy-lint:'
# comment (and their rule ids when the config names a rule to check against the policy);
# the precompiled built-in pack when the policy is compiled (a warm run takes it from the
# cache); argparse's command line (linter.command_line) for what fast_args does not read;
# an expression's compilation to one function after 32 evaluations (bulk runs); a policy's
# stored forms are made (linter.policy.stored) when it is compiled, not when it is read.
ABSENT = ("re2", "json", "ipaddress", "dataclasses", "inspect", "typing", "ast", "pathlib", "urllib", "importlib", "warnings", "string",
          "re", "glob", "fnmatch", "contextlib",
          "argparse", "shutil", "gettext", "locale", "ruamel", "jsonschema", "difflib", "multiprocessing",
          "tempfile", "hashlib", "_hashlib", "importlib.util", "linter.fixer", "linter.baseline",
          "linter.policytest", "linter.info_commands", "linter.dump", "linter.config_keys",
          "linter.suggest", "linter.profiles", "linter.suppressions", "linter.policy.precompiled",
          "linter.command_line", "linter.policy.expr_compiled", "linter.policy.stored")
# all modules, standard library included (150 when this bound was set; 164 with issue 15's
# split; 140 without dataclasses, typing, ast, pathlib and the modules they bring; 134 without
# re2, json and ipaddress; 124 without re, glob, fnmatch, contextlib and what they bring;
# 120 without linter.suggest, profiles, suppressions and policy.precompiled)
MAX_MODULES = 120
# linter.* (54 when this bound was set; 68 since issue 15 split the engine, values and the
# unit context by job and made each config format a module: about 2 ms of imports in all;
# 70 with the Dovecot parser split into its include and value readers; 71 with linter.records;
# 72 with linter.lazyre; 71 without linter.config_keys; 72 with linter.policy.regex; 73 with
# linter.store, the cache entries the catalogues share with the policy cache; 69 without
# linter.suggest, linter.profiles, linter.suppressions and linter.policy.precompiled)
MAX_OWN_MODULES = 69
# regular expressions compiled (re's cache of compiled patterns; a pattern costs 30-300 us):
# 45 when module-level patterns were compiled at import, 34 when those a plain check does not
# reach (template syntax, config files, error hints, suppression comments, hostile policy
# files) became linter.lazyre.lazy and compiled on first use; 29 since policies' Dovecot section
# patterns whose only wildcard is '*' are matched without fnmatch's regex; 14 without json's,
# the template patterns a Dovecot section's brace reached, and the number readers'; 0 since
# built-in check kinds' docstrings are checked by a test, and the parsers and value readers
# screen a line before trying a pattern or read it with string methods (tests/test_without_regex.py)
MAX_PATTERNS = 0

PROBE = ("import sys\n"
         "from linter.cli import main\n"
         "status = main(sys.argv[1:])\n"
         "sys.stdout.flush()\n"
         "patterns = len(sys.modules['re']._cache) if 're' in sys.modules else 0\n"
         "sys.stderr.write(' '.join(sorted(sys.modules)) + f' patterns={patterns}')\n")


def _modules(tmp_path: Path, tree: Path = REPO / "examples" / "hardened") -> tuple[set[str], int]:
    env = dict(os.environ, POLICY_LINT_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("GITHUB_ACTIONS", None)
    command = [sys.executable, "-c", PROBE, "check", str(tree)]
    for _ in range(2):  # the first run fills the cache
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    *modules, patterns = done.stderr.split()
    return set(modules), int(patterns.removeprefix("patterns="))


def test_warm_check_imports_no_heavy_module(tmp_path):
    modules, patterns = _modules(tmp_path)
    assert "linter.engine" in modules or any(m.startswith("linter.engine") for m in modules)  # it did check
    present = sorted(m for m in ABSENT if m in modules or any(n.startswith(m + ".") for n in modules))
    assert present == [], f"the warm check path imports {present}"
    own = sorted(m for m in modules if m == "linter" or m.startswith("linter."))
    assert len(own) <= MAX_OWN_MODULES, own
    assert len(modules) <= MAX_MODULES, sorted(modules)
    assert patterns <= MAX_PATTERNS, f"the warm check path compiles {patterns} regular expressions"


def test_a_warm_check_of_a_dovecot_24_tree_compiles_no_pattern(tmp_path):
    # a 2.4 tree works out its catalogue version (dovecot_config_version) for every name
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "dovecot.conf").write_text("dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n"
                                       "auth_mechanisms = plain\nmail_driver = maildir\n", encoding="utf-8")
    modules, patterns = _modules(tmp_path, tree)
    assert "re" not in modules and patterns == 0, patterns


# Counts the cyclic collector's runs in a fresh process from main()'s start until the
# command's code returns (the check path's modules are imported in there), the collector's
# pace while that code runs, and the pace main() leaves behind.
GC_PROBE = ("import gc, sys\n"
            "from linter import cli\n"
            "runs = []\n"
            "gc.callbacks.append(lambda phase, info: phase == 'start' and runs.append(info['generation']))\n"
            "import linter.check_command, linter.info_commands\n"
            "paces = []\n"
            "for module, name in ((linter.check_command, 'check'), (linter.info_commands, 'rules')):\n"
            "    def spy(*a, _f=getattr(module, name), **k):\n"
            "        paces.append(gc.get_threshold())\n"
            "        try:\n"
            "            return _f(*a, **k)\n"
            "        finally:\n"
            "            paces.append(len(runs))\n"
            "    setattr(module, name, spy)\n"
            "runs.clear()\n"
            "status = cli.main(sys.argv[1:])\n"
            "sys.stdout.flush()\n"
            "sys.stderr.write(f'runs={len(runs)} paces={paces} after={gc.get_threshold()}')\n")


def _gc_probe(tmp_path: Path, *args: str) -> str:
    env = dict(os.environ, POLICY_LINT_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("GITHUB_ACTIONS", None)
    done = None
    for _ in range(2):  # the first run fills the cache
        done = subprocess.run([sys.executable, "-c", GC_PROBE, *args], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=120)
        assert done.returncode in (0, 1), done.stdout + done.stderr
    return done.stderr.strip().splitlines()[-1]


def test_a_one_host_check_runs_no_cyclic_collection(tmp_path):
    # everything a check imports and builds is kept until it ends: the collector, at its
    # default pace a run every 700 new containers, would only traverse it (about 2.5 ms of a
    # warm one-host check); the check's own pace holds from main()'s first line, and the
    # caller's comes back after it
    import gc

    report = _gc_probe(tmp_path, "check", str(REPO / "examples" / "hardened"))
    assert report.startswith("runs=") and "paces=[(1000000, 30, 30), 0]" in report, report
    assert report.endswith(f"after={gc.get_threshold()}"), report


def test_other_commands_run_at_the_callers_pace(tmp_path):
    import gc

    report = _gc_probe(tmp_path, "rules")
    assert f"paces=[{gc.get_threshold()}, " in report, report
    assert report.endswith(f"after={gc.get_threshold()}"), report
