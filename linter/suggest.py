"""Did-you-mean: the one place that finds the known name closest to a misspelt one.

Every hint of the tool goes through :func:`closest`: config keys, rule ids and
parameters, policy keys and placeholders, expression functions, and directive names
against the catalogue.  A name is close when it differs only in case, by one slip of the
finger (one insertion, deletion, substitution or swap of neighbours, in a name of four
characters or more), or when difflib's similarity ratio reaches :data:`CUTOFF` (case aside).

difflib compares the name with every choice, so a file of thousands of unknown names
(generated, or not a config at all) must not ask once per occurrence: :class:`Bounded`
answers each distinct name once and stops suggesting after a cap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

CUTOFF = 0.8  # difflib ratio; below it the "closest" name is usually an unrelated one
MIN_SLIP_LENGTH = 4  # in a shorter name one edit changes a third of it: left to the ratio
MAX_DISTINCT = 100  # distinct names per file that get a suggestion (see Bounded)


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The known name ``word`` most likely misspells, or None."""
    candidates = [c for c in choices if isinstance(c, str)]
    lowered = word.lower()
    for candidate in candidates:  # a case slip
        if candidate.lower() == lowered and candidate != word:
            return candidate
    if len(word) >= MIN_SLIP_LENGTH:
        for candidate in candidates:
            if _one_edit_apart(lowered, candidate.lower()):
                return candidate
    from difflib import get_close_matches  # imported only when a name is unknown

    by_lowered: dict[str, str] = {}
    for candidate in candidates:
        by_lowered.setdefault(candidate.lower(), candidate)
    found = get_close_matches(lowered, _may_reach_cutoff(lowered, by_lowered), n=1, cutoff=CUTOFF)
    return by_lowered[found[0]] if found else None


def _may_reach_cutoff(word: str, choices: Iterable[str]) -> list[str]:
    """The ``choices`` whose difflib ``quick_ratio`` with ``word`` may reach :data:`CUTOFF`:
    its matches are at most the choice's characters that ``word`` holds at all (counted by
    one C ``translate`` that deletes the others), so a choice whose bound falls short would
    fail get_close_matches' own test; the answer is the same, without its per-character
    Python loop over every known name (a file of unknown names asks for 100 of them)."""
    choices = list(choices)
    foreign = set("".join(choices)) - set(word)
    if not foreign:
        return choices
    table = dict.fromkeys(map(ord, foreign))
    size = len(word)
    # (difflib calls two empty texts alike: ratio 1.0)
    return [c for c in choices
            if not (c or size) or 2.0 * min(len(c.translate(table)), size) / (len(c) + size) >= CUTOFF]


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The hint ``did you mean 'name'?``, or None."""
    found = closest(word, choices)
    return f"did you mean {found!r}?" if found else None


def hint_suffix(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'name'?)`` to append to a message, or nothing."""
    found = did_you_mean(word, choices)
    return f" ({found})" if found else ""


class Bounded:
    """Suggestions for one file: ``find(name, *context)`` runs once per distinct
    argument tuple, and for at most ``limit`` of them; later new names get None (they are
    still reported, without a hint)."""

    def __init__(self, find: Callable[..., str | None], limit: int = MAX_DISTINCT):
        self.find = find
        self.limit = limit
        self.answers: dict[tuple, str | None] = {}

    def __call__(self, *args: str | None) -> str | None:
        if args in self.answers:
            return self.answers[args]
        if len(self.answers) >= self.limit:
            return None
        answer = self.answers[args] = self.find(*args)
        return answer


def _one_edit_apart(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours turns a into b."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    if a[i + 1 :] == b[i + 1 :]:
        return True
    return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
