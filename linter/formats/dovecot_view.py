"""How rules read a host's Dovecot tree: a setting at a path, as the tree's version
spells it (2.3 nested sections, 2.4 flat names), in a filter block inheriting what it
does not set; Dovecot's defaults; where a setting is written, where a new one goes, and
the edits that set or remove one.

Paths are a policy's ``section / section / name`` (:mod:`linter.policy.dovecot_path`);
a unit judged inside a filter block or one match of a wildcard path reads them there
(``Unit.within``).  A tree that was not found makes every value unknown
(``HostDocs.lacks`` records that a rule needed it).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from linter import catalog
from linter.conversions import DOVECOT, convert
from linter.diagnostics import Edit
from linter.formats import DOVECOT_TREE
from linter.formats.postfix_view import Insertion, once
from linter.model import DOVECOT as DOVECOT_FORMAT
from linter.model import Document, Section, Setting, Span
from linter.policy.dovecot_path import section_kind, section_matches, split_path
from linter.policy.expr import UNKNOWN, UnknownValue
from linter.policy.expr_functions import FILTER_KINDS  # catalog filter_sections
from linter.records import Frozen, _set

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def dovecot_version(doc: Document | None) -> str:
    """The catalogue version that reads this Dovecot tree (see catalog.dovecot_tree_version)."""
    return catalog.dovecot_tree_version(doc.meta.get("dovecot_config_version") if doc is not None else None)


def canonical_headers(headers: tuple[str, ...], version: str) -> tuple[str, ...]:
    """2.4: a nested section's kind as doveconf names it: ``key_field x`` inside
    ``dict_map y`` is ``dict_map_key_field x`` (the parent's kind is a prefix of it)."""
    out: list[str] = []
    parent = None
    for header in headers:
        kind, sep, arg = header.partition(" ")
        if kind in ("protocol", "remote", "local", "local_name"):
            out.append(header)
            continue
        if parent is not None and not kind.startswith(parent + "_") and \
                catalog.dovecot_is_prefix(f"{parent}_{kind}", version):
            kind = f"{parent}_{kind}"
        out.append(kind + sep + arg)
        parent = kind
    return tuple(out)


def _flat_name(name: str, headers: tuple[str, ...], version: str) -> tuple[str, tuple[str, ...]]:
    """2.4: (flat name, the filter path it applies under) of ``name`` written in ``headers``:
    nameless groups fold into the name (``ssl_server { cert_file }`` is
    ``ssl_server_cert_file``), a named section resolves it (``passdb sql { query }`` is
    ``passdb_sql_query``); the path keeps the filters and named sections."""
    headers = canonical_headers(tuple(headers), version)
    while headers:
        kind, _, arg = headers[-1].partition(" ")
        param = catalog.dovecot_setting(name, kind, version, arg.strip('"') or None)
        if arg or kind in ("protocol", "remote", "local", "local_name"):
            return (param.name if param is not None and param.section is not None else name), headers
        if param is None or param.section is None:
            return name, headers  # a list item, or an unknown group: as written
        name, headers = param.name, headers[:-1]
    return name, headers


def dovecot_settings(doc: Document | None, path: tuple[str, ...], version: str | None = None) -> list[Setting]:
    """Settings at ``path`` (section patterns then a name), in read order.  In a 2.4 tree
    the name is compared as a flat name (``mode`` in a unix_listener is
    ``unix_listener_mode``, however the tree spells it)."""
    if doc is None:
        return []
    *sections, name = path
    version = version or dovecot_version(doc)
    if not catalog.dovecot_is_flat(version):
        return [e for e in doc.entries if isinstance(e, Setting) and e.name == name
                and section_matches(tuple(sections), e.section)]
    kind, _, arg = sections[-1].partition(" ") if sections else (None, "", "")
    arg = arg.strip('"')
    target = catalog.dovecot_setting(name, kind, version, arg if arg and arg != "*" else None)
    wanted = target.name if target is not None else name
    found = []
    for e in doc.entries:
        if not isinstance(e, Setting):
            continue
        flat, headers = _flat_name(e.name, e.section, version)
        if flat == wanted and section_matches(tuple(sections), headers):
            found.append(e)
    return found




def is_filter_header(header: str) -> bool:
    return header.split(" ", 1)[0] in FILTER_KINDS


def dovecot_resolve(doc: Document | None, path: tuple[str, ...], version: str | None = None) -> list[Setting]:
    """The settings that give the effective value at ``path``: the path itself, else, for
    a path inside filter sections (``protocol pop3 / ssl``, ``local 10.0.0.0/8 /
    protocol imap / ssl``), the enclosing filter's (innermost first), else the top level's.
    A filter block inherits what it does not set, as Dovecot reads it."""
    *sections, name = path
    filters = 0
    while filters < len(sections) and is_filter_header(sections[filters]):
        filters += 1
    for keep in range(filters, -1, -1):
        found = dovecot_settings(doc, (*sections[:keep], *sections[filters:], name), version)
        if found:
            return found
    return []


def unread_could_set(doc: Document | None, parts: tuple[str, ...]) -> bool:
    """An include of ``doc`` that the tool could not read (kept out of the repository, a
    file of the target host, rendered at install) may set the setting at ``parts``: it
    is at the top level, or inside the sections the path goes through (``parts`` ending in
    '' asks whether it may hold the sections)."""
    if doc is None:
        return False
    sections, name = tuple(parts[:-1]), parts[-1]
    for within, _path, _line, names in doc.meta.get("unread_includes", ()):
        if names is not None and name not in names:
            continue  # a packaged file that sets only these (parsers.dovecot.PACKAGE_INCLUDES)
        if len(within) <= len(sections) and section_matches(sections[:len(within)], within):
            return True
    return False


def filter_blocks(doc: Document | None) -> list[Section]:
    """The filter sections of ``doc`` (nested ones too) that set something directly."""
    if doc is None:
        return []
    setting = {e.section for e in doc.entries if isinstance(e, Setting) and e.section}
    return [s for s in doc.sections if s.path in setting and all(is_filter_header(h) for h in s.path)]


def has_wildcard(patterns: tuple[str, ...]) -> bool:
    return any(c in header.partition(" ")[2] for header in patterns for c in "*?[")


def dovecot_sections(doc: Document | None, patterns: tuple[str, ...]) -> list[Section]:
    if doc is None:
        return []
    return [s for s in doc.sections if section_matches(patterns, s.path)]


def dovecot_typed(setting_name: str, sections: tuple[str, ...], raw: str, version: str | None = None) -> Any:
    kind, _, arg = sections[-1].partition(" ") if sections else (None, "", "")
    param = catalog.dovecot_setting(setting_name, kind, version, arg.strip('"') or None)
    if param is None:
        return raw
    return convert(raw, param.type, DOVECOT, setting_name, param.unit)


def dovecot_default(parts: tuple[str, ...], version: str | None = None) -> str | None:
    """The default of a Dovecot setting at ``parts`` (named services' own defaults first)."""
    return catalog.dovecot_named_default(parts[:-1], parts[-1], version)


class DovecotName(Frozen):
    """A policy's Dovecot path as one tree reads it: the tree's ``parts`` (the name
    translated to the tree's version), value conversions both ways (``to_policy``: tree
    value -> the policy name's value, None: the same; ``to_tree``), and the version whose
    catalogue types the policy's name."""

    __slots__ = ("parts", "version", "name_version", "to_policy", "to_tree")

    def __init__(self, parts: tuple[str, ...], version: str, name_version: str, to_policy: Any = None,
                 to_tree: Any = None):
        _set(self, "parts", parts)
        _set(self, "version", version)
        _set(self, "name_version", name_version)
        _set(self, "to_policy", to_policy)
        _set(self, "to_tree", to_tree)

    def policy_value(self, raw: str) -> str:
        return self.to_policy(raw) if self.to_policy is not None else raw

    def tree_value(self, value: str) -> str:
        return self.to_tree(value) if self.to_tree is not None else value


def dovecot_name(doc: Document | None, path: str | tuple[str, ...]) -> DovecotName:
    """How the tree ``doc`` reads the policy's Dovecot ``path`` (linter.versions): it depends
    on the tree only through its version, so it is worked out once per process for each path
    and version (a DovecotName is frozen)."""
    return _dovecot_name(path, dovecot_version(doc))


@lru_cache(maxsize=4096)  # a policy's paths, as few as its rules: kept bounded all the same
def _dovecot_name(path: str | tuple[str, ...], version: str) -> DovecotName:
    from linter import versions

    parts = split_path(path) if isinstance(path, str) else tuple(path)
    kind = section_kind(parts[:-1])
    known = catalog.dovecot_setting(parts[-1], kind, version) is not None
    found = None if known else versions.translate(kind, parts[-1], version)
    if found is None:
        return DovecotName(parts, version, version)
    other = next(v for v in catalog.VERSIONS["dovecot"]
                 if catalog.dovecot_is_flat(v) != catalog.dovecot_is_flat(version))
    tree_name, to_policy, to_tree = found
    return DovecotName(parts[:-1] + (tree_name,), version, other, to_policy, to_tree)


# a policy's Dovecot path (or an assert's anchor) -> its parts, for every unit and host
# that reads it (split_path gives a tuple: shared safely)
_split_path = lru_cache(maxsize=4096)(split_path)


class DovecotView:
    """A host's Dovecot tree as rules read it."""

    product = DOVECOT
    names_related = False

    def __init__(self, host: Any):
        self.host = host
        self.doc: Document | None = host.doc(DOVECOT_FORMAT)
        # what does not depend on the rule, worked out once per host: values by (what,
        # path, the unit's section), names by path, the filter blocks
        self._memo: dict[Any, Any] = {}
        self._names: dict[Any, DovecotName] = {}

    def places(self, rule: Any, scope: str) -> list[dict[str, Any]]:
        """Where a rule is evaluated, as the fields of each ``Unit``: the top level, then
        each filter block (``protocol pop3 { }``, ``local ... { }``) that sets something: a
        setting is judged wherever its effective value can differ.  A rule on a wildcard
        path (``protocol * / ssl``) is judged once per matching section; for an
        ``assert``, the path is its anchor's (``service auth / inet_listener * / address``).
        Asked once per host and path (:func:`linter.evaluate.units` keeps the units of every
        rule on the path by :meth:`places_key`)."""
        if self.doc is None:
            return []
        path = self.places_key(rule, scope)
        if path is None:
            return [{}]
        return list(self._places_of(path))

    @staticmethod
    def places_key(rule: Any, scope: str) -> tuple[str, ...] | None:
        """What :meth:`places` depends on of a rule: the section path it judges (None: the
        top level only, for ``dovecot-section``)."""
        check = rule.check
        if check.kind == "dovecot-section":
            return None
        path = check.path
        if not path and check.kind == "assert" and check.anchor:
            path = _split_path(check.anchor)[:-1]
        return path

    def _places_of(self, path: tuple[str, ...]) -> Iterator[dict[str, Any]]:
        if has_wildcard(path):
            matches = dovecot_sections(self.doc, path)
            for section in matches:
                yield {"within": section.path, "block": section}
            if not matches:
                yield {}
            return
        yield {}
        if path and is_filter_header(path[0]):
            return
        for section in filter_blocks(self.doc):
            yield {"within": section.path, "block": section}

    def parts(self, unit: Any, path: str) -> tuple[str, ...]:
        """A Dovecot path as ``unit`` reads it: a path whose sections match ``unit.within``
        (a wildcard's match) is narrowed to it; in a filter block, a path that does not
        start with a filter section is read inside the block (inheriting what it does not set)."""
        parts = _split_path(path)
        within = unit.within
        if not within:
            return parts
        sections = parts[:-1]
        if sections and section_matches(sections, within):
            return (*within, parts[-1])
        if all(is_filter_header(h) for h in within) and not (sections and is_filter_header(sections[0])):
            return (*within, *parts)
        return parts

    def name(self, path: str | tuple[str, ...]) -> DovecotName:
        found = self._names.get(path)
        if found is None:
            found = self._names[path] = dovecot_name(self.doc, path)
        return found

    # -- values (each worked out once per host, path and section the unit judges)
    def raw(self, unit: Any, name: str) -> str | None:
        """The value as read (Dovecot has no expansion to leave out), or its default."""
        return once(self.host, self._memo, ("raw", name, unit.within), self._raw, unit, name)

    def _raw(self, unit: Any, name: str) -> str | None:
        if self.host.lacks(DOVECOT_TREE):
            raise UnknownValue(name)
        target = self.name(self.parts(unit, name))
        found = dovecot_resolve(self.doc, target.parts, target.version)
        if found and found[-1].templated:
            raise UnknownValue(name)
        if not found and unread_could_set(self.doc, target.parts):
            raise UnknownValue(name)  # an include the tool could not read may set it
        raw = found[-1].value if found else dovecot_default(target.parts, target.version)
        return None if raw is None else target.policy_value(raw)

    expanded = raw

    def effective(self, unit: Any, path: str) -> Any:
        """The typed value at ``path`` (also what ``dovecot('path')`` reads from any scope)."""
        return once(self.host, self._memo, ("effective", path, unit.within), self._effective, unit, path)

    def _effective(self, unit: Any, path: str) -> Any:
        if self.host.lacks(DOVECOT_TREE):
            raise UnknownValue(path)
        parts = self.parts(unit, path)
        target = self.name(parts)
        found = dovecot_resolve(self.doc, target.parts, target.version)
        if found:
            if found[-1].templated:
                raise UnknownValue(path)
            raw = found[-1].value
        else:
            if unread_could_set(self.doc, parts):
                raise UnknownValue(path)  # an include the tool could not read may set it
            raw = dovecot_default(target.parts, target.version)
            if raw is None:
                return UNKNOWN
        return dovecot_typed(parts[-1], parts[:-1], target.policy_value(raw), target.name_version)

    def exists(self, unit: Any, path: str) -> bool:
        """``dovecot_exists('path')``: a setting or a section at ``path``."""
        return once(self.host, self._memo, ("exists", path), self._exists, path)

    def _exists(self, path: str) -> bool:
        if self.host.lacks(DOVECOT_TREE):
            raise UnknownValue(path)
        parts = split_path(path)
        target = self.name(parts)
        if dovecot_settings(self.doc, target.parts, target.version):
            return True
        return bool(dovecot_sections(self.doc, parts))

    def is_set(self, unit: Any, name: str) -> bool:
        return once(self.host, self._memo, ("is_set", name, unit.within), self._is_set, unit, name)

    def _is_set(self, unit: Any, name: str) -> bool:
        if self.host.lacks(DOVECOT_TREE):
            raise UnknownValue(name)
        target = self.name(self.parts(unit, name))
        return bool(dovecot_resolve(self.doc, target.parts, target.version))

    def default(self, unit: Any, name: str) -> Any:
        target = self.name(self.parts(unit, name))
        raw = dovecot_default(target.parts, target.version)
        return UNKNOWN if raw is None else target.policy_value(raw)

    def default_placeholder(self, unit: Any, name: str, found: Any) -> Any:
        """A message's ``{default}``: the finding's own, else empty."""
        return found if found is not None else ""

    # -- locations
    def explicit_span(self, unit: Any, name: str) -> tuple[Span | None, Any]:
        target = self.name(self.parts(unit, name))
        found = dovecot_resolve(self.doc, target.parts, target.version)
        return (found[-1].span, found[-1]) if found else (None, None)

    def insertion(self, unit: Any, sections: tuple[str, ...] = (), after: str | None = None) -> Insertion | None:
        """A new setting in the section at ``sections`` (before its closing brace), or at
        the end of the root file; None when that section is not in the tree."""
        doc = self.doc
        if doc is None:
            return None
        if sections and unit.within and section_matches(sections, unit.within):
            sections = unit.within
        if sections:
            found = [s for s in dovecot_sections(doc, sections) if s.close_span is not None]
            if not found:
                return None
            close = found[0].close_span
            indent = " " * (max(close.column - 1, 0) + 2)
            return Insertion(close, Span.point(close.path, close.line, 1), indent)
        if doc.end is not None:
            end = doc.end
            return Insertion(end, Span.point(end.path, end.line + 1 if end.column > 1 else end.line, 1))
        return Insertion(Span.point(doc.path, 1, 1), Span.point(doc.path, 1, 1))

    no_insertion = ""

    def anchor(self, unit: Any) -> Span | None:
        if self.doc is not None:
            return self.doc.end
        return self.host.postfix.anchor(unit)  # a per-document rule on a host without a tree

    # -- edits
    def set_edit(self, unit: Any, name: str, value: str, after: str | None, finding: Any) -> Edit | None:
        target = self.name(name)  # the name and value as the tree's version spells them
        value = target.tree_value(value)
        _span, entry = self.explicit_span(unit, name)
        if entry is not None:
            # already the wanted value: no edit (a fix that also keeps related settings
            # right, like DC203's user and group, must not claim to change them)
            return None if entry.value == value and not entry.templated else Edit(entry.value_span, value)
        sections = target.parts[:-1] or finding.section
        place = self.insertion(unit, sections)
        if place is None:
            return None
        return Edit(place.edit, f"{place.indent}{target.parts[-1]} = {value}\n")

    def remove_edits(self, unit: Any, name: str) -> list[Edit]:
        target = self.name(name)
        return [Edit(s.span.whole_lines(), "")
                for s in dovecot_settings(self.doc, target.parts, target.version)]

    def filter(self, unit: Any, kind: str) -> str:
        """``dovecot_filter('kind')``: the argument of the innermost ``kind`` filter section
        (``protocol``, ``local``, ...) ``unit`` is judged in: ``lmtp`` inside ``protocol
        lmtp { }``; '' at the top level and outside such a section."""
        for header in reversed(unit.within):
            hkind, _, argument = " ".join(header.split()).partition(" ")
            if hkind == kind and is_filter_header(header):
                return argument.strip('"').strip("'")
        return ""
