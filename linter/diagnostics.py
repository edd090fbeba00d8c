"""Findings and fixes as plain data (after ruff's ``ruff_diagnostics``).

A fix is a sorted tuple of edits with an applicability, so "may I apply this?" is
one comparison: ``fix.applicability >= wanted``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

from linter.model import Span


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]

    def __str__(self) -> str:
        return self.name.lower()


class Applicability(IntEnum):
    """How safe a fix is; higher is safer."""

    DISPLAY_ONLY = 1  # shown to the user, never applied
    UNSAFE = 2  # applied with --unsafe-fixes
    SAFE = 3  # applied with --fix

    @classmethod
    def parse(cls, text: str) -> Applicability:
        return cls[text.upper().replace("-", "_")]

    def __str__(self) -> str:
        return self.name.lower().replace("_", "-")


class Edit(NamedTuple):  # a NamedTuple: ordered by span, then content; cheap to build
    """Replace the text in ``span`` (zero-width: insert at it) by ``content``."""

    span: Span
    content: str


@dataclass(frozen=True, slots=True)
class Fix:
    title: str
    applicability: Applicability
    edits: tuple[Edit, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "edits", tuple(sorted(self.edits)))


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: a rule, where, what, and how to fix it."""

    rule: str  # stable id, e.g. "PF101"
    name: str  # kebab name saying what is wrong
    severity: Severity
    message: str
    span: Span
    fix: Fix | None = None
    related: tuple[Span, ...] = ()  # other places the finding involves
    help_uri: str | None = None

    @property
    def path(self) -> str:
        return self.span.path

    def sort_key(self) -> tuple:
        return (self.span.path, self.span.line, self.span.column, self.rule, self.message)
