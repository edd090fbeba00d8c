"""atheris harness: arbitrary bytes as a Dovecot config (with conf.d/ includes to find).

Only ConfigError may escape the parser, located inside the input; every span of a
parsed document lies inside its file; the ``parse`` JSON is valid.  See fuzz/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz import common
from linter.model import DOVECOT


def one_input(data: bytes) -> None:
    common.parse_bytes(data, DOVECOT)


def seeds() -> list[bytes]:
    return common.config_seeds(DOVECOT)


if __name__ == "__main__":
    common.run(one_input, seeds(), "dovecot")
