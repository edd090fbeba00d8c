"""The command line: read it, run the command, print, return the exit status.

0: clean; 1: findings at or above the failing severity (or a failing policy example,
or a non-empty ``--diff``); 2: usage, config, policy or input error, always with a message.
The commands live in :mod:`linter.check_command` (check, baseline) and
:mod:`linter.info_commands` (parse, rules, explain, schema, test); what they print goes
through :mod:`linter.console`.

Start-up is most of a one-host run, so this module imports almost nothing: the common
``check PATH...`` command line is read without argparse (:func:`fast_args`, anything else
falls back to argparse in :mod:`linter.command_line`, which gives the same result and the
same errors), heavy modules
are imported inside the functions that need them, and the console script leaves through
``os._exit`` once its output is flushed (:func:`entry`), skipping the interpreter's
teardown of every module and object.
"""

from __future__ import annotations

import gc
import os
import sys

from linter import console
from linter.console import (
    COLORS,
    FORMAT_CHOICES,
    LEVELS,
    PROG,
    Exit,
    Failure,
    UsageError,
    comma_list,
    names_command,
    report_formats,
    write,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from argparse import Namespace
    from collections.abc import Sequence
    from typing import TextIO

# -- the common command line without argparse ----------------------------------------------


class Args:
    """A parsed command line: argparse's ``Namespace`` (same attributes, same equality)."""

    def __init__(self, **values: object):
        self.__dict__.update(values)

    def __eq__(self, other: object) -> bool:
        return vars(self) == vars(other) if hasattr(other, "__dict__") else NotImplemented

    def __repr__(self) -> str:
        return "Args(" + ", ".join(f"{k}={v!r}" for k, v in sorted(vars(self).items())) + ")"


# ``check``'s options, exactly as linter.command_line.build_parser() declares them: flag -> (attribute, how read)
_CHECK_FLAGS = {"--no-builtin": "no_builtin", "--no-config": "no_config", "--no-cache": "no_cache",
                "-q": "quiet", "--quiet": "quiet", "--exit-zero": "exit_zero", "--fix": "fix",
                "--unsafe-fixes": "unsafe_fixes", "--diff": "diff"}
_CHECK_VALUES = {"--config": "config", "--output": "output", "-o": "output", "--baseline": "baseline"}
_CHECK_LISTS = {"--profile": "profile", "--select": "select", "--ignore": "ignore", "--exclude": "exclude"}


def _check_defaults() -> dict[str, object]:
    return {"command": "check", "paths": [], "policy": [], "no_builtin": False, "profile": [], "config": None,
            "no_config": False, "select": [], "ignore": [], "no_cache": False, "as_format": None, "exclude": [],
            "jobs": None, "format": None, "output": None, "color": "auto", "quiet": False, "fail_on": None,
            "exit_zero": False, "fix": False, "unsafe_fixes": False, "diff": False, "baseline": None}


def fast_args(argv: Sequence[str]) -> Args | None:
    """``check`` command lines as argparse reads them, or None for argparse to read.

    Only the plain forms: each option spelled in full as declared and its value in the next
    argument (not starting with ``-``, a valid choice), the paths in one run.  Anything else
    (``--opt=value``, abbreviations, ``--``, ``-h``, other commands, a bad value, paths on
    both sides of an option) is argparse's, with its errors; a test holds the two to the
    same result."""
    if argv and argv[0] == "check":
        argv = argv[1:]
    elif names_command(argv):
        return None
    values = _check_defaults()
    choices = {"--as": ("as_format", FORMAT_CHOICES), "--color": ("color", COLORS),
               "--fail-on": ("fail_on", LEVELS), "--severity": ("fail_on", LEVELS)}
    paths: list[str] = []
    paths_done = False
    i, n = 0, len(argv)
    while i < n:
        arg = argv[i]
        if not arg.startswith("-"):
            if paths_done:
                return None  # argparse: "unrecognized arguments"
            while i < n and not argv[i].startswith("-"):
                paths.append(argv[i])
                i += 1
            paths_done = True
            continue
        if arg in _CHECK_FLAGS:
            values[_CHECK_FLAGS[arg]] = True
            i += 1
            continue
        if i + 1 >= n or argv[i + 1].startswith("-"):
            return None
        value = argv[i + 1]
        i += 2
        if arg in _CHECK_VALUES:
            values[_CHECK_VALUES[arg]] = value
        elif arg in _CHECK_LISTS:
            values[_CHECK_LISTS[arg]] = [*values[_CHECK_LISTS[arg]], *comma_list(value)]
        elif arg == "--policy":
            values["policy"] = [*values["policy"], value]
        elif arg in choices:
            name, allowed = choices[arg]
            if value not in allowed:
                return None
            values[name] = value
        elif arg == "--format":
            if value not in report_formats():
                return None
            values["format"] = value
        elif arg in ("--jobs", "-j"):
            if not value.isdigit() or not value.isascii() or int(value) < 1:
                return None
            values["jobs"] = int(value)
        else:
            return None
    values["paths"] = paths
    return Args(**values)


# -- entry points -------------------------------------------------------------------------


# The cyclic collector's pace for check and baseline (and every command's start: _main).
# A run's documents and findings live until its report is written: at the collector's
# default pace (a collection every 700 new containers, a full one each time the heap grows by
# a quarter) a run of 700,000 findings spends a fifth of its time traversing them, and frees
# nothing.  A collection every 1,000,000 new containers instead (mypy takes 200,000): each
# one traverses the young containers still alive, so a slower pace lets more short-lived ones
# (a rule's findings before they are diagnosed, the parser's logical lines) die untraversed;
# 5 MB of one unknown name spent 0.76 s in collections at 200,000, 0.37 s now.  Cyclic
# garbage, which a run makes little of (a checked host's views are closed), waits that much
# longer.
_RUN_GC_THRESHOLD = (1_000_000, 30, 30)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); the exit status."""
    return _main(argv, restore_gc=True)


def _main(argv: Sequence[str] | None, restore_gc: bool) -> int:
    # The cyclic collector's pace for a run (_RUN_GC_THRESHOLD), from the first line: what
    # the command imports (the package's modules: thousands of functions and classes, all
    # kept) and builds (the compiled rules) is traversed by a collection every 700 new
    # containers otherwise, and nothing of it is garbage; a warm one-host check spent about
    # 2.5 ms of its 35 ms of its own in those collections.  Commands other than check and
    # baseline run at the caller's pace once the command line is read.  The caller's pace
    # comes back afterwards for whoever called main() (tests run several), but not in the console
    # script, which ends right after: with every counter past the default pace by then,
    # restoring it would start a full collection on the way out.
    threshold = gc.get_threshold()
    gc.set_threshold(*_RUN_GC_THRESHOLD)
    out, err = sys.stdout, sys.stderr
    args_list = list(sys.argv[1:] if argv is None else argv)
    actions = os.environ.get("GITHUB_ACTIONS") == "true"
    console.GITHUB = actions  # for what the command line's own errors say
    try:
        args = fast_args(args_list)
        if args is None:
            from linter.command_line import parse_args

            args = parse_args(args_list)
        console.GITHUB = actions or getattr(args, "format", None) == "github"
        command = args.command or "check"
        if command not in ("check", "baseline"):
            gc.set_threshold(*threshold)
        return _dispatch(command, args, out, err)
    except Exit as e:
        return e.status
    except UsageError as e:
        write(err, f"{PROG}: error: {' '.join(str(e).split())}\n"
                   f"Run '{PROG} --help' (or '{PROG} COMMAND --help') for usage.\n")
        return 2
    except Failure as e:
        write(err, "".join(line + "\n" for line in e.lines))
        return 2
    except KeyboardInterrupt:
        write(err, f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:
        # the reader went away (| head): nothing left to say to it
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 1
    except Exception as e:  # noqa: BLE001 - the last line of defence: no traceback for users
        from linter.reporters import printable

        write(err, f"{PROG}: internal error: {type(e).__name__}: {printable(' '.join(str(e).split()))} "
                   f"(please report this at {console.ISSUES_URL})\n")
        return 2
    finally:
        console.release()
        if restore_gc:
            gc.set_threshold(*threshold)


def entry() -> None:
    """The console script and ``python -m linter``: :func:`main`, then the output flushed
    and the process ended with ``os._exit``, without the interpreter's teardown (finalising
    every module and object costs about as much as a small check).  Nothing is left to do
    by then: reports, fixes, caches and baselines are written and closed by their own code
    (atomically), worker pools are shut down, and no atexit handler of ours exists.  Under
    a tracer or profiler (coverage, ``python -m cProfile -m linter``) the interpreter exits
    as usual, so that it can write what it gathered."""
    status = _main(None, restore_gc=False)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        status = status or 1
    except OSError as e:  # stdout on a full disk: what Python itself would say, as exit 2
        try:
            sys.stderr.write(f"{PROG}: error: cannot write the output: {e.strerror or e}\n")
        except OSError:
            pass
        status = 2
    try:
        sys.stderr.flush()
    except OSError:
        pass
    if sys.gettrace() is not None or sys.getprofile() is not None:
        sys.exit(status)  # under coverage or a profiler (python -m cProfile -m linter): let it report
    os._exit(status)


def _dispatch(command: str, args: Namespace | Args, out: TextIO, err: TextIO) -> int:
    from linter import store

    # --no-cache is read here once and honoured by the store (policies, config files, the
    # catalogues); restored afterwards for whoever called main() (tests run several)
    enabled = store.ENABLED
    store.ENABLED = not getattr(args, "no_cache", False)
    try:
        return _run_command(command, args, out, err)
    finally:
        store.ENABLED = enabled


def _run_command(command: str, args: Namespace | Args, out: TextIO, err: TextIO) -> int:
    if command == "check":
        from linter.check_command import check

        return check(args, out, err)
    if command == "baseline":
        from linter.check_command import baseline

        return baseline(args, out, err)
    from linter import info_commands

    if command == "schema":
        return info_commands.schema(out)
    if command == "parse":
        return info_commands.parse(args, out, err)
    if command == "rules":
        return info_commands.rules(args, out)
    if command == "explain":
        return info_commands.explain(args, out)
    return info_commands.run_tests(args, out, err)
