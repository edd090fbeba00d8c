"""``other-version-parameter``: a Postfix name that the assumed version does not know but
another catalogued version does, while the run does not declare the Postfix version.

Postfix's version cannot be told from main.cf, so without ``versions: {postfix: ...}``
it is assumed (docs/configuration.md).  ``smtpd_hide_client_session`` (Postfix 3.10) is
then not a misspelling to remove: it works on the version that knows it and is ignored
(postconf: "unused parameter") by an older one.  ``unknown-directive`` leaves such names
to this kind; with a declared version they are that kind's (unknown to that version).
``{detail}`` names the versions that know the name and the assumed one.

    check: {kind: other-version-parameter}

fail::

    # Postfix 3.10; 3.7 is assumed
    smtpd_hide_client_session = yes

pass::

    smtpd_tls_security_level = may
"""

from __future__ import annotations

from collections.abc import Iterator

from linter import catalog
from linter.checks.base import Finding
from linter.checks.common import documents
from linter.checks.context import Unit
from linter.checks.unknown_directive import postfix_unknown
from linter.policy.model import Rule

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

KIND = "other-version-parameter"
UNIT = "document"  # once per host, on whole documents
OWN_EDITS = False
OPTIONS = {"properties": {"format": True}}
DOC_KEYS = "optional `format`"
DOC_FINDS = ("a main.cf or `-o` name that the assumed Postfix version does not know and another catalogued "
             "version does, when `versions:` does not declare the Postfix version (`{detail}`: which versions "
             "know it, and the assumed one); with a declared version `unknown-directive` reports it")


def _versions(others: tuple[str, ...], assumed: str) -> str:
    newer = [v for v in others if catalog.version_key(v) > catalog.version_key(assumed)]
    older = [v for v in others if catalog.version_key(v) < catalog.version_key(assumed)]
    parts = []
    if newer:
        parts.append(f"Postfix {newer[0]} knows it")
    if older:
        parts.append(f"Postfix {older[-1]} knew it")
    return f"{' and '.join(parts)}, {assumed} (assumed) does not"


def run(rule: Rule, unit: Unit, env: Any) -> Iterator[Finding]:
    if catalog.declared("postfix"):
        return
    assumed = catalog.selected("postfix")
    for name, span, others in postfix_unknown(unit, documents(unit, rule.check)):
        if others:
            yield Finding(span=span, directive=name, detail=_versions(others, assumed))
