"""Regular expressions compiled when first used.

Compiling a pattern costs 30-300 us.  A module-level ``re.compile`` pays that in every run
that imports the module, whether or not the run meets the text the pattern is for
(template syntax, suppression comments, config files, error hints): together about 2 ms
of a one-host check.  ``lazy(pattern)`` stands for ``re.compile(pattern)`` and compiles on
the first attribute asked for; from then on the compiled pattern's methods and attributes
are the object's own, so a call costs what the compiled pattern's does.  ``re`` itself
is imported on the first compile: a run that compiles nothing (a warm check of a host)
does without it and the modules it brings (about 1 ms).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re

# what a compiled pattern offers (re.Pattern's public methods and attributes)
_ATTRIBUTES = ("match", "fullmatch", "search", "sub", "subn", "split", "findall", "finditer", "scanner",
               "pattern", "flags", "groups", "groupindex")


class LazyPattern:
    """``re.compile(pattern, flags)``, compiled on first use."""

    def __init__(self, pattern: str | bytes, flags: int = 0):
        self._args = (pattern, flags)

    def __getattr__(self, name: str) -> object:
        if name not in _ATTRIBUTES:  # copy, pickle and friends probing for dunders
            raise AttributeError(name)
        import re

        compiled = re.compile(*self._args)
        for attribute in _ATTRIBUTES:
            setattr(self, attribute, getattr(compiled, attribute))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy({self._args[0]!r})"


def lazy(pattern: str | bytes, flags: int = 0) -> re.Pattern:
    """``re.compile(pattern, flags)``, compiled when first used (typed as the pattern it becomes)."""
    return LazyPattern(pattern, flags)  # type: ignore[return-value]
