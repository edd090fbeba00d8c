"""A check kind is declared once, in its module: the registry, the loader, the schema and
the docs table all derive from the declarations, and agree."""

from __future__ import annotations

import json
import pkgutil
from pathlib import Path

import linter.checks
from linter.checks import DOCUMENT_KINDS, KINDS, MODULES, OWN_EDIT_KINDS, REGISTRY, declaration_problems
from linter.policy.kinds import SCHEMA_PATH, docs_with_table, schema_text

ROOT = Path(__file__).resolve().parent.parent
STALE = "stale: run python scripts/gen_check_kinds.py"


def test_every_check_module_declares_its_kind_completely() -> None:
    for module in MODULES:
        assert declaration_problems(module) == [], module.__name__
    assert [m.KIND for m in MODULES] == list(KINDS)


def test_every_module_with_a_run_function_is_registered() -> None:
    # a kind module written but not added to MODULES would never run
    runnable = {info.name for info in pkgutil.iter_modules(linter.checks.__path__)
                if hasattr(__import__(f"linter.checks.{info.name}", fromlist=["run"]), "run")}
    assert runnable == {m.__name__.rsplit(".", 1)[1] for m in MODULES}


def test_the_engine_and_loader_tables_derive_from_the_declarations() -> None:
    assert REGISTRY == {m.KIND: m.run for m in MODULES}
    assert DOCUMENT_KINDS == {m.KIND for m in MODULES if m.UNIT == "document"}
    assert OWN_EDIT_KINDS == {m.KIND for m in MODULES if m.OWN_EDITS}


def test_the_shipped_schema_is_the_declarations_schema() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), STALE
    check = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))["$defs"]["rule"]["properties"]["check"]
    assert check["properties"]["kind"]["enum"] == list(KINDS)
    keys = {block["if"]["properties"]["kind"]["const"]: set(block["then"]["properties"]) - {"kind"}
            for block in check["allOf"]}
    assert keys == {m.KIND: set(m.OPTIONS["properties"]) for m in MODULES}


def test_the_docs_table_is_the_declarations_table() -> None:
    text = (ROOT / "docs" / "policy-language.md").read_text(encoding="utf-8")
    assert text == docs_with_table(text), STALE
    for kind in KINDS:
        assert f"| `{kind}` |" in text
