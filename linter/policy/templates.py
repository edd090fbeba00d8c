"""``{name}`` placeholders in messages, fix titles and fix values (``{{`` is a brace)."""

from __future__ import annotations

from functools import lru_cache

try:  # what string.Formatter().parse calls: importing string costs start-up time
    from _string import formatter_parser as _parse
except ImportError:  # pragma: no cover - another interpreter
    from string import Formatter

    _parse = Formatter().parse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def template_fields(template: str) -> list[str]:
    """The placeholder names in ``template``; raises ValueError for a malformed one."""
    fields = []
    for _literal, name, spec, conversion in _parse(template):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"placeholder {{{name}}} must be a plain name (no attributes, indexes or formats)")
        fields.append(name)
    return fields


def show(value: Any) -> str:
    """A value as a user reads it in a message: Postfix lists comma-separated, yes/no booleans."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ", ".join(show(v) for v in value)
    if value is None:
        return ""
    return str(value)


# template -> its (literal, name) pieces, and its text when it has no placeholder: the
# policy's few templates are filled for every finding (700,000 in a large file), parsed once.
# Every run parses the policy's templates once (the built-in pack's 227, for the names each
# rule fills): a text without a brace is its own one piece (as the parser gives it; half
# of the pack's), and the rest are parsed without generators (0.28 -> 0.10 ms in all).
@lru_cache(maxsize=4096)  # templates made at run time: kept bounded
def _pieces(template: str) -> tuple[tuple[tuple[str, str | None], ...], str | None]:
    if "{" not in template and "}" not in template:
        return (((template, None),), template) if template else ((), "")
    pieces = tuple([(literal, name) for literal, name, _s, _c in _parse(template)])
    for _literal, name in pieces:
        if name is not None:
            return pieces, None
    return pieces, "".join([literal for literal, _n in pieces])


def template_names(template: str) -> list[str]:
    """The placeholder names ``template`` fills (none for a plain text)."""
    return [name for _l, name in _pieces(template)[0] if name is not None]


def unfilled(template: str, values: dict[str, Any]) -> list[str]:
    """The placeholders of ``template`` that ``values`` cannot fill."""
    pieces, plain = _pieces(template)
    if plain is not None:
        return []
    return [name for _l, name in pieces if name is not None and name not in values]


def render(template: str, values: dict[str, Any]) -> str:
    """Fill ``template``; a name without a value renders as ``?`` (never raises)."""
    pieces, plain = _pieces(template)
    if plain is not None:  # one string for every finding
        return plain
    out = []
    for literal, name in pieces:
        out.append(literal)
        if name is not None:
            try:  # (a lazy table, evaluate._LazyDirectives, works a value out on a miss)
                value = values[name]
            except KeyError:
                out.append("?")
                continue
            out.append(value if type(value) is str else show(value))
    return "".join(out)


def describe(template: str, values: dict[str, Any]) -> str:
    """``template`` for a reader (``explain``): ``{{``/``}}`` as braces, the names in
    ``values`` (params) filled, every other placeholder shown as ``<name>``."""
    out = []
    for literal, name, _spec, _conversion in _parse(template):
        out.append(literal)
        if name is not None:
            out.append(show(values[name]) if name in values else f"<{name}>")
    return "".join(out)
