"""Baselines: record today's findings so that a legacy repository fails only on new ones.

API (wired by the CLI: ``policy-lint baseline`` writes, ``check --baseline FILE`` filters)::

    write_baseline(path, report)            # OSError when it cannot be written
    load_baseline(path) -> Baseline         # BaselineError (a ConfigError and a ValueError)
    filter_baseline(report, baseline) -> Report
    match_baseline(report, baseline) -> BaselineMatch   # kept, hidden, stale: for reporting

The file is JSON, sorted and stable so that its diffs are reviewable::

    {"version": 1, "tool": "policy-lint",
     "findings": [{"path": "postfix/main.cf", "rule": "PF101",
                   "fingerprint": "3f0c...", "message": "..."}]}

``path`` is relative to the baseline file's directory (``/`` separators), so the
baseline works from any working directory and in any checkout.  The fingerprint does
not use the line number, so lines added above a finding do not revive it: it hashes
the rule, the finding's message (line references such as "on line 31" removed) and the text of the line it points at (whitespace
collapsed), plus the occurrence index among the file's findings with the same three
(two identical lines stay two entries).  A finding at an insertion point (a missing
directive: a zero-width span) hashes no line text, because the line around an
insertion point changes with unrelated edits.  ``message`` is for human readers only.

An entry is *stale* when its file was checked but no finding matches it any more
(fixed, or changed): :func:`match_baseline` counts them; regenerate the baseline to
drop them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from linter.diagnostics import SORT_KEY, Diagnostic
from linter.lazyre import lazy
from linter.model import ConfigError
from linter.records import Frozen, _set

VERSION = 1


class BaselineError(ConfigError, ValueError):
    """A baseline file that cannot be read or is not one."""


class BaselineEntry(Frozen):
    """``path`` is relative to the baseline's directory, with '/' separators; ``message`` is
    not compared.  Ordered by path, rule, fingerprint."""

    __slots__ = ("path", "rule", "fingerprint", "message")
    _compare = ("path", "rule", "fingerprint")

    def __init__(self, path: str, rule: str, fingerprint: str, message: str = ""):
        _set(self, "path", path)
        _set(self, "rule", rule)
        _set(self, "fingerprint", fingerprint)
        _set(self, "message", message)

    def __lt__(self, other: BaselineEntry) -> bool:
        return self._key() < other._key()


class Baseline(Frozen):
    """``path`` is the baseline file; entries' paths are relative to its directory."""

    __slots__ = ("path", "entries")

    def __init__(self, path: str, entries: tuple[BaselineEntry, ...]):
        _set(self, "path", path)
        _set(self, "entries", entries)

    @property
    def directory(self) -> str:
        return os.path.dirname(os.path.abspath(self.path))


class BaselineMatch(Frozen):
    """``kept``: findings not in the baseline (new); ``hidden``: findings the baseline
    records; ``stale``: entries of checked files that match no finding."""

    __slots__ = ("kept", "hidden", "stale")

    def __init__(self, kept: tuple[Diagnostic, ...], hidden: tuple[Diagnostic, ...],
                 stale: tuple[BaselineEntry, ...]):
        _set(self, "kept", kept)
        _set(self, "hidden", hidden)
        _set(self, "stale", stale)


def _relative(path: str, directory: str) -> str:
    return os.path.relpath(os.path.abspath(path), directory).replace(os.sep, "/")


def _line_texts(paths: Iterable[str]) -> dict[str, list[str]]:
    from linter.parsers import read_text

    texts: dict[str, list[str]] = {}
    for path in set(paths):
        try:
            texts[path] = read_text(path).split("\n")
        except ConfigError:
            texts[path] = []
    return texts


# a line reference in a message ("set again on line 31", "main.cf:31"), which moves
_LINE_REFERENCE = lazy(r"\b(lines?) \d+(?:\s*(?:-|to|and)\s*\d+)?|(?<=\S):\d+(?::\d+)?\b")


def _stable_message(message: str) -> str:
    """The message without line references, which move."""
    return " ".join(_LINE_REFERENCE.sub(lambda m: f"{m.group(1) or ''} #", message).split())


def fingerprints(diagnostics: Iterable[Diagnostic], directory: str) -> list[tuple[BaselineEntry, Diagnostic]]:
    """Each finding's baseline entry (see the module docstring for what is hashed)."""
    import hashlib

    ordered = sorted(diagnostics, key=SORT_KEY)
    lines = _line_texts(d.span.path for d in ordered)
    counts: dict[tuple[str, str, str], int] = {}
    result = []
    for d in ordered:
        s = d.span
        text = ""
        if (s.line, s.column) != (s.end_line, s.end_column):
            file_lines = lines.get(s.path, [])
            text = " ".join(file_lines[s.line - 1].split()) if 0 < s.line <= len(file_lines) else ""
        path = _relative(s.path, directory)
        key = (path, d.rule, "\0".join((d.rule, _stable_message(d.message), text)))
        index = counts.get(key, 0)
        counts[key] = index + 1
        digest = hashlib.sha256(f"{key[2]}\0{index}".encode("utf-8", "surrogateescape")).hexdigest()[:32]
        result.append((BaselineEntry(path, d.rule, digest, d.message), d))
    return result


def write_baseline(path: str, report) -> None:  # noqa: ANN001 - engine.Report
    """Record ``report``'s findings in ``path`` (atomically: a temporary file then a rename)."""
    import json

    from linter.store import write_atomically

    directory = os.path.dirname(os.path.abspath(path))
    entries = sorted(entry for entry, _ in fingerprints(report.diagnostics, directory))
    document = {
        "version": VERSION,
        "tool": "policy-lint",
        "findings": [{"path": e.path, "rule": e.rule, "fingerprint": e.fingerprint, "message": e.message}
                     for e in entries],
    }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    write_atomically(path, text.encode("utf-8", "backslashreplace"), prefix=".policy-lint-baseline.")


def load_baseline(path: str) -> Baseline:
    import json

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError:
        raise BaselineError(path, 0, 0, "not a baseline file (not UTF-8 JSON)") from None
    except OSError as e:
        raise BaselineError(path, 0, 0, f"cannot read: {e.strerror or e}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        raise BaselineError(path, e.lineno, e.colno, f"not a baseline file: invalid JSON: {e.msg}") from None
    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        raise BaselineError(path, 0, 0, "not a baseline file: expected an object with a 'findings' list "
                                        "(write one with 'policy-lint baseline')")
    if document.get("version") != VERSION:
        raise BaselineError(path, 0, 0, f"unsupported baseline version {document.get('version')!r}; "
                                        f"expected {VERSION} (regenerate it with 'policy-lint baseline')")
    entries = []
    for index, item in enumerate(document["findings"]):
        fields = ("path", "rule", "fingerprint")
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in fields):
            raise BaselineError(path, 0, 0, f"findings[{index}]: expected an object with string "
                                            f"'path', 'rule' and 'fingerprint'")
        message = item.get("message")
        entries.append(BaselineEntry(item["path"], item["rule"], item["fingerprint"],
                                     message if isinstance(message, str) else ""))
    return Baseline(path, tuple(entries))


def match_baseline(report, baseline: Baseline) -> BaselineMatch:  # noqa: ANN001 - engine.Report
    directory = baseline.directory
    remaining: dict[BaselineEntry, int] = {}
    for entry in baseline.entries:
        remaining[entry] = remaining.get(entry, 0) + 1
    kept, hidden = [], []
    for entry, diagnostic in fingerprints(report.diagnostics, directory):
        if remaining.get(entry, 0) > 0:
            remaining[entry] -= 1
            hidden.append(diagnostic)
        else:
            kept.append(diagnostic)
    checked = {_relative(p, directory) for p in (*report.files, *(d.span.path for d in report.diagnostics))}
    stale = tuple(sorted(e for e, n in remaining.items() if n > 0 and e.path in checked for _ in range(n)))
    return BaselineMatch(tuple(sorted(kept, key=SORT_KEY)), tuple(hidden), stale)


def filter_baseline(report, baseline: Baseline):  # noqa: ANN001,ANN201 - engine.Report
    """``report`` without the findings ``baseline`` records."""
    return report.replace(diagnostics=match_baseline(report, baseline).kept)
