"""What the CLI and ``.policy-lint.yaml`` tell the engine, as one frozen value."""

from __future__ import annotations

from linter.diagnostics import Severity
from linter.records import Frozen, _set


class Host(Frozen):
    """Files that belong together (one server): any of them may be absent."""

    __slots__ = ("main", "master", "dovecot", "roles")

    def __init__(self, main: str | None = None, master: str | None = None, dovecot: str | None = None,
                 roles: tuple[str, ...] = ()):
        _set(self, "main", main)
        _set(self, "master", master)
        _set(self, "dovecot", dovecot)  # the Dovecot root file (dovecot.conf)
        _set(self, "roles", roles)  # what the host is (relay, mx ...): has_role() in a rule's when


class Options(Frozen):
    __slots__ = ("select", "ignore", "severity", "params", "formats", "hosts", "exclude", "roles",
                 "versions")

    def __init__(self, select: tuple[str, ...] = (), ignore: tuple[str, ...] = (),
                 severity: dict[str, Severity] | None = None, params: dict[str, dict] | None = None,
                 formats: dict[str, str] | None = None, hosts: tuple[Host, ...] = (),
                 exclude: tuple[str, ...] = (), roles: tuple[tuple[str, tuple[str, ...]], ...] = (),
                 versions: dict[str, str] | None = None):
        _set(self, "select", select)  # rule ids or id prefixes; empty = all
        _set(self, "ignore", ignore)
        _set(self, "severity", {} if severity is None else severity)  # rule id -> override
        _set(self, "params", {} if params is None else params)  # rule id -> {param: value}
        _set(self, "formats", {} if formats is None else formats)  # glob -> format
        _set(self, "hosts", hosts)  # explicit grouping; default: by directory
        _set(self, "exclude", exclude)  # globs skipped when walking directories
        _set(self, "roles", roles)  # (glob, roles): hosts with a file there have them
        _set(self, "versions", {} if versions is None else versions)  # product -> catalogue version (linter.catalog)
