"""The ``policy-lint parse`` output: parsed documents as JSON.

A JSON array with one object per file::

    {"path": ..., "format": ..., "entries": [...], "templates": [...], "warnings": [...]}

Entries by format (``line``/``end_line`` 1-based, ``column`` where the entry starts):

* postfix-main: ``{"name", "value", "line", "end_line", "column", "templated"}``
* postfix-master: ``{"service", "type", "private", "unprivileged", "chroot", "wakeup",
  "process_limit", "command", "args", "overrides" (name -> value, the last one wins),
  "line", "end_line", "column", "templated"}``
* dovecot: ``{"section": [...], "name", "value", "file", "line", "end_line", "column", "templated"}``

``templates`` lists the template lines kept opaque (``{"text", "line"}``) and
``warnings`` the parser warnings (``{"code", "message", "line", "column", "end_line",
"end_column"}``); neither changes the meaning of ``entries``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from linter.model import Assignment, Document, Service, Setting

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_LONE_SURROGATE = re.compile("[\x7f-\x9f\ud800-\udfff]")  # and DEL and C1 controls


def _entry(entry: Any) -> dict:
    common = {"line": entry.span.line, "end_line": entry.span.end_line, "column": entry.span.column}
    if isinstance(entry, Assignment):
        return {"name": entry.name, "value": entry.value, **common, "templated": entry.templated,
                **({"conditional": True} if entry.conditional else {})}
    if isinstance(entry, Service):
        return {
            "service": entry.service,
            "type": entry.type,
            "private": entry.private,
            "unprivileged": entry.unprivileged,
            "chroot": entry.chroot,
            "wakeup": entry.wakeup,
            "process_limit": entry.process_limit,
            "command": entry.command,
            "args": list(entry.args),
            "overrides": {o.name: o.value for o in entry.overrides},
            **common,
            "templated": entry.templated,
        }
    if isinstance(entry, Setting):
        return {
            "section": list(entry.section),
            "name": entry.name,
            "value": entry.value,
            "file": entry.file,
            **common,
            "templated": entry.templated,
            **({"conditional": True} if entry.conditional else {}),
        }
    raise TypeError(f"not a document entry: {entry!r}")


def document_to_dict(document: Document) -> dict:
    return {
        "path": document.path,
        "format": document.format,
        "entries": [_entry(e) for e in document.entries],
        "templates": [{"text": t.text, "line": t.span.line, "path": t.span.path} for t in document.templates],
        "warnings": [
            {
                "code": w.code,
                "message": w.message,
                "path": w.span.path,
                "line": w.span.line,
                "column": w.span.column,
                "end_line": w.span.end_line,
                "end_column": w.span.end_column,
            }
            for w in document.warnings
        ],
    }


def to_json(documents: Iterable[Document]) -> str:
    """The documents as a JSON array (non-ASCII kept readable; undecodable bytes as \\udcXX)."""
    import json

    text = json.dumps([document_to_dict(d) for d in documents], indent=2, ensure_ascii=False)
    # Undecodable bytes are lone surrogates (surrogateescape), which no encoder
    # writes; they only occur inside JSON strings, so escape them there.
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
