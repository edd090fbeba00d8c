"""atheris harness: arbitrary bytes as a master.cf.

Only ConfigError may escape the parser, located inside the input; every span of a
parsed document lies inside its file; the ``parse`` JSON is valid.  See fuzz/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz import common
from linter.model import POSTFIX_MASTER


def one_input(data: bytes) -> None:
    common.parse_bytes(data, POSTFIX_MASTER)


def seeds() -> list[bytes]:
    return common.config_seeds(POSTFIX_MASTER)


if __name__ == "__main__":
    common.run(one_input, seeds(), "master")
