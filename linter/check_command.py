"""The ``check`` and ``baseline`` commands: the config and the policy for the paths given,
the files found, the engine run under each file's nearest config, inline suppressions, the
baseline, ``--fix``/``--diff``, and the report in the chosen format with the exit status.

0: clean; 1: findings at or above the failing severity (or a non-empty ``--diff``); 2: a
config, policy or input error, always with a message (see :mod:`linter.console`).
"""

from __future__ import annotations

import os

from linter import console
from linter.console import DEFAULT_BASELINE, PROG, Failure, UsageError, confine_to, error_line, note_lines, problem_lines, write

TYPE_CHECKING = False
if TYPE_CHECKING:
    from argparse import Namespace
    from collections.abc import Iterable, Iterator, Sequence
    from typing import TextIO

    from linter.discovery import Discovery


def load_config_for(args: Namespace, paths: Sequence[str]):  # noqa: ANN201 - config.Config
    from linter.config import Config, ConfigFileError, find_config

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
        from linter.cache import load_config_cached

        return load_config_cached(path)
    except ConfigFileError as e:
        raise Failure([error_line(p) for p in e.problems]) from None


def load_rules(paths: Sequence[str], builtin: bool):  # noqa: ANN201 - policy.Policy
    """The policy; the one place that loads it: from the compiled-policy cache when it can
    (not with --no-cache), else compiled (which imports ruamel.yaml and jsonschema)."""
    from linter.cache import load_policy_cached
    from linter.policy import PolicyError

    try:
        return load_policy_cached(list(paths), builtin=builtin)
    except PolicyError as e:
        raise Failure([str(p) for p in e.problems]) from None


def policy_and_options(args: Namespace, config, formats: dict[str, str] | None = None) -> tuple:  # noqa: ANN001
    paths = [*config.policies, *profile_paths_of(config, args), *args.policy]
    builtin = config.builtin and not args.no_builtin
    try:
        policy = load_rules(paths, builtin=builtin)
    except Failure:
        from linter.policy import PolicyError, load_policy

        # every error in one run: the config's problems with the rules that did load too
        try:
            load_policy(paths, builtin=builtin)
        except PolicyError as e:
            problems = _config_problems(config, e.loaded, unbuilt=e.defined) if e.loaded is not None else []
            raise Failure([str(p) for p in e.problems] + [error_line(p) for p in problems]) from None
        raise
    problems = _config_problems(config, policy)
    if problems:
        raise Failure([error_line(p) for p in problems])
    options = config.options(select=args.select, ignore=args.ignore, exclude=getattr(args, "exclude", ()),
                             formats=formats)
    return policy, options


def _config_problems(config, policy, unbuilt: Sequence[str] = ()) -> list:  # noqa: ANN001
    """:func:`linter.config.check_against_policy`, the tool's own rule ids (suppression
    findings) included; a config that names no rule (no select, ignore, severity or params:
    always so without a config file) has nothing to check against the policy."""
    if not (config.select or config.ignore or config.severity or config.params):
        return []
    from linter.config import check_against_policy
    from linter.suppressions import tool_rule_ids

    return check_against_policy(config, policy, extra_ids=tool_rule_ids(), unbuilt=unbuilt)


def profile_paths_of(config, args: Namespace) -> list[str]:  # noqa: ANN001
    """The policy files of the config's and the command line's profiles (unknown names: exit 2)."""
    if not config.profiles and not args.profile:
        return []
    from linter.profiles import profile_paths, profile_problem

    for name in args.profile:
        problem = profile_problem(name)
        if problem:
            raise UsageError(f"--profile: {problem}")
    return profile_paths([*config.profiles, *args.profile])


def forced_formats(paths: Sequence[str], fmt: str | None) -> dict[str, str]:
    """``--as FORMAT``: an exact-path glob for each given file, ahead of the config's globs."""
    if fmt is None:
        return {}
    import glob

    from linter.discovery import normalize

    directories = [p for p in paths if os.path.isdir(p)]
    if directories:
        raise UsageError(f"--as applies to files, and {directories[0]} is a directory")
    return {glob.escape(normalize(p)): fmt for p in paths}


def discover_files(args: Namespace, paths: Sequence[str], options) -> Discovery:  # noqa: ANN001
    from linter.discovery import discover

    return discover(paths, options.formats, options.exclude, args.as_format)


# -- check ------------------------------------------------------------------------------------


def _output_format(args: Namespace) -> str:
    """``--format``, else GitHub's under GitHub Actions (as main() read it: console.GITHUB)."""
    return args.format or ("github" if console.GITHUB else "text")


def use_color(choice: str, stream: TextIO) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _prepare_check(args: Namespace, err: TextIO):  # noqa: ANN202
    paths = args.paths or ["."]
    config = load_config_for(args, paths)
    policy, options = policy_and_options(args, config, forced_formats(paths, args.as_format))
    confine_to(paths, config)
    found = discover_files(args, paths, options)
    write(err, note_lines(found.notes), commands=True)
    if not found.files and not found.errors:
        from linter.reporters import printable

        write(err, f"{PROG}: note: no Postfix or Dovecot config file found in {printable(', '.join(paths))} "
                    "(names such as main.cf, master.cf, dovecot.conf, conf.d/*.conf; see --as and formats)\n")
    return config, policy, options, found


class _Scoped:
    """Each file judged under its nearest ``.policy-lint.yaml`` (as ruff does), whatever
    the order of the paths given: the configs found below the run's own config each
    bring their policy and options for the files under them.  ``--config`` and
    ``--no-config`` give every file the same settings."""

    def __init__(self, args: Namespace, config, policy, options):  # noqa: ANN001
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
            from linter.cache import load_config_cached
            from linter.config import ConfigFileError

            try:  # cached as the top config is (load_config_for)
                config = load_config_cached(os.path.relpath(config_path))
            except ConfigFileError as e:
                raise Failure([error_line(p) for p in e.problems]) from None
            policy, options = policy_and_options(self.args, config, forced_formats(self.args.paths or ["."],
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
        reports.append(report.replace(diagnostics=kept))
    from linter.diagnostics import SORT_KEY

    first = reports[0]
    return first.replace(diagnostics=tuple(sorted({d for r in reports for d in r.diagnostics}, key=SORT_KEY)),
        errors=tuple(sorted({(e.path, e.line, e.column, e.message): e for r in reports for e in r.errors}.values(),
                            key=lambda e: (e.path, e.line, e.column))),
        files=tuple(f for r in reports for f in r.files),
        comments=tuple(c for r in reports for c in r.comments),
        notes=tuple(n for r in reports for n in r.notes))


def _run_check(files: Sequence[str], policy, options, jobs: int | None = None):  # noqa: ANN001,ANN202
    """The engine, then inline suppressions: what a check and every re-check after a fix run."""
    from linter.engine import check, configure, is_selected

    report = check(list(files), policy, options, jobs=jobs)
    if not report.comments:
        return report  # no suppression comment in the files: nothing to silence, no PL finding
    from linter.suppressions import apply_suppressions, tool_rule_ids

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
                d = d.replace(severity=options.severity[d.rule])
        kept.append(d)
    return report.replace(diagnostics=tuple(kept))


def _with_errors(report, errors):  # noqa: ANN001,ANN202
    if not errors:
        return report
    merged = tuple(sorted((*errors, *report.errors), key=lambda e: (e.path, e.line, e.column)))
    return report.replace(errors=merged)


def check(args: Namespace, out: TextIO, err: TextIO) -> int:
    if args.diff and args.fix:
        raise UsageError("--diff and --fix conflict: --diff shows the fixes without applying them")
    if args.unsafe_fixes and not (args.fix or args.diff):
        raise UsageError("--unsafe-fixes needs --fix or --diff")
    config, policy, options, found = _prepare_check(args, err)
    baseline = _load_baseline(args.baseline or config.baseline, explicit=bool(args.baseline), err=err)
    scoped = _Scoped(args, config, policy, options)
    report = _run_scoped(found.files, scoped, args.jobs)
    policy = scoped.policy()
    write(err, note_lines(report.notes), commands=True)
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

        write(err, "".join(f"{printable(e.path)}: note: a fix was undone because it broke the file: "
                            f"{printable(str(e))}\n" for e in outcome.rolled_back))
        write(err, "".join(f"{PROG}: note: the fixes of {' and '.join(ids)} undo each other (the files came back "
                            "to an earlier state): they were not counted as fixed; make the rules agree\n"
                            for ids in outcome.conflicts))
        from linter.fixer import convergence_note

        write(err, convergence_note(PROG, outcome))
        if args.diff:
            write(out, outcome.diff)
            count = len(outcome.applied) if outcome.changed else 0
            from linter.reporters.text import plural
            write(err, f"{plural(count, 'fix', 'fixes')} would be applied to {plural(len(outcome.changed), 'file')}.\n")
            if report.errors or found.errors:
                write(err, problem_lines((*found.errors, *report.errors), "error"), commands=True)
                return 2
            return 1 if outcome.diff else 0
        fixed = len(outcome.applied) if outcome.changed else 0  # what really changed
        report = outcome.remaining
    report = _with_errors(report, found.errors)
    _emit_report(args, report, policy, out, fixed, hidden)
    # every format: errors on stderr (JSON keeps its array of findings; SARIF also carries them)
    write(err, problem_lines(report.errors, "error"), commands=True)
    return _status(report, args, config)


def _load_baseline(path: str | None, explicit: bool, err: TextIO):  # noqa: ANN202 - baseline.Baseline
    if path is None:
        return None
    if not os.path.isfile(path):
        if explicit:
            raise Failure([f"{path}: error: baseline file not found (write one with '{PROG} baseline')"])
        write(err, f"{path}: note: the config's baseline file does not exist yet; nothing is hidden\n")
        return None
    from linter.baseline import load_baseline
    from linter.model import ConfigError

    try:
        return load_baseline(path)
    except ConfigError as e:
        raise Failure([error_line(e)]) from None


def _filter_baseline(report, baseline):  # noqa: ANN001,ANN202
    """The report without the baselined findings, and how many were hidden."""
    from linter.baseline import match_baseline

    matched = match_baseline(report, baseline)
    return report.replace(diagnostics=matched.kept), len(matched.hidden)


def _emit_report(args: Namespace, report, policy, out: TextIO, fixed: int,  # noqa: ANN001
                 hidden: int = 0) -> None:
    from linter.reporters import OutputSettings, chunk_renderer, renderer

    fmt = _output_format(args)
    target = out
    if args.output:
        directory = os.path.dirname(args.output)
        if directory and not os.path.isdir(directory):
            raise Failure([f"{args.output}: error: cannot write the report: no such directory {directory}"])
    color = fmt == "text" and not args.output and use_color(args.color, out)
    root = os.getcwd()
    if fmt == "github":  # annotations name files relative to the repository, wherever the run started
        from linter.reporters.github import repository_root

        root = repository_root(root)
    settings = OutputSettings(color=color, root=root, unsafe_fixes=args.unsafe_fixes, fixed=fixed,
                              quiet=args.quiet, baselined=hidden)
    # formats that can are written as they are made, in pieces of about a megabyte: a report of
    # hundreds of thousands of findings is never held whole, nor twice (joined, then encoded)
    by_piece = chunk_renderer(fmt)
    pieces = by_piece(report, policy, settings) if by_piece is not None else [renderer(fmt)(report, policy, settings)]
    if args.quiet and fmt == "text" and not report.diagnostics and not report.errors:
        pieces = []
    if args.output:
        # a new file renamed over the path: a symbolic link planted there is replaced, not followed
        from linter.reporters import workflow_safe
        from linter.store import write_atomically

        escape = console.GITHUB and fmt != "github"
        data = ((workflow_safe(text) if escape else text).encode("utf-8", "backslashreplace")
                for text in _batched(pieces))
        try:
            write_atomically(args.output, data, prefix=".policy-lint-report.")
        except OSError as e:
            raise Failure([f"{args.output}: error: cannot write the report: {e.strerror or e}"]) from None
        return
    for text in _batched(pieces):
        write(target, text, commands=fmt == "github")


def _batched(pieces: Iterable[str], size: int = 1 << 20) -> Iterator[str]:
    """``pieces`` joined into strings of about ``size`` characters (the last may be shorter;
    nothing at all when there are no pieces).  Pieces end where report lines do, but for
    JSON's separating comma, which is never the start of a workflow command."""
    batch: list[str] = []
    length = 0
    for piece in pieces:
        batch.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(batch)
            batch, length = [], 0
    if batch:
        yield "".join(batch)


def _status(report, args: Namespace, config) -> int:  # noqa: ANN001
    from linter.diagnostics import Severity

    if report.errors:
        return 2
    if args.exit_zero:
        return 0
    fail_on = Severity.parse(args.fail_on) if args.fail_on else (config.fail_on or Severity.INFO)
    return 1 if any(d.severity >= fail_on for d in report.diagnostics) else 0


# -- baseline ---------------------------------------------------------------------------------


def baseline(args: Namespace, out: TextIO, err: TextIO) -> int:
    from linter.baseline import write_baseline

    config, policy, options, found = _prepare_check(args, err)
    report = _run_scoped(found.files, _Scoped(args, config, policy, options), args.jobs)
    write(err, note_lines(report.notes), commands=True)
    errors = (*found.errors, *report.errors)
    if errors:
        write(err, problem_lines(errors, "error"), commands=True)
        write(err, "baseline not written: every file must be readable to record its findings\n")
        return 2
    path = args.output or config.baseline or DEFAULT_BASELINE
    try:
        write_baseline(path, report)
    except OSError as e:
        raise Failure([f"{path}: error: cannot write the baseline: {e.strerror or e}"]) from None
    count = len(report.diagnostics)
    from linter.reporters.text import plural
    write(out, f"Recorded {plural(count, 'finding')} in {path}.\n")
    return 0
