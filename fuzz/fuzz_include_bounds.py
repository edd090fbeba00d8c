"""atheris harness: Dovecot include trees with fan-out under small bounds (issue 14.3).

The bytes choose the depth, the fan-out, the bounds on inclusions and bytes per root,
and a comment's padding; the parser never reads more files than the bound and, over a
bound, stops with a located ``include limit`` error.  See fuzz/common.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz import common


def one_input(data: bytes) -> None:
    common.include_fan_out(data)


def seeds() -> list[bytes]:
    # (depth-1, fan-out-1, files bound-1, bytes bound/16): under both bounds, over the
    # files bound (issue 14.3's 4-wide fan-out), over the bytes bound, a single chain
    return [bytes([1, 1, 10, 40]), bytes([4, 3, 59, 255]) + b"pad", bytes([2, 2, 59, 2]) + b"x" * 150,
            bytes([4, 0, 5, 255]), bytes([0, 3, 3, 255]), b""]


if __name__ == "__main__":
    common.run(one_input, seeds(), "include_bounds")
