"""atheris harness: arbitrary bytes as a policy YAML file for the loader.

The loader either returns a Policy or raises PolicyError (every problem located in
the file: line 0 or 1..number of lines); nothing else escapes.  See fuzz/README.md.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz import common
from linter.policy import PolicyError, load_policy

_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_DIRECTORY = tempfile.mkdtemp(prefix="policy-lint-fuzz-policy-")
_PATH = os.path.join(_DIRECTORY, "fuzzed.yaml")


def one_input(data: bytes) -> None:
    with open(_PATH, "wb") as f:
        f.write(data)
    try:
        load_policy([_PATH], builtin=False)
    except PolicyError as e:
        # YAML breaks lines at CR LF, a lone CR or LF, NEL, LS and PS; so do the positions
        lines = len(_LINE_BREAK.split(data.decode("utf-8", "replace"))) if data else 1
        for problem in e.problems:
            if problem.path == _PATH and not 0 <= problem.line <= lines:
                raise common.InvariantError(f"{problem}: line outside 0..{lines}") from None


def seeds() -> list[bytes]:
    return common.policy_seeds()


if __name__ == "__main__":
    common.run(one_input, seeds(), "policy")
