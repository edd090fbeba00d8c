"""Dovecot setting paths: ``"service auth / unix_listener * / mode"`` or a list."""

from __future__ import annotations


def split_path(path: str | list | tuple) -> tuple[str, ...]:
    """Normalise a path to a tuple of parts: section headers, then (maybe) a name."""
    if isinstance(path, str):
        parts = [p.strip() for p in path.split(" / ")] if " / " in path else [path.strip()]
    else:
        parts = [str(p).strip() for p in path]
    return tuple(" ".join(p.split()) for p in parts)  # one blank between a section's kind and name


def header_matches(pattern: str, header: str) -> bool:
    """``unix_listener *`` matches ``unix_listener /var/spool/postfix/private/auth``.

    The section kind must be equal; the argument is an fnmatch pattern (quotes ignored).
    """
    pkind, _, parg = pattern.partition(" ")
    hkind, _, harg = " ".join(header.split()).partition(" ")
    if pkind != hkind:
        return False
    harg = harg.strip('"').strip("'")
    parg = parg.strip('"').strip("'")
    if parg == "*":
        return True
    if "?" in parg or "[" in parg:
        import fnmatch

        return fnmatch.fnmatchcase(harg, parg)
    return star_match(harg, parg)  # what fnmatch would say, without compiling a pattern per name


def star_match(name: str, pattern: str) -> bool:
    """``fnmatch.fnmatchcase(name, pattern)`` for a pattern whose only wildcard is ``*`` (any run
    of characters, ``/`` included): the text between the stars, found in order.  The policies'
    section patterns are of this kind (``*/private/auth``, ``*-userdb``, ``dict*``), and
    compiling each into a regex cost a run about 50 us apiece; so are Dovecot's include
    patterns (``conf.d/*.conf``: :func:`linter.parsers.dovecot_include.glob_brace`)."""
    if "*" not in pattern:
        return name == pattern
    first, *middle, last = pattern.split("*")
    end = len(name) - len(last)
    if end < len(first) or not name.startswith(first) or not name.endswith(last):
        return False
    position = len(first)
    for part in middle:
        found = name.find(part, position, end)
        if found < 0:
            return False
        position = found + len(part)
    return True


def section_matches(patterns: tuple[str, ...], headers: tuple[str, ...]) -> bool:
    return len(patterns) == len(headers) and all(header_matches(p, h) for p, h in zip(patterns, headers))


def section_kind(headers: tuple[str, ...]) -> str | None:
    """The kind of the innermost section (``unix_listener``), or None at top level."""
    return headers[-1].split(" ", 1)[0] if headers else None
