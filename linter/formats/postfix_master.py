"""Postfix ``master.cf`` (master(5)): one service per entry, read through the Postfix
view (a service's ``-o`` overrides first, then main.cf)."""

from __future__ import annotations

from linter.formats import MASTER_CF, Format
from linter.formats.postfix_main import named_like, postfix_view

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _parse(path: str, text: str) -> Any:
    from linter.parsers import NotThisFormat, is_override_list, postfix_master

    if is_override_list(text):
        raise NotThisFormat(path, "master.cf", "a list of 'postconf -P' overrides (service/type/parameter=value, "
                                               "as docker-mailserver's postfix-master.cf)")
    return postfix_master.parse(path, text)


FORMAT = Format(
    name="postfix-master",
    product="postfix",
    detect=lambda name, _path: named_like(name, "master.cf"),
    parse=_parse,
    view=postfix_view,
    scopes=("postfix-master", "smtpd-service"),
    counterpart=MASTER_CF,
    defaults="Postfix's stock master.cf",
)
