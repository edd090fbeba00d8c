"""Policy regexes (RE2 syntax and semantics), matched without loading RE2 when they are simple.

A policy's ``matches``/``not_matches`` keys and its ``matches()`` function take RE2
patterns: RE2 runs in time linear in the text whatever the pattern, which a backtracking
engine (``re``) does not.  Loading the ``re2`` extension costs a one-host check about
3.5 ms, more than all of its rules' matching.  So a pattern of a plain subset of RE2's
syntax is matched here, by a DFA built lazily from its Thompson NFA (each step one dict
lookup once built, so linear too); anything else, any text longer than :data:`MAX_TEXT`
characters, a DFA that outgrows :data:`MAX_STATES`, and a pattern computed at run time
(from config values: the repository's text, so never given a DFA to grow) go to RE2 itself.

The subset, with RE2's meaning (default options: case-sensitive, ``.`` not matching a
newline, ``^``/``$`` the beginning/end of the text): literal characters; ``\\`` before an
ASCII punctuation character; ``\\t \\n \\r \\f \\v``; ``\\d \\s \\w`` and their negations
(ASCII: RE2's ``\\s`` is ``[\\t\\n\\f\\r ]``, without ``\\v``); ``.``; classes ``[...]``
and ``[^...]`` of characters, escapes and ranges; groups ``(...)`` and ``(?:...)``;
``|``; ``* + ?`` and ``{n}``, ``{n,}``, ``{n,m}`` (up to 100, not nested); ``^`` and
``$``.  Whatever is not clearly in it (``[:alpha:]``, a ``]`` or ``-`` whose reading
depends on its place, ``{`` as a literal, flags, lazy or possessive quantifiers, ``\\b``,
Unicode classes...) is left to RE2, so an invalid pattern fails as RE2 says.
``tests/test_regex.py`` holds the two engines to the same answers on generated patterns
and texts.  Only whether a pattern matches is asked, so capture groups and leftmost-first
preference play no part.
"""

from __future__ import annotations

from functools import lru_cache

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

MAX_TEXT = 4096  # longer texts are matched by RE2 (C speed; its import no longer matters)
MAX_REPEAT = 100  # {n,m} bounds handled here (RE2 allows 1000)
MAX_PROGRAM = 500  # NFA instructions
MAX_STATES = 256  # DFA states per pattern; beyond, RE2 takes over (a DFA holds at most ~4 MB)

_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_CONTROL = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "v": "\v"}
_DIGIT = (("0", "9"),)
_SPACE = (("\t", "\n"), ("\f", "\r"), (" ", " "))  # RE2's \s: [\t\n\f\r ]
_WORD = (("0", "9"), ("A", "Z"), ("_", "_"), ("a", "z"))
_CLASSES = {"d": _DIGIT, "s": _SPACE, "w": _WORD}


class Unsupported(Exception):
    """The pattern is outside the subset handled here (RE2 handles it, or rejects it)."""


# -- parsing: pattern -> tree ---------------------------------------------------------------
# ("set", negated, ranges) one character; ("cat", items); ("alt", items);
# ("rep", item, low, high or None, written with braces); ("bol",); ("eol",)


class _Parser:
    def __init__(self, pattern: str):
        self.p = pattern
        self.i = 0

    def peek(self) -> str | None:
        return self.p[self.i] if self.i < len(self.p) else None

    def parse(self) -> tuple:
        tree = self.alternation(depth=0)
        if self.i != len(self.p):
            raise Unsupported(self.p[self.i])
        return tree

    def alternation(self, depth: int) -> tuple:
        if depth > 50:
            raise Unsupported("nesting")
        items = [self.concatenation(depth)]
        while self.peek() == "|":
            self.i += 1
            items.append(self.concatenation(depth))
        return items[0] if len(items) == 1 else ("alt", tuple(items))

    def concatenation(self, depth: int) -> tuple:
        items = []
        while True:
            c = self.peek()
            if c is None or c in "|)":
                return ("cat", tuple(items))
            atom = self.atom(depth)
            items.append(self.quantified(atom))

    def quantified(self, atom: tuple) -> tuple:
        c = self.peek()
        if c in ("*", "+", "?"):
            self.i += 1
            low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
        elif c == "{":
            low, high = self.braces()
            if _has_braces(atom):
                raise Unsupported("nested counted repetition")
        else:
            return atom
        if atom[0] in ("bol", "eol"):
            raise Unsupported("repeated assertion")
        if self.peek() in ("*", "+", "?", "{"):
            raise Unsupported("lazy, possessive or repeated quantifier")
        return ("rep", atom, low, high, c == "{")

    def braces(self) -> tuple[int, int | None]:
        end = self.p.find("}", self.i)
        if end < 0:
            raise Unsupported("{")
        low_text, comma, high_text = self.p[self.i + 1:end].partition(",")
        if not (low_text.isascii() and low_text.isdigit()) or \
                (high_text and not (high_text.isascii() and high_text.isdigit())):
            raise Unsupported("{ as a literal")
        low = int(low_text)
        high = (int(high_text) if high_text else None) if comma else low
        if low > MAX_REPEAT or (high is not None and (high > MAX_REPEAT or high < low)):
            raise Unsupported("repetition bounds")
        self.i = end + 1
        return low, high

    def atom(self, depth: int) -> tuple:
        p = self.p
        c = p[self.i]
        self.i += 1
        if c == "(":
            if self.peek() == "?":
                if p.startswith("?:", self.i):
                    self.i += 2
                else:
                    raise Unsupported("group flags or names")
            inner = self.alternation(depth + 1)
            if self.peek() != ")":
                raise Unsupported("unclosed group")
            self.i += 1
            return inner
        if c == "[":
            return self.char_class()
        if c == ".":
            return ("set", True, (("\n", "\n"),))
        if c == "^":
            return ("bol",)
        if c == "$":
            return ("eol",)
        if c == "\\":
            return self.escape(in_class=False)
        if c in "*+?{}])":
            raise Unsupported(c)
        return ("set", False, ((c, c),))

    def escape(self, in_class: bool) -> tuple:
        c = self.peek()
        if c is None:
            raise Unsupported("trailing backslash")
        self.i += 1
        if c in _PUNCTUATION:
            return ("set", False, ((c, c),))
        if c in _CONTROL:
            return ("set", False, ((_CONTROL[c], _CONTROL[c]),))
        if c in _CLASSES:
            return ("set", False, _CLASSES[c])
        if c.lower() in _CLASSES and not in_class:
            return ("set", True, _CLASSES[c.lower()])
        raise Unsupported("\\" + c)

    def char_class(self) -> tuple:
        negated = self.peek() == "^"
        if negated:
            self.i += 1
        if self.peek() in ("]", "-", None):
            raise Unsupported("[] or [-")
        ranges: list[tuple[str, str]] = []
        while True:
            c = self.peek()
            if c is None or c == "[":
                raise Unsupported("unclosed class or [:class:]")
            if c == "]":
                self.i += 1
                return ("set", negated, tuple(ranges))
            start = self.class_char()
            if isinstance(start, tuple):  # \d \s \w
                ranges.extend(start)
                continue
            if self.peek() == "-":
                self.i += 1
                if self.peek() in ("]", None):
                    raise Unsupported("- at the end of a class")
                end = self.class_char()
                if isinstance(end, tuple) or end < start:
                    raise Unsupported("bad range")
                ranges.append((start, end))
            else:
                ranges.append((start, start))

    def class_char(self) -> str | tuple:
        c = self.p[self.i]
        self.i += 1
        if c == "\\":
            node = self.escape(in_class=True)
            lo, hi = node[2][0]
            return node[2] if len(node[2]) > 1 or lo != hi else lo
        if c == "-":
            raise Unsupported("- in a class")
        return c


def _has_braces(node: tuple) -> bool:
    kind = node[0]
    if kind == "rep":
        return node[4] or _has_braces(node[1])
    if kind in ("cat", "alt"):
        return any(_has_braces(n) for n in node[1])
    return False


# -- compiling: tree -> NFA program -----------------------------------------------------------
# ("char", negated, ranges) consume; ("split", a, b); ("jmp", a); ("bol",); ("eol",); ("match",)


def _emit(node: tuple, prog: list) -> None:
    if len(prog) > MAX_PROGRAM:
        raise Unsupported("pattern too large")
    kind = node[0]
    if kind == "set":
        prog.append(("char", node[1], node[2]))
    elif kind in ("bol", "eol"):
        prog.append(node)
    elif kind == "cat":
        for item in node[1]:
            _emit(item, prog)
    elif kind == "alt":
        jumps = []
        items = node[1]
        for item in items[:-1]:
            split = len(prog)
            prog.append(None)
            _emit(item, prog)
            jumps.append(len(prog))
            prog.append(None)
            prog[split] = ("split", split + 1, len(prog))
        _emit(items[-1], prog)
        for j in jumps:
            prog[j] = ("jmp", len(prog))
    else:  # rep
        item, low, high = node[1], node[2], node[3]
        for _ in range(low):
            _emit(item, prog)
        if high is None:
            split = len(prog)
            prog.append(None)
            _emit(item, prog)
            prog.append(("jmp", split))
            prog[split] = ("split", split + 1, len(prog))
        else:
            splits = []
            for _ in range(high - low):
                splits.append(len(prog))
                prog.append(None)
                _emit(item, prog)
            for s in splits:
                prog[s] = ("split", s + 1, len(prog))


def _matches_char(instruction: tuple, c: str) -> bool:
    inside = any(lo <= c <= hi for lo, hi in instruction[2])
    return inside != instruction[1]


class _Dfa:
    """The pattern's NFA, run as a DFA whose states (sets of NFA positions) and transitions
    are made when first reached."""

    def __init__(self, prog: list):
        self.prog = prog
        self.ids: dict[frozenset, int] = {}
        self.sets: list[frozenset] = []
        self.moves: list[dict[str, int]] = []
        self.matched: list[bool] = []
        self.final: list[bool] = []
        self.start_rest = self._closure((0,), begin=False, end=False)
        self.first = self._state(self._closure((0,), begin=True, end=False))
        self.first_final_empty = "match" in self._kinds(self._closure((0,), begin=True, end=True))

    def _kinds(self, pcs: frozenset) -> set:
        return {self.prog[pc][0] for pc in pcs}

    def _closure(self, pcs: tuple | set, begin: bool, end: bool) -> frozenset:
        """The positions reachable from ``pcs`` without consuming a character; an ``eol``
        not at the end stays in the set (pending), a ``bol`` not at the beginning is dropped."""
        prog = self.prog
        seen: set[int] = set()
        todo = list(pcs)
        while todo:
            pc = todo.pop()
            if pc in seen:
                continue
            seen.add(pc)
            op = prog[pc]
            kind = op[0]
            if kind == "jmp":
                todo.append(op[1])
            elif kind == "split":
                todo += (op[1], op[2])
            elif kind == "bol":
                if begin:
                    todo.append(pc + 1)
            elif kind == "eol" and end:
                todo.append(pc + 1)
        return frozenset(pc for pc in seen if prog[pc][0] in ("char", "match", "eol"))

    def _state(self, pcs: frozenset) -> int:
        found = self.ids.get(pcs)
        if found is not None:
            return found
        if len(self.sets) >= MAX_STATES:
            raise Unsupported("too many states")
        index = len(self.sets)
        self.ids[pcs] = index
        self.sets.append(pcs)
        self.moves.append({})
        kinds = self._kinds(pcs)
        self.matched.append("match" in kinds)
        self.final.append("match" in kinds or ("eol" in kinds and "match" in self._kinds(
            self._closure([pc + 1 for pc in pcs if self.prog[pc][0] == "eol"],
                          begin=False, end=True))))
        return index

    def _move(self, state: int, c: str) -> int:
        prog = self.prog
        stepped = [pc + 1 for pc in self.sets[state] if prog[pc][0] == "char" and _matches_char(prog[pc], c)]
        target = self._state(self._closure(stepped, begin=False, end=False) | self.start_rest)
        self.moves[state][c] = target
        return target

    def search(self, text: str) -> bool:
        if not text:
            return self.first_final_empty
        state = self.first
        matched, moves = self.matched, self.moves
        for c in text:
            if matched[state]:
                return True
            following = moves[state].get(c)
            state = self._move(state, c) if following is None else following
        return self.final[state]


@lru_cache(maxsize=1024)
def compile_simple(pattern: str) -> _Dfa:
    """The DFA of ``pattern``; raises :class:`Unsupported` when it is outside the subset."""
    prog: list = []
    _emit(_Parser(pattern).parse(), prog)
    prog.append(("match",))
    return _Dfa(prog)


@lru_cache(maxsize=1024)
def searcher(pattern: str) -> Callable[[str], bool]:
    """Whether ``pattern`` (RE2) matches somewhere in a text, as a function of the text;
    raises RE2's error for an invalid pattern (when the function is made or first called).
    For a policy's own (constant) patterns; a computed one goes to :func:`re2_searcher`."""
    try:
        dfa = compile_simple(pattern)
    except (Unsupported, RecursionError):
        return re2_searcher(pattern)

    def search(text: str) -> bool:
        if len(text) > MAX_TEXT or (not text.isascii() and not _encodable(text)):
            return re2_searcher(pattern)(text)  # RE2's speed, and its error for a lone surrogate
        try:
            return dfa.search(text)
        except Unsupported:  # the DFA outgrew MAX_STATES
            return re2_searcher(pattern)(text)

    return search


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@lru_cache(maxsize=1024)
def re2_searcher(pattern: str) -> Callable[[str], bool]:
    """:func:`searcher` by RE2 alone: for a pattern computed at run time (from config
    values, which the repository writes), whose DFA here could be made to grow."""
    search = re2_compile(pattern).search
    return lambda text: search(text) is not None


def re2_compile(pattern: str):  # noqa: ANN201 - re2._Regexp
    """``pattern`` compiled by RE2 (raises re2's error); ``re2`` is imported only here."""
    import re2

    options = re2.Options()
    options.log_errors = False  # re2 logs parse errors to stderr by default
    return re2.compile(pattern, options)
