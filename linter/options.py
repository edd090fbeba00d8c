"""What the CLI and ``.policy-lint.yaml`` tell the engine, as one frozen value."""

from __future__ import annotations

from dataclasses import dataclass, field

from linter.diagnostics import Severity


@dataclass(frozen=True)
class Host:
    """Files that belong together (one server): any of them may be absent."""

    main: str | None = None
    master: str | None = None
    dovecot: str | None = None  # the Dovecot root file (dovecot.conf)
    roles: tuple[str, ...] = ()  # what the host is (relay, mx ...): has_role() in a rule's when


@dataclass(frozen=True)
class Options:
    select: tuple[str, ...] = ()  # rule ids or id prefixes; empty = all
    ignore: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)  # rule id -> override
    params: dict[str, dict] = field(default_factory=dict)  # rule id -> {param: value}
    formats: dict[str, str] = field(default_factory=dict)  # glob -> format
    hosts: tuple[Host, ...] = ()  # explicit grouping; default: by directory
    exclude: tuple[str, ...] = ()  # globs skipped when walking directories
    roles: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (glob, roles): hosts with a file there have them
    versions: dict[str, str] = field(default_factory=dict)  # product -> catalogue version (linter.catalog)
