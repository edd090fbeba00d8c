"""SARIF 2.1.0 for code scanning: rules in ``tool.driver``, results with regions and fixes.

Locations are relative to ``%SRCROOT%`` (the settings' root) when the file is inside
it.  Columns count Unicode code points (``columnKind``), as our spans do, so a
non-ASCII line is not shifted the way UTF-16 counting would shift it.
"""

from __future__ import annotations

import os
from urllib.parse import quote

from linter.diagnostics import Diagnostic, Severity
from linter.model import Span
from linter.reporters import INFORMATION_URI, OutputSettings, relative_path
from linter.reporters.json_ import dumps

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SRCROOT = "%SRCROOT%"


def _artifact(path: str, root: str) -> dict:
    relative = relative_path(path, root).encode("utf-8", "surrogateescape")  # a name's raw bytes
    if relative.startswith(b"/"):
        return {"uri": "file://" + quote(relative)}
    return {"uri": quote(relative), "uriBaseId": SRCROOT}


def _region(span: Span) -> dict:
    return {"startLine": span.line, "startColumn": span.column, "endLine": span.end_line,
            "endColumn": span.end_column}


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def _rule_descriptor(rule) -> dict:  # noqa: ANN001 - policy.Rule
    rationale = " ".join(rule.rationale.split())
    descriptor = {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": _first_sentence(rationale) or rule.name},
        "fullDescription": {"text": rationale or rule.name},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"scope": rule.scope, "pack": rule.pack},
    }
    if rule.reference:
        descriptor["helpUri"] = rule.reference
    if rule.rationale:
        descriptor["help"] = {"text": rule.rationale.strip()}
    return descriptor


def _descriptor_from(diagnostic: Diagnostic) -> dict:
    """A rule the policy does not hold (a finding of the tool itself, e.g. a suppression)."""
    descriptor = {
        "id": diagnostic.rule,
        "name": diagnostic.name,
        "shortDescription": {"text": diagnostic.name},
        "defaultConfiguration": {"level": LEVELS[diagnostic.severity]},
    }
    if diagnostic.help_uri:
        descriptor["helpUri"] = diagnostic.help_uri
    return descriptor


def _result(d: Diagnostic, index: int, root: str) -> dict:
    result = {
        "ruleId": d.rule,
        "ruleIndex": index,
        "level": LEVELS[d.severity],
        "message": {"text": d.message},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact(d.span.path, root),
                                            "region": _region(d.span)}}],
    }
    if d.related:
        result["relatedLocations"] = [
            {"id": i, "physicalLocation": {"artifactLocation": _artifact(s.path, root), "region": _region(s)}}
            for i, s in enumerate(d.related)]
    if d.fix is not None and d.fix.edits:
        by_file: dict[str, list] = {}
        for edit in d.fix.edits:
            by_file.setdefault(edit.span.path, []).append(edit)
        result["fixes"] = [{
            "description": {"text": f"{d.fix.title} [{d.fix.applicability}]"},
            "artifactChanges": [{
                "artifactLocation": _artifact(path, root),
                "replacements": [{"deletedRegion": _region(e.span), "insertedContent": {"text": e.content}}
                                 for e in edits],
            } for path, edits in by_file.items()],
        }]
    return result


def to_sarif(report, policy, settings: OutputSettings = OutputSettings()) -> dict:  # noqa: ANN001
    rules = [_rule_descriptor(r) for r in policy.rules] if policy is not None else []
    index = {r["id"]: i for i, r in enumerate(rules)}
    for d in report.diagnostics:
        if d.rule not in index:
            index[d.rule] = len(rules)
            rules.append(_descriptor_from(d))
    root_uri = "file://" + quote((os.path.abspath(settings.root).replace(os.sep, "/").rstrip("/") + "/").encode(
        "utf-8", "surrogateescape"))
    notifications = [{
        "level": "error",
        "message": {"text": e.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": _artifact(e.path, settings.root),
            **({"region": {"startLine": e.line, "startColumn": max(e.column, 1)}} if e.line else {}),
        }}],
    } for e in report.errors]
    notifications += [{
        "level": "note",
        "message": {"text": n.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": _artifact(n.path, settings.root),
            **({"region": {"startLine": n.line, "startColumn": max(n.column, 1)}} if n.line else {}),
        }}],
    } for n in getattr(report, "notes", ())]
    invocation: dict = {"executionSuccessful": not report.errors}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "policy-lint", "version": settings.version,
                                "informationUri": INFORMATION_URI, "rules": rules}},
            "originalUriBaseIds": {SRCROOT: {"uri": root_uri}},
            "columnKind": "unicodeCodePoints",
            "invocations": [invocation],
            "results": [_result(d, index[d.rule], settings.root) for d in report.diagnostics],
        }],
    }


def render(report, policy, settings: OutputSettings = OutputSettings()) -> str:  # noqa: ANN001
    return dumps(to_sarif(report, policy, settings)) + "\n"
