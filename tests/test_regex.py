"""Policy regexes: the matcher for simple patterns gives RE2's answers (linter/policy/regex.py).

A policy's ``matches`` keys and ``matches()`` function promise RE2's syntax and meaning; a
pattern of the simple subset is matched without loading RE2.  These tests hold the two to
the same answer on generated patterns and texts, and check what a policy author sees when
a pattern falls outside the subset or is invalid.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from linter.policy import regex
from linter.policy.regex import MAX_TEXT, Unsupported, compile_simple, searcher

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _re2(pattern: str, text: str) -> bool:
    return regex.re2_compile(pattern).search(text) is not None


# -- patterns of the subset, generated --------------------------------------------------------

_LITERALS = st.sampled_from(list("ab0:-/.") + ["\\.", "\\$", "\\[", "\\-", "\\\\", "\\(", "\\t", "é"])
_ESCAPES = st.sampled_from(["\\d", "\\s", "\\w", "\\D", "\\S", "\\W", "."])
_CLASS_ITEMS = st.sampled_from(["a", "b", "0-9", "a-c", "\\d", "\\s", "\\w", ":", "\\-", "\\]", ".", "é", "\\n"])
_CLASSES = st.builds(lambda neg, items: "[" + ("^" if neg else "") + "".join(items) + "]",
                     st.booleans(), st.lists(_CLASS_ITEMS, min_size=1, max_size=3))
_QUANTIFIERS = st.sampled_from(["", "", "*", "+", "?", "{2}", "{1,}", "{0,2}", "{1,3}"])


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    group = st.builds(lambda inner, q, capture: ("(" if capture else "(?:") + inner + ")" + q,
                      children, _QUANTIFIERS.filter(lambda q: "{" not in q), st.booleans())
    alternation = st.builds(lambda a, b: a + "|" + b, children, children)
    sequence = st.builds(lambda a, b: a + b, children, children)
    return group | alternation | sequence


_ATOMS = st.builds(lambda atom, q: atom + q, _LITERALS | _ESCAPES | _CLASSES, _QUANTIFIERS) | \
    st.sampled_from(["^", "$", ""])
PATTERNS = st.recursive(_ATOMS, _extend, max_leaves=8)
TEXTS = st.text(alphabet=list("ab0129:-/.$[]\\( \t\n\v\r\fé☃_A"), max_size=14)


@settings(max_examples=3000, deadline=None)
@given(pattern=PATTERNS, text=TEXTS)
def test_generated_patterns_match_as_re2_does(pattern: str, text: str) -> None:
    compile_simple(pattern)  # every generated pattern is in the subset
    assert searcher(pattern)(text) is _re2(pattern, text), (pattern, text)


@settings(max_examples=500, deadline=None)
@given(pattern=st.text(alphabet=list("ab^$|()[]{}*+?.\\-:,0123sdwSDbpz"), max_size=8), text=TEXTS)
def test_arbitrary_strings_as_patterns_match_or_fail_as_re2_does(pattern: str, text: str) -> None:
    """Anything the subset does not take goes to RE2: the same answer, or RE2's error."""
    try:
        expected = _re2(pattern, text)
    except re2.error:
        with pytest.raises(re2.error):
            searcher(pattern)(text)
        return
    assert searcher(pattern)(text) is expected, (pattern, text)


def _pack_patterns(node, found: set) -> set:
    """The regexes in the shipped pack's data: ``matches``/``not_matches`` keys and the
    constant pattern of each ``matches()`` call in an expression."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("matches", "not_matches") and isinstance(value, str):
                found.add(value)
            else:
                _pack_patterns(value, found)
    elif isinstance(node, list):
        if len(node) == 3 and node[:2] == ["call", "matches"] and node[2][1][0] == "const":
            found.add(node[2][1][1])
        for item in node:
            _pack_patterns(item, found)
    return found


def test_builtin_pack_patterns_need_no_re2() -> None:
    """Every pattern the built-in pack writes is in the subset, so a check with the pack
    loads no RE2 for values up to MAX_TEXT (tests/test_startup_imports.py checks the import)."""
    with open(os.path.join(ROOT, "linter", "data", "builtin-pack.json"), encoding="utf-8") as f:
        patterns = _pack_patterns(json.load(f)["rules"], set())
    assert "^[0-9]+$" in patterns and "(^|:)(submission|587)$" in patterns  # both kinds were found
    for pattern in sorted(patterns):
        compile_simple(pattern)


@pytest.mark.parametrize(("pattern", "why"), [
    ("[[:alpha:]]", "a POSIX class"), ("a{,2}", "{ as a literal"), ("(?i)abc", "flags"), ("a*?", "lazy"),
    ("\\bword", "a word boundary"), ("\\pL", "a Unicode class"), ("[]a]", "] first in a class"),
    ("a{101}", "a large count"), ("(a{2}){3}", "nested counts"),
])
def test_patterns_outside_the_subset_go_to_re2(pattern: str, why: str) -> None:
    with pytest.raises(Unsupported):
        compile_simple(pattern)
    for text in ("", "a", "aa", "word", "A", "]", "a{,2}", "aaaaaa", "ABC"):
        assert searcher(pattern)(text) is _re2(pattern, text), (why, text)


def test_long_and_unencodable_texts_go_to_re2() -> None:
    text = "1" * (MAX_TEXT + 1)
    assert searcher("^[0-9]+$")(text) is True
    assert searcher("^[0-9]+$")(text + "x") is False
    with pytest.raises(UnicodeEncodeError):  # as RE2 did: a lone surrogate is no UTF-8
        searcher("^[0-9]+$")("1\udcff")


def test_hostile_text_is_linear() -> None:
    """A pattern that makes a backtracking engine explode is one pass here."""
    pattern = "^(a|a)*(a*)*$"
    assert searcher(pattern)("a" * 3000 + "b") is False
    assert searcher(pattern)("a" * 3000) is True


def test_invalid_pattern_in_a_policy_is_reported_by_re2(tmp_path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(textwrap.dedent("""\
        policy: local
        title: Local rules
        rules:
          - id: LC001
            name: relayhost-bracketed
            severity: warning
            scope: postfix-main
            message: relayhost {value} is not bracketed
            check:
              kind: value
              directive: relayhost
              matches: "^[a-"
        """), encoding="utf-8")
    (tmp_path / "main.cf").write_text("relayhost = [mx.example.org]\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "linter", "check", "--no-builtin", "--no-cache",
                             "--policy", str(policy), str(tmp_path / "main.cf")],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2
    assert "p.yaml:12" in result.stderr and "missing ]" in result.stderr, result.stderr
