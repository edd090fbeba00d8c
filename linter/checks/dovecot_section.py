"""``dovecot-section``: a Dovecot section must exist, and its settings meet constraints.

``section`` is a path of section headers; ``*`` matches any argument and ``{name}``
placeholders are filled from ``let`` (in a ``host`` rule, ``let: {socket:
"join_path(queue_directory, smtpd_sasl_path)"}`` and ``unix_listener {socket}`` name the
socket Postfix uses).  A missing setting is judged by its Dovecot default when the
catalogue knows it.

    check:
      kind: dovecot-section
      section: "service auth / unix_listener /var/spool/postfix/private/auth"
      settings: {mode: {octal: true}}

fail (no listener where Postfix looks)::

    service auth {
      unix_listener /var/spool/postfix/private/other {
        mode = 0660
      }
    }

pass::

    service auth {
      unix_listener /var/spool/postfix/private/auth {
        mode = 0660
      }
    }
"""

from __future__ import annotations

from collections.abc import Iterator

from linter import catalog
from linter.checks.base import Finding
from linter.checks.constraints import violations
from linter.checks.context import (
    DOVECOT_TREE,
    Unit,
    dovecot_default,
    dovecot_name,
    dovecot_sections,
    dovecot_settings,
    dovecot_typed,
    unread_could_set,
)
from linter.model import DOVECOT
from linter.policy.dovecot_path import section_kind, split_path
from linter.policy.expr import UNKNOWN, UnknownValue
from linter.policy.model import Rule
from linter.policy.templates import render, template_fields

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

KIND = "dovecot-section"
UNIT = "scope"  # once per unit of the rule's scope
OWN_EDITS = False
OPTIONS = {"properties": {"section": True, "settings": True}, "required": ["section"]}
DOC_KEYS = "`section` (path, may use `{let-name}` placeholders), optional `settings: {name: constraints}`"
DOC_FINDS = 'the section does not exist, or a setting in it breaks its constraints'


def validate(builder: Any, check: dict, defined: list[str]) -> dict:
    """A scope that reads Dovecot; known section kinds and settings; valid placeholders and
    constraints. -> Check fields."""
    key = ("check",)
    builder.needs_dovecot(key + ("kind",), KIND)
    section = split_path(check["section"])
    for header in section:
        builder.template(key + ("section",), header)
    builder.check_dovecot_sections(key + ("section",), section)
    kind_name = section_kind(section)
    settings = []
    for setting, constraint_data in (check.get("settings") or {}).items():
        if not builder.dovecot_known(setting, kind_name):
            builder.fail(key + ("settings", setting), f"unknown Dovecot setting {setting!r} in {section[-1]!r}",
                         builder.suggestion(setting, DOVECOT), on_key=True)
        param = catalog.dovecot_setting(setting, kind_name)
        settings.append((setting, builder.constraints(key + ("settings", setting), constraint_data,
                                                      getattr(param, "type", None), setting)))
    return {"section": section, "settings": tuple(settings)}


def run(rule: Rule, unit: Unit, env: Any) -> Iterator[Finding]:
    doc = unit.host.dovecot
    if doc is None:
        unit.host.lacks(DOVECOT_TREE)  # a tree that was not found: say that this rule needed it
        return
    check = rule.check
    values: dict[str, Any] = {}
    for header in check.section:
        for name in template_fields(header):
            try:
                value = env.lookup(name)
            except UnknownValue:
                return
            if value is UNKNOWN:
                return
            values[name] = value
    patterns = tuple(render(h, values) for h in check.section)
    sections = dovecot_sections(doc, patterns)
    if not sections:
        if unread_could_set(doc, (*patterns, "")):
            return  # an include the tool could not read may hold the section
        if doc.end is not None:
            yield Finding(span=doc.end, directive=" / ".join(patterns), missing=True)
        return
    for section in sections:
        for name, constraints in check.settings:
            target = dovecot_name(doc, tuple(section.path) + (name,))  # the tree version's spelling
            found = [s for s in dovecot_settings(doc, target.parts, target.version) if s.section == section.path]
            if found:
                if found[-1].templated:
                    continue
                raw = target.policy_value(found[-1].value)
            else:
                if unread_could_set(doc, target.parts):
                    continue  # an include the tool could not read may set it
                raw = dovecot_default(target.parts, target.version)
                if raw is None:
                    continue
                raw = target.policy_value(raw)
            value = dovecot_typed(name, section.path, raw, target.name_version)
            if not violations(constraints, value, raw):
                continue
            if found:
                yield Finding(span=found[-1].span, directive=name, value=raw, section=section.path)
            elif section.close_span is not None:
                yield Finding(span=section.close_span, directive=name, value=raw, default=raw, missing=True,
                              section=section.path)
