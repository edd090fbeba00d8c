"""The whole command line as argparse reads it: every command and option, ``--help``,
``--version`` and argparse's errors.

:func:`linter.cli.fast_args` reads the common ``check PATH...`` command lines without
argparse (the same result, a test holds the two to it); everything else comes here, and
so does argparse itself, imported only by :func:`build_parser`.
"""

from __future__ import annotations

from linter import __version__, console
from linter.console import (
    COLORS,
    FORMAT_CHOICES,
    LEVELS,
    PROG,
    Exit,
    UsageError,
    comma_list,
    names_command,
    report_formats,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from argparse import ArgumentParser, Namespace
    from collections.abc import Sequence


def parse_args(argv: Sequence[str]) -> Namespace:
    """``argv`` (``sys.argv[1:]``) as argparse reads it; raises UsageError, or Exit for
    ``--help`` and ``--version``."""
    return build_parser().parse_args(_with_default_command(list(argv)))


def _jobs(text: str) -> int:
    from argparse import ArgumentTypeError

    try:
        value = int(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a number of processes") from None
    if value < 1:
        raise ArgumentTypeError("needs at least 1 process")
    return value


def _add_policy_options(p: ArgumentParser) -> None:
    g = p.add_argument_group("policy and configuration")
    g.add_argument("--policy", action="append", default=[], metavar="PATH",
                   help="a policy file or directory of policy files (repeatable)")
    g.add_argument("--no-builtin", action="store_true", help="do not load the built-in policy pack")
    g.add_argument("--profile", type=comma_list, action="extend", default=[], metavar="NAMES",
                   help="also load these opt-in profiles (comma list; adds to the config's profiles; "
                        "'policy-lint rules --profiles' lists them)")
    g.add_argument("--config", metavar="FILE", help="the config file (default: .policy-lint.yaml found "
                                                    "walking up from the checked paths)")
    g.add_argument("--no-config", action="store_true", help="ignore every .policy-lint.yaml")
    g.add_argument("--select", type=comma_list, action="extend", default=[], metavar="IDS",
                   help="only these rule ids or prefixes (comma list; replaces the config's)")
    g.add_argument("--ignore", type=comma_list, action="extend", default=[], metavar="IDS",
                   help="skip these rule ids or prefixes (comma list; adds to the config's)")
    g.add_argument("--no-cache", action="store_true",
                   help="compile the policy afresh instead of using the compiled-policy cache")


def _add_check_options(p: ArgumentParser, fixing: bool = True) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    _add_policy_options(p)
    g = p.add_argument_group("files")
    g.add_argument("--as", dest="as_format", choices=FORMAT_CHOICES, metavar="FORMAT",
                   help="read the given files as FORMAT: " + ", ".join(FORMAT_CHOICES))
    g.add_argument("--exclude", type=comma_list, action="extend", default=[], metavar="GLOBS",
                   help="skip these globs when walking directories (comma list)")
    g.add_argument("--jobs", "-j", type=_jobs, default=None, metavar="N",
                   help="worker processes (default: the CPU count when checking 500 files or more, else 1)")
    if not fixing:
        return
    g = p.add_argument_group("output")
    g.add_argument("--format", choices=report_formats(), help="output format (default: text; github when "
                                                            "GITHUB_ACTIONS=true)")
    g.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    g.add_argument("--color", choices=COLORS, default="auto",
                   help="colour text output (auto: on a terminal unless NO_COLOR is set)")
    g.add_argument("-q", "--quiet", action="store_true", help="findings only: no summary")
    g = p.add_argument_group("exit status")
    g.add_argument("--fail-on", "--severity", dest="fail_on", choices=LEVELS,
                   help="the lowest severity that makes the exit status 1 (default: info, i.e. any finding)")
    g.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    g = p.add_argument_group("fixes")
    g.add_argument("--fix", action="store_true", help="apply safe fixes to the files")
    g.add_argument("--unsafe-fixes", action="store_true", help="with --fix or --diff: apply unsafe fixes too")
    g.add_argument("--diff", action="store_true", help="print the fixes as a diff; change no file")
    g.add_argument("--baseline", metavar="FILE", help="hide the findings recorded in FILE")


def build_parser() -> ArgumentParser:
    """The whole command line (every command, ``--help``); argparse is imported only here."""
    import argparse

    class _Parser(argparse.ArgumentParser):
        """argparse that raises instead of exiting, so main() keeps control of the status."""

        def error(self, message: str) -> None:  # type: ignore[override]
            raise UsageError(message)

        def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
            if message:
                raise UsageError(message.strip())
            raise Exit(status)

    parser = _Parser(prog=PROG, description="Policy-as-code linter for Postfix and Dovecot configuration. "
                                            f"'{PROG} PATH...' is '{PROG} check PATH...'.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_check_options(sub.add_parser("check", help="check files against the policy (default)"))
    p = sub.add_parser("parse", help="print how the files are read, as JSON")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.add_argument("--as", dest="as_format", choices=FORMAT_CHOICES, metavar="FORMAT",
                   help="read the given files as FORMAT: " + ", ".join(FORMAT_CHOICES))
    p.add_argument("--config", metavar="FILE")
    p.add_argument("--no-config", action="store_true")
    p.add_argument("--exclude", type=comma_list, action="extend", default=[], metavar="GLOBS")
    p = sub.add_parser("rules", help="list the rules: id, name, severity, scope, fix")
    _add_policy_options(p)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--profiles", action="store_true", help="list the opt-in profiles instead")
    p = sub.add_parser("explain", help="a rule's message, rationale, reference, fix and examples")
    p.add_argument("rule", metavar="RULE", help="a rule id (PF101) or name")
    _add_policy_options(p)
    sub.add_parser("schema", help="print the policy JSON Schema")
    p = sub.add_parser("test", help="run the rules' examples (policy tests)")
    p.add_argument("policies", nargs="*", metavar="POLICY",
                   help="policy files to test (default: the built-in pack and the config's policies)")
    p.add_argument("--strict", action="store_true", help="fail (exit 1) when a tested rule has no examples")
    _add_policy_options(p)
    p = sub.add_parser("baseline", help="record the current findings so that check hides them")
    _add_check_options(p, fixing=False)
    p.add_argument("--output", "-o", metavar="FILE", help=f"the baseline file (default: the config's "
                                                          f"baseline, else {console.DEFAULT_BASELINE})")
    return parser


def _with_default_command(argv: list[str]) -> list[str]:
    """``policy-lint PATH...`` is ``policy-lint check PATH...``."""
    if names_command(argv):
        return argv
    return ["check", *argv]
