"""What a check sees: one evaluation *unit* of a scope, with effective values.

A :class:`HostDocs` holds the parsed files of one host; a :class:`Unit` is one place a
rule is evaluated (the main.cf, one master.cf service, the Dovecot tree, the host).
Units answer "what is the effective value of X here, where is it written, and where
would a new setting go" so that check modules stay small and scope-agnostic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from linter.model import Assignment, Document, Override, Section, Service, Setting, Span
from linter.policy.dovecot_path import header_matches, section_kind, section_matches, split_path
from linter.policy.expr import UNKNOWN, UnknownValue
from linter.policy.units import parse_seconds, parse_size

# -- catalogue access (optional: without it, values stay strings and defaults are unknown)


def _catalog() -> Any:
    try:
        from linter import catalog
    except ImportError:
        return None
    return catalog


def postfix_param(name: str) -> Any:
    catalog = _catalog()
    return catalog.postfix_param(name) if catalog is not None else None


def dovecot_param(name: str, kind: str | None) -> Any:
    catalog = _catalog()
    return catalog.dovecot_setting(name, kind) if catalog is not None else None


# -- Postfix values --------------------------------------------------------------

_MACRO = re.compile(r"\$(?:([A-Za-z0-9_]+)|\{([A-Za-z0-9_]+)(?:([?:])([^}]*))?\}|\(([A-Za-z0-9_]+)\))")
_TIME = re.compile(r"\s*(-?\d+)\s*([smhdw]?)\s*", re.I)
_TIME_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def split_postfix_list(value: str) -> tuple[str, ...]:
    """Split on commas and whitespace, keeping ``{...}`` groups whole (Postfix ``mystrtok``)."""
    items, depth, current = [], 0, []
    for ch in value:
        if ch == "{":
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
        if depth == 0 and (ch in ", \t\r\n"):
            if current:
                items.append("".join(current))
                current = []
            continue
        current.append(ch)
    if current:
        items.append("".join(current))
    return tuple(items)


def typed(raw: str, kind: str | None, unit: str | None = None) -> Any:
    """Convert a raw (expanded) value by the catalogue's type; strings stay strings."""
    kind = (kind or "").lower()
    text = raw.strip()
    try:
        if "bool" in kind:
            low = text.lower()
            if low in ("yes", "true", "1", "y"):
                return True
            if low in ("no", "false", "0", "n", ""):
                return False
            return text
        if "size" in kind or kind in ("int", "integer", "long", "number"):
            return parse_size(text) if "size" in kind else int(text)
        if "time" in kind:
            m = _TIME.fullmatch(text)
            if not m:
                return parse_seconds(text)
            suffix = (m.group(2) or (unit or "s")[:1]).lower()
            return int(m.group(1)) * _TIME_UNIT.get(suffix, 1)
        if "list" in kind:
            return split_postfix_list(text)
    except ValueError:
        return text
    if not kind:  # no catalogue type: plain numbers and yes/no are what they look like
        if text.isdigit():
            return int(text)
        if text.lower() in ("yes", "no"):
            return text.lower() == "yes"
    return text


@dataclass
class PostfixView:
    """Explicit main.cf assignments, with lookups that apply ``-o`` overrides first."""

    doc: Document | None
    explicit: dict[str, Assignment] = field(default_factory=dict)  # the last assignment of each name

    def __post_init__(self) -> None:
        if self.doc is not None:
            for entry in self.doc.entries:
                if isinstance(entry, Assignment):
                    self.explicit[entry.name] = entry

    def raw(self, name: str, overrides: dict[str, Override]) -> tuple[str | None, bool]:
        """(raw value, templated) by service override, main.cf, catalogue default."""
        if name in overrides:
            return overrides[name].value, False
        if name in self.explicit:
            a = self.explicit[name]
            return a.value, a.templated
        param = postfix_param(name)
        default = getattr(param, "default", None) if param is not None else None
        return (None if default is None else str(default)), False

    def written(self, name: str, overrides: dict[str, Override]) -> str | None:
        """The value as written (not expanded): override, main.cf, or the default."""
        raw, templated = self.raw(name, overrides)
        if templated:
            raise UnknownValue(name)
        return raw

    def expanded(self, name: str, overrides: dict[str, Override], depth: int = 0) -> str | None:
        """The raw value with ``$name`` expanded (raises UnknownValue for template values)."""
        raw, templated = self.raw(name, overrides)
        if templated:
            raise UnknownValue(name)
        if raw is None:
            return None
        if depth > 20 or "$" not in raw:
            return raw

        def sub(m: re.Match) -> str:
            ref = m.group(1) or m.group(2) or m.group(5)
            value = self.expanded(ref, overrides, depth + 1)
            if m.group(3) == "?":
                return m.group(4) if value else ""
            if m.group(3) == ":":
                return "" if value else m.group(4)
            return value or ""

        return _MACRO.sub(sub, raw.replace("$$", "\0")).replace("\0", "$")

    def effective(self, name: str, overrides: dict[str, Override]) -> Any:
        value = self.expanded(name, overrides)
        if value is None:
            return UNKNOWN
        param = postfix_param(name)
        return typed(value, getattr(param, "type", None), getattr(param, "unit", None))


# -- Dovecot values --------------------------------------------------------------


def dovecot_settings(doc: Document | None, path: tuple[str, ...]) -> list[Setting]:
    """Settings at ``path`` (section patterns then a name), in read order."""
    if doc is None:
        return []
    *sections, name = path
    return [e for e in doc.entries if isinstance(e, Setting) and e.name == name
            and section_matches(tuple(sections), e.section)]


def dovecot_sections(doc: Document | None, patterns: tuple[str, ...]) -> list[Section]:
    if doc is None:
        return []
    return [s for s in doc.sections if section_matches(patterns, s.path)]


def dovecot_typed(setting_name: str, sections: tuple[str, ...], raw: str) -> Any:
    param = dovecot_param(setting_name, section_kind(sections))
    kind = str(getattr(param, "type", "") or "").lower()
    if "bool" in kind:
        low = raw.strip().lower()
        return True if low in ("yes", "y", "1") else False if low == "no" else raw
    if "size" in kind:
        try:
            return parse_size(raw.replace(" ", ""))
        except ValueError:
            return raw
    if "time" in kind:
        try:
            return parse_seconds(raw)
        except ValueError:
            return raw
    if kind in ("uint", "int", "number", "integer"):
        try:
            return int(raw, 8) if raw.startswith("0") and len(raw) > 1 else int(raw)
        except ValueError:
            return raw
    return raw


# -- hosts and units -------------------------------------------------------------


@dataclass
class HostDocs:
    """The parsed files of one host; ``main_path`` is where main.cf is or would be."""

    main: Document | None = None
    master: Document | None = None
    dovecot: Document | None = None
    main_path: str | None = None
    postfix: PostfixView = field(init=False)

    def __post_init__(self) -> None:
        self.postfix = PostfixView(self.main)

    def referenced_names(self) -> set[str]:
        """Names used as ``$name`` anywhere in main.cf and master.cf (postconf counts them as used)."""
        found: set[str] = set()
        values = [a.value for a in (self.main.entries if self.main else ()) if isinstance(a, Assignment)]
        for service in (self.master.entries if self.master else ()):
            if isinstance(service, Service):
                values += [o.value for o in service.overrides] + list(service.args)
        for value in values:
            for m in _MACRO.finditer(value):
                found.add(m.group(1) or m.group(2) or m.group(5))
        return found


SMTPD_COMMANDS = ("smtpd", "postscreen")


def service_overrides(service: Service | None) -> dict[str, Override]:
    return {o.name: o for o in service.overrides} if service is not None else {}


@dataclass
class Unit:
    """One evaluation of a rule: a host, and for service scopes one master.cf service."""

    scope: str
    host: HostDocs
    service: Service | None = None  # None in smtpd-service scope = the implicit "smtp inet"
    overrides: dict[str, Override] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def dovecot_scope(self) -> bool:
        return self.scope == "dovecot"

    # -- values
    def effective(self, name: str) -> Any:
        """Typed effective value of a Postfix parameter (or a top-level/pathed Dovecot setting)."""
        if name in self.cache:
            value = self.cache[name]
        else:
            try:
                value = self.dovecot_value(name) if self.dovecot_scope else \
                    self.host.postfix.effective(name, self.overrides)
            except UnknownValue:
                value = UNKNOWN
            self.cache[name] = value
        if value is UNKNOWN:
            raise UnknownValue(name)
        return value

    def raw(self, name: str) -> str | None:
        """The value as written (Postfix ``$name`` not expanded), or its default."""
        if self.dovecot_scope:
            found = dovecot_settings(self.host.dovecot, split_path(name))
            if found and found[-1].templated:
                raise UnknownValue(name)
            return found[-1].value if found else self._dovecot_default(split_path(name))
        return self.host.postfix.written(name, self.overrides)

    def expanded(self, name: str) -> str | None:
        """The value with Postfix ``$name`` expanded (Dovecot: as read)."""
        if self.dovecot_scope:
            return self.raw(name)
        return self.host.postfix.expanded(name, self.overrides)

    def is_set(self, name: str) -> bool:
        if self.dovecot_scope:
            return bool(dovecot_settings(self.host.dovecot, split_path(name)))
        return name in self.overrides or name in self.host.postfix.explicit

    def default(self, name: str) -> Any:
        if self.dovecot_scope:
            raw = self._dovecot_default(split_path(name))
            return UNKNOWN if raw is None else raw
        param = postfix_param(name)
        default = getattr(param, "default", None) if param is not None else None
        if default is None:
            return UNKNOWN
        return typed(str(default), getattr(param, "type", None), getattr(param, "unit", None))

    def dovecot_value(self, path: str) -> Any:
        parts = split_path(path)
        found = dovecot_settings(self.host.dovecot, parts)
        if found:
            if found[-1].templated:
                raise UnknownValue(path)
            return dovecot_typed(parts[-1], parts[:-1], found[-1].value)
        raw = self._dovecot_default(parts)
        return UNKNOWN if raw is None else dovecot_typed(parts[-1], parts[:-1], raw)

    def _dovecot_default(self, parts: tuple[str, ...]) -> str | None:
        param = dovecot_param(parts[-1], section_kind(parts[:-1]))
        default = getattr(param, "default", None) if param is not None else None
        return None if default is None else str(default)

    def dovecot_exists(self, path: str) -> bool:
        parts = split_path(path)
        if dovecot_settings(self.host.dovecot, parts):
            return True
        return bool(dovecot_sections(self.host.dovecot, parts))

    def service_column(self, column: str) -> Any:
        s = self.service
        if s is None:  # the implicit smtp inet service of a host without master.cf
            values = {"service": "smtp", "type": "inet", "private": "n", "unprivileged": "y", "chroot": "n",
                      "wakeup": "0", "process_limit": "-", "command": "smtpd", "args": ()}
        else:
            values = {"service": s.service, "type": s.type, "private": s.private, "unprivileged": s.unprivileged,
                      "chroot": s.chroot, "wakeup": s.wakeup, "process_limit": s.process_limit,
                      "command": s.command, "args": s.args}
        value = values[column]
        if value == "-":  # the column's default (master(5), Postfix >= 3.0)
            if column == "process_limit":
                return self.host.postfix.effective("default_process_limit", {})
            value = {"private": "y", "unprivileged": "y", "chroot": "n", "wakeup": "0"}.get(column, value)
        if column == "process_limit":
            try:
                return int(value)
            except ValueError:
                return value
        return value

    # -- locations
    def explicit_span(self, name: str) -> tuple[Span | None, Any]:
        """Where ``name`` is explicitly set here: (value span, entry) or (None, None)."""
        if self.dovecot_scope:
            found = dovecot_settings(self.host.dovecot, split_path(name))
            return (found[-1].span, found[-1]) if found else (None, None)
        if name in self.overrides:
            return self.overrides[name].span, self.overrides[name]
        if name in self.host.postfix.explicit:
            a = self.host.postfix.explicit[name]
            return a.span, a
        return None, None

    def main_insertion(self, after: str | None = None) -> tuple[Span, Span] | None:
        """(finding span, edit span) for a new main.cf line: after ``after``'s assignment
        when it is set, else after the last assignment, else at the end of the file."""
        doc = self.host.main
        if doc is None:
            return None
        assignments = [e for e in doc.entries if isinstance(e, Assignment)]
        anchor = self.host.postfix.explicit.get(after) if after else None
        if anchor is None and assignments:
            anchor = max(assignments, key=lambda a: a.span.end_line)
        if anchor is not None:
            line = anchor.span.end_line
            at_end = Span.point(doc.path, line, anchor.span.end_column)
            return at_end, Span.point(doc.path, line + 1, 1)
        if doc.end is not None:
            end = doc.end
            edit_line = end.line + 1 if end.column > 1 else end.line
            return end, Span.point(doc.path, edit_line, 1)
        return Span.point(doc.path, 1, 1), Span.point(doc.path, 1, 1)

    def dovecot_insertion(self, sections: tuple[str, ...]) -> tuple[Span, Span, str] | None:
        """(finding span, edit span, indentation) for a new setting in the section at
        ``sections`` (before its closing brace), or at the end of the root file."""
        doc = self.host.dovecot
        if doc is None:
            return None
        if sections:
            found = [s for s in dovecot_sections(doc, sections) if s.close_span is not None]
            if not found:
                return None
            close = found[0].close_span
            indent = " " * (max(close.column - 1, 0) + 2)
            return close, Span.point(close.path, close.line, 1), indent
        if doc.end is not None:
            end = doc.end
            return end, Span.point(end.path, end.line + 1 if end.column > 1 else end.line, 1), ""
        return Span.point(doc.path, 1, 1), Span.point(doc.path, 1, 1), ""

    def anchor_span(self) -> Span | None:
        """Where a finding about this unit as a whole points."""
        if self.service is not None:
            return self.service.span
        if self.dovecot_scope and self.host.dovecot is not None:
            return self.host.dovecot.end
        place = self.main_insertion()
        return place[0] if place else None


def matches_header(pattern: str, header: str) -> bool:
    return header_matches(pattern, header)
