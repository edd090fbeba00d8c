"""SARIF 2.1.0 for code scanning: rules in ``tool.driver``, results with regions and fixes.

Locations are relative to ``%SRCROOT%`` (the settings' root) when the file is inside
it.  Columns count Unicode code points (``columnKind``), as our spans do, so a
non-ASCII line is not shifted the way UTF-16 counting would shift it.
"""

from __future__ import annotations

import json
import os
from urllib.parse import quote

from linter.diagnostics import Diagnostic, Severity
from linter.model import Span
from linter.reporters import INFORMATION_URI, Memo, OutputSettings, around_edit, fix_edits, relative_path, remember
from linter.reporters.json_ import _encode_string, _indented, _scalar, _Unhandled, dumps, surrogates_escaped

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

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


def _artifacts(root: str) -> Memo:
    """A file's ``artifactLocation``, worked out once per file (a path relative to the root
    costs a few string operations and system calls; a large report has few files)."""
    return Memo(lambda path: _artifact(path, root))


def _result(d: Diagnostic, index: int, artifacts: Memo) -> dict:
    result = {
        "ruleId": d.rule,
        "ruleIndex": index,
        "level": LEVELS[d.severity],
        "message": {"text": d.message},
        "locations": [{"physicalLocation": {"artifactLocation": artifacts[d.span.path],
                                            "region": _region(d.span)}}],
    }
    if d.related:
        result["relatedLocations"] = [
            {"id": i, "physicalLocation": {"artifactLocation": artifacts[s.path], "region": _region(s)}}
            for i, s in enumerate(d.related)]
    if d.fix is not None and d.fix.edits:
        by_file: dict[str, list] = {}
        for edit in d.fix.edits:
            by_file.setdefault(edit.span.path, []).append(edit)
        result["fixes"] = [{
            "description": {"text": f"{d.fix.title} [{d.fix.applicability}]"},
            "artifactChanges": [{
                "artifactLocation": artifacts[path],
                "replacements": [{"deletedRegion": _region(e.span), "insertedContent": {"text": e.content}}
                                 for e in edits],
            } for path, edits in by_file.items()],
        }]
    return result


def to_sarif(report, policy, settings: OutputSettings = OutputSettings()) -> dict:  # noqa: ANN001
    """The whole SARIF document (:func:`render_chunks` writes the same text without it)."""
    document, index = _document(report, policy, settings)
    artifacts = _artifacts(settings.root)
    document["runs"][0]["results"] = [_result(d, index[d.rule], artifacts) for d in report.diagnostics]
    return document


def _document(report, policy, settings: OutputSettings) -> tuple[dict, dict[str, int]]:  # noqa: ANN001
    """The SARIF document but its results (an empty list, the last member of the run), and
    the index of each rule id in ``tool.driver.rules``."""
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
            "results": [],
        }],
    }, index


def render(report, policy, settings: OutputSettings = OutputSettings()) -> str:  # noqa: ANN001
    return "".join(render_chunks(report, policy, settings))


# the results array's place in the document's text: its members are written one at a time
_RESULTS_MARK = "\x00policy-lint: the results\x00"
_RESULT_INDENT = "\n        "  # results are the members of runs[0].results: four levels in


def render_chunks(report, policy, settings: OutputSettings = OutputSettings()) -> Iterator[str]:  # noqa: ANN001
    """The document in pieces, one result each (``"".join`` of them is what ``dumps`` of
    :func:`to_sarif` gives): a report of 700,000 findings is written as it is made, never
    held whole as dicts, nor as text."""
    document, index = _document(report, policy, settings)
    if not report.diagnostics:
        yield dumps(document) + "\n"
        return
    document["runs"][0]["results"] = [_RESULTS_MARK]
    # the last occurrence: only closing brackets follow the results (an input's text, in a
    # note before them, cannot move the place)
    head, _mark, tail = dumps(document).rpartition(dumps(_RESULTS_MARK))
    writer = _ResultWriter(settings.root)
    separator = head
    for d in report.diagnostics:
        yield separator + surrogates_escaped(writer.text(d, index[d.rule]))
        separator = "," + _RESULT_INDENT
    yield tail + "\n"


class _ResultWriter:
    """One result's text, exactly as ``dumps`` indents the dict of :func:`_result` (property-
    tested), without building the dicts: the bulk of a large report's writing time.  A
    file's artifactLocation is written once per file and depth."""

    def __init__(self, root: str):
        self.artifacts = _artifacts(root)
        self.artifact_texts: dict[tuple[str, int], str] = {}
        # what many results share (every line of one unknown name, every dead duplicate of
        # one name), written once: a result's members up to its location, its related
        # locations, a one-edit fix around the edit's region
        self.heads: dict[tuple, str] = {}
        self.related: dict[tuple, str] = {}
        self.one_edit: dict[tuple, tuple[str, str]] = {}

    def text(self, d: Diagnostic, index: int) -> str:
        try:
            return self._text(d, index)
        except _Unhandled:  # a value the fast writer does not know: as dumps() writes it
            result = _result(d, index, self.artifacts)
            try:
                return _indented(result, _RESULT_INDENT)
            except _Unhandled:
                return json.dumps(result, indent=2, ensure_ascii=False).replace("\n", _RESULT_INDENT)

    def _artifact(self, path: str, depth: int) -> str:
        key = (path, depth)
        text = self.artifact_texts.get(key)
        if text is None:
            text = remember(self.artifact_texts, key, _indented(self.artifacts[path], _INDENTS[depth]))
        return text

    def _location(self, span: Span, first: str) -> str:
        """A (related) location at depth 2: ``first`` is its ``"id": N,`` member, or nothing."""
        i2, i3, i4 = _INDENTS[2], _INDENTS[3], _INDENTS[4]
        return (f"{{{first}{i3}\"physicalLocation\": {{{i4}\"artifactLocation\": {self._artifact(span.path, 4)},"
                f"{i4}\"region\": {_region_text(span, 4)}{i3}}}{i2}}}")

    def _text(self, d: Diagnostic, index: int) -> str:
        i0, i1, i2 = _INDENTS[0], _INDENTS[1], _INDENTS[2]
        key = (d.rule, index, d.severity, d.message)
        head = self.heads.get(key)
        if head is None:
            head = remember(self.heads, key, self._head(d, index))
        parts = [head, self._location(d.span, ""), i1, "]"]
        if d.related:
            related = self.related.get(d.related)
            if related is None:
                related = remember(self.related, d.related, f",{i1}\"relatedLocations\": [" + ",".join(
                    i2 + self._location(s, f"{_INDENTS[3]}\"id\": {n},") for n, s in enumerate(d.related)) + f"{i1}]")
            parts.append(related)
        fix = d.fix
        edits = () if fix is None else fix_edits(fix)
        if len(edits) == 1:  # most fixes: only the edit's region differs
            span, content = edits[0]
            around = around_edit(self.one_edit, (fix.title, fix.applicability, span.path, content),
                                 lambda mark: self._fix(fix, mark))
            parts += (around[0], _region_text(span, 7), around[1])
        elif edits:
            parts.append(self._fix(fix))
        parts.append(f"{i0}}}")
        return "".join(parts)

    @staticmethod
    def _head(d: Diagnostic, index: int) -> str:
        """A result's members up to its location's place in ``locations``."""
        i1, i2 = _INDENTS[1], _INDENTS[2]
        return (f"{{{i1}\"ruleId\": {_scalar(d.rule)},{i1}\"ruleIndex\": {_scalar(index)},"
                f"{i1}\"level\": {_encode_string(LEVELS[d.severity])},"
                f"{i1}\"message\": {{{i2}\"text\": {_scalar(d.message)}{i1}}},"
                f"{i1}\"locations\": [{i2}")

    def _fix(self, fix, region: str | None = None) -> str:  # noqa: ANN001 - diagnostics.Fix
        """A fix's ``fixes`` member; ``region``: written for each edit's region instead (a mark to cut at)."""
        i1, i2, i3, i4, i5, i6, i7, i8 = _INDENTS[1:]
        by_file: dict[str, list] = {}
        for edit in fix.edits:
            by_file.setdefault(edit.span.path, []).append(edit)
        changes = ",".join(
            f"{i4}{{{i5}\"artifactLocation\": {self._artifact(path, 5)},{i5}\"replacements\": ["
            + ",".join(f"{i6}{{{i7}\"deletedRegion\": {_region_text(e.span, 7) if region is None else region},"
                       f"{i7}\"insertedContent\": {{{i8}\"text\": {_scalar(e.content)}{i7}}}{i6}}}" for e in edits)
            + f"{i5}]{i4}}}" for path, edits in by_file.items())
        return (f",{i1}\"fixes\": [{i2}{{{i3}\"description\": {{{i4}\"text\": "
                f"{_scalar(f'{fix.title} [{fix.applicability}]')}{i3}}},"
                f"{i3}\"artifactChanges\": [{changes}{i3}]{i2}}}{i1}]")


# the line starts of a result's members, depth by depth (a result is four levels in)
_INDENTS = tuple(_RESULT_INDENT + "  " * depth for depth in range(9))


def _region_text(span: Span, depth: int) -> str:
    outer, inner = _INDENTS[depth], _INDENTS[depth + 1]
    line, column, end_line, end_column = span.line, span.column, span.end_line, span.end_column
    if type(line) is type(column) is type(end_line) is type(end_column) is int:  # ints as int.__repr__ writes them
        return (f"{{{inner}\"startLine\": {line},{inner}\"startColumn\": {column},"
                f"{inner}\"endLine\": {end_line},{inner}\"endColumn\": {end_column}{outer}}}")
    return (f"{{{inner}\"startLine\": {_scalar(span.line)},{inner}\"startColumn\": {_scalar(span.column)},"
            f"{inner}\"endLine\": {_scalar(span.end_line)},{inner}\"endColumn\": {_scalar(span.end_column)}{outer}}}")
