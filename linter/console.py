"""What a command prints, and how: the exceptions that end a command (with exit 2, or at
once), stream writes that escape what inputs put there, the state of the running ``main()``
call (whether output goes to a GitHub Actions log, the confinement it set), and the command
line's words that its two readers share.

Findings go to stdout (or ``--output``), errors and notes to stderr, in every format; text
from inputs has its control characters escaped, and under GitHub Actions (or ``--format
github``) no line can be taken for a workflow command.  Kept small and free of heavy
imports: every command imports it.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import TextIO

PROG = "policy-lint"
ISSUES_URL = "https://github.com/policy-lint/policy-lint/issues"
DEFAULT_BASELINE = ".policy-lint-baseline.json"

# The command line's words, shared by its two readers: linter.cli.fast_args (the common
# ``check`` command lines) and argparse's (linter.command_line, everything else).
COMMANDS = ("check", "parse", "rules", "explain", "schema", "test", "baseline")
LEVELS = ("info", "warning", "error")
COLORS = ("auto", "always", "never")
FORMAT_CHOICES = ("postfix-main", "postfix-master", "dovecot")  # linter.model.FORMATS, without importing it


def names_command(argv: list[str]) -> bool:
    """Whether the command line starts with a command or a top-level option (``--help``,
    ``--version``); otherwise it is ``check``'s (``policy-lint PATH...``)."""
    return bool(argv) and (argv[0] in COMMANDS or argv[0] in ("-h", "--help", "--version"))


def report_formats() -> tuple[str, ...]:
    """``--format``'s choices: the reporters' registry (:data:`linter.reporters.REPORTERS`)."""
    from linter.reporters import REPORTERS

    return tuple(REPORTERS)


def comma_list(text: str) -> list[str]:
    """A comma list option's value (``--select PF1,DC2``): its non-empty items, stripped."""
    return [part.strip() for part in text.split(",") if part.strip()]


GITHUB = False  # set per main() call: output goes to a GitHub Actions log
_CONFINED = None  # the token of the confinement confine_to() set for this main() call


class UsageError(Exception):
    """A command line that cannot be run as given."""


class Exit(Exception):
    """The command line is done with, at once, with this exit status (``--help``,
    ``--version``: argparse has printed what it had to)."""

    def __init__(self, status: int):
        self.status = status


class Failure(Exception):
    """Something the user must fix before we can check (config, policy, input): exit 2."""

    def __init__(self, lines: Sequence[str]):
        super().__init__("\n".join(lines))
        self.lines = tuple(lines)


def write(stream: TextIO, text: str, commands: bool = False) -> None:
    """Write text that may hold undecodable bytes (lone surrogates) as backslash escapes.

    Under GitHub Actions, plain text (not ``commands`` built escaped) is made unable to act
    as a workflow command."""
    if text:
        if GITHUB and not commands:
            from linter.reporters import workflow_safe

            text = workflow_safe(text)
        encoding = getattr(stream, "encoding", None) or "utf-8"
        stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
        stream.flush()


def error_line(e) -> str:  # noqa: ANN001 - model.ConfigError
    from linter.reporters.text import error_line as line

    return line(e)


def problem_lines(problems, kind: str) -> str:  # noqa: ANN001 - model.ConfigError
    """Input errors (``kind`` "error") or notes, one line each, as stderr shows them: located
    lines, or under GitHub Actions ``::error``/``::notice`` commands (escaped)."""
    if GITHUB:
        from linter.reporters.github import problem

        name, title = (("error", "policy-lint: cannot check this file") if kind == "error"
                       else ("notice", "policy-lint: not checked"))
        return "".join(problem(name, p, os.getcwd(), title) + "\n" for p in problems)
    if kind == "error":
        return "".join(error_line(p) + "\n" for p in problems)
    from linter.reporters import printable

    return "".join(f"{printable(n.path)}{f':{n.line}:{n.column}' if n.line else ''}: note: "
                   f"{printable(n.message)}\n" for n in problems)


def note_lines(notes) -> str:  # noqa: ANN001
    return problem_lines(notes, "note")


def confine_to(paths: Sequence[str], config) -> None:  # noqa: ANN001 - config.Config
    """Read and write only inside the repositories of ``paths`` for the rest of the command
    (see :mod:`linter.confine`); the config's ``roots:`` map Dovecot's absolute includes."""
    global _CONFINED
    from linter import confine

    token = confine._CURRENT.set(confine.for_paths(paths, mapping=getattr(config, "roots", ()),
                                                   config=getattr(config, "path", None)))
    if _CONFINED is None:
        _CONFINED = token


def release() -> None:
    """Undo :func:`confine_to` at the end of a ``main()`` call."""
    global _CONFINED
    if _CONFINED is not None:
        from linter import confine

        confine._CURRENT.reset(_CONFINED)
        _CONFINED = None
