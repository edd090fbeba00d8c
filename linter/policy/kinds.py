"""What the check kinds' declarations (:mod:`linter.checks`) derive outside the engine:
the kind part of the policy schema and the kinds table of docs/policy-language.md.

The loader validates against :func:`schema` (the shipped file with the kind list and the
per-kind key sets taken from the declarations, so a registered kind is accepted at once);
``python scripts/gen_check_kinds.py`` writes the same into ``linter/data/policy.schema.json``
(for editors) and the docs table, and ``tests/test_check_kinds.py`` fails when either is
stale.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "data" / "policy.schema.json"
TABLE_BEGIN = "<!-- check-kinds: begin (python scripts/gen_check_kinds.py writes this table) -->"
TABLE_END = "<!-- check-kinds: end -->"


def with_kinds(schema: dict) -> dict:
    """``schema`` with the check kinds' enum and one ``if kind / then keys`` block per kind."""
    from linter.checks import KINDS

    schema = copy.deepcopy(schema)
    check = schema["$defs"]["rule"]["properties"]["check"]
    check["properties"]["kind"]["enum"] = list(KINDS)
    blocks = []
    for kind, module in KINDS.items():
        then: dict[str, Any] = {"properties": {"kind": True, **module.OPTIONS["properties"]},
                                "additionalProperties": False}
        if module.OPTIONS.get("required"):
            then["required"] = list(module.OPTIONS["required"])
        blocks.append({"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]}, "then": then})
    check["allOf"] = blocks
    return schema


def schema() -> dict:
    return with_kinds(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def schema_text() -> str:
    """The schema file as the script writes it."""
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


def docs_table() -> str:
    from linter.checks import KINDS

    rows = ["| kind | keys | finds | runs | fix |", "|---|---|---|---|---|"]
    for kind, module in KINDS.items():
        runs = "once per host, on every document" if module.UNIT == "document" else "once per unit of the scope"
        fix = "its own edit (`fix`: title, applicability)" if module.OWN_EDITS else "`fix.set` / `fix.remove`"
        rows.append(f"| `{kind}` | {module.DOC_KEYS} | {module.DOC_FINDS} | {runs} | {fix} |")
    return "\n".join(rows) + "\n"


def docs_with_table(text: str) -> str:
    """``text`` (docs/policy-language.md) with the generated table between the markers."""
    start = text.index(TABLE_BEGIN) + len(TABLE_BEGIN)
    end = text.index(TABLE_END)
    return text[:start] + "\n" + docs_table() + text[end:]
