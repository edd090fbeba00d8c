"""The command line: build the objects, print, return the exit status.

0: clean; 1: findings at or above the failing severity (or a failing policy example,
or a non-empty ``--diff``); 2: usage, config, policy or input error, always with a message.
This is the only module that prints: findings on stdout (or ``--output``), errors and notes
on stderr, in every format; text from inputs has its control characters escaped, and under
GitHub Actions (or ``--format github``) no line can be taken for a workflow command.
Heavy modules (reporters, the fixer, ruamel.yaml, jsonschema) are
imported inside the functions that need them, so ``--version`` and ``--help`` stay
fast, and the policy is loaded in one place (:func:`load_rules`) that a compiled-policy
cache can take over.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from linter import __version__

PROG = "policy-lint"
COMMANDS = ("check", "parse", "rules", "explain", "schema", "test", "baseline")
LEVELS = ("info", "warning", "error")
FORMAT_CHOICES = ("postfix-main", "postfix-master", "dovecot")  # linter.model.FORMATS, without importing it
REPORT_FORMATS = ("text", "json", "github", "sarif")  # the keys of linter.reporters.REPORTERS
DEFAULT_BASELINE = ".policy-lint-baseline.json"
ISSUES_URL = "https://github.com/policy-lint/policy-lint/issues"
_GITHUB = False  # set per main() call: output goes to a GitHub Actions log
_CONFINED = None  # the token of the confinement _confine() set for this main() call


class UsageError(Exception):
    """A command line that cannot be run as given."""


class Failure(Exception):
    """Something the user must fix before we can check (config, policy, input): exit 2."""

    def __init__(self, lines: Sequence[str]):
        super().__init__("\n".join(lines))
        self.lines = tuple(lines)


class _Exit(Exception):
    def __init__(self, status: int):
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() keeps control of the status."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        if message:
            raise UsageError(message.strip())
        raise _Exit(status)


# -- the command line -------------------------------------------------------------------


def _comma_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes") from None
    if value < 1:
        raise argparse.ArgumentTypeError("needs at least 1 process")
    return value


def _add_policy_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("policy and configuration")
    g.add_argument("--policy", action="append", default=[], metavar="PATH",
                   help="a policy file or directory of policy files (repeatable)")
    g.add_argument("--no-builtin", action="store_true", help="do not load the built-in policy pack")
    g.add_argument("--profile", type=_comma_list, action="extend", default=[], metavar="NAMES",
                   help="also load these opt-in profiles (comma list; adds to the config's profiles; "
                        "'policy-lint rules --profiles' lists them)")
    g.add_argument("--config", metavar="FILE", help="the config file (default: .policy-lint.yaml found "
                                                    "walking up from the checked paths)")
    g.add_argument("--no-config", action="store_true", help="ignore every .policy-lint.yaml")
    g.add_argument("--select", type=_comma_list, action="extend", default=[], metavar="IDS",
                   help="only these rule ids or prefixes (comma list; replaces the config's)")
    g.add_argument("--ignore", type=_comma_list, action="extend", default=[], metavar="IDS",
                   help="skip these rule ids or prefixes (comma list; adds to the config's)")
    g.add_argument("--no-cache", action="store_true",
                   help="compile the policy afresh instead of using the compiled-policy cache")


def _add_check_options(p: argparse.ArgumentParser, fixing: bool = True) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    _add_policy_options(p)
    g = p.add_argument_group("files")
    g.add_argument("--as", dest="as_format", choices=FORMAT_CHOICES, metavar="FORMAT",
                   help="read the given files as FORMAT: " + ", ".join(FORMAT_CHOICES))
    g.add_argument("--exclude", type=_comma_list, action="extend", default=[], metavar="GLOBS",
                   help="skip these globs when walking directories (comma list)")
    g.add_argument("--jobs", "-j", type=_jobs, default=None, metavar="N",
                   help="worker processes (default: the CPU count when checking 500 files or more, else 1)")
    if not fixing:
        return
    g = p.add_argument_group("output")
    g.add_argument("--format", choices=REPORT_FORMATS, help="output format (default: text; github when "
                                                            "GITHUB_ACTIONS=true)")
    g.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    g.add_argument("--color", choices=("auto", "always", "never"), default="auto",
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


def build_parser() -> argparse.ArgumentParser:
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
    p.add_argument("--exclude", type=_comma_list, action="extend", default=[], metavar="GLOBS")
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
                                                          f"baseline, else {DEFAULT_BASELINE})")
    return parser


def _with_default_command(argv: list[str]) -> list[str]:
    """``policy-lint PATH...`` is ``policy-lint check PATH...``."""
    if argv and (argv[0] in COMMANDS or argv[0] in ("-h", "--help", "--version")):
        return argv
    return ["check", *argv]


# -- entry point --------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    global _GITHUB, _CONFINED
    out, err = sys.stdout, sys.stderr
    args_list = list(sys.argv[1:] if argv is None else argv)
    _GITHUB = os.environ.get("GITHUB_ACTIONS") == "true"
    try:
        args = build_parser().parse_args(_with_default_command(args_list))
        _GITHUB = os.environ.get("GITHUB_ACTIONS") == "true" or getattr(args, "format", None) == "github"
        return _dispatch(args, out, err)
    except _Exit as e:
        return e.status
    except UsageError as e:
        _write(err, f"{PROG}: error: {' '.join(str(e).split())}\n"
                    f"Run '{PROG} --help' (or '{PROG} COMMAND --help') for usage.\n")
        return 2
    except Failure as e:
        _write(err, "".join(line + "\n" for line in e.lines))
        return 2
    except KeyboardInterrupt:
        _write(err, f"{PROG}: interrupted\n")
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

        _write(err, f"{PROG}: internal error: {type(e).__name__}: {printable(' '.join(str(e).split()))} "
                    f"(please report this at {ISSUES_URL})\n")
        return 2
    finally:
        if _CONFINED is not None:
            from linter import confine

            confine._CURRENT.reset(_CONFINED)
            _CONFINED = None


def _write(stream: TextIO, text: str, commands: bool = False) -> None:
    """Write text that may hold undecodable bytes (lone surrogates) as backslash escapes.

    Under GitHub Actions, plain text (not ``commands`` built escaped) is made unable to act
    as a workflow command."""
    if text:
        if _GITHUB and not commands:
            from linter.reporters import workflow_safe

            text = workflow_safe(text)
        encoding = getattr(stream, "encoding", None) or "utf-8"
        stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
        stream.flush()


def _dispatch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    command = args.command or "check"
    if command == "schema":
        return _schema(out)
    if command == "parse":
        return _parse(args, out, err)
    if command == "rules":
        return _rules(args, out)
    if command == "explain":
        return _explain(args, out)
    if command == "test":
        return _test(args, out, err)
    if command == "baseline":
        return _baseline(args, out, err)
    return _check(args, out, err)


# -- building the objects --------------------------------------------------------------------


def load_config_for(args: argparse.Namespace, paths: Sequence[str]):  # noqa: ANN201 - config.Config
    from linter.config import Config, ConfigFileError, find_config, load_config

    if getattr(args, "no_config", False):
        if args.config:
            raise UsageError("--config and --no-config conflict")
        return Config()
    path = args.config
    if path is not None and not os.path.isfile(path):
        raise Failure([f"{path}: error: config file not found"])
    path = path or find_config(paths)
    if path is None:
        return Config()
    try:
        if getattr(args, "no_cache", False):
            return load_config(path)
        from linter.cache import load_config_cached

        return load_config_cached(path)
    except ConfigFileError as e:
        raise Failure([_error_line(p) for p in e.problems]) from None


def load_rules(paths: Sequence[str], builtin: bool, use_cache: bool = True):  # noqa: ANN201 - policy.Policy
    """The policy; the one place that loads it: from the compiled-policy cache when it can,
    else compiled (which imports ruamel.yaml and jsonschema)."""
    from linter.policy import PolicyError, load_policy

    try:
        if use_cache:
            from linter.cache import load_policy_cached

            return load_policy_cached(list(paths), builtin=builtin)
        return load_policy(list(paths), builtin=builtin)
    except PolicyError as e:
        raise Failure([str(p) for p in e.problems]) from None


def _policy_and_options(args: argparse.Namespace, config, formats: dict[str, str] | None = None):  # noqa: ANN001,ANN202
    from linter.config import check_against_policy
    from linter.policy import PolicyError, load_policy
    from linter.suppressions import tool_rule_ids

    paths = [*config.policies, *_profile_paths(config, args), *args.policy]
    builtin = config.builtin and not args.no_builtin
    try:
        policy = load_rules(paths, builtin=builtin, use_cache=not args.no_cache)
    except Failure:
        # every error in one run: the config's problems with the rules that did load too
        try:
            load_policy(paths, builtin=builtin)
        except PolicyError as e:
            problems = check_against_policy(config, e.loaded, extra_ids=tool_rule_ids(), unbuilt=e.defined) \
                if e.loaded is not None else []
            raise Failure([str(p) for p in e.problems] + [_error_line(p) for p in problems]) from None
        raise
    problems = check_against_policy(config, policy, extra_ids=tool_rule_ids())
    if problems:
        raise Failure([_error_line(p) for p in problems])
    options = config.options(select=args.select, ignore=args.ignore, exclude=getattr(args, "exclude", ()),
                             formats=formats)
    return policy, options


def _profile_paths(config, args: argparse.Namespace) -> list[str]:  # noqa: ANN001
    """The policy files of the config's and the command line's profiles (unknown names: exit 2)."""
    from linter.config import profile_paths, profile_problem

    for name in args.profile:
        problem = profile_problem(name)
        if problem:
            raise UsageError(f"--profile: {problem}")
    return profile_paths([*config.profiles, *args.profile])


def _forced_formats(paths: Sequence[str], fmt: str | None) -> dict[str, str]:
    """``--as FORMAT``: an exact-path glob for each given file, ahead of the config's globs."""
    if fmt is None:
        return {}
    import glob

    from linter.discovery import normalize

    directories = [p for p in paths if os.path.isdir(p)]
    if directories:
        raise UsageError(f"--as applies to files, and {directories[0]} is a directory")
    return {glob.escape(normalize(p)): fmt for p in paths}


def _discover(args: argparse.Namespace, paths: Sequence[str], options):  # noqa: ANN001,ANN202
    from linter.discovery import discover

    return discover(paths, options.formats, options.exclude, args.as_format)


# -- check ------------------------------------------------------------------------------------


def _output_format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def _use_color(choice: str, stream: TextIO) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _problem_lines(problems, kind: str) -> str:  # noqa: ANN001 - model.ConfigError
    """Input errors (``kind`` "error") or notes, one line each, as stderr shows them: located
    lines, or under GitHub Actions ``::error``/``::notice`` commands (escaped)."""
    if _GITHUB:
        from linter.reporters.github import problem

        name, title = (("error", "policy-lint: cannot check this file") if kind == "error"
                       else ("notice", "policy-lint: not checked"))
        return "".join(problem(name, p, os.getcwd(), title) + "\n" for p in problems)
    if kind == "error":
        return "".join(_error_line(p) + "\n" for p in problems)
    from linter.reporters import printable

    return "".join(f"{printable(n.path)}{f':{n.line}:{n.column}' if n.line else ''}: note: "
                   f"{printable(n.message)}\n" for n in problems)


def _note_lines(notes) -> str:  # noqa: ANN001
    return _problem_lines(notes, "note")


def _prepare_check(args: argparse.Namespace, err: TextIO):  # noqa: ANN202
    paths = args.paths or ["."]
    config = load_config_for(args, paths)
    policy, options = _policy_and_options(args, config, _forced_formats(paths, args.as_format))
    _confine(paths, config)
    found = _discover(args, paths, options)
    _write(err, _note_lines(found.notes), commands=True)
    if not found.files and not found.errors:
        from linter.reporters import printable

        _write(err, f"{PROG}: note: no Postfix or Dovecot config file found in {printable(', '.join(paths))} "
                    "(names such as main.cf, master.cf, dovecot.conf, conf.d/*.conf; see --as and formats)\n")
    return config, policy, options, found


def _confine(paths: Sequence[str], config) -> None:  # noqa: ANN001 - config.Config
    """Read and write only inside the repositories of ``paths`` for the rest of the command
    (see :mod:`linter.confine`); the config's ``roots:`` map Dovecot's absolute includes."""
    global _CONFINED
    from linter import confine

    token = confine._CURRENT.set(confine.for_paths(paths, mapping=getattr(config, "roots", ()),
                                                   config=getattr(config, "path", None)))
    if _CONFINED is None:
        _CONFINED = token


class _Scoped:
    """Each file judged under its nearest ``.policy-lint.yaml`` (as ruff does), whatever
    the order of the paths given: the configs found below the run's own config each
    bring their policy and options for the files under them.  ``--config`` and
    ``--no-config`` give every file the same settings."""

    def __init__(self, args: argparse.Namespace, config, policy, options):  # noqa: ANN001
        self.args = args
        self.default = os.path.realpath(config.path) if config.path else None
        self.parts: dict[str | None, tuple] = {self.default: (config, policy, options)}
        self.single = bool(getattr(args, "config", None) or getattr(args, "no_config", False))
        self.nearest: dict[str, str | None] = {}  # directory -> real path of its nearest config

    def config_of(self, path: str) -> str | None:
        """The real path of the config that governs ``path`` (the run's own when none is nearer)."""
        from linter.config import CONFIG_NAME

        if self.single:
            return self.default
        directory = os.path.dirname(os.path.abspath(path))
        walked = []
        found = None
        while True:
            if directory in self.nearest:
                found = self.nearest[directory]
                break
            walked.append(directory)
            candidate = os.path.join(directory, CONFIG_NAME)
            if os.path.isfile(candidate):
                found = os.path.realpath(candidate)
                break
            parent = os.path.dirname(directory)
            if parent == directory:
                found = self.default
                break
            directory = parent
        for d in walked:
            self.nearest[d] = found
        return found

    def part(self, config_path: str | None) -> tuple:
        if config_path not in self.parts:
            from linter.config import ConfigFileError
            from linter.config import load_config as read

            try:
                config = read(os.path.relpath(config_path))
            except ConfigFileError as e:
                raise Failure([_error_line(p) for p in e.problems]) from None
            policy, options = _policy_and_options(self.args, config, _forced_formats(self.args.paths or ["."],
                                                                                    self.args.as_format))
            self.parts[config_path] = (config, policy, options)
        return self.parts[config_path]

    def split(self, files: Sequence[str]) -> list[tuple]:
        """(config path, policy, options, files) for each config that governs some of ``files``."""
        from linter.discovery import is_excluded

        groups: dict[str | None, list[str]] = {}
        for f in files:
            groups.setdefault(self.config_of(f), []).append(f)
        out = []
        for config_path, members in groups.items():
            _config, policy, options = self.part(config_path)
            if config_path != self.default:  # the nested config's own exclude
                members = [f for f in members if not is_excluded(f, options.exclude)]
            out.append((config_path, policy, options, members))
        return out

    def policy(self):  # noqa: ANN202 - the union of the policies, for reporters (rule texts)
        from linter.policy.model import Policy

        if len(self.parts) == 1:
            return next(iter(self.parts.values()))[1]
        packs, rules, seen = [], [], set()
        for _config, policy, _options in self.parts.values():
            packs += [p for p in policy.packs if p not in packs]
            for rule in policy.rules:
                if rule.id not in seen:
                    seen.add(rule.id)
                    rules.append(rule)
        return Policy(tuple(packs), tuple(rules))


def _run_scoped(files: Sequence[str], scoped: _Scoped, jobs: int | None = None):  # noqa: ANN202
    """:func:`_run_check` per config; a finding is kept by the config of the file it is in
    (a cross-file rule of relays/ does not report in a file the root config governs)."""
    import dataclasses

    parts = scoped.split(files)
    if not parts:
        _config, policy, options = scoped.parts[scoped.default]
        return _run_check([], policy, options, jobs)
    if len(parts) == 1:
        _path, policy, options, members = parts[0]
        return _run_check(members, policy, options, jobs)
    reports = []
    for config_path, policy, options, members in parts:
        report = _run_check(members, policy, options, jobs)
        kept = tuple(d for d in report.diagnostics if scoped.config_of(d.span.path) == config_path)
        reports.append(dataclasses.replace(report, diagnostics=kept))
    from linter.diagnostics import Diagnostic

    first = reports[0]
    return dataclasses.replace(
        first,
        diagnostics=tuple(sorted({d for r in reports for d in r.diagnostics}, key=Diagnostic.sort_key)),
        errors=tuple(sorted({(e.path, e.line, e.column, e.message): e for r in reports for e in r.errors}.values(),
                            key=lambda e: (e.path, e.line, e.column))),
        files=tuple(f for r in reports for f in r.files),
        comments=tuple(c for r in reports for c in r.comments),
        notes=tuple(n for r in reports for n in r.notes))


def _run_check(files: Sequence[str], policy, options, jobs: int | None = None):  # noqa: ANN001,ANN202
    """The engine, then inline suppressions: what a check and every re-check after a fix run."""
    import dataclasses

    from linter.engine import check, configure, is_selected
    from linter.suppressions import apply_suppressions, tool_rule_ids

    report = check(list(files), policy, options, jobs=jobs)
    report = apply_suppressions(report, known_rules=[r.id for r in policy.rules],
                                active_rules=[r.id for r in configure(policy, options)])
    # the suppression findings (PL...) obey select/ignore and severity like the policy's rules
    tool_ids = set(tool_rule_ids())
    kept = []
    for d in report.diagnostics:
        if d.rule in tool_ids:
            if not is_selected(d.rule, options):
                continue
            if d.rule in options.severity:
                d = dataclasses.replace(d, severity=options.severity[d.rule])
        kept.append(d)
    return dataclasses.replace(report, diagnostics=tuple(kept))


def _with_errors(report, errors):  # noqa: ANN001,ANN202
    if not errors:
        return report
    import dataclasses

    merged = tuple(sorted((*errors, *report.errors), key=lambda e: (e.path, e.line, e.column)))
    return dataclasses.replace(report, errors=merged)


def _check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.diff and args.fix:
        raise UsageError("--diff and --fix conflict: --diff shows the fixes without applying them")
    if args.unsafe_fixes and not (args.fix or args.diff):
        raise UsageError("--unsafe-fixes needs --fix or --diff")
    config, policy, options, found = _prepare_check(args, err)
    baseline = _load_baseline(args.baseline or config.baseline, explicit=bool(args.baseline), err=err)
    scoped = _Scoped(args, config, policy, options)
    report = _run_scoped(found.files, scoped, args.jobs)
    policy = scoped.policy()
    _write(err, _note_lines(report.notes), commands=True)
    hidden = 0
    if baseline is not None:
        report, hidden = _filter_baseline(report, baseline)
    fixed = 0
    if args.fix or args.diff:
        from linter.diagnostics import Applicability
        from linter.fixer import fix_files

        def recheck(files: Sequence[str]):  # noqa: ANN202 - engine.Report
            again = _run_scoped(files, scoped)
            return _filter_baseline(again, baseline)[0] if baseline is not None else again

        wanted = Applicability.UNSAFE if args.unsafe_fixes else Applicability.SAFE
        outcome = fix_files(report, wanted, recheck, write=args.fix)
        from linter.reporters import printable

        _write(err, "".join(f"{printable(e.path)}: note: a fix was undone because it broke the file: "
                            f"{printable(str(e))}\n" for e in outcome.rolled_back))
        _write(err, "".join(f"{PROG}: note: the fixes of {' and '.join(ids)} undo each other (the files came back "
                            "to an earlier state): they were not counted as fixed; make the rules agree\n"
                            for ids in outcome.conflicts))
        if args.diff:
            _write(out, outcome.diff)
            count = len(outcome.applied) if outcome.changed else 0
            from linter.reporters.text import plural
            _write(err, f"{plural(count, 'fix', 'fixes')} would be applied to {plural(len(outcome.changed), 'file')}.\n")
            if report.errors or found.errors:
                _write(err, _problem_lines((*found.errors, *report.errors), "error"), commands=True)
                return 2
            return 1 if outcome.diff else 0
        fixed = len(outcome.applied) if outcome.changed else 0  # what really changed
        report = outcome.remaining
    report = _with_errors(report, found.errors)
    _emit_report(args, report, policy, out, fixed, hidden)
    # every format: errors on stderr (JSON keeps its array of findings; SARIF also carries them)
    _write(err, _problem_lines(report.errors, "error"), commands=True)
    return _status(report, args, config)


def _load_baseline(path: str | None, explicit: bool, err: TextIO):  # noqa: ANN202 - baseline.Baseline
    if path is None:
        return None
    if not os.path.isfile(path):
        if explicit:
            raise Failure([f"{path}: error: baseline file not found (write one with '{PROG} baseline')"])
        _write(err, f"{path}: note: the config's baseline file does not exist yet; nothing is hidden\n")
        return None
    from linter.baseline import load_baseline
    from linter.model import ConfigError

    try:
        return load_baseline(path)
    except ConfigError as e:
        raise Failure([_error_line(e)]) from None


def _filter_baseline(report, baseline):  # noqa: ANN001,ANN202
    """The report without the baselined findings, and how many were hidden."""
    import dataclasses

    from linter.baseline import match_baseline

    matched = match_baseline(report, baseline)
    return dataclasses.replace(report, diagnostics=matched.kept), len(matched.hidden)


def _error_line(e) -> str:  # noqa: ANN001 - model.ConfigError
    from linter.reporters.text import error_line

    return error_line(e)


def _emit_report(args: argparse.Namespace, report, policy, out: TextIO, fixed: int,  # noqa: ANN001
                 hidden: int = 0) -> None:
    from linter.reporters import OutputSettings, renderer

    fmt = _output_format(args)
    target = out
    if args.output:
        directory = os.path.dirname(args.output)
        if directory and not os.path.isdir(directory):
            raise Failure([f"{args.output}: error: cannot write the report: no such directory {directory}"])
    color = fmt == "text" and not args.output and _use_color(args.color, out)
    root = os.getcwd()
    if fmt == "github":  # annotations name files relative to the repository, wherever the run started
        from linter.reporters.github import repository_root

        root = repository_root(root)
    settings = OutputSettings(color=color, root=root, unsafe_fixes=args.unsafe_fixes, fixed=fixed,
                              quiet=args.quiet, baselined=hidden)
    text = renderer(fmt)(report, policy, settings)
    if args.quiet and fmt == "text" and not report.diagnostics and not report.errors:
        text = ""
    if args.output:
        # a new file renamed over the path: a symbolic link planted there is replaced, not followed
        from linter.cache import write_atomically

        if _GITHUB and fmt != "github":
            from linter.reporters import workflow_safe

            text = workflow_safe(text)
        try:
            write_atomically(args.output, text.encode("utf-8", "backslashreplace"), prefix=".policy-lint-report.")
        except OSError as e:
            raise Failure([f"{args.output}: error: cannot write the report: {e.strerror or e}"]) from None
        return
    _write(target, text, commands=fmt == "github")


def _status(report, args: argparse.Namespace, config) -> int:  # noqa: ANN001
    from linter.diagnostics import Severity

    if report.errors:
        return 2
    if args.exit_zero:
        return 0
    fail_on = Severity.parse(args.fail_on) if args.fail_on else (config.fail_on or Severity.INFO)
    return 1 if any(d.severity >= fail_on for d in report.diagnostics) else 0


# -- baseline ---------------------------------------------------------------------------------


def _baseline(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from linter.baseline import write_baseline

    config, policy, options, found = _prepare_check(args, err)
    report = _run_scoped(found.files, _Scoped(args, config, policy, options), args.jobs)
    _write(err, _note_lines(report.notes), commands=True)
    errors = (*found.errors, *report.errors)
    if errors:
        _write(err, _problem_lines(errors, "error"), commands=True)
        _write(err, "baseline not written: every file must be readable to record its findings\n")
        return 2
    path = args.output or config.baseline or DEFAULT_BASELINE
    try:
        write_baseline(path, report)
    except OSError as e:
        raise Failure([f"{path}: error: cannot write the baseline: {e.strerror or e}"]) from None
    count = len(report.diagnostics)
    from linter.reporters.text import plural
    _write(out, f"Recorded {plural(count, 'finding')} in {path}.\n")
    return 0


# -- parse, rules, explain, schema, test ------------------------------------------------------


def _parse(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from linter.dump import to_json
    from linter.model import ConfigError
    from linter.parsers import detect_format, parse_file

    paths = args.paths or ["."]
    # the same files and formats as check: --as wins over the config file's formats
    config = load_config_for(args, paths)
    options = config.options(exclude=args.exclude, formats=_forced_formats(paths, args.as_format))
    _confine(paths, config)
    found = _discover(args, paths, options)
    _write(err, _note_lines(found.notes), commands=True)
    documents, errors = [], list(found.errors)
    for path in found.files:
        try:
            documents.append(parse_file(path, detect_format(path, options.formats)))
        except ConfigError as e:
            errors.append(e)
    _write(out, to_json(documents) + "\n")
    _write(err, _note_lines([n for d in documents for n in d.notes]), commands=True)
    _write(err, _problem_lines(errors, "error"), commands=True)
    return 2 if errors else 0


def _loaded_policy(args: argparse.Namespace):  # noqa: ANN202
    config = load_config_for(args, ["."])
    policy, options = _policy_and_options(args, config)
    return config, policy, options


def _fix_label(rule) -> str:  # noqa: ANN001
    return str(rule.fix.applicability) if rule.fix is not None else "-"


def _rules(args: argparse.Namespace, out: TextIO) -> int:
    from linter.engine import configure

    if args.profiles:
        return _list_profiles(args, out)
    _config, policy, options = _loaded_policy(args)
    rules = configure(policy, options)
    if args.format == "json":
        from linter.reporters.json_ import dumps

        _write(out, dumps([{"id": r.id, "name": r.name, "severity": str(r.severity), "scope": r.scope,
                            "fix": _fix_label(r) if r.fix else None, "pack": r.pack, "reference": r.reference}
                           for r in rules]) + "\n")
        return 0
    rows = [("ID", "NAME", "SEVERITY", "SCOPE", "FIX")]
    rows += [(r.id, r.name, str(r.severity), r.scope, _fix_label(r)) for r in rules]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    _write(out, "".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[4] + "\n"
                        for row in rows))
    return 0


def _list_profiles(args: argparse.Namespace, out: TextIO) -> int:
    """``rules --profiles``: each opt-in profile with its title and rule ids."""
    from linter.config import available_profiles, profile_paths

    rows = []
    for name in available_profiles():
        policy = load_rules(profile_paths([name]), builtin=False, use_cache=not args.no_cache)
        title = policy.packs[0].title if policy.packs else ""
        rows.append({"profile": name, "title": title, "rules": [r.id for r in policy.rules]})
    if args.format == "json":
        from linter.reporters.json_ import dumps

        _write(out, dumps(rows) + "\n")
        return 0
    width = max((len(r["profile"]) for r in rows), default=0)
    _write(out, "".join(f"{r['profile'].ljust(width)}  {', '.join(r['rules'])}  {r['title']}\n" for r in rows))
    return 0


def _explain(args: argparse.Namespace, out: TextIO) -> int:
    from linter.reporters.rule_doc import explain

    _config, policy, options = _loaded_policy(args)
    wanted = args.rule.strip()
    rule = policy.rule(wanted.upper()) or next((r for r in policy.rules if r.name == wanted), None)
    if rule is None:
        from linter.config import did_you_mean

        names = [r.id for r in policy.rules] + [r.name for r in policy.rules]
        hint = did_you_mean(wanted, names) or f"; '{PROG} rules' lists them"
        raise Failure([f"{PROG}: error: no rule {wanted!r}{hint}"])
    from linter.engine import configure

    configured = configure(policy, options, [rule.id])  # the params .policy-lint.yaml sets
    _write(out, explain(configured[0] if configured else rule))
    return 0


def _schema(out: TextIO) -> int:
    from pathlib import Path

    path = Path(__file__).resolve().parent / "data" / "policy.schema.json"
    _write(out, path.read_text(encoding="utf-8"))
    return 0


def _test(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from linter.discovery import normalize
    from linter.engine import is_selected
    from linter.policytest import run_examples

    if args.policies:
        config = load_config_for(args, ["."])
        policy = load_rules([*args.policies, *_profile_paths(config, args), *args.policy], builtin=False,
                            use_cache=not args.no_cache)
        options = config.options(select=args.select, ignore=args.ignore)
    else:
        _config, policy, options = _loaded_policy(args)
    rule_ids = [r.id for r in policy.rules if is_selected(r.id, options)]
    results = run_examples(policy, rule_ids)
    failed = [r for r in results if not r.ok]
    lines = []
    for result in failed:
        where = (f"{normalize(result.source.path)}:{result.source.line}:{result.source.column}: "
                 if result.source else "")
        detail_lines = result.detail.splitlines() or [""]
        lines.append(f"{where}{result.rule_id} {result.name}: FAILED: {detail_lines[0]}")
        lines += ["    " + line for line in detail_lines[1:]]
    without = [r.id for r in policy.rules if r.id in rule_ids and not r.examples]
    from linter.reporters.text import plural
    summary = f"{plural(len(results), 'example')} of {plural(len(rule_ids), 'rule')}: "
    summary += f"{len(failed)} failed." if failed else "all passed."
    if without:
        summary += f" Rules without examples: {', '.join(without)}."
        if args.strict:
            summary += " (--strict: every rule needs examples)"
    lines.append(summary)
    _write(out, "".join(line + "\n" for line in lines))
    return 1 if failed or (args.strict and without) else 0
