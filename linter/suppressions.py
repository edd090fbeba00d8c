"""Inline suppressions: whole-line comments that silence findings, with a reason.

API (wired by the CLI into every check and re-check)::

    apply_suppressions(report, known_rules=None, active_rules=None) -> Report

Two forms, in any checked file (Postfix only has whole-line comments, so Dovecot
files use the same form for consistency; a ``#`` after a value is never read)::

    # policy-lint: disable=PF101,PF102 -- reason text
    smtpd_client_connection_rate_limit = 0

    # policy-lint: disable-file=PF203 -- the relay host checks this itself

``disable=`` applies to the first line after the run of comment lines it is in (so
several suppressions may be stacked, and a blank line detaches them); a finding is
silenced when it starts on that line.  ``disable-file=`` applies to the whole file
and may stand anywhere in it.  The reason after ``--`` is optional.

What is wrong with a suppression is reported as a finding located at the comment:

- ``PL001 unused-suppression`` (warning): an id that silenced nothing.  Its safe fix
  deletes the comment line, or only the unused ids when others in it are used.  An id
  of a rule that did not run (``active_rules`` given and the id not in it) is not
  reported: ``--select`` must not turn every other suppression into a finding.
- ``PL002 unknown-rule-in-suppression`` (warning), only when ``known_rules`` is given:
  an id no loaded policy defines (usually a typo); it is not also reported as unused.
- ``PL003 invalid-suppression`` (warning): a ``# policy-lint:`` comment that does not
  parse (``disabel=``, no ids); without this a typo would silently suppress nothing.

The comments are found by the parsers while they read each file (``Document.marked_comments``,
so the fixer's pending texts are seen and no file is read twice or held), and the engine
passes on those of the files whose findings it reports (the files given and the Dovecot
includes of a given root) as ``Report.comments``.  Files that failed to parse are skipped.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from linter import confine
from linter.diagnostics import SORT_KEY, Applicability, Diagnostic, Edit, Fix, Severity
from linter.lazyre import lazy
from linter.model import MarkedComment, Span
from linter.records import Frozen, _set

UNUSED = ("PL001", "unused-suppression")
UNKNOWN = ("PL002", "unknown-rule-in-suppression")
INVALID = ("PL003", "invalid-suppression")
TOOL_RULES = (UNUSED, UNKNOWN, INVALID)
HELP_URI = "https://github.com/policy-lint/policy-lint/blob/main/docs/integrations.md#suppressions"

_COMMENT = lazy(
    r"^[ \t]*#[ \t]*policy-lint[ \t]*:[ \t]*(?P<kind>disable-file|disable)[ \t]*=[ \t]*"
    r"(?P<ids>[A-Za-z]+[0-9]+(?:[ \t]*,[ \t]*[A-Za-z]+[0-9]+)*)[ \t]*(?:--[ \t]*(?P<reason>.*?))?[ \t]*\r?$")
_ID = lazy(r"[A-Za-z]+[0-9]+")


class RuleRef(Frozen):
    """One rule id in a suppression comment, located."""

    __slots__ = ("rule", "span")

    def __init__(self, rule: str, span: Span):
        _set(self, "rule", rule)
        _set(self, "span", span)


class Suppression(Frozen):
    """A "# policy-lint: disable" comment: ``line`` is the comment's, ``span`` the comment from
    '#' to the end of the line, ``target`` the line it silences (None for file-wide, or when
    nothing follows)."""

    __slots__ = ("path", "line", "file_wide", "rules", "reason", "span", "target")

    def __init__(self, path: str, line: int, file_wide: bool, rules: tuple[RuleRef, ...],
                 reason: str | None, span: Span, target: int | None):
        _set(self, "path", path)
        _set(self, "line", line)
        _set(self, "file_wide", file_wide)
        _set(self, "rules", rules)
        _set(self, "reason", reason)
        _set(self, "span", span)
        _set(self, "target", target)


def read_suppressions(path: str, text: str) -> tuple[list[Suppression], list[Diagnostic]]:
    """The suppressions in ``text``, and a PL003 finding for each malformed one."""
    from linter.parsers import find_marked_comments

    return suppressions_from_comments(find_marked_comments(path, text))


def suppressions_from_comments(comments: Iterable[MarkedComment]) -> tuple[list[Suppression], list[Diagnostic]]:
    """The suppressions the parsers' marked comments hold, and a PL003 finding for each malformed one."""
    found: list[Suppression] = []
    invalid: list[Diagnostic] = []
    for comment in comments:
        path, number, line = comment.path, comment.line, comment.text
        start = len(line) - len(line.lstrip(" \t")) + 1  # the '#' (every marked comment's line is_marked)
        span = Span(path, number, start, number, len(line) + 1)
        match = _COMMENT.match(line)
        if match is None:
            invalid.append(Diagnostic(
                rule=INVALID[0], name=INVALID[1], severity=Severity.WARNING, span=span, help_uri=HELP_URI,
                message="this policy-lint comment suppresses nothing: write "
                        "'# policy-lint: disable=RULE[,RULE] -- reason' or 'disable-file=RULE'"))
            continue
        offset = match.start("ids")
        refs = tuple(RuleRef(m.group(0).upper(), Span(path, number, offset + m.start() + 1,
                                                      number, offset + m.end() + 1))
                     for m in _ID.finditer(match.group("ids")))
        file_wide = match.group("kind") == "disable-file"
        found.append(Suppression(path, number, file_wide, refs, match.group("reason") or None, span,
                                 None if file_wide else comment.target))
    return found, invalid


def apply_suppressions(report, known_rules: Collection[str] | None = None,  # noqa: ANN001,ANN201 - engine.Report
                       active_rules: Collection[str] | None = None):
    """``report`` without the suppressed findings, plus PL001-PL003 findings.  The
    report's findings are in report order (the engine's), and stay so."""
    suppressions: dict[str, list[Suppression]] = {}  # real path -> its suppressions
    extra: list[Diagnostic] = []
    by_file: dict[str, list[MarkedComment]] = {}
    for comment in report.comments:
        by_file.setdefault(comment.path, []).append(comment)
    real_of = confine.resolver()  # the command's real paths, resolved once (findings share few paths)
    failed = {real_of(e.path) for e in report.errors} if by_file else set()
    for path, comments in by_file.items():
        real = real_of(path)
        if real in failed or real in suppressions:  # one spelling per file; a file that failed to parse says nothing
            continue
        found, invalid = suppressions_from_comments(comments)
        suppressions[real] = found
        extra += invalid
    if not suppressions:
        if not extra:
            return report
        return report.replace(diagnostics=tuple(sorted((*report.diagnostics, *extra),
                                                                     key=SORT_KEY)))
    used: set[tuple[str, int, str]] = set()  # (real path, comment line, rule)
    kept: list[Diagnostic] = []
    for diagnostic in report.diagnostics:
        real = real_of(diagnostic.span.path)
        hit = None
        for s in suppressions.get(real, ()):
            if (s.file_wide or s.target == diagnostic.span.line) and any(r.rule == diagnostic.rule for r in s.rules):
                hit = s
                used.add((real, s.line, diagnostic.rule))
        if hit is None:
            kept.append(diagnostic)
    known = ({k.upper() for k in known_rules} | set(tool_rule_ids())) if known_rules is not None else None
    active = {a.upper() for a in active_rules} if active_rules is not None else None
    for real, found in suppressions.items():
        for s in found:
            unused = []
            for ref in s.rules:
                if known is not None and ref.rule not in known:
                    extra.append(Diagnostic(
                        rule=UNKNOWN[0], name=UNKNOWN[1], severity=Severity.WARNING, span=ref.span, help_uri=HELP_URI,
                        message=f"{ref.rule} is not a rule of any loaded policy"))
                elif (real, s.line, ref.rule) not in used and (active is None or ref.rule in active):
                    unused.append(ref)
            if unused:
                extra.append(_unused(s, unused))
    if not extra and len(kept) == len(report.diagnostics):
        return report
    diagnostics = tuple(sorted((*kept, *extra), key=SORT_KEY) if extra else kept)
    return report.replace(diagnostics=diagnostics)


def _unused(s: Suppression, unused: list[RuleRef]) -> Diagnostic:
    ids = ", ".join(r.rule for r in unused)
    where = "in this file" if s.file_wide else ("on the next line" if s.target else "(no line follows it)")
    message = f"suppression of {ids} is unused: no such finding {where}"
    if len(unused) == len(s.rules):
        # the whole comment line goes, its line ending included
        fix = Fix("Remove the unused suppression comment", Applicability.SAFE,
                  (Edit(Span(s.path, s.line, 1, s.line + 1, 1), ""),))
        span = s.span
    else:
        left = [r.rule for r in s.rules if r not in unused]
        first, last = s.rules[0].span, s.rules[-1].span
        fix = Fix(f"Remove {ids} from the suppression", Applicability.SAFE,
                  (Edit(Span(s.path, s.line, first.column, s.line, last.end_column), ",".join(left)),))
        span = unused[0].span if len(unused) == 1 else s.span
    return Diagnostic(rule=UNUSED[0], name=UNUSED[1], severity=Severity.WARNING, message=message, span=span,
                      fix=fix, help_uri=HELP_URI)


def tool_rule_ids() -> tuple[str, ...]:
    """The ids of the findings this module makes, for ``known_rules`` and for select/ignore."""
    return tuple(rule for rule, _ in TOOL_RULES)

