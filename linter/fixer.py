"""The fix loop (after ruff's): apply fixes, re-check, repeat until stable, bounded.

API (wired by the CLI)::

    fix_files(report, applicability, recheck, write) -> FixOutcome

- ``report``: an :class:`linter.engine.Report` (after suppressions and baseline).
- ``applicability``: fixes with ``fix.applicability >= applicability`` are applied;
  display-only fixes never are.
- ``recheck(files) -> Report``: re-runs the check on ``report.files``.  It is called
  inside :func:`linter.parsers.overlay`, so it sees the pending texts although
  nothing has been written yet; ``write=False`` (``--diff``) never touches a file.
- ``write``: when true, changed files are written atomically at the end.

``--fix``, ``--diff`` and ``policy-lint test`` (:mod:`linter.policytest`) run this one loop.
Each pass takes, per file, the applicable fixes in diagnostic order, skipping a fix
whose edits overlap (or insert at the same point as) a fix already taken in this pass
(the next pass re-checks and offers it again).  A pass that makes a file unreadable for
the parser (the re-check reports a new ConfigError) is undone for that file, which is
then left alone; the error is in :attr:`FixOutcome.rolled_back`.  Fixes that bring the
texts back to an earlier pass's undo each other (:attr:`FixOutcome.conflicts`); a loop that
is still changing the files when ``max_passes`` runs out failed to converge, and says with
which rules (:attr:`FixOutcome.unconverged`, as ruff reports it).  A file that cannot be
written (or that changed on disk while fixing) is not written; its error is added to
``remaining.errors``.

Files are decoded with :func:`linter.model.decode` and encoded back with
:func:`linter.model.encode`, so every byte outside the edits is kept (CRLF, a missing
final newline, undecodable Latin-1 bytes).  Writing goes through a temporary file in
the target's directory, fsync, the original's mode and group, then ``os.replace``; a
symlink is written through to its target and stays a link.

What is never edited (each a located error, so the run exits 2 with the reason):

- a file whose bytes are not those the findings were computed from: the check keeps a
  digest of every file it read (``report.digests``), and a file saved since (an editor,
  a second run) is left alone rather than edited at stale positions;
- a file changed on disk between the fix's read and its write;
- a file outside the repository root, or a symbolic link leading out of it
  (:mod:`linter.confine`);
- a file the user could not write (no write permission bit for them: 0444, even as root)
  or that is not theirs (another user's file: replacing it would change its owner).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence

from linter.diagnostics import SORT_KEY, Applicability, Diagnostic, Edit
from linter.model import ConfigError, decode, encode
from linter.records import Frozen, _set

MAX_PASSES = 10


class FixOutcome(Frozen):
    """What --fix did.  ``changed``: path -> (old text, new text), written when write=True;
    ``applied``: the findings whose fixes went in (over all passes); ``remaining``: the
    linter.engine.Report after the last re-check; ``diff``: unified diff of every change,
    git-style a/ b/ paths; ``rolled_back``: files a fix broke, undone, then left alone;
    ``conflicts``: fixes that undo each other (the texts came back to an earlier pass's),
    the rule ids of each such cycle, whose findings are not counted as fixed;
    ``unconverged``: the loop stopped at its bound with fixes still offered (after ruff's
    "failed to converge"), the ids of the rules still offering one, and the files hold the
    last pass's text; ``passes``: the passes that changed something."""

    __slots__ = ("changed", "applied", "remaining", "diff", "rolled_back", "conflicts", "unconverged", "passes")

    def __init__(self, changed: dict[str, tuple[str, str]], applied: tuple[Diagnostic, ...], remaining: object,
                 diff: str, rolled_back: tuple[ConfigError, ...] = (), conflicts: tuple[tuple[str, ...], ...] = (),
                 unconverged: tuple[str, ...] = (), passes: int = 0):
        _set(self, "changed", changed)
        _set(self, "applied", applied)
        _set(self, "remaining", remaining)
        _set(self, "diff", diff)
        _set(self, "rolled_back", rolled_back)
        _set(self, "conflicts", conflicts)
        _set(self, "unconverged", unconverged)
        _set(self, "passes", passes)


def fix_files(report, applicability: Applicability, recheck: Callable[[Sequence[str]], object],  # noqa: ANN001
              write: bool, max_passes: int = MAX_PASSES) -> FixOutcome:
    from linter.edits import apply_edits
    from linter.parsers import overlay

    wanted = max(applicability, Applicability.UNSAFE)  # display-only fixes are never applied
    files = tuple(report.files)
    originals: dict[str, str] = {}  # real path -> text as read
    texts: dict[str, str] = {}  # real path -> current (pending) text
    shown: dict[str, str] = {}  # real path -> the path as the diagnostics spell it
    frozen: set[str] = set()  # files left alone: unreadable, or a fix broke them
    rolled_back: list[ConfigError] = []
    applied: list[Diagnostic] = []
    refused: list[ConfigError] = []  # files not edited because they changed since the check
    current = report
    history: list[dict[str, str]] = []  # the pending texts before each pass
    applied_per_pass: list[list[Diagnostic]] = []
    conflicts: list[tuple[str, ...]] = []
    unconverged: tuple[str, ...] = ()

    # a report without digests was not made by engine.check() (tests build them by hand)
    digests = getattr(report, "digests", None) or None

    def text_of(path: str) -> str | None:
        from linter.parsers import content_digest

        real = os.path.realpath(path)
        if real in frozen:
            return None
        if real not in texts:
            try:
                with open(path, "rb") as f:
                    data = f.read()
                if digests is not None and digests.get(real) != content_digest(data):
                    refused.append(ConfigError(path, 0, 0, "changed since it was checked (or while): not fixed, "
                                                           "the findings' positions would be stale; run again"))
                    frozen.add(real)
                    return None
                originals[real] = texts[real] = decode(data, path)
            except (OSError, ConfigError):
                frozen.add(real)
                return None
            shown[real] = path
        return texts[real]

    for _ in range(max_passes):
        taken: dict[str, list[tuple[Edit, ...]]] = {}  # real path -> the edits of each fix taken
        chosen: list[tuple[Diagnostic, tuple[str, ...]]] = []
        for diagnostic in sorted(current.diagnostics, key=SORT_KEY):
            fix = diagnostic.fix
            if fix is None or not fix.edits or fix.applicability < wanted:
                continue
            by_file: dict[str, list[Edit]] = {}
            for edit in fix.edits:
                by_file.setdefault(edit.span.path, []).append(edit)
            if any(text_of(p) is None for p in by_file):
                continue
            reals = {os.path.realpath(p): edits for p, edits in by_file.items()}
            if any(_overlaps(edits, taken.get(real, ())) for real, edits in reals.items()):
                continue
            for real, edits in reals.items():
                taken.setdefault(real, []).append(tuple(edits))
            chosen.append((diagnostic, tuple(reals)))
        if not chosen:
            break
        history.append(dict(texts))
        before = dict(texts)
        changed_now = set()
        for real, fixes in taken.items():
            new = apply_edits(texts[real], [e for edits in fixes for e in edits])
            if new != texts[real]:
                texts[real] = new
                changed_now.add(real)
        if not changed_now:
            break  # the fixes change nothing: stop rather than spin
        known_errors = _error_keys(current.errors)
        with overlay(texts):
            current = recheck(files)
        broken = _broken_files(current.errors, known_errors, changed_now)
        if broken:
            for real in broken:
                texts[real] = before[real]
                frozen.add(real)
            rolled_back += [e for e in current.errors if _error_file(e, broken, changed_now)]
            with overlay(texts):
                current = recheck(files)
        this_pass = [d for d, reals in chosen if not (set(reals) & broken) and set(reals) & changed_now]
        applied += this_pass
        applied_per_pass.append(this_pass)
        if texts in history:  # back to an earlier state: the fixes undo each other
            start = history.index(texts)
            cycle = [d for fixes in applied_per_pass[start:] for d in fixes]
            conflicts.append(tuple(sorted({d.rule for d in cycle})))
            undone = {id(d) for d in cycle}
            applied = [d for d in applied if id(d) not in undone]
            break
    else:  # every pass changed something: the bound ended the loop, not a stable state
        unconverged = tuple(sorted({d.rule for d in current.diagnostics if _offered(d, wanted, frozen)}))

    changed = {shown[real]: (originals[real], texts[real]) for real in texts if texts[real] != originals[real]}
    diff = unified_diff(changed)
    if refused:
        merged = tuple(sorted((*current.errors, *refused), key=lambda e: (e.path, e.line, e.column)))
        current = current.replace(errors=merged)
    if write and changed:
        errors = []
        for path, (old, new) in changed.items():
            error = write_text(path, old, new)
            if error is not None:
                errors.append(error)
        if errors:
            failed = {e.path for e in errors}
            changed = {p: v for p, v in changed.items() if p not in failed}
            merged = tuple(sorted((*current.errors, *errors), key=lambda e: (e.path, e.line, e.column)))
            current = current.replace(errors=merged)
    return FixOutcome(changed, tuple(applied), current, diff, tuple(rolled_back), tuple(conflicts), unconverged,
                      len(history))


def _offered(diagnostic: Diagnostic, wanted: Applicability, frozen: set[str]) -> bool:
    """Whether the loop would apply ``diagnostic``'s fix in another pass."""
    fix = diagnostic.fix
    return fix is not None and bool(fix.edits) and fix.applicability >= wanted \
        and not any(os.path.realpath(e.span.path) in frozen for e in fix.edits)


def convergence_note(prog: str, outcome: FixOutcome) -> str:
    """The message for a loop that stopped at its bound (empty when it did not)."""
    if not outcome.unconverged:
        return ""
    return (f"{prog}: note: failed to converge after {outcome.passes} passes: the fixes of "
            f"{' and '.join(outcome.unconverged)} still change the files each time (the files hold the last "
            "pass's text); make each fix give a value its rule accepts\n")


def _interval(edit: Edit) -> tuple[tuple[int, int], tuple[int, int]]:
    s = edit.span
    return (s.line, s.column), (s.end_line, s.end_column)


def _overlaps(edits: Iterable[Edit], taken: Iterable[tuple[Edit, ...]]) -> bool:
    """Whether ``edits`` touch a range (or an insertion point) of an already-taken fix."""
    for edit in edits:
        a0, a1 = _interval(edit)
        for fix in taken:
            for other in fix:
                b0, b1 = _interval(other)
                if a0 < b1 and b0 < a1:
                    return True
                # an insertion at the same point or at the edge of a replacement: order is ambiguous
                if (a0 == a1 or b0 == b1) and a0 <= b1 and b0 <= a1:
                    return True
    return False


def _error_keys(errors: Iterable[ConfigError]) -> set[tuple[str, str]]:
    return {(os.path.realpath(e.path), e.message) for e in errors}


def _broken_files(errors: Iterable[ConfigError], before_errors: set[tuple[str, str]], changed: set[str]) -> set[str]:
    """The changed files to roll back: those with a new error, or all of this pass's when
    a new error is in a file that was not edited (a Dovecot root including an edited file)."""
    broken: set[str] = set()
    for error in errors:
        real = os.path.realpath(error.path)
        if (real, error.message) in before_errors:
            continue
        broken |= {real} if real in changed else set(changed)
    return broken


def _error_file(error: ConfigError, broken: set[str], changed: set[str]) -> bool:
    real = os.path.realpath(error.path)
    return real in broken or (real not in changed and bool(broken))


def _lines(text: str) -> list[str]:
    """Lines ending in ``\\n`` (a CRLF line keeps its ``\\r``); only the last may lack it."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def unified_diff(changed: dict[str, tuple[str, str]]) -> str:
    """A git-style unified diff of ``path -> (old, new)``, files in path order."""
    import difflib

    from linter.reporters import relative_path

    out: list[str] = []
    for path in sorted(changed):
        old, new = changed[path]
        name = relative_path(path, os.curdir)
        out.append(f"diff --git a/{name} b/{name}\n")
        for line in difflib.unified_diff(_lines(old), _lines(new), f"a/{name}", f"b/{name}", lineterm="\n"):
            if line.startswith(("---", "+++")) and not line.endswith("\n"):
                line += "\n"
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _refusal(path: str, target: str, info: os.stat_result) -> str | None:
    """Why the file ``target`` (``path`` as spelled) must not be replaced, or None."""
    import stat

    from linter import confine

    if not confine.may_write(target):
        via = f"a symbolic link to {target}, " if target != os.path.abspath(path) else ""
        return f"{via}outside the repository root: not written"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file: not written"
    euid = os.geteuid() if hasattr(os, "geteuid") else None
    if euid is not None and info.st_uid != euid:
        return (f"owned by uid {info.st_uid}, not by the user fixing it (uid {euid}): not written "
                "(replacing it would change its owner)")
    mode = stat.S_IMODE(info.st_mode)
    if not mode & stat.S_IWUSR:
        return f"read-only (mode {mode:04o}): not written"
    return None


def write_text(path: str, expected: str, text: str) -> ConfigError | None:
    """Atomically replace the file at ``path`` (through a symlink) by ``text``.

    Refuses when the file no longer holds ``expected`` (it changed while we fixed it),
    and for the files :func:`_refusal` names.  Returns the error instead of raising, so
    one unwritable file does not stop the others.
    """
    import stat
    import tempfile

    target = os.path.realpath(path)
    try:
        info = os.stat(target)
        refusal = _refusal(path, target, info)
        if refusal is not None:
            return ConfigError(path, 0, 0, refusal)
        with open(target, "rb") as f:
            if f.read() != encode(expected):
                return ConfigError(path, 0, 0, "changed on disk while fixing; not written")
    except OSError as e:
        return ConfigError(path, 0, 0, f"cannot write: {e.strerror or e}")
    directory, name = os.path.split(target)
    temporary = None
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".policy-lint", dir=directory)
        with os.fdopen(fd, "wb") as f:
            f.write(encode(text))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, stat.S_IMODE(info.st_mode))
        if hasattr(os, "chown") and os.stat(temporary).st_gid != info.st_gid:
            try:
                os.chown(temporary, -1, info.st_gid)
            except OSError:
                return ConfigError(path, 0, 0, f"cannot keep its group (gid {info.st_gid}): not written")
        os.replace(temporary, target)
        temporary = None
    except OSError as e:
        return ConfigError(path, 0, 0, f"cannot write: {e.strerror or e}")
    finally:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass
    try:  # make the rename itself durable
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
    return None
