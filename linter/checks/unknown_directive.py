"""``unknown-directive``: a name no catalogue knows, with a did-you-mean.

Postfix ignores unknown parameters (postconf only warns), so a typo silently leaves
the default in force; Dovecot refuses to start.  A main.cf name that is used as
``$name`` elsewhere counts as known (postconf does the same).  A Dovecot name is
judged in the tree's version (linter.catalog); a name of the other version
(``ssl_cert`` in a 2.4 tree) gets the new name as its fix, with the value converted.

    check: {kind: unknown-directive}

fail::

    # did you mean smtpd_tls_security_level?
    smtpd_tls_securty_level = may

pass::

    smtpd_tls_security_level = may
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from linter import catalog, values, versions
from linter.checks.base import Finding
from linter.checks.common import documents, maybe_service_defined
from linter.checks.context import HostDocs, Unit, canonical_headers, dovecot_version
from linter.diagnostics import Edit
from linter.lazyre import lazy
from linter.model import DOVECOT, POSTFIX_MAIN, Assignment, Document, Service, Setting, Span
from linter.parsers import strip_template_suffix, templates
from linter.parsers.dovecot import FILTERS
from linter.policy.model import Rule
from linter.records import _new

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

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


def _suggestions() -> Callable[..., str | None]:
    """A file's did-you-mean notes: each distinct name compared with the catalogue once, and
    only the first MAX_SUGGESTIONS_PER_FILE distinct names (a file of thousands of unknown
    names, generated or not a config at all, would take minutes); later ones are reported
    without a note.  The bound (and linter.suggest) comes with the file's first unknown
    name: most files have none."""
    bounded = None

    def suggest(*args: str | None) -> str | None:
        nonlocal bounded
        if bounded is None:
            from linter.suggest import Bounded

            bounded = Bounded(_suggestion, MAX_SUGGESTIONS_PER_FILE)
        return bounded(*args)

    return suggest


_ARGS_FILE = lazy(r"dovecot-(ldap|sql|dict)[\w.-]*\.conf")


def _judged(doc: Document, version: str) -> bool:
    """Whether ``doc`` is a Dovecot main config whose names a version can judge: not a
    driver's args file (``*.conf.ext`` roots, ``dovecot-ldap.conf``: another parser,
    other names), and in 2.3 no section kind doveconf does not know (it stops at
    "Unknown section name" first, and such a file is usually an args file too)."""
    name = strip_template_suffix(os.path.basename(doc.path))
    if name.endswith(".conf.ext") or name.startswith("dovecot-") and _ARGS_FILE.fullmatch(name):
        return False
    if catalog.dovecot_is_flat(version):
        return True
    return all(catalog.dovecot_knows_section(s.kind, version) or s.kind in FILTERS for s in doc.sections)


def _group_header(header: str) -> str:
    """2.4: ``group @label name`` resolves names as a section ``label name`` does (doveconf
    tries ``n``, ``label_n``, ``label_name_n``: ``host`` in ``group @mysql x`` is mysql_host)."""
    kind, _, arg = header.partition(" ")
    if kind == "group" and arg.startswith("@"):
        return arg[1:]
    return header


def _known24(name: str, headers: tuple[str, ...], version: str) -> bool:
    """2.4: ``name`` resolves inside ``headers`` as doveconf resolves it: ``n`` itself (any
    setting is allowed in any filter); else, each section's kind chained onto its parent's
    (``group_by`` in ``metric x`` is ``metric_group_by``, ``method`` in that
    ``metric_group_by_method``, ``warning`` in ``quota x`` ``quota_warning``), inside the
    innermost ``K NAME`` only: ``K_n``, else ``K_NAME_n`` (``base`` in ``method
    exponential`` is ``metric_group_by_method_exponential_base``; ``filter`` in
    ``group_by d`` is not ``metric_filter``: doveconf refuses it), filters passed through.
    A nameless section that is itself a list setting (``fields { }`` in a userdb) holds
    items."""
    headers = tuple(_group_header(h) for h in headers)
    inner = tuple(h for h in headers if h.partition(" ")[0] not in FILTERS)
    if catalog.dovecot_setting(name, None, version) is not None:
        return True
    if not inner:
        return False
    kind, _, arg = canonical_headers(inner, version)[-1].partition(" ")
    if catalog.dovecot_setting(name, kind, version, arg.strip('"') or None) is not None:
        return True
    written, _, arg = inner[-1].partition(" ")
    return not arg and _known24(written, inner[:-1], version)  # a list setting written as a section


def _groups(doc: Document, version: str) -> dict[str, set[str]]:
    """2.4: the settings groups ``@label = name`` may include: Dovecot's own and the tree's
    ``group @label name { }`` sections."""
    found = {label: set(names) for label, names in catalog.dovecot_groups(version).items()}
    for section in doc.sections:
        if section.kind == "group" and section.name.startswith("@") and " " in section.name:
            label, _, name = section.name[1:].partition(" ")
            found.setdefault(label, set()).add(name.strip())
    return found


def _group_include(entry: Setting, doc: Document, groups: dict[str, set[str]]) -> Finding | None:
    """2.4: ``@label = name`` includes a settings group (Dovecot's config syntax, "Groups
    includes"); doveconf refuses a label or name that no group defines. A tree that did
    not read every file (an include kept out of the repository) may define it there."""
    label, name = entry.name[1:], entry.value.strip()
    if label in groups and name in groups[label]:
        return None
    if doc.notes:
        return None
    note = (f"doveconf: Unknown group label @{label}" if label not in groups
            else f"doveconf: Unknown group @{label}={name}; known: {', '.join(sorted(groups[label]))}")
    return Finding(span=entry.name_span, directive=entry.name, note=note)


def _dovecot_knows(entry: Setting, version: str) -> bool:
    headers = entry.section
    if catalog.dovecot_is_flat(version):
        return _known24(entry.name, headers, version)
    kind, _, arg = headers[-1].partition(" ") if headers else (None, "", "")
    return catalog.dovecot_setting(entry.name, kind, version, arg.strip('"') or None) is not None


def _version_known(doc: Document) -> bool:
    """Whether the Dovecot version of ``doc``'s tree is known: declared (``versions:``),
    or told by the tree's root, a dovecot.conf (``dovecot_config_version`` set: 2.4, which
    refuses to start without it; unset: 2.3).  A conf.d file checked without its
    dovecot.conf may belong to either: a name one version knows is not unknown."""
    if catalog.declared("dovecot") or "dovecot_config_version" in doc.meta:
        return True
    return strip_template_suffix(os.path.basename(doc.path)) == "dovecot.conf"


def _dovecot_unknown(entry: Setting, version: str, suggest: Callable[..., str | None]) -> Finding | None:
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
    if _dovecot_knows(entry, version):
        return None
    flat = catalog.dovecot_is_flat(version)
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


def _named(entry: Assignment | Setting, name: str) -> bool:
    """A templated entry whose name is still known: a line behind an installer's
    ``%{flag}`` (its value is unknown, its name is not)."""
    return getattr(entry, "conditional", False) and not templates.has_template(name, postfix=True)


def _user_defined(host: HostDocs) -> set[str]:
    """Names postconf counts as used: ``$name`` references and smtpd_restriction_classes."""
    used = host.referenced_names()
    classes = host.postfix.explicit.get("smtpd_restriction_classes")
    if classes is not None and not classes.templated:
        used.update(values.split_list(classes.value))
    return used


class _KnownPostfix:
    """``catalog.is_known_postfix(name, services, used)`` or a service-defined name of a host
    whose master.cf is unknown, for the many names of one unit: each name judged once, and
    only the services the name starts with (``<service>_``) tried, found by the name's
    underscores in a dict rather than by a scan of every service per name.  A file of
    100,000 names (duplicates, or generated) then costs no more per name than a small one."""

    def __init__(self, host: HostDocs, services: tuple, used: set[str]):
        self.host, self.used = host, used
        self.by_service: dict[str, list] = {}
        for entry in services:
            service = entry if isinstance(entry, str) else entry[0]
            if service:
                self.by_service.setdefault(service, []).append(entry)
        self.judged: dict[str, bool] = {}
        self.versions: dict[str, tuple[str, ...]] = {}
        self.builtin = catalog.postfix_builtin_names()
        self.suffixes = catalog.service_parameter_suffixes()

    def other_versions(self, name: str) -> tuple[str, ...]:
        """``catalog.postfix_other_versions(name)``, once per distinct name."""
        found = self.versions.get(name)
        if found is None:
            found = self.versions[name] = catalog.postfix_other_versions(name)
        return found

    def __call__(self, name: str) -> bool:
        known = self.judged.get(name)
        if known is None:
            known = self.judged[name] = self._judge(name)
        return known

    def _judge(self, name: str) -> bool:
        if name in self.used or name in self.builtin:
            return True
        if not name.endswith(self.suffixes):
            # no delivery program has a parameter ending so: no service's, whatever the
            # services (one C call, where trying each prefix as a service was ten)
            return False
        candidates: list = []
        i = name.find("_")
        while i > 0:
            candidates += self.by_service.get(name[:i], ())
            i = name.find("_", i + 1)
        # is_known_postfix's last test (its others are the two above)
        return catalog.service_parameter(name, candidates) is not None or maybe_service_defined(self.host, name)


def postfix_unknown(unit: Unit, docs: Iterator[Document]) -> Iterator[tuple[str, Span, tuple[str, ...]]]:
    """(name, span, other versions) of each main.cf name and ``-o`` name of ``docs``
    that the selected Postfix version does not know; other versions: the catalogued
    versions that do know it (a parameter added or removed since).

    What a document holds is worked out once per host (``HostDocs.once``): unknown-directive
    on main.cf and on master.cf and other-version-parameter on both ask the same."""
    host = unit.host
    for doc in docs:
        if doc.format != DOVECOT:
            yield from host.once(("postfix-unknown", id(doc)), lambda doc=doc: list(_postfix_unknown(host, doc)))


def _postfix_unknown(host: HostDocs, doc: Document) -> Iterator[tuple[str, Span, tuple[str, ...]]]:
    # a judge per document: a name judged on one records there what it needed (master.cf)
    known = _KnownPostfix(host, host.postfix.services, host.once("postfix-used", lambda: _user_defined(host)))
    judged, versions = known.judged, known.versions
    for entry in doc.entries:
        if type(entry) is Assignment and not entry.templated:
            found = judged.get(entry.name)
            if found is not None:  # judged before (a file that sets one name again and again)
                if not found:
                    yield entry.name, entry.name_span, versions[entry.name]
                continue
        if isinstance(entry, Assignment):
            candidates = [(entry.name, entry.name_span)]
        elif isinstance(entry, Service):
            candidates = [(o.name, o.name_span) for o in entry.overrides]
        else:
            continue
        for name, span in candidates:
            if not name.isascii() or getattr(entry, "templated", False) and not _named(entry, name):
                continue
            if not known(name):
                yield name, span, known.other_versions(name)


def run(rule: Rule, unit: Unit, env: Any) -> Iterator[Finding]:
    for doc in documents(unit, rule.check):
        if doc.format == DOVECOT:
            version = dovecot_version(doc)
            if not _judged(doc, version):
                continue
            # A section header that only parses once rendered leaves its settings in the
            # enclosing section here: their names cannot be judged in that file.
            unsure = {t.span.path for t in doc.templates if t.text.rstrip().endswith("{")}
            suggest = _suggestions()
            groups = _groups(doc, version) if catalog.dovecot_is_flat(version) else None
            others = () if _version_known(doc) else [v for v in catalog.VERSIONS["dovecot"] if v != version]
            for entry in doc.entries:
                if isinstance(entry, Setting) and (not entry.templated or _named(entry, entry.name)) and \
                        entry.name.isascii() and \
                        entry.span.path not in unsure and not any(_dovecot_knows(entry, v) for v in others):
                    if groups is not None and entry.name.startswith("@"):
                        finding = _group_include(entry, doc, groups)
                    else:
                        finding = _dovecot_unknown(entry, version, suggest)
                    if finding is not None:
                        yield finding
            continue
        suggest = _suggestions()
        for name, span, others in postfix_unknown(unit, iter((doc,))):
            if not others:
                # Finding(span, directive, note=...), as a tuple: one per line of a file of unknown names
                yield _new(Finding, (span, name, None, None, False, None, (), None, suggest(name, POSTFIX_MAIN, None), ()))
            elif catalog.declared("postfix"):
                # the declared version does not know it: ignored there, whatever others do
                yield Finding(span=span, directive=name,
                              note=f"Postfix {' and '.join(others)} has it; {catalog.selected('postfix')}, "
                                   "the version declared in versions:, does not")
            # else: the version is a guess and another one knows the name (newer-parameter's)
