"""GitHub Actions workflow commands: one annotation per finding and per input error.

Escaping is exactly @actions/core's ``command.ts``: in the message ``%``, CR and LF;
in properties also ``:`` and ``,``.
"""

from __future__ import annotations

from linter.diagnostics import Severity
from linter.reporters import OutputSettings, relative_path

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: dict[str, object], message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def render(report, policy, settings: OutputSettings = OutputSettings()) -> str:  # noqa: ANN001
    lines = []
    for error in report.errors:
        properties: dict[str, object] = {"file": relative_path(error.path, settings.root)}
        if error.line:
            properties.update(line=error.line, col=error.column)
        properties["title"] = "policy-lint: cannot check this file"
        lines.append(command("error", properties, error.message))
    for d in report.diagnostics:
        s = d.span
        message = d.message
        if d.fix is not None:
            message += f"\nfix: {d.fix.title} [{d.fix.applicability}]"
        lines.append(command(COMMANDS[d.severity], {
            "file": relative_path(s.path, settings.root),
            "line": s.line,
            "endLine": s.end_line,
            "col": s.column,
            "endColumn": s.end_column,
            "title": f"{d.rule} {d.name}",
        }, message))
    return "".join(line + "\n" for line in lines)
