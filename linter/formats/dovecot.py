"""Dovecot configuration (``dovecot.conf`` with its includes), read through the Dovecot view."""

from __future__ import annotations

from linter.formats import DOVECOT_TREE, Format

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _detect(name: str, path: str) -> bool:
    if name == "dovecot.conf" or name.endswith((".conf.ext", "_dovecot.conf")):
        return True
    if not name.endswith(".conf"):
        return False
    from linter.parsers import in_conf_d

    return name.startswith(("dovecot", "etc_dovecot")) or in_conf_d(path)


def _parse(path: str, text: str) -> Any:
    from linter.parsers import dovecot

    return dovecot.parse(path, text)


def _view(host: Any) -> Any:
    from linter.formats.dovecot_view import DovecotView

    return DovecotView(host)


FORMAT = Format(
    name="dovecot",
    product="dovecot",
    detect=_detect,
    parse=_parse,
    view=_view,
    scopes=("dovecot",),
    counterpart=DOVECOT_TREE,
    defaults="Dovecot's defaults",
)
