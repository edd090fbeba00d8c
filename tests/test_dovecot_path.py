"""Dovecot section patterns in policies (``service auth / unix_listener */private/auth``)
match section arguments as fnmatch does, also where no regex is compiled for them."""

from __future__ import annotations

import fnmatch

from hypothesis import given, settings
from hypothesis import strategies as st

from linter.policy.dovecot_path import header_matches, star_match

# patterns as runs of text between stars, so that stars and overlapping runs are common
STAR_PATTERNS = st.lists(st.text(alphabet="ab/", max_size=3), min_size=1, max_size=4).map("*".join)


@settings(max_examples=500)
@given(name=st.text(alphabet="ab/\n*", max_size=10), pattern=STAR_PATTERNS)
def test_star_patterns_match_as_fnmatch_does(name, pattern):
    assert star_match(name, pattern) == fnmatch.fnmatchcase(name, pattern)


def test_listener_patterns_of_the_built_in_pack():
    path = "unix_listener /var/spool/postfix/private/auth"
    assert header_matches("unix_listener */private/auth", path)
    assert header_matches('unix_listener "*/private/*"', '  unix_listener  "/var/spool/postfix/private/auth"')
    assert not header_matches("unix_listener */private/auth", "unix_listener /var/spool/postfix/private/auth-x")
    assert not header_matches("inet_listener */private/auth", path)
    assert header_matches("service *-userdb", "service auth-userdb")
    assert header_matches("service dict*", "service dict-async")
    assert not header_matches("service dict*", "service auth-dict")
    assert header_matches("unix_listener auth-[ux]*", "unix_listener auth-userdb")  # other wildcards: fnmatch
