"""A located problem in a policy file, and the error that carries all of them."""

from __future__ import annotations

from collections.abc import Sequence

from linter.policy.model import Policy
from linter.records import TupleRecord, _new


class PolicyProblem(TupleRecord):
    __slots__ = ()
    _fields = (
        "path",
        "line",
        "column",
        "rule_id",
        "message",
        "hint",
        "key",  # where in the rule (or file): "check.min", "examples[0].bad"
    )

    def __new__(
        cls,
        path: str,
        line: int,
        column: int,
        rule_id: str | None,
        message: str,
        hint: str | None = None,
        key: str | None = None,
    ) -> PolicyProblem:
        return _new(cls, (path, line, column, rule_id, message, hint, key))

    def __str__(self) -> str:
        where = ", ".join(part for part in (f"rule {self.rule_id}" if self.rule_id else "", self.key or "") if part)
        out = f"{self.path}:{self.line}:{self.column}: " + (f"{where}: {self.message}" if where else self.message)
        if self.hint:
            out += f" ({self.hint})"
        return out


class PolicyError(Exception):
    """One or more problems in the policy files; ``problems`` lists them all.

    ``loaded`` holds the rules that did load and ``defined`` every rule id the files
    define, so that the config file can be checked in the same run."""

    def __init__(self, problems: Sequence[PolicyProblem], loaded: Policy | None = None,
                 defined: Sequence[str] = ()):
        self.problems = tuple(sorted(problems, key=lambda p: (p.path, p.line, p.column, p.message)))
        self.loaded = loaded
        self.defined = tuple(defined)
        super().__init__("\n".join(str(p) for p in self.problems))
