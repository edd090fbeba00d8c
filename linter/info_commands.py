"""The commands that do not check: ``parse`` (how files are read, as JSON), ``rules`` (the
rule list, or the opt-in profiles), ``explain`` (one rule's documentation), ``schema`` (the
policy JSON Schema) and ``test`` (the rules' examples)."""

from __future__ import annotations

from linter.check_command import discover_files, forced_formats, load_config_for, load_rules, policy_and_options, profile_paths_of
from linter.console import PROG, Failure, confine_to, note_lines, problem_lines, write

TYPE_CHECKING = False
if TYPE_CHECKING:
    from argparse import Namespace
    from typing import TextIO


def parse(args: Namespace, out: TextIO, err: TextIO) -> int:
    from linter.dump import to_json
    from linter.model import ConfigError
    from linter.parsers import detect_format, parse_file

    paths = args.paths or ["."]
    # the same files and formats as check: --as wins over the config file's formats
    config = load_config_for(args, paths)
    options = config.options(exclude=args.exclude, formats=forced_formats(paths, args.as_format))
    confine_to(paths, config)
    found = discover_files(args, paths, options)
    write(err, note_lines(found.notes), commands=True)
    documents, errors = [], list(found.errors)
    for path in found.files:
        try:
            documents.append(parse_file(path, detect_format(path, options.formats)))
        except ConfigError as e:
            errors.append(e)
    write(out, to_json(documents) + "\n")
    write(err, note_lines([n for d in documents for n in d.notes]), commands=True)
    write(err, problem_lines(errors, "error"), commands=True)
    return 2 if errors else 0


def _loaded_policy(args: Namespace):  # noqa: ANN202
    config = load_config_for(args, ["."])
    policy, options = policy_and_options(args, config)
    return config, policy, options


def _fix_label(rule) -> str:  # noqa: ANN001
    return str(rule.fix.applicability) if rule.fix is not None else "-"


def rules(args: Namespace, out: TextIO) -> int:
    from linter.engine import configure

    if args.profiles:
        return _list_profiles(args, out)
    _config, policy, options = _loaded_policy(args)
    rules = configure(policy, options)
    if args.format == "json":
        from linter.reporters.json_ import dumps

        write(out, dumps([{"id": r.id, "name": r.name, "severity": str(r.severity), "scope": r.scope,
                            "fix": _fix_label(r) if r.fix else None, "pack": r.pack, "reference": r.reference}
                           for r in rules]) + "\n")
        return 0
    rows = [("ID", "NAME", "SEVERITY", "SCOPE", "FIX")]
    rows += [(r.id, r.name, str(r.severity), r.scope, _fix_label(r)) for r in rules]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    write(out, "".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[4] + "\n"
                        for row in rows))
    return 0


def _list_profiles(args: Namespace, out: TextIO) -> int:
    """``rules --profiles``: each opt-in profile with its title and rule ids."""
    from linter.profiles import available_profiles, profile_paths

    rows = []
    for name in available_profiles():
        policy = load_rules(profile_paths([name]), builtin=False)
        title = policy.packs[0].title if policy.packs else ""
        rows.append({"profile": name, "title": title, "rules": [r.id for r in policy.rules]})
    if args.format == "json":
        from linter.reporters.json_ import dumps

        write(out, dumps(rows) + "\n")
        return 0
    width = max((len(r["profile"]) for r in rows), default=0)
    write(out, "".join(f"{r['profile'].ljust(width)}  {', '.join(r['rules'])}  {r['title']}\n" for r in rows))
    return 0


def explain(args: Namespace, out: TextIO) -> int:
    from linter.reporters.rule_doc import explain

    _config, policy, options = _loaded_policy(args)
    wanted = args.rule.strip()
    rule = policy.rule(wanted.upper()) or next((r for r in policy.rules if r.name == wanted), None)
    if rule is None:
        from linter.suggest import hint_suffix

        names = [r.id for r in policy.rules] + [r.name for r in policy.rules]
        hint = hint_suffix(wanted, names) or f"; '{PROG} rules' lists them"
        raise Failure([f"{PROG}: error: no rule {wanted!r}{hint}"])
    from linter.engine import configure

    configured = configure(policy, options, [rule.id])  # the params .policy-lint.yaml sets
    write(out, explain(configured[0] if configured else rule))
    return 0


def schema(out: TextIO) -> int:
    from pathlib import Path

    path = Path(__file__).resolve().parent / "data" / "policy.schema.json"
    write(out, path.read_text(encoding="utf-8"))
    return 0


def run_tests(args: Namespace, out: TextIO, err: TextIO) -> int:
    from linter.discovery import normalize
    from linter.engine import is_selected
    from linter.policytest import run_examples

    if args.policies:
        config = load_config_for(args, ["."])
        policy = load_rules([*args.policies, *profile_paths_of(config, args), *args.policy], builtin=False)
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
    write(out, "".join(line + "\n" for line in lines))
    return 1 if failed or (args.strict and without) else 0
