"""Human-readable output: ``path:line:col: severity RULE message``, the fix under it, a summary.

Input errors are not part of it (the CLI prints them on stderr); the summary counts them.
Text from inputs (paths, values quoted in messages) has its control characters escaped.
"""

from __future__ import annotations

from linter.diagnostics import Applicability, Diagnostic
from linter.reporters import Memo, OutputSettings, edit_text, further_edits, printable, remember

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from linter.diagnostics import Edit

RESET = "\033[0m"
BOLD = "\033[1m"
SEVERITY_COLORS = {"error": "\033[1;31m", "warning": "\033[1;33m", "info": "\033[1;36m"}
DIM = "\033[2m"


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{RESET}" if color else text


def plural(count: int, word: str, plural_form: str | None = None) -> str:
    """``1 file``, ``2 files`` (``plural_form`` for words like fix -> fixes)."""
    if count == 1:
        return f"{count} {word}"
    return f"{count} {plural_form or word + 's'}"


def _location(path: str, line: int, column: int) -> str:
    path = printable(path)
    return f"{path}:{line}:{column}" if line else path


def _tail(diagnostic: Diagnostic, color: bool, further: Iterable[Edit]) -> str:
    """A finding's text after its location: severity, rule, message, and its fix with what
    the fix ``further`` changes elsewhere, each line ending in a newline."""
    severity = str(diagnostic.severity)
    text = (f": {_paint(severity, SEVERITY_COLORS[severity], color)} "
            f"{_paint(printable(diagnostic.rule), BOLD, color)} "
            f"{printable(diagnostic.message, newlines=True)}").replace("\n", "\n    ") + "\n"
    fix = diagnostic.fix
    if fix is not None:
        text += _paint(f"  fix: {printable(fix.title)} [{fix.applicability}]", DIM, color) + "\n"
        for edit in further:
            e = edit.span
            text += _paint(f"    also {edit_text(edit, _location(e.path, e.line, e.column))}", DIM, color) + "\n"
    return text


def summary(report, settings: OutputSettings) -> str:  # noqa: ANN001 - engine.Report
    count = len(report.diagnostics)
    safe = unsafe = 0
    for d in report.diagnostics:
        fix = d.fix
        if fix is not None and fix.applicability >= Applicability.UNSAFE and fix.has_edits:
            if fix.applicability >= Applicability.SAFE:
                safe += 1
            else:
                unsafe += 1
    parts = []
    if settings.fixed:
        parts.append(f"Fixed {plural(settings.fixed, 'finding')}.")
    if count == 0:
        parts.append(f"No findings in {plural(len(report.files), 'file')}.")
    else:
        fixable = []
        if settings.unsafe_fixes and safe + unsafe:
            fixable.append(f"{safe + unsafe} fixable with --fix --unsafe-fixes")
        else:
            if safe:
                fixable.append(f"{safe} fixable with --fix")
            if unsafe:
                fixable.append(f"{unsafe} more with --unsafe-fixes" if safe else
                               f"{unsafe} fixable with --fix --unsafe-fixes")
        parts.append(plural(count, "finding") + (f" ({', '.join(fixable)})" if fixable else ""))
    if settings.baselined:
        parts.append(f"({settings.baselined} more hidden by the baseline)")
    lines = [" ".join(parts)]
    if report.errors:
        lines.append(f"{plural(len(report.errors), 'error')}: not everything could be checked.")
    return "\n".join(lines)


def error_line(error) -> str:  # noqa: ANN001 - model.ConfigError
    """``path:line:col: error: message`` on one line, control characters escaped."""
    return f"{_location(error.path, error.line, error.column)}: error: {printable(' '.join(error.message.split()))}"


def render(report, policy, settings: OutputSettings = OutputSettings()) -> str:  # noqa: ANN001
    return "".join(render_chunks(report, policy, settings))


def render_chunks(report, policy, settings: OutputSettings = OutputSettings()) -> Iterator[str]:  # noqa: ANN001
    """The report in pieces, one finding each, then the summary: a large report is
    written as it is made, never held whole."""
    color = settings.color
    paths = Memo(printable)  # a file's name, printable
    tails: dict[tuple, str] = {}  # what follows the location, by what it is made of
    for d in report.diagnostics:
        s = d.span
        path = paths[s.path]
        location = _paint(f"{path}:{s.line}:{s.column}" if s.line else path, BOLD, color)
        fix = d.fix
        further = further_edits(d) if fix is not None else ()
        if further:  # what the fix also changes elsewhere: this finding's own text
            yield location + _tail(d, color, further)
            continue
        # the rest of the finding's text does not depend on where it is: written once per
        # rule, message and fix (every line of one unknown name, every dead duplicate)
        key = (d.severity, d.rule, d.message, None if fix is None else (fix.title, fix.applicability))
        tail = tails.get(key)
        if tail is None:
            tail = remember(tails, key, _tail(d, color, ()))
        yield location + tail
    if not settings.quiet:
        yield summary(report, settings) + "\n"
