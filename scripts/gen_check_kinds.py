#!/usr/bin/env python3
"""Write what the check kinds' declarations (``linter/checks/*.py``) derive: the kind list
and per-kind keys of ``linter/data/policy.schema.json`` and the kinds table of
``docs/policy-language.md``.

Run ``python scripts/gen_check_kinds.py`` after adding a check kind or changing a
declaration (see docs/extending.md); ``tests/test_check_kinds.py`` fails when either file
is stale.  Output is deterministic.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from linter.policy.kinds import SCHEMA_PATH, docs_with_table, schema_text

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "policy-language.md")


def main() -> int:
    text = schema_text()
    with open(SCHEMA_PATH, "w", encoding="utf-8") as f:
        f.write(text)
    with open(DOCS, encoding="utf-8") as f:
        docs = f.read()
    with open(DOCS, "w", encoding="utf-8") as f:
        f.write(docs_with_table(docs))
    print(f"wrote {os.path.relpath(SCHEMA_PATH)} and {os.path.relpath(DOCS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
