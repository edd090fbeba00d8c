#!/usr/bin/env python3
"""Regenerate ``linter/data/builtin-pack.json`` from ``policies/*.yaml``.

Run ``python scripts/gen_builtin_pack.py`` after editing a built-in policy (or the policy
compiler).  The file is the real loader's compile of the pack (``policy_to_data()`` form,
paths relative to the pack directory, plus a digest of the YAML it was made from); a run
with only the built-in pack loads it instead of compiling YAML.  Output is deterministic.
``tests/test_builtin_precompiled.py`` fails when the file and a fresh compile differ.
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from linter.policy import PolicyError
from linter.policy.loader import policy_files
from linter.policy.precompiled import PRECOMPILED_PATH, compile_data


def main() -> int:
    try:
        data = compile_data(policy_files([], builtin=True))
    except PolicyError as e:
        print(f"the built-in pack has problems; nothing written:\n{e}", file=sys.stderr)
        return 1
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=None, separators=(",", ":")) + "\n"
    with open(PRECOMPILED_PATH, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {os.path.relpath(PRECOMPILED_PATH)}: {len(data['rules'])} rules, {len(text)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
