"""GitHub Actions workflow commands: one annotation per finding and per input error.

Escaping is exactly @actions/core's ``command.ts``: in the message ``%``, CR and LF;
in properties also ``:`` and ``,``.  ``file=`` is relative to the repository
(``GITHUB_WORKSPACE``, else the git top level, else the working directory), so that
annotations land on the file whatever directory the linter ran from.  ``col`` and
``endColumn`` are left out of a span over several lines, which GitHub cannot show
(as ruff's github.rs does).  The message carries the fix, the rule's rationale and
its help link.  Other control characters are written as ``\\xNN`` (the log
viewer renders ANSI sequences).  Input errors are not part of the report: the CLI writes
them on stderr with :func:`problem` (``::error``, ``::notice``).
"""

from __future__ import annotations

from linter.diagnostics import Severity
from linter.reporters import Memo, OutputSettings, edit_text, further_edits, printable, relative_path, remember

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _properties(properties: dict[str, object]) -> str:
    return ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())


def command(name: str, properties: dict[str, object], message: str) -> str:
    props = _properties(properties)
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def repository_root(start: str) -> str:
    """Where annotation paths start: ``GITHUB_WORKSPACE`` when it is a directory, else
    the git top level above ``start`` (a ``.git`` directory or file), else ``start``."""
    import os

    from linter.confine import git_dir_above

    workspace = os.environ.get("GITHUB_WORKSPACE")
    if workspace and os.path.isdir(workspace):
        return workspace
    # abspath, not realpath: annotation paths are relative to the spelling the user ran with
    return git_dir_above(os.path.abspath(start)) or start


def _message_path(path: str) -> str:
    """A path inside a message: no ``::`` (the start of a workflow command) and no ``##[``
    (a legacy one), even in the middle of the escaped one-line message: ``:\\x3a``, ``#\\x23[``."""
    return path.replace("##[", "#\\x23[").replace("::", ":\\x3a")


def problem(name: str, error, root: str, title: str) -> str:  # noqa: ANN001 - model.ConfigError
    """An input error (``error``) or note (``notice``) as one workflow command."""
    properties: dict[str, object] = {"file": relative_path(error.path, repository_root(root))}
    if error.line:
        properties.update(line=error.line, col=error.column)
    properties["title"] = title
    return command(name, properties, error.message)


def _rationale(policy, rule_id: str) -> str:  # noqa: ANN001 - policy.model.Policy
    """The rule's rationale on one line, or nothing."""
    rule = policy.rule(rule_id) if policy is not None else None
    return " ".join(rule.rationale.split()) if rule is not None and rule.rationale else ""


def render(report, policy, settings: OutputSettings = OutputSettings()) -> str:  # noqa: ANN001
    """Annotations with paths relative to ``settings.root`` (the CLI passes :func:`repository_root`)."""
    return "".join(render_chunks(report, policy, settings))


def render_chunks(report, policy, settings: OutputSettings = OutputSettings()) -> Iterator[str]:  # noqa: ANN001
    """The annotations one at a time (``"".join`` of them is :func:`render`'s text): a report
    of 700,000 findings is written as it is made.  A file's relative path and a rule's
    rationale are worked out once per report, not once per finding."""
    root = settings.root
    relative = Memo(lambda path: relative_path(path, root))
    files = Memo(lambda path: escape_property(relative[path]))  # a file's ``file=`` property, escaped
    rationales = Memo(lambda rule_id: _rationale(policy, rule_id))
    messages: dict[tuple, tuple[str, str, str]] = {}  # command, escaped title and message
    for d in report.diagnostics:
        s = d.span
        fix = d.fix
        further = further_edits(d)
        key = None if further else (d.rule, d.name, d.severity, d.message, d.help_uri,
                                    None if fix is None else (fix.title, fix.applicability))
        found = messages.get(key) if key is not None else None
        if found is None:
            message = d.message
            if fix is not None:
                message += f"\nfix: {fix.title} [{fix.applicability}]"
                for edit in further:  # what the fix also changes elsewhere
                    e = edit.span
                    message += f"\n  also {edit_text(edit, f'{_message_path(relative[e.path])}:{e.line}:{e.column}')}"
            rationale = rationales[d.rule]
            if rationale:
                message += f"\n{rationale}"
            if d.help_uri:
                message += f"\nhelp: {d.help_uri}"
            found = (COMMANDS[d.severity], escape_property(f"{d.rule} {d.name}"), escape_data(message))
            if key is not None:  # the same for every finding of this rule, message and fix
                remember(messages, key, found)
        name, title, message = found
        line, end_line = s.line, s.end_line
        if type(line) is int and type(end_line) is int and type(s.column) is int and type(s.end_column) is int:
            # ints need no escaping: command() of the same properties, without the dict
            where = f"{line},endLine={end_line},col={s.column},endColumn={s.end_column}" if end_line == line \
                else f"{line},endLine={end_line}"
            yield f"::{name} file={files[s.path]},line={where},title={title}::{message}\n"
            continue
        properties = {"file": relative[s.path], "line": s.line, "endLine": s.end_line}
        if s.end_line == s.line:
            properties.update(col=s.column, endColumn=s.end_column)
        properties["title"] = f"{d.rule} {d.name}"
        yield f"::{name} {_properties(properties)}::{message}\n"  # command() with the message escaped
