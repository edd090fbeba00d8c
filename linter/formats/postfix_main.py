"""Postfix ``main.cf`` (postconf(5)): ``name = value`` lines, read through the Postfix view."""

from __future__ import annotations

from linter.formats import MAIN_CF, Format

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def postfix_view(host: Any) -> Any:
    """The Postfix view of a host (one for main.cf and master.cf: a service reads main.cf)."""
    from linter.formats.postfix_view import PostfixView

    return PostfixView(host)


def named_like(name: str, base: str) -> bool:
    """``main.cf``, ``main.cf.dovecot``, ``postfix-main.cf``, ``x_main.cf``, ``x.main.cf``."""
    return name == base or name.startswith(base + ".") or name.endswith(("-" + base, "_" + base, "." + base))


def _parse(path: str, text: str) -> Any:
    from linter.parsers import postfix_main

    return postfix_main.parse(path, text)


FORMAT = Format(
    name="postfix-main",
    product="postfix",
    detect=lambda name, _path: named_like(name, "main.cf"),
    parse=_parse,
    view=postfix_view,
    scopes=("postfix-main",),
    counterpart=MAIN_CF,
    defaults="Postfix's defaults",
)
