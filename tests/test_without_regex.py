"""The check path's readers that stand in for regular expressions (issue 13: each pattern a
run compiles costs 30-300 us) answer what the patterns answer, on generated text full of
the characters where they could differ: every blank, ``\\v``, ``\\f``, ``\\r``, Unicode
whitespace (which ``\\s`` and ``str.isspace()`` count and C's isspace() does not), non-ASCII."""

from __future__ import annotations

import contextlib
import glob
import os
import re
import tempfile

from hypothesis import given, settings
from hypothesis import strategies as st

from linter.catalog import _numbers
from linter.parsers import is_override_list
from linter.parsers.common import is_marked
from linter.parsers.dovecot_include import glob_brace
from linter.parsers.postfix_lines import split_nameval
from linter.parsers.postfix_master import _looks_like_service, split_words
from linter.values import _tls_list_items, references

# what linter.parsers.common.is_marked stands for
SUPPRESSION_MARKER = re.compile(r"^([ \t]*)#[ \t]*policy-lint[ \t]*:")

# whitespace of every kind: C's isspace() set, Unicode's (\x1c-\x1f, \x85, NBSP, EM SPACE,
# LINE SEPARATOR), and a zero-width space that is none
ODD = " \t\n\r\v\f\x1c\x1f\x85\xa0\u2003\u2028\u200b"


def _texts(*pieces: str, max_size: int = 12) -> st.SearchStrategy[str]:
    """Texts made of ``pieces`` and single odd characters."""
    return st.lists(st.sampled_from([*pieces, *ODD, "é", "x"]), max_size=max_size).map("".join)


@st.composite
def _near(draw: st.DrawFn, *tokens: str) -> str:
    """``tokens`` separated by spaces, then up to three parts (a token, a separator, the
    ends) replaced by one odd character, a token cut short or grown, or nothing: texts
    that match, or almost."""
    parts = ["", *(part for token in tokens for part in (token, " "))]
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(parts) - 1))
        odd = draw(st.sampled_from(ODD))
        parts[at] = draw(st.sampled_from([odd, parts[at] + odd, odd + parts[at], parts[at][:-1], "", "é"]))
    return "".join(parts)


# --- main.cf and master.cf: split_nameval() ------------------------------------------

_NAME_EQUALS = re.compile(r"[ \t\n\r\v\f]*([^ \t\n\r\v\f=]+)[ \t\n\r\v\f]*(=)[ \t\n\r\v\f]*")
_BLANKS = " \t\n\r\v\f"


def _split_nameval_by_pattern(text: str, start: int, end: int) -> tuple[int, int, int, int, int] | str:
    """The pattern for the usual line, Postfix's loops in C for the messages."""
    match = _NAME_EQUALS.match(text, start, end)
    if match is not None:
        value_end = end
        while value_end > match.end() and text[value_end - 1] in _BLANKS:
            value_end -= 1
        return match.start(1), match.end(1), match.start(2), match.end(), value_end
    i = start
    while i < end and text[i] in _BLANKS:
        i += 1
    if i == end or text[i] == "=":
        return "missing attribute name"
    return "missing '=' after attribute name"  # (a match failed after a name)


@settings(max_examples=2000, deadline=None)
@given(_near("2", ".", "4", ".", "10") | _texts("2", ".", "4", "10", "٣", "²", max_size=14))
def test_version_numbers_are_the_patterns(version: str) -> None:
    # "٣" is a decimal digit to \d and int(); "²" is a digit but not a decimal one
    assert _numbers(version) == tuple(int(n) for n in re.findall(r"\d+", version)[:2])


@settings(max_examples=2000, deadline=None)
@given(_near("a", "=", "b") | _near("a", "b", "=", "c") | _texts("=", "a", "b=c", " = ", max_size=14), st.data())
def test_split_nameval_is_the_patterns(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    assert split_nameval(text, start, end) == _split_nameval_by_pattern(text, start, end)


# --- suppression comments ---------------------------------------------------------------

@settings(max_examples=2000, deadline=None)
@given(_near("#", "policy-lint", ":", "x") | _texts("#", "policy-lint", ":", "example:"))
def test_marked_comment_lines_are_the_patterns(line: str) -> None:
    assert is_marked(line) == (SUPPRESSION_MARKER.match(line) is not None)


# --- docker-mailserver's postfix-master.cf ---------------------------------------------

_OVERRIDE_LINE = re.compile(r"[0-9a-z][^\s/]*/[^\s/]+/[A-Za-z0-9_]+[ \t]*=")


@settings(max_examples=500, deadline=None)
@given(st.lists(_near("smtp/inet/c_1", "=", "1") | _near("smtp", "inet") | _texts("/", "=", "Z", "a_1", "É", max_size=8),
                max_size=3))
def test_override_lists_are_told_as_the_pattern_tells_them(lines: list[str]) -> None:
    text = "\n".join(lines)
    by_pattern = [bool(_OVERRIDE_LINE.match(line)) for line in text.splitlines() if line[:1].isalnum()]
    assert is_override_list(text) == (bool(by_pattern) and all(by_pattern))


# --- master.cf: words and services ---------------------------------------------------

@settings(max_examples=2000, deadline=None)
@given(_near("smtp", "-o", "a=b", "c") | _texts("smtp", "-o", "a=b", " ", "\t", "\r\n"))
def test_brace_free_words_are_the_patterns(text: str) -> None:
    words = list(re.finditer(r"[^ \t\r\n]+", text))
    assert split_words(text) == ([w.group() for w in words], [w.start() for w in words])


_LOOKS_LIKE_SERVICE = re.compile(r"[ \t]+\S+[ \t]+(?:inet|unix|unix-dgram|fifo|pass)[ \t]+[yn-][ \t]+[yn-][ \t]+"
                                 r"[yn-][ \t]")


@settings(max_examples=2000, deadline=None)
@given(st.sampled_from(["inet", "unix", "unix-dgram", "fifo", "pass", "unix-"]).flatmap(
    lambda kind: _near("", "relay", kind, "n", "-", "y", "smtp")) | _near("", "-o", "a=b")
    | _texts(" ", "\t", "smtp", "inet", "unix-dgram", "y", "n", "-", max_size=16))
def test_continuation_lines_look_like_services_as_the_pattern_says(text: str) -> None:
    assert _looks_like_service(text) == (_LOOKS_LIKE_SERVICE.match(text) is not None)


def test_the_service_line_test_sees_services_with_and_without_a_command() -> None:
    assert _looks_like_service("  relay unix - - n - - smtp") and _looks_like_service("\tx inet n - n\t")
    assert not _looks_like_service("  -o smtpd_tls_security_level=encrypt")
    assert not _looks_like_service("  x inet n - n")  # the pattern wants a blank after the fifth column


# --- Postfix values -------------------------------------------------------------------

_REFERENCE = re.compile(r"\$(?:\$|([A-Za-z0-9_]+)|[{(]\s*([A-Za-z0-9_]+))")


@settings(max_examples=2000, deadline=None)
@given(_near("$", "{", "a_9", "}", "$", "$", "(", "B", "$") | _texts("$", "{", "(", "a", "B_9", "$a", max_size=16))
def test_references_are_the_patterns_matches(text: str) -> None:
    names: list[str] = []
    for match in _REFERENCE.finditer(text):
        name = match.group(1) or match.group(2)
        if name and name not in names:
            names.append(name)
    assert references(text) == tuple(names)


@settings(max_examples=500, deadline=None)
@given(_near("TLSv1", ",", ":", "!SSLv3", ",", ">=TLSv1") | _texts(",", ":", "TLSv1", max_size=14))
def test_tls_list_items_are_the_patterns_pieces(text: str) -> None:
    assert _tls_list_items(text) == [item for item in re.split(r"[, \t\r\n:]+", text) if item]


# --- Dovecot's include patterns -----------------------------------------------------------

_NAMES = st.lists(st.text(alphabet=".a-b*é ", min_size=1, max_size=4).filter(lambda n: n not in (".", "..", ".a", "a.", "*a")),
                  max_size=6, unique=True)
_STAR_PATTERNS = st.sampled_from(["*", "*a", ".*", "*.*"]) | st.lists(st.text(alphabet=".ab", max_size=2), min_size=2,
                                                                       max_size=4).map("*".join)
_KINDS = st.sampled_from(["file", "directory", "link", "dangling link"])


@settings(max_examples=300, deadline=None)
@given(_NAMES, st.data(), _STAR_PATTERNS, st.sampled_from(["", "sub/", "missing/", "*/", "s*/"]))
def test_star_include_patterns_match_what_glob_matches(names: list[str], data: st.DataObject, pattern: str,
                                                       folder: str) -> None:
    """Files, directories, links (dangling too), hidden names; relative and absolute
    patterns, in a folder that exists or not, stars in the folder (glob's own path)."""
    with tempfile.TemporaryDirectory() as top:
        os.mkdir(os.path.join(top, "sub"))
        for name in [".a", "a.", "*a", *names]:
            for where in (top, os.path.join(top, "sub")):
                path = os.path.join(where, name)
                kind = data.draw(_KINDS)
                if kind == "file":
                    open(path, "w").close()
                elif kind == "directory":
                    os.mkdir(path)
                else:
                    os.symlink("sub" if kind == "link" else "nowhere", path)
        absolute = os.path.join(top, folder + pattern)
        assert glob_brace(absolute) == sorted(glob.glob(absolute), key=os.fsencode)
        with contextlib.chdir(top):
            assert glob_brace(folder + pattern) == sorted(glob.glob(folder + pattern), key=os.fsencode)
