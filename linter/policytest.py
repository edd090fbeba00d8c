"""Run the rules' own examples (``policy-lint test``).

Each example's files are written to a fresh temporary directory (one host) and the
engine runs with only that rule.  A ``bad`` example must give at least one finding
(exactly ``count`` when given), a ``good`` one none.  With ``fixed``, applying every
fix of the findings (unsafe ones included, display-only never) with the loop ``--fix``
runs (:func:`linter.fixer.fix_files`) must give exactly that text, and the fixed files
must give no finding of the rule.  Fixes that undo each other, fail to converge or
break a file fail the example.  A bad example without ``fixed`` must be left untouched
by the fixes: what a fix writes is part of what the example shows, in the built-in pack
and in a user's policy alike.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence

from linter.diagnostics import Applicability, Diagnostic
from linter.model import Span
from linter.options import Host, Options
from linter.policy.model import Example, Policy, Rule
from linter.records import Frozen, _set


class ExampleResult(Frozen):
    __slots__ = ("rule_id", "index", "name", "ok", "detail", "source")

    def __init__(self, rule_id: str, index: int, name: str, ok: bool, detail: str, source: Span | None):
        _set(self, "rule_id", rule_id)
        _set(self, "index", index)
        _set(self, "name", name)
        _set(self, "ok", ok)
        _set(self, "detail", detail)
        _set(self, "source", source)


class UnsafeExampleName(ValueError):
    """An example file name that would be written outside the example's directory."""


def _write(directory: str, files: Sequence[tuple[str, str]]) -> list[str]:
    """Write the example's files under ``directory``; a name that is absolute or climbs out
    of it (``../../site-packages/x.pth``: from a planted cache entry, or any policy) is
    refused, whoever validated the policy before."""
    paths = []
    for name, content in files:
        parts = name.split("/")
        if not name or name.startswith("/") or any(part in ("", ".", "..") for part in parts) or "\0" in name:
            raise UnsafeExampleName(f"example file name {name!r} is not a relative path inside the example")
        path = os.path.join(directory, *parts)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(content)
        paths.append(path)
    return paths


def _read(path: str) -> str:
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def _describe(diagnostics: Sequence[Diagnostic], directory: str) -> str:
    return "; ".join(f"{os.path.relpath(d.path, directory)}:{d.span.line}:{d.span.column}: {d.message}"
                     for d in diagnostics[:5])


def _run(rule: Rule, policy: Policy, paths: list[str], example: Example | None = None):  # noqa: ANN202
    """The rule on the example's host, with the example's roles and params."""

    from linter.engine import check

    host = _host(paths)
    options = Options(hosts=(host.replace(roles=example.roles) if example else host,),
                      params={rule.id: dict(example.params)} if example and example.params else {})
    return check(paths, policy, options, rule_ids=[rule.id])


def _host(paths: list[str]) -> Host:
    """An example's files are the whole host, as a ``hosts:`` entry declares one: a file it
    leaves out is the stock one (Postfix's master.cf, Dovecot's defaults), not unknown."""
    from linter.hosts import is_dovecot_root
    from linter.model import DOVECOT, POSTFIX_MAIN, POSTFIX_MASTER
    from linter.parsers import detect_format

    found: dict[str, str] = {}
    for path in paths:
        fmt = detect_format(path)
        if fmt in (POSTFIX_MAIN, POSTFIX_MASTER) or (fmt == DOVECOT and is_dovecot_root(path)):
            found.setdefault(fmt, path)
    return Host(main=found.get(POSTFIX_MAIN), master=found.get(POSTFIX_MASTER), dovecot=found.get(DOVECOT))


def _apply_fixes(rule: Rule, policy: Policy, paths: list[str], example: Example,
                 report: object) -> tuple[dict[str, str], str | None]:
    """The fix loop of ``--fix`` (:func:`linter.fixer.fix_files`, unsafe fixes included) on
    the example's files; returns the texts by path (also written), or why it failed."""
    from linter.fixer import fix_files

    outcome = fix_files(report, Applicability.UNSAFE, lambda _files: _run(rule, policy, paths, example), write=False)
    texts = {p: _read(p) for p in paths}
    for path, (_old, new) in outcome.changed.items():
        real = next((p for p in paths if os.path.realpath(p) == os.path.realpath(path)), None)
        if real is None:
            return texts, f"a fix edits {path}, which is not one of the example's files"
        texts[real] = new
    if outcome.rolled_back:
        return texts, "a fix broke the file: " + "; ".join(str(e) for e in outcome.rolled_back)
    if outcome.conflicts:
        return texts, "; ".join(f"the fixes of {' and '.join(ids)} undo each other" for ids in outcome.conflicts)
    if outcome.unconverged:
        return texts, (f"the fixes failed to converge after {outcome.passes} passes: "
                       f"{' and '.join(outcome.unconverged)} still change the files each time")
    for path in paths:
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(texts[path])
    return texts, None


def run_example(policy: Policy, rule: Rule, index: int, example: Example) -> ExampleResult:
    name = example.name or f"{example.kind} example {index + 1}"

    def result(ok: bool, detail: str) -> ExampleResult:
        return ExampleResult(rule.id, index, name, ok, detail, example.source)

    with tempfile.TemporaryDirectory(prefix="policy-lint-test-") as directory:
        try:
            paths = _write(directory, example.files)
        except UnsafeExampleName as e:
            return result(False, str(e))
        report = _run(rule, policy, paths, example)
        if report.errors:
            return result(False, "the example does not parse: " + "; ".join(
                str(e).replace(directory + os.sep, "") for e in report.errors))
        found = [d for d in report.diagnostics if d.rule == rule.id]
        if example.kind == "good":
            if found:
                return result(False, f"expected no finding, got {len(found)}: {_describe(found, directory)}")
            return result(True, "no finding")
        if not found:
            return result(False, "expected a finding, got none")
        if example.count is not None and len(found) != example.count:
            return result(False, f"expected {example.count} finding(s), got {len(found)}: "
                                 f"{_describe(found, directory)}")
        by_name = dict(zip(paths, (n for n, _ in example.files)))
        before = {p: _read(p) for p in paths}
        texts, error = _apply_fixes(rule, policy, paths, example, report)
        if error:
            return result(False, error)
        if example.fixed is None:
            changed = [by_name[p] for p in paths if texts[p] != before[p]]
            if changed:  # what a fix writes is part of what the example shows (built-in and user policies)
                return result(False, f"the fixes change {', '.join(changed)}, but the example has no 'fixed:' text: "
                                     "add the text they give")
            return result(True, f"{len(found)} finding(s)")
        expected = dict(example.fixed)
        for path in paths:
            file_name = by_name[path]
            want = expected.get(file_name, before[path])
            if texts[path] != want:
                return result(False, f"fixed {file_name} differs:\n{_diff(want, texts[path], file_name)}")
        remaining = [d for d in _run(rule, policy, paths, example).diagnostics if d.rule == rule.id]
        if remaining:
            return result(False, f"the fixed files still give {len(remaining)} finding(s): "
                                 f"{_describe(remaining, directory)}")
        return result(True, f"{len(found)} finding(s), fixed")


def _diff(expected: str, actual: str, name: str) -> str:
    import difflib

    return "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                        f"expected {name}", f"actual {name}"))


def run_examples(policy: Policy, rule_ids: Sequence[str] | None = None) -> list[ExampleResult]:
    """Run every example of the selected rules (all rules when ``rule_ids`` is None)."""
    results = []
    for rule in policy.rules:
        if rule_ids is not None and rule.id not in rule_ids:
            continue
        for index, example in enumerate(rule.examples):
            results.append(run_example(policy, rule, index, example))
    return results
