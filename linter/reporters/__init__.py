"""Output formats: one module per format behind one dict, which is also ``--format``'s choices
(``linter.console.report_formats``; this module stays light, the command line imports it).

Each module has ``render(report, policy, settings) -> str``.  Modules are imported
only when their format is chosen, so a text run never imports ``json``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from linter import __version__
from linter.lazyre import lazy
from linter.records import Frozen, _set

TYPE_CHECKING = False
if TYPE_CHECKING:
    from linter.model import Span

REPORTERS: dict[str, str] = {
    "text": "linter.reporters.text",
    "json": "linter.reporters.json_",
    "github": "linter.reporters.github",
    "sarif": "linter.reporters.sarif",
}

INFORMATION_URI = "https://github.com/policy-lint/policy-lint"


class OutputSettings(Frozen):
    """How to present a report; nothing here changes what was found.

    ``root``: SARIF and GitHub paths are relative to this directory; ``unsafe_fixes``: count
    unsafe fixes as applicable (--unsafe-fixes); ``fixed``: findings already fixed by --fix,
    for the text summary; ``quiet``: text, findings only, no summary; ``baselined``: findings
    hidden by the baseline, for the text summary."""

    __slots__ = ("color", "root", "unsafe_fixes", "fixed", "quiet", "baselined", "version")

    def __init__(self, color: bool = False, root: str = ".", unsafe_fixes: bool = False, fixed: int = 0,
                 quiet: bool = False, baselined: int = 0, version: str = __version__):
        _set(self, "color", color)
        _set(self, "root", root)
        _set(self, "unsafe_fixes", unsafe_fixes)
        _set(self, "fixed", fixed)
        _set(self, "quiet", quiet)
        _set(self, "baselined", baselined)
        _set(self, "version", version)


def _module(name: str):  # noqa: ANN202 - the reporter module of format ``name``
    # __import__ rather than importlib.import_module: importlib brings warnings at start-up
    return __import__(REPORTERS[name], fromlist=["render"])


def renderer(name: str) -> Callable[..., str]:
    """The ``render`` function of format ``name`` (a key of :data:`REPORTERS`)."""
    return _module(name).render


def chunk_renderer(name: str) -> Callable[..., Iterable[str]] | None:
    """The ``render_chunks`` function of format ``name``, for formats that can write a
    report as it is made (one finding at a time: ``"".join`` of the pieces is what
    ``render`` returns), or None."""
    return getattr(_module(name), "render_chunks", None)


class Memo(dict):
    """``function(key)`` worked out once per key and kept for the report (a file's path, a
    rule's id: a report has few of them); a hit is a plain dict look-up."""

    __slots__ = ("function",)

    def __init__(self, function: Callable[[str], object]):
        super().__init__()
        self.function = function

    def __missing__(self, key: str) -> object:
        value = self[key] = self.function(key)
        return value


SHARED_TEXTS = 4096  # the bound of each table of shared report pieces


def remember(table: dict, key: object, value: object) -> object:
    """``value`` stored in ``table`` (a report's shared pieces, by what they are made of) and
    returned; the table is emptied first when full, so a report of many different findings
    holds at most :data:`SHARED_TEXTS` of them."""
    if len(table) >= SHARED_TEXTS:
        table.clear()
    table[key] = value
    return value


def fix_edits(fix) -> tuple:  # noqa: ANN001 - diagnostics.Fix or LineDeletion
    """A fix's edits; a dead line's deletion (a LineDeletion) as its one edit, whose span is
    known without making the Edit."""
    return ((fix.deleted(), ""),) if fix.own_lines is not None else fix.edits


def around_edit(table: dict, key: object, render: Callable[[str], str]) -> tuple[str, str]:
    """A one-edit fix's text around its edit's span (what ``render`` writes before and after
    the mark it is given), made once per ``key`` and kept in ``table``: most fixes (a dead
    duplicate's deletion) differ only in that span."""
    around = table.get(key)
    if around is None:
        before, _mark, after = render("\0").partition("\0")
        around = remember(table, key, (before, after))
    return around


def relative_path(path: str, root: str) -> str:
    """``path`` relative to ``root`` with ``/`` separators, or absolute when outside it."""
    import os

    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute, os.path.abspath(root))
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return absolute.replace(os.sep, "/")
    return relative.replace(os.sep, "/")


# C0 controls but TAB, DEL and C1: a terminal acts on them (ESC sequences clear the screen,
# rewrite lines, set the title), GitHub's log viewer renders ANSI sequences.
_CONTROL = lazy("[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_CONTROL_BUT_NEWLINE = lazy("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str, newlines: bool = False) -> str:
    """``text`` from an input (a file name, a value, a message quoting them) safe to print:
    every control character but TAB (and LF when ``newlines``) as a ``\\xNN`` escape."""
    if text.isprintable():  # no control character at all (a C loop, far faster than the search)
        return text
    pattern = _CONTROL_BUT_NEWLINE if newlines else _CONTROL
    if pattern.search(text) is None:
        return text
    return pattern.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def workflow_safe(text: str) -> str:
    """Plain lines that GitHub Actions cannot take for workflow commands: the runner reads a
    line whose start (after blanks) is ``::`` as a command, and the legacy ``##[`` anywhere."""
    if "::" not in text and "##[" not in text:
        return text
    out = []
    for line in text.split("\n"):
        line = line.replace("##[", "#%23[")
        stripped = line.lstrip()
        if stripped.startswith("::"):
            line = line[: len(line) - len(stripped)] + "%3A" + stripped[1:]
        out.append(line)
    return "\n".join(out)


def further_edits(diagnostic) -> list:  # noqa: ANN001 - diagnostics.Diagnostic
    """The edits of a finding's fix outside the finding's own lines (other lines, other
    files), in order: what applying the fix changes beyond the place the report shows."""
    fix, s = diagnostic.fix, diagnostic.span
    if fix is None or fix.own_lines == s:  # none, or the finding's own lines (a dead duplicate's)
        return []
    last = max(s.line, s.end_line - 1 if s.end_column == 1 and s.end_line > s.line else s.end_line)

    def outside(e: Span) -> bool:  # an edit up to column 1 of a line ends on the line before
        end = e.end_line - 1 if e.end_column == 1 and e.end_line > e.line else e.end_line
        return e.path != s.path or e.line < s.line or end > last

    return [e for e in fix.edits if outside(e.span)]


def quoted(text: str) -> str:
    r"""``text`` (an edit's content) in double quotes, backslash, quote, LF and TAB as
    ``\\``, ``\"``, ``\n``, ``\t``, other control characters as ``\xNN``."""
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{printable(text)}"'


def edit_text(edit, location: str) -> str:  # noqa: ANN001 - diagnostics.Edit
    """``LOCATION: insert "..."``, ``LOCATION: replace up to L:C with "..."``,
    ``LOCATION: delete up to L:C``; ``location`` is the edit's start, already printable."""
    s = edit.span
    if (s.line, s.column) == (s.end_line, s.end_column):
        return f"{location}: insert {quoted(edit.content)}"
    if not edit.content:
        return f"{location}: delete up to {s.end_line}:{s.end_column}"
    return f"{location}: replace up to {s.end_line}:{s.end_column} with {quoted(edit.content)}"
