"""A rule's documentation as text: what ``policy-lint explain`` prints and the docs show.

Markdown that also reads well in a terminal: header, message, rationale, reference,
parameters, fix, then the rule's own examples (which ``policy-lint test`` runs).
"""

from __future__ import annotations


def _block(name: str, content: str) -> list[str]:
    body = content if content.endswith("\n") else content + "\n"
    return [f"    # {name}", *("    " + line if line else "" for line in body.splitlines()), ""]


def explain(rule) -> str:  # noqa: ANN001 - policy.Rule
    """The rule as a reader wants it: placeholders of the message and fix title shown as
    ``<value>`` (parameters filled with their values), ``{{ }}`` as plain braces."""
    from linter.policy.templates import describe

    out = [f"# {rule.id} {rule.name}", "",
           f"Severity: {rule.severity} · Scope: {rule.scope}" + (f" · Pack: {rule.pack}" if rule.pack else ""), "",
           f"Message: {describe(rule.message, rule.params)}", ""]
    if rule.rationale.strip():
        out += [rule.rationale.strip(), ""]
    if rule.reference:
        out += [f"Reference: {rule.reference}", ""]
    if rule.params:
        out += ["Parameters (set them in .policy-lint.yaml under params." + rule.id + "):"]
        out += [f"- {name}: {value!r}" for name, value in rule.params.items()]
        out.append("")
    if rule.fix is not None:
        out += [f"Fix: {describe(rule.fix.title, rule.params)} [{rule.fix.applicability}]", ""]
    else:
        out += ["Fix: none (fix it by hand)", ""]
    for index, example in enumerate(rule.examples, 1):
        title = example.name or f"{example.kind} example {index}"
        kind = "Bad" if example.kind == "bad" else "Good"
        out += [f"## {kind}: {title}", ""]
        for name, content in example.files:
            out += _block(name, content)
        if example.fixed is not None:
            out += ["Fixed:", ""]
            for name, content in example.fixed:
                out += _block(name, content)
    return "\n".join(out).rstrip("\n") + "\n"
