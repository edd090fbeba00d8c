"""One run's checking of host groups: what every group is checked with
(:class:`RunConfig`, inherited by forked workers) and what a pass over groups holds and
finds (:class:`RunState`: the documents parsed, each dropped once no later group needs
it, the files that failed, the findings, notes and comments)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from linter import formats
from linter.checks import DOCUMENT_KINDS
from linter.checks.base import Finding
from linter.checks.context import FRAGMENTS, MAIN_CF, HostDocs, Unit
from linter.confine import PathResolver
from linter.diagnostics import Diagnostic, Edit, LineDeletion
from linter.evaluate import Env, diagnose, evaluate_rule, filled_names, inside, units, units_key
from linter.hosts import HostFiles, fragment_names, partial_main
from linter.model import DOVECOT, POSTFIX_MAIN, POSTFIX_MASTER, ConfigError, Document, MarkedComment, Span
from linter.policy.expr import UnknownValue
from linter.policy.model import Rule
from linter.records import TupleRecord, _new


def merge_digests(into: dict[str, bytes | None], found: dict[str, bytes | None]) -> None:
    """Digests of several readers (worker processes): a file read with two contents is None."""
    for real, digest in found.items():
        if into.setdefault(real, digest) != digest:
            into[real] = None


class RunConfig(TupleRecord):
    """What every host group of one run is checked with (forked workers inherit it)."""

    __slots__ = ()
    _fields = (
        "rules",
        "formats",  # real path -> the format it was detected (or configured) as
        "passed",  # real path -> the path as given (the first spelling)
        "real",
    )

    def __new__(
        cls,
        rules: tuple[Rule, ...],
        formats: dict[str, str],
        passed: dict[str, str],
        real: PathResolver,
    ) -> RunConfig:
        return _new(cls, (rules, formats, passed, real))


class _RuleTables:
    """What checking a rule needs on every host, worked out once per rule and run: its let
    expressions by name and the placeholders its message and fix fill (evaluate.Env),
    whether its kind judges whole documents, and for a kind that may find in another file
    of the host, the formats where its findings are at home."""

    __slots__ = ("lets", "filled", "per_document", "home", "units_key")

    def __init__(self, rule: Rule):
        self.lets = dict(rule.let)
        self.filled = filled_names(rule)
        self.per_document = rule.check.kind in DOCUMENT_KINDS
        # a kind that is not per document may find in another file of the host
        self.home = () if self.per_document else _home(rule.scope)
        self.units_key: tuple | None = None  # evaluate.units_key, once a host's view has told it


# The ``seen`` of a rule none of whose units is a Dovecot block: nothing reads it.
_NOTHING_SEEN: set = set()


class RunState:
    """Checking host groups one after the other: the documents parsed (each dropped once no
    later group needs it), the files that failed, and what was found."""

    def __init__(self, config: RunConfig):
        self.config = config
        self.real = config.real
        self.passed = config.passed
        self.parsed: dict[str, Document | None] = {}
        self.failed: dict[str, str] = {}  # real path -> why it has no document ("does not parse")
        self.errors: list[ConfigError] = []
        # found, in the order found (each rule's in document order: the report's sort then
        # merges a few sorted runs rather than sorting a set's random order); a dict, so that
        # a finding found twice is kept once
        self.diagnostics: dict[Diagnostic, None] = {}
        self.comments: set[MarkedComment] = set()
        self.notes: set[tuple] = set()  # (path, line, column, message)
        # rule id -> what checking it needs on every host, worked out once (_RuleTables)
        self._rule_tables: dict[str, _RuleTables] = {}
        self._respell: dict[str, bool] = {}  # path -> whether it is shown spelled otherwise

    def parse(self, path: str, fmt: str) -> Document | None:
        real = self.real(path)
        if real not in self.parsed:
            from linter.parsers import NotThisFormat, parse_file

            try:
                self.parsed[real] = parse_file(path, self.config.formats.get(real, fmt))
            except NotThisFormat as e:  # said once, as a note: nothing is wrong with it
                self.parsed[real] = None
                if real in self.passed and real not in self.failed:
                    self.notes.add((self.passed[real], e.line, e.column, e.message))
                self.failed[real] = f"is {e.holds}, not a {e.fmt_name}"
            except ConfigError as e:
                self.parsed[real] = None
                if real in self.passed and real not in self.failed:  # a counterpart's error belongs to its own run
                    self.errors.append(e)
                self.failed[real] = "does not parse"
        return self.parsed[real]

    def spelled(self, path: str) -> str:
        """``path`` as it was passed (the first spelling), else as found."""
        return self.passed.get(self.real(path), path)

    def check_groups(self, groups: Sequence[HostFiles]) -> None:
        uses: dict[str, int] = {}
        for group in groups:
            for p in group.paths():
                uses[self.real(p)] = uses.get(self.real(p), 0) + 1
        for group in groups:
            self.check_group(group)
            for p in group.paths():
                real = self.real(p)
                uses[real] -= 1
                if not uses[real]:
                    self.parsed.pop(real, None)  # no file's content is held after it is checked

    def host_docs(self, group: HostFiles) -> HostDocs:
        """The parsed documents of a host, with what is missing (a counterpart that does
        not parse, a main.cf that is only part of one, fragments that may add to it)."""
        real = self.real
        docs = {fmt: self.parse(path, fmt) for fmt, path in group.files.items()}
        missing = dict(group.missing)
        for fmt, path in group.files.items():
            if docs[fmt] is None:
                kind = formats.get(fmt).counterpart
                missing[kind] = f"its {kind} {self.spelled(path)} {self.failed.get(real(path), 'does not parse')}"
        names: frozenset[str] = frozenset()
        main, main_path = docs.get(POSTFIX_MAIN), group.files.get(POSTFIX_MAIN)
        if main is not None and MAIN_CF not in missing:
            partial = partial_main(self.passed.get(real(main_path), main_path), main)
            if partial:
                missing[MAIN_CF] = partial
            else:
                names, fragments = fragment_names(main_path)
                if names:
                    missing[FRAGMENTS] = f"{', '.join(fragments)} next to it may be appended to it (an installer's " \
                                         "main.cf.<part> fragments) and set what it leaves unset"
        return HostDocs({fmt: doc for fmt, doc in docs.items() if doc is not None}, missing=missing,
                        roles=frozenset(group.roles), fragment_names=names)

    def check_group(self, group: HostFiles) -> None:
        real, failed = self.real, self.failed
        if any(real(p) in failed for p in group.paths()) and all(r in failed for r in group.reported):
            return
        docs = self.host_docs(group)
        try:
            self._check_host(group, docs)
        finally:
            docs.close()  # its views and units refer back to it: freed now, not by the cyclic collector

    def _check_host(self, group: HostFiles, docs: HostDocs) -> None:
        real, failed = self.real, self.failed
        reported = set(group.reported)
        tree = docs.dovecot
        if tree is not None and tree.files and real(group.files[DOVECOT]) in reported:
            reported |= {real(f) for f in tree.files}
        reported -= failed.keys()
        if not reported:
            return
        if tree is not None:
            self.notes.update((self.spelled(n.path), n.line, n.column, n.message)
                              for n in tree.notes if real(n.path) in reported)
        for doc in docs.docs.values():
            for comment in doc.marked_comments:
                if real(comment.path) in reported:  # a suppression speaks only for the file it is in
                    spelled = self.spelled(comment.path)
                    self.comments.add(comment if spelled == comment.path else comment._replace(path=spelled))
        lacking: dict[str, set[str]] = {}  # missing counterpart -> ids of the rules that needed it
        for rule in self.config.rules:
            for kind in self.check_rule(rule, docs, reported):
                lacking.setdefault(kind, set()).add(rule.id)
        if lacking:
            self.notes.update(self._lacking_notes(group, docs, lacking, reported))

    def check_rule(self, rule: Rule, docs: HostDocs, reported: set[str]) -> set[str]:
        """Evaluate ``rule`` on the host; the missing counterparts it needed."""
        consulted = docs.consulted
        consulted.clear()
        tables = self._rule_tables.get(rule.id)
        if tables is None:
            tables = self._rule_tables[rule.id] = _RuleTables(rule)
        if tables.units_key is None and not tables.per_document and rule.scope != formats.HOST_SCOPE:
            tables.units_key = units_key(rule, docs.view_for(rule.scope))
        found_units = units(rule, docs, tables.units_key)
        needed = set(consulted)
        if not found_units:
            return needed
        lets, filled, per_document = tables.lets, tables.filled, tables.per_document
        seen: set[Span] | None = None  # Dovecot: a setting inherited by several blocks is reported once
        for unit in found_units:
            consulted.clear()
            env = Env(unit, rule, lets, filled)
            skipped: list[str] = []
            found = evaluate_rule(rule, unit, env, skipped)
            # a value from a missing counterpart made the rule skip here (a per-document kind
            # skips only the names that needed it, and may still report others)
            if consulted and (not found or per_document):
                needed |= consulted
            if found:
                if seen is None:
                    # read only when a unit of the rule is a block
                    seen = set() if any(u.block is not None for u in found_units) else _NOTHING_SEEN
                self._report(rule, docs, reported, unit, env, found, tables, seen)
            if skipped:
                self.notes.update(self._skipped_notes(rule, unit, skipped, reported))
        return needed

    def _report(self, rule: Rule, docs: HostDocs, reported: set[str], unit: Unit, env: Env, found: list[Finding],
                tables: _RuleTables, seen: set[Span]) -> None:
        """The diagnostics of what ``rule`` found on ``unit``, in the files reported."""
        real = self.real
        cross, home = not tables.per_document, tables.home
        add = self.diagnostics.setdefault
        texts: dict = {}  # the findings' messages and fix titles, by what fills them (diagnose)
        found.reverse()  # taken from the end: each finding is freed as soon as it is diagnosed
        block = unit.block
        blocks = seen is not _NOTHING_SEEN
        places: dict[str, tuple[str, str | None]] = {}  # a span's path -> its real path and its side
        while found:
            finding = found.pop()
            if block is not None:
                if finding.span in seen:
                    continue
                if not inside(finding.span, block) and block.span not in finding.related:
                    # judged in the block, but found where the block inherits it from
                    finding = finding._replace(related=(*finding.related, block.span))
            if blocks:
                seen.add(finding.span)
            if finding.missing and finding.related and real(finding.span.path) not in reported \
                    and real(finding.related[0].path) in reported:
                # master.cf was not passed (pre-commit on main.cf): shown where the fix goes
                finding = finding._replace(span=finding.related[0],
                                           related=(finding.span, *finding.related[1:]))
            place = places.get(finding.span.path)
            if place is None:
                where = real(finding.span.path)
                place = places[finding.span.path] = (where, self._side(docs, where))
            where, side = place
            reported_elsewhere = False
            if cross and side is not None and side not in home:
                # a cross-file finding: it carries the other side (what the rule read there)
                finding = finding._replace(related=(*finding.related, *_other_side(rule, unit, finding)))
                if where not in reported and where not in self.failed:
                    # a file of the host not passed (pre-commit passes changed files): the
                    # finding is reported anyway, unless that file suppresses it
                    if self._suppressed(docs, finding.span, rule.id):
                        continue
                    reported_elsewhere = True
            if where in reported or reported_elsewhere:
                add(self._respelled(diagnose(rule, unit, finding, env, texts)))

    def _side(self, docs: HostDocs, real: str) -> str | None:
        """The format of the host's file ``real`` (for Dovecot, any file of the tree);
        worked out once per host (kept with the host's other shared answers, dropped with them
        when it is checked), not once per finding."""
        return docs.once("sides", lambda: self._sides(docs)).get(real)

    def _sides(self, docs: HostDocs) -> dict[str, str]:
        sides: dict[str, str] = {}
        for fmt, doc in docs.docs.items():
            for f in (doc.path, *doc.files):
                sides.setdefault(self.real(f), fmt)
        return sides

    def _suppressed(self, docs: HostDocs, span: Span, rule_id: str) -> bool:
        """Whether an inline suppression in ``span``'s file (not passed, so not collected) covers the finding."""
        from linter.suppressions import suppressions_from_comments

        real = self.real(span.path)
        comments = [c for doc in docs.docs.values() for c in doc.marked_comments if self.real(c.path) == real]
        if not comments:
            return False
        found, _invalid = suppressions_from_comments(comments)
        return any((s.file_wide or s.target == span.line) and any(r.rule == rule_id for r in s.rules)
                   for s in found)

    def _skipped_notes(self, rule: Rule, unit: Unit, why: list[str], reported: set[str]) -> list[tuple]:
        span = unit.anchor_span()
        if span is None or self.real(span.path) not in reported:
            return []
        return [(self.spelled(span.path), span.line, span.column, f"rule {rule.id} skipped here: its expression "
                 f"failed on a value of another type: {reason}") for reason in why]

    def _lacking_notes(self, group: HostFiles, docs: HostDocs, lacking: dict[str, set[str]],
                       reported: set[str]) -> Iterator[tuple]:
        """One note per missing counterpart, on the host's file that lacks it (its Postfix
        file when it has one that was passed, else its first reported file)."""
        postfix = [p for p in (group.files.get(POSTFIX_MAIN), group.files.get(POSTFIX_MASTER))
                   if p and self.real(p) in reported]
        if postfix:
            path = self.spelled(postfix[0])
        else:
            path = min(self.passed.get(r, r) for r in reported)
        for kind, ids in sorted(lacking.items()):
            why = docs.missing[kind]
            if kind == FRAGMENTS:
                hint = "for what they set"
            elif kind == MAIN_CF and docs.main is not None:  # a fragment or a stub: nothing to pair
                hint = "for what it does not set"
            else:
                hint = "(name the files of this host with 'hosts:' in .policy-lint.yaml to pair them)"
            yield (path, 0, 0, f"{why}: {', '.join(sorted(ids))} skipped rather than judged with "
                               f"{_defaults_of(kind)} " + hint)

    def _respelled(self, d: Diagnostic) -> Diagnostic:
        """``d`` with its paths spelled as the files were passed: a file reached through its
        Dovecot root (``../conf.d/10-master.conf`` from inside conf.d/) is shown as given."""
        respell = self._respell  # path -> whether it is shown spelled otherwise (a few paths)
        _rule, _name, _severity, _message, span, fix, related, _uri = d
        if respell.get(span.path) is False and (not related or len(related) == 1 and respell.get(related[0][0]) is False) \
                and (fix is None or type(fix) is LineDeletion or not fix[2]):
            return d  # the usual finding, in a file passed as found (a LineDeletion's edit is in it too)

        def spell(span: Span) -> Span:
            given = self.spelled(span.path)
            return span if given == span.path else span._replace(path=given)

        def differs(path: str) -> bool:  # a few paths, hundreds of thousands of findings
            found = respell.get(path)
            if found is None:
                found = respell[path] = self.spelled(path) != path
            return found

        if not differs(span.path) and not (related and any(differs(r.path) for r in related)) \
                and (fix is None or type(fix) is LineDeletion or not any(differs(e.span.path) for e in fix.edits)):
            return d
        if type(fix) is LineDeletion:
            fix = _new(LineDeletion, (fix[0], fix[1], spell(fix[2])))
        elif fix is not None:
            fix = fix.replace(edits=tuple(Edit(spell(e.span), e.content) for e in fix.edits))
        return d.replace(span=spell(d.span), related=tuple(spell(r) for r in d.related), fix=fix)


# Where a scope's own findings are (formats); a finding elsewhere is a cross-file finding.
# A scope not named here is at home in the formats it judges.
_HOME = {"postfix-main": (POSTFIX_MAIN,), "smtpd-service": (POSTFIX_MAIN, POSTFIX_MASTER),
         "postfix-master": (POSTFIX_MAIN, POSTFIX_MASTER), formats.HOST_SCOPE: ()}


def _home(scope: str) -> tuple[str, ...]:
    found = _HOME.get(scope)
    return found if found is not None else tuple(formats.in_scope(scope))


def _defaults_of(kind: str) -> str:
    """What a rule would have judged a missing counterpart with ("Postfix's stock master.cf")."""
    if kind == FRAGMENTS:
        return "Postfix's defaults"
    return next(f.defaults for f in formats.all_formats() if f.counterpart == kind)


def _other_side(rule: Rule, unit: Unit, finding: Finding) -> list[Span]:
    """The settings a cross-file rule read (``smtpd_sasl_path`` for a Dovecot listener it
    looked for), where they are set, as related locations."""
    if not unit.view.names_related:
        return []
    names: set[str] = set()
    for expr in (*(e for _n, e in rule.let), rule.check.expr):
        if expr is not None:
            names |= expr.names
    names -= set(rule.params) | {n for n, _e in rule.let}
    spans = []
    for name in sorted(names):
        try:
            span, _entry = unit.explicit_span(name)
        except (UnknownValue, ValueError, KeyError):
            continue
        if span is not None and span != finding.span and span not in finding.related:
            spans.append(span)
    return spans
