"""The one did-you-mean helper, and its bound on files full of unknown names (issue 14 point 9)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from linter import suggest
from linter.checks.unknown_directive import MAX_SUGGESTIONS_PER_FILE


def test_closest_finds_slips_and_near_names_and_nothing_else() -> None:
    assert suggest.closest("selct", ("policies", "select", "ignore")) == "select"
    assert suggest.closest("Message_Size_Limit", ("message_size_limit",)) == "message_size_limit"
    assert suggest.closest("mdoe", ("mode", "user")) == "mode"  # a swap of neighbours
    assert suggest.closest("cpa", ("cap",)) is None  # a third of a short name: left to the ratio, too far
    assert suggest.closest("completely_unrelated", ("select", "ignore")) is None
    assert suggest.did_you_mean("severty", ("severity", "scope")) == "did you mean 'severity'?"


def _check_counting(tmp_path: Path, name: str, text: str, monkeypatch) -> tuple[int, list]:
    from linter import catalog
    from linter.engine import check
    from linter.options import Options
    from linter.policy import load_policy

    real = catalog._suggest
    calls = []

    def counting(*args):
        calls.append(args[0])
        return real(*args)

    monkeypatch.setattr(catalog, "_suggest", counting)
    (tmp_path / name).write_text(text, encoding="utf-8")
    report = check([str(tmp_path / name)], load_policy([], builtin=True), Options())
    return len(calls), list(report.diagnostics)


def test_a_repeated_unknown_name_is_compared_with_the_catalogue_once(tmp_path: Path, monkeypatch) -> None:
    # thousands of occurrences of a few misspelt names: one comparison per distinct name, and
    # every occurrence keeps its hint (the cap counts distinct names, not lines)
    text = "".join(f"smtpd_bannr = {i}\nmyhostnam = {i}\n" for i in range(1500))
    calls, found = _check_counting(tmp_path, "main.cf", text, monkeypatch)
    assert calls == 2
    unknown = [d for d in found if d.rule == "PF004"]
    assert len(unknown) == 3000
    assert all("did you mean smtpd_banner" in d.message or "did you mean myhostname" in d.message for d in unknown)


def test_a_dovecot_file_of_unknown_names_is_bounded_too(tmp_path: Path, monkeypatch) -> None:
    text = "".join(f"unknown_setting_{i:05d} = {i}\n" for i in range(2000))
    calls, found = _check_counting(tmp_path, "dovecot.conf", text, monkeypatch)
    assert calls == MAX_SUGGESTIONS_PER_FILE  # not 2000
    assert len([d for d in found if d.span.path.endswith("dovecot.conf") and "unknown_setting_" in d.message]) == 2000


_NAMES = ("smtpd_banner", "smtpd_tls_security_level", "mydomain", "myhostname", "relayhost", "message_size_limit",
          "ssl_cert", "mail_location", "auth_mechanisms", "a", "")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdeilmnorstuy_ABCZ5é", max_size=30), st.lists(st.sampled_from(_NAMES), max_size=11))
def test_the_prefilter_leaves_difflib_the_same_answer(word: str, extra: list[str]) -> None:
    # closest() hands difflib only the names whose bound may reach the cutoff: the same match
    from difflib import get_close_matches

    from linter import catalog

    choices = list(dict.fromkeys([*catalog.postfix_names(), *extra]))
    assert get_close_matches(word, suggest._may_reach_cutoff(word, choices), n=1, cutoff=suggest.CUTOFF) \
        == get_close_matches(word, choices, n=1, cutoff=suggest.CUTOFF)
