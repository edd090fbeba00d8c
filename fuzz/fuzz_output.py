"""atheris harness: bytes as a main.cf (also in a value and the directory's name), checked
in text and github format (issue 14.5): no control character reaches the output, and in
github format no line the input controls starts with ``::``.  See fuzz/common.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz import common
from linter.model import POSTFIX_MAIN


def one_input(data: bytes) -> None:
    common.output_of(data)


def seeds() -> list[bytes]:
    return [b"smtpd_banner = \x1b[2J\x1b[HNo findings.\n", b"x\n::error file=a.cf::owned\n::add-mask::secret = 1\n",
            b"\x9b31m = \x07\x7f\x85\r\n%0A::warning::x = y\n", b"myhostname = a\nmyhostname = \x00b\n",
            b"smtpd_tls_security_level = none\n\t::notice::indented\n", b"\xff\xfe = \xc2\x9b\n"] \
        + common.config_seeds(POSTFIX_MAIN)[:3]


if __name__ == "__main__":
    common.run(one_input, seeds(), "output")
