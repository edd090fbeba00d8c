"""The alias-bomb/nesting prescan is skipped only for text that cannot need it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from linter.policy.yaml_io import MAX_DEPTH, may_be_hostile, prescan


def _block(depth: int, kinds: list[str]) -> str:
    """A block-style YAML document nested ``depth`` levels, mapping or sequence per level."""
    lines = []
    indent = 0
    for level in range(depth):
        kind = kinds[level % len(kinds)]
        if kind == "map":
            lines.append(" " * indent + f"k{level}:")
        elif kind == "seq-compact":
            lines.append(" " * indent + "- ")
        else:
            lines.append(" " * indent + "-")
        indent += 2 if kind != "map" or level % 3 else 0  # a sequence may sit at its key's column
    lines.append(" " * indent + "- leaf")
    return "\n".join(lines) + "\n"


@settings(max_examples=200, deadline=None)
@given(depth=st.integers(1, 70), kinds=st.lists(st.sampled_from(["map", "seq", "seq-compact"]), min_size=1,
                                                 max_size=4), flow=st.integers(0, 50))
def test_skipped_text_never_holds_what_the_prescan_rejects(depth: int, kinds: list[str], flow: int) -> None:
    text = _block(depth, kinds) + "f: " + "[" * flow + "x" + "]" * flow + "\n"
    if not may_be_hostile(text):
        assert prescan(text, "p.yaml") is None


def test_deep_or_aliased_text_is_always_prescanned() -> None:
    assert may_be_hostile("a: &x [1]\nb: *x\n")
    assert may_be_hostile("a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n")
    assert may_be_hostile("".join(" " * (2 * i) + f"k{i}:\n" for i in range(MAX_DEPTH // 2)) + "    x: 1\n")
    deep = "".join(" " * (2 * i) + f"k{i}:\n" for i in range(MAX_DEPTH + 5)) + " " * 90 + "x: 1\n"
    assert may_be_hostile(deep) and prescan(deep, "p.yaml") is not None


TYPICAL_POLICY = """\
policy: local
title: Local rules
rules:
  - id: LC001
    name: banner-names-host
    severity: warning
    scope: postfix-main
    message: "smtpd_banner should start with $myhostname, not {value} ({detail})"
    check:
      kind: value
      directive: smtpd_banner
      matches: '^\\$myhostname [a-z]{1,3}'
    examples:
      - bad:
          main.cf: |
            smtpd_banner = {x} ESMTP
  - id: LC002
    name: weak-tls
    scope: postfix-main
    message: "{directive} allows {value}"
    check: {kind: value, directive: smtpd_tls_protocols, in: [">=TLSv1.2", "!SSLv2"]}
"""


def test_ordinary_policies_skip_theprescan() -> None:
    """The gain: a typical policy (placeholders, regexes, flow lists) needs no second parse."""
    assert prescan(TYPICAL_POLICY, "p.yaml") is None
    assert not may_be_hostile(TYPICAL_POLICY)
    assert not may_be_hostile(TYPICAL_POLICY.replace("!SSLv2", "TLSv1.3")), "tags aside, too"
