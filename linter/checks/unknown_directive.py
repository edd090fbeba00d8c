"""``unknown-directive``: a name no catalogue knows, with a did-you-mean.

Postfix ignores unknown parameters (postconf only warns), so a typo silently leaves
the default in force; Dovecot refuses to start.  A main.cf name that is used as
``$name`` elsewhere counts as known (postconf does the same).  A Dovecot name is
judged in the tree's version (linter.catalog); a name of the other version
(``ssl_cert`` in a 2.4 tree) gets the new name as its fix, with the value converted.

    check: {kind: unknown-directive}

fail::

    smtpd_tls_securty_level = may        # did you mean smtpd_tls_security_level?

pass::

    smtpd_tls_security_level = may
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

from linter import catalog, values, versions
from linter.checks.base import Finding
from linter.checks.common import documents, maybe_service_defined
from linter.checks.context import Unit, dovecot_version
from linter.diagnostics import Edit
from linter.model import DOVECOT, POSTFIX_MAIN, Assignment, Document, Service, Setting
from linter.parsers import strip_template_suffix, templates
from linter.parsers.dovecot import FILTERS
from linter.policy.model import Rule
from linter.suggest import Bounded

KIND = "unknown-directive"
UNIT = "document"  # once per host, on whole documents
OWN_EDITS = True  # the fix edit is the kind's own: fix takes only title and applicability
OPTIONS = {"properties": {"format": True}}
DOC_KEYS = "optional `format`"
DOC_FINDS = 'a name no catalogue knows, with a did-you-mean'

# Did-you-mean compares a name with every name of the catalogue (about a millisecond or more
# each): distinct names per file that get one (see linter.suggest.Bounded).
MAX_SUGGESTIONS_PER_FILE = 100


def _suggestion(name: str, fmt: str, section_kind: str | None = None, version: str | None = None) -> str | None:
    found = catalog.suggest(name, fmt, section_kind, version)
    return f"did you mean {found}?" if found else None


def _suggestions() -> Bounded:
    """A file's did-you-mean notes: each distinct name compared with the catalogue once, and
    only the first MAX_SUGGESTIONS_PER_FILE distinct names (a file of thousands of unknown
    names, generated or not a config at all, would take minutes); later ones are reported
    without a note."""
    return Bounded(_suggestion, MAX_SUGGESTIONS_PER_FILE)


_ARGS_FILE = re.compile(r"dovecot-(ldap|sql|dict)[\w.-]*\.conf")


def _judged(doc: Document, version: str) -> bool:
    """Whether ``doc`` is a Dovecot main config whose names a version can judge: not a
    driver's args file (``*.conf.ext`` roots, ``dovecot-ldap.conf``: another parser,
    other names), and in 2.3 no section kind doveconf does not know (it stops at
    "Unknown section name" first, and such a file is usually an args file too)."""
    name = strip_template_suffix(os.path.basename(doc.path))
    if name.endswith(".conf.ext") or _ARGS_FILE.fullmatch(name):
        return False
    if catalog.dovecot_is_flat(version):
        return True
    return all(catalog.dovecot_knows_section(s.kind, version) or s.kind in FILTERS for s in doc.sections)


def _known24(name: str, headers: tuple[str, ...], version: str) -> bool:
    """2.4: ``name`` resolves inside ``headers`` (doveconf: ``n``, else ``K_n``, else
    ``K_NAME_n`` for each enclosing section ``K NAME``, filters passed through; nested
    kinds chain, ``quota_warning_threshold``); a nameless section that is itself a list
    setting (``fields { }`` in a userdb) holds items."""
    inner = [h for h in headers if h.partition(" ")[0] not in FILTERS]
    if catalog.dovecot_setting(name, None, version) is not None:
        return True
    kinds = [h.partition(" ")[0] for h in inner]
    for depth in range(len(inner), 0, -1):
        kind, _, arg = inner[depth - 1].partition(" ")
        if catalog.dovecot_setting(name, kind, version, arg.strip('"') or None) is not None:
            return True
        # nested named filters chain their prefixes: quota { warning { threshold } }
        for start in range(depth - 1):
            if catalog.dovecot_setting("_".join([*kinds[start:depth], name]), None, version) is not None:
                return True
        if not arg and _known24(kind, tuple(inner[: depth - 1]), version):
            return True  # a list setting written as a section, or a group of a known prefix
    return False


def _dovecot_unknown(entry: Setting, version: str, suggest: Bounded) -> Finding | None:
    """A Dovecot setting the tree's version does not know (doveconf: "Unknown setting",
    fatal), with the other version's name for it where there is one (and that rename as
    the fix), else a did-you-mean.  Obsolete 2.3 names doveconf still converts are the
    ``obsolete-setting`` parser warning's, not unknown."""
    if entry.converted_from:
        return None
    headers = entry.section
    kind, _, arg = headers[-1].partition(" ") if headers else (None, "", "")
    arg = arg.strip('"')
    if any(templates.has_template(h) for h in headers):
        return None  # the section is only known once rendered
    flat = catalog.dovecot_is_flat(version)
    if flat and _known24(entry.name, headers, version):
        return None
    if not flat and catalog.dovecot_setting(entry.name, kind, version, arg or None) is not None:
        return None
    if not flat and (not headers or kind in FILTERS) and versions.obsolete_23(entry.name, entry.value) is not None:
        return None
    renamed = versions.renamed_in(kind, entry.name, version)
    other = "2.3" if flat else "2.4"
    if renamed is not None:
        convert = versions.translate(kind, entry.name, version)[2]
        value = convert(entry.value)
        edits = (Edit(entry.name_span, renamed),)
        if value != entry.value:
            edits += (Edit(entry.value_span, value),)
        return Finding(span=entry.name_span, directive=entry.name, edits=edits,
                       note=f"a Dovecot {other} name: {version} calls it {renamed}"
                            + (f" (= {value})" if value != entry.value else ""))
    note = versions.replacement_note(kind, entry.name, version)
    if note is not None:
        return Finding(span=entry.name_span, directive=entry.name, note=f"Dovecot {version}: {note}")
    return Finding(span=entry.name_span, directive=entry.name, note=suggest(entry.name, DOVECOT, kind, version))


def _user_defined(unit: Unit) -> set[str]:
    """Names postconf counts as used: ``$name`` references and smtpd_restriction_classes."""
    used = unit.host.referenced_names()
    classes = unit.host.postfix.explicit.get("smtpd_restriction_classes")
    if classes is not None and not classes.templated:
        used.update(values.split_list(classes.value))
    return used




def run(rule: Rule, unit: Unit, env: Any) -> Iterator[Finding]:
    used = _user_defined(unit)
    services = unit.host.postfix.services
    for doc in documents(unit, rule.check):
        if doc.format == DOVECOT:
            version = dovecot_version(doc)
            if not _judged(doc, version):
                continue
            # A section header that only parses once rendered leaves its settings in the
            # enclosing section here: their names cannot be judged in that file.
            unsure = {t.span.path for t in doc.templates if t.text.rstrip().endswith("{")}
            suggest = _suggestions()
            for entry in doc.entries:
                if isinstance(entry, Setting) and not entry.templated and entry.name.isascii() and \
                        entry.span.path not in unsure:
                    finding = _dovecot_unknown(entry, version, suggest)
                    if finding is not None:
                        yield finding
            continue
        suggest = _suggestions()
        for entry in doc.entries:
            if isinstance(entry, Assignment):
                candidates = [(entry.name, entry.name_span, POSTFIX_MAIN, None)]
            elif isinstance(entry, Service):
                candidates = [(o.name, o.name_span, POSTFIX_MAIN, None) for o in entry.overrides]
            else:
                continue
            for name, span, fmt, kind in candidates:
                if getattr(entry, "templated", False) or not name.isascii():
                    continue
                if not (catalog.is_known_postfix(name, services, used) or maybe_service_defined(unit.host, name)):
                    yield Finding(span=span, directive=name, note=suggest(name, fmt, kind))
