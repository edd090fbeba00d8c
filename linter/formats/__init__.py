"""The config formats policy-lint reads, one :class:`Format` record each, in one table.

A format is declared by a module holding ``FORMAT = Format(...)``: its name (what
``--as`` and ``formats:`` take), the product whose catalogue and value syntax it uses
(``linter.catalog.VERSIONS[product]`` lists the catalogue versions), how a file of it is
recognised by name, its parser, and the *view* through which rules read its values (raw,
expanded and effective value, is-set, default, where a value is written, where a new one
goes, set and remove edits; see ``linter/formats/postfix_view.py``).  :data:`TABLE` names
the module of each format, in detection order: adding a format is one module and one
entry here (docs/extending.md).

The modules are imported on first use; detection imports only the small declaring
modules, never a parser or a view.
"""

from __future__ import annotations

from collections.abc import Callable

from linter.records import TupleRecord, _new

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# format name -> the module that declares it (``FORMAT``); the order is detection order
TABLE: dict[str, str] = {
    "postfix-main": "linter.formats.postfix_main",
    "postfix-master": "linter.formats.postfix_master",
    "dovecot": "linter.formats.dovecot",
}

# The names of a host's files as ``HostDocs.missing`` and notes name them ("no master.cf
# was found ..."): each format's ``counterpart``, and main.cf's fragments.
MAIN_CF = "main.cf"
MASTER_CF = "master.cf"
DOVECOT_TREE = "Dovecot configuration"
# main.cf.<part> fragments next to a whole main.cf, which an installer may append to it
FRAGMENTS = "main.cf fragments"

# A rule of this scope reads every document of a host, and its values through the view of
# the first format in TABLE (a host-wide rule is written in Postfix's names).
HOST_SCOPE = "host"


class Format(TupleRecord):
    """One config format.

    ``detect(name, path)`` gets the file name with any template suffix stripped
    (``main.cf.j2`` -> ``main.cf``) and the path as given.  ``parse(path, text)`` returns
    a :class:`~linter.model.Document` or raises :class:`~linter.model.ConfigError`.
    ``view(host)`` builds the view of a host's documents; formats that name the same
    ``view`` share one per host (a master.cf service reads main.cf through its ``-o``).
    ``scopes`` are the rule scopes whose units judge this format's documents, through
    its view.  A format without a scope of its own (``scopes=()``, ``view=None``) is
    judged by per-document kinds (``syntax``, ``duplicate``...) of ``host``-scope rules.
    ``counterpart`` names the file in messages ("no master.cf was found"), and
    ``defaults`` what its values are when it is absent ("Postfix's stock master.cf").
    """

    __slots__ = ()
    _fields = (
        "name",
        "product",
        "detect",
        "parse",  # -> linter.model.Document
        "view",
        "scopes",
        "counterpart",
        "defaults",
    )

    def __new__(
        cls,
        name: str,
        product: str,
        detect: Callable[[str, str], bool],
        parse: Callable[[str, str], Any],
        view: Callable[[Any], Any] | None,
        scopes: tuple[str, ...],
        counterpart: str,
        defaults: str,
    ) -> Format:
        return _new(cls, (name, product, detect, parse, view, scopes, counterpart, defaults))


FORMATS: tuple[str, ...] = tuple(TABLE)
_loaded: dict[str, Format] = {}


def get(name: str) -> Format:
    """The format called ``name`` (ValueError naming the known ones for any other)."""
    found = _loaded.get(name)
    if found is None:
        if name not in TABLE:
            raise ValueError(f"unknown format {name!r}; expected one of {', '.join(TABLE)}")
        found = _loaded[name] = __import__(TABLE[name], fromlist=("FORMAT",)).FORMAT
        if found.name != name:
            raise ValueError(f"{TABLE[name]} declares the format {found.name!r}, not {name!r}")
    return found


def all_formats() -> list[Format]:
    return [get(name) for name in TABLE]


def detect(name: str, path: str) -> str | None:
    """The first format (in table order) that recognises the file name ``name``."""
    for fmt in all_formats():
        if fmt.detect(name, path):
            return fmt.name
    return None


def for_scope(scope: str) -> Format:
    """The format whose view a rule of ``scope`` reads values through."""
    for fmt in all_formats():
        if scope in fmt.scopes:
            return fmt
    if scope == HOST_SCOPE:
        return get(next(iter(TABLE)))
    raise ValueError(f"no format serves the scope {scope!r}")


def in_scope(scope: str) -> list[str]:
    """The formats whose documents a rule of ``scope`` looks at."""
    return [f.name for f in all_formats() if scope == HOST_SCOPE or scope in f.scopes]


def choices_hint() -> str:
    """How an error message names the formats: ``postfix-main|postfix-master|dovecot``."""
    return "|".join(TABLE)
