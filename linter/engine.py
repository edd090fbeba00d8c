"""The engine: check files against rules, host by host, and build the report.

Which rules run is decided first (:mod:`linter.selection`); files are grouped into hosts
with their counterparts (:mod:`linter.hosts`); each rule is evaluated on the units of its
scope (:mod:`linter.evaluate`).  Counterparts are read so that cross-file rules work when
only one file is passed (pre-commit passes changed files), but findings are reported only
in the files that were passed, or that a passed Dovecot root includes.  Large runs check
host groups in worker processes (:mod:`linter.parallel`); the report does not depend on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from linter import confine
from linter.diagnostics import REPORT_ORDER, SORT_KEY, Diagnostic
from linter.hosts import detect_formats, hosts_as_grouped
from linter.model import ConfigError, MarkedComment
from linter.options import Options
from linter.policy.model import Policy
from linter.records import Frozen, _set
from linter.runstate import RunConfig, RunState, merge_digests
from linter.selection import configure, is_selected  # noqa: F401 - the CLI's entry points

PARALLEL_MIN_FILES = 500  # below this, starting worker processes costs more than it saves


class Report(Frozen):
    """The outcome of a check.

    ``comments`` are the "# policy-lint:" comments of the checked files (inline
    suppressions), found by the parsers, so that nobody re-reads a file for them.
    ``notes`` say what was not checked, rather than staying silent, and are never an exit
    status of their own: rules skipped somewhere for an error in their expression (a value of
    a type the rule does not expect), a counterpart of the host not found (one note per
    file), an include kept out of the repository or leading out of it.  ``digests`` map a real
    path to the digest of the bytes the findings were computed from (None: the file changed
    while it was being checked); the fixer edits only files that still hold them.  They are
    not compared."""

    __slots__ = ("diagnostics", "errors", "files", "comments", "notes", "digests")
    _compare = ("diagnostics", "errors", "files", "comments", "notes")

    def __init__(self, diagnostics: tuple[Diagnostic, ...], errors: tuple[ConfigError, ...],
                 files: tuple[str, ...], comments: tuple[MarkedComment, ...] = (),
                 notes: tuple[ConfigError, ...] = (), digests: dict[str, bytes | None] | None = None):
        _set(self, "diagnostics", diagnostics)
        _set(self, "errors", errors)
        _set(self, "files", files)
        _set(self, "comments", comments)
        _set(self, "notes", notes)
        _set(self, "digests", {} if digests is None else digests)


def check(files: Sequence[str], policy: Policy, options: Options,
          rule_ids: Sequence[str] | None = None, jobs: int | None = None) -> Report:
    """Check ``files`` (already discovered) against ``policy``.

    ``rule_ids`` restricts the run to those rules regardless of select/ignore (policy tests).
    ``jobs``: worker processes; None picks the CPU count for large runs (at least
    ``PARALLEL_MIN_FILES`` files), else one.  The report does not depend on it.
    """
    from linter import catalog
    from linter.parsers import READ_DIGESTS

    rules = configure(policy, options, rule_ids)
    # The versions a run reads (forked workers inherit them); no JSON is loaded here.
    catalog.select(postfix=options.versions.get("postfix"), dovecot=options.versions.get("dovecot"))
    real = confine.resolver()  # the command's (a path's target may have changed since the last command)
    READ_DIGESTS.clear()
    digests: dict[str, bytes | None] = {}
    try:
        detected, errors, found_formats = detect_formats(files, options, real)
        passed: dict[str, str] = {}  # real path -> the path as given (the first spelling)
        for f in files:
            passed.setdefault(real(f), f)
        config = RunConfig(tuple(rules), found_formats, passed, real)
        hosts = hosts_as_grouped(files, detected, options, real)
        workers = _workers(jobs, len(files))
        if workers > 1:
            from linter import parallel

            # the workers start on the first hosts while the others are being grouped
            state = parallel.check_parallel(config, hosts, workers, digests, len(files))
        else:
            state = RunState(config)
            state.check_groups(list(hosts))
        merge_digests(digests, READ_DIGESTS)
    finally:
        READ_DIGESTS.clear()
    unique = {(e.path, e.line, e.column, e.message): e for e in (*errors, *state.errors)}
    ordered = tuple(_merge_services(state.diagnostics))
    return Report(ordered, tuple(sorted(unique.values(), key=lambda e: (e.path, e.line, e.column))), tuple(files),
                  tuple(sorted(state.comments, key=lambda c: (c.path, c.line))),
                  tuple(ConfigError(*note) for note in sorted(state.notes)), digests)


def _merge_services(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """One finding where several services found the same thing at the same place (a
    missing Dovecot listener that smtp and submission both need), or the same thing with
    the same fix (a main.cf line missing for every service, each found at its own
    master.cf entry); the other places are kept as related locations.  In report order
    (:meth:`Diagnostic.sort_key`)."""
    merged: dict[tuple, Diagnostic] = {}
    for d in sorted(diagnostics, key=REPORT_ORDER):
        rule, _name, _severity, message, span, fix, _related, _uri = d
        # a fix with edits is merged wherever it was found; the others at one place
        key = (rule, message, fix) if fix is not None and fix.has_edits else (rule, span, message, fix)
        first = merged.get(key)
        if first is None:
            merged[key] = d
        else:
            more = (() if d.span == first.span else (d.span,)) + d.related
            related = first.related + tuple(dict.fromkeys(r for r in more if r not in first.related))
            merged[key] = first.replace(related=related)
    return _merge_service_names(list(merged.values()))


def _merge_service_names(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """One finding where several services report one main.cf value at one place: PF211's
    ``smtp: X`` and ``submission: X`` at the same line become ``smtp, submission: X``.
    ``diagnostics`` are in report order, and so is the result: sorted again only when
    something was merged (a merged message moves)."""
    groups: dict[tuple, list[Diagnostic]] = {}
    rest: list[Diagnostic] = []
    merging = False
    for d in diagnostics:
        head, sep, tail = d.message.partition(": ")
        if sep and head and head.split(None, 1) == [head]:  # one word: no whitespace in it
            found = groups.setdefault((d.rule, d.span, d.fix, tail), [])
            found.append(d)
            merging = merging or len(found) > 1
        else:
            rest.append(d)
    if not merging:
        # as sorting the list below would give: findings with equal sort keys have equal
        # messages, so they are all in ``rest`` or all in single groups, each in input order
        return diagnostics
    for (_rule, _span, _fix, tail), found in groups.items():
        if len(found) == 1:
            rest.append(found[0])
            continue
        names = ", ".join(sorted({d.message.partition(": ")[0] for d in found}))
        related = tuple(dict.fromkeys(r for d in found for r in d.related))
        rest.append(found[0].replace(message=f"{names}: {tail}", related=related))
    rest.sort(key=SORT_KEY)
    return rest


def _workers(jobs: int | None, files: int) -> int:
    """Worker processes for a run of ``files`` files (:func:`linter.parallel.worker_count`;
    without ``jobs``, a pool only from PARALLEL_MIN_FILES files); the pool's module is
    imported only for a run that may use it."""
    if files <= 1 or (jobs is not None and jobs <= 1) or (jobs is None and files < PARALLEL_MIN_FILES):
        return 1
    from linter import parallel

    return parallel.worker_count(jobs, files)
