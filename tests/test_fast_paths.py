"""The bulk run's fast paths give exactly what the general code gives."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from linter.diagnostics import Applicability, Diagnostic, Edit, Fix, Severity
from linter.engine import Report
from linter.model import Span
from linter.parsers import find_marked_comments
from linter.parsers.postfix_lines import read_logical_lines
from linter.parsers.postfix_master import split_words
from linter.reporters.json_ import dumps, finding, render
from linter.suppressions import read_suppressions

_JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                            lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(_JSON_VALUES)
def test_json_report_text_is_the_json_modules(value: object) -> None:
    # but DEL and C1 controls, which a terminal acts on, are \u escapes (issue 14 point 5)
    expected = re.sub("[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}",
                      json.dumps(value, indent=2, ensure_ascii=False))
    assert dumps(value) == expected
    assert json.loads(dumps(value)) == value


def test_json_values_the_fast_writer_leaves_alone_are_still_written() -> None:
    assert dumps({"a": 1.5, "b": (1, 2)}) == json.dumps({"a": 1.5, "b": (1, 2)}, indent=2)


def _word_tuples(text: str) -> list[tuple[int, int, str]]:
    return [(start, start + len(word), word) for word, start in zip(*split_words(text))]


def _slow_words(text: str) -> list[tuple[int, int, str]]:
    """mystrtokq with braces, character by character (the general path, braces forced)."""
    return _word_tuples(text + " {")[:-1]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t\r\nab-o=}", max_size=40))
def test_brace_free_words_split_like_the_general_splitter(text: str) -> None:
    assert _word_tuples(text) == _slow_words(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \tab=#\n", max_size=60), st.data())
def test_spans_equal_the_general_positions(text: str, data: st.DataObject) -> None:
    for line in read_logical_lines("f", text).lines:
        start = data.draw(st.integers(0, len(line.text)))
        end = data.draw(st.integers(0, len(line.text)))
        span = line.span(start, end)
        first = line.start_position(start)
        assert (span.line, span.column) == first
        assert (span.end_line, span.end_column) == (line.position(end) if end > start else first)


def test_marked_comments_give_the_suppressions_of_the_text() -> None:
    text = ("# policy-lint: disable=PF101 -- why\n# another comment\nsmtpd_banner = x\n"
            "# policy-lint: disable-file=PF102\n\n# policy-lint: disabel=PF1\n  # policy-lint: disable=PF103\n")
    comments = find_marked_comments("main.cf", text)
    assert [(c.line, c.target) for c in comments] == [(1, 3), (4, None), (6, None), (7, None)]
    found, invalid = read_suppressions("main.cf", text)
    assert [(s.line, s.file_wide, s.target, [r.rule for r in s.rules]) for s in found] == \
        [(1, False, 3, ["PF101"]), (4, True, None, ["PF102"]), (7, False, None, ["PF103"])]
    assert [d.span.line for d in invalid] == [6]
    assert find_marked_comments("main.cf", "smtpd_banner = policy-lint\n") == ()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a = b", "  c", "# x", "", " ", "{% if x %}", "{# c #}", "<% end %>", "% if y",
                                 "master unix - - n - - x", "\tb = {{ v }}", "{% set x = {", "} %}"]), max_size=12))
def test_lines_are_read_alike_with_or_without_the_template_test(lines: list[str]) -> None:
    """A text with no '%' or '{#' skips the template-line test; one with them runs it."""
    text = "\n".join(lines) + "\n"
    forced = read_logical_lines("f", text + "# %\n")  # a comment with '%': the test runs for every line
    plain = read_logical_lines("f", text)
    forced_templates = tuple(t for t in forced.templates if t.text != "# %")  # an unclosed tag takes it in
    assert plain.lines == forced.lines and plain.templates == forced_templates and plain.warnings == forced.warnings


_SPANS = st.builds(Span, st.text(max_size=8), st.integers(0, 10**6), st.integers(0, 300), st.integers(0, 10**6),
                   st.integers(0, 300))
_DIAGNOSTICS = st.builds(
    Diagnostic, rule=st.text(max_size=6), name=st.text(max_size=10), severity=st.sampled_from(list(Severity)),
    message=st.text(max_size=30), span=_SPANS,
    fix=st.none() | st.builds(Fix, st.text(max_size=10), st.sampled_from(list(Applicability)),
                              st.lists(st.builds(Edit, _SPANS, st.text(max_size=10)), max_size=3).map(tuple)),
    related=st.lists(_SPANS, max_size=3).map(tuple), help_uri=st.none() | st.text(max_size=10))


@settings(max_examples=200, deadline=None)
@given(st.lists(_DIAGNOSTICS, max_size=4))
def test_json_report_is_the_json_modules_rendering_of_the_findings(diagnostics: list[Diagnostic]) -> None:
    report = Report(tuple(diagnostics), (), ())
    expected = json.dumps([finding(d) for d in diagnostics], indent=2, ensure_ascii=False)
    expected = re.sub("[\x7f-\x9f\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", expected)
    assert render(report, None) == expected + "\n"


# findings drawn again and again from a few: what a large file gives (shared rules, fixes
# without edits, the same related span), where the writers reuse what they wrote
_REPEATED = st.lists(_DIAGNOSTICS, min_size=1, max_size=3).flatmap(
    lambda pool: st.lists(st.sampled_from(pool) | st.sampled_from(pool).map(
        lambda d: Diagnostic(d.rule, d.name, d.severity, d.message + "x", d.span, None if d.fix is None else Fix(
            d.fix.title, d.fix.applicability, ()), d.related, d.help_uri)), max_size=8))


@settings(max_examples=200, deadline=None)
@given(_REPEATED)
def test_json_report_of_repeated_findings_is_the_json_modules_rendering(diagnostics: list[Diagnostic]) -> None:
    report = Report(tuple(diagnostics), (), ())
    expected = json.dumps([finding(d) for d in diagnostics], indent=2, ensure_ascii=False)
    expected = re.sub("[\x7f-\x9f\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", expected)
    assert render(report, None) == expected + "\n"


@settings(max_examples=200, deadline=None)
@given(st.lists(_DIAGNOSTICS, max_size=4) | _REPEATED)
def test_sarif_report_written_result_by_result_is_the_whole_documents_rendering(diagnostics: list[Diagnostic]) -> None:
    from linter.reporters import sarif

    report = Report(tuple(diagnostics), (), ())
    expected = json.dumps(sarif.to_sarif(report, None), indent=2, ensure_ascii=False)
    expected = re.sub("[\x7f-\x9f\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", expected)
    assert sarif.render(report, None) == expected + "\n"
    assert "".join(sarif.render_chunks(report, None)) == expected + "\n"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["smtp", "submission", "x"]), st.sampled_from(["\n  ", " ", "\t"]),
                          st.sampled_from(["", "\n  -o a=b", "\n\t-o { c = d }"])), min_size=1, max_size=4))
def test_master_columns_are_located_as_the_general_span_locates_them(entries: list) -> None:
    from linter.parsers.postfix_master import parse

    text = "".join(f"{name} inet n -{wrap}n - - smtpd{tail}\n" for name, wrap, tail in entries)
    services = parse("master.cf", text).entries
    lines = read_logical_lines("master.cf", text).lines
    assert len(services) == len(lines)
    for service, line in zip(services, lines):
        words = _word_tuples(line.text)[:8]
        assert [t.span for t in service.fields] == [line.span(start, end) for start, end, _text in words]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab =\t\v\f\r#$", max_size=20))
def test_main_cf_names_and_values_split_as_postfix_splits_them(rest: str) -> None:
    """split_nameval(): blanks, name, blanks, '=', blanks, the value without trailing blanks."""
    from linter.model import ConfigError
    from linter.parsers.postfix_main import parse

    blanks = " \t\n\r\v\f"
    line = "x" + rest  # a logical line starts with a non-blank
    name, equals, value = line.partition("=")
    name = name.rstrip(blanks)
    well_formed = bool(equals) and not any(c in blanks for c in name)
    try:
        entries = parse("main.cf", line + "\n").entries
    except ConfigError:
        assert not well_formed
        return
    assert well_formed
    assert (entries[0].name, entries[0].value) == (name, value.strip(blanks))


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab =\t\v\f\r{}", max_size=24), st.data())
def test_master_overrides_split_as_postfix_splits_them(text: str, data: st.DataObject) -> None:
    """split_nameval() on part of a text (a master.cf ``-o``): blanks, a name, blanks, '=',
    blanks, the value without trailing blanks; else Postfix's message."""
    from linter.parsers.postfix_lines import split_nameval

    blanks = " \t\n\r\v\f"
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    part = text[start:end]
    name, equals, value = part.partition("=")
    found = split_nameval(text, start, end)
    if not name.strip(blanks):
        assert found == "missing attribute name"
    elif not equals or any(c in blanks for c in name.strip(blanks)):
        assert found == "missing '=' after attribute name"
    else:
        name_start, name_end, at, value_start, value_end = found
        assert text[name_start:name_end] == name.strip(blanks) and text[at] == "="
        assert text[value_start:value_end] == value.strip(blanks)
        assert value_start == start + len(part) - len(value.lstrip(blanks)) or value_start == value_end


_FLAG = st.sampled_from(["-", "y", "n", "-", "y", "n", "x", "yy", "''"])
_COUNT = st.sampled_from(["-", "0", "12", "100", "7?", "?", "-?", "1x", "\u00b2", "\u0663", "''", "1?1", "y"])


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["inet", "unix", "unix-dgram", "fifo", "pass", "inet", "unix", "tcp", "Inet"]),
       st.lists(_FLAG, min_size=3, max_size=3), st.lists(_COUNT, min_size=2, max_size=2))
def test_master_columns_are_checked_as_postconf_checks_them(kind: str, flags: list[str], counts: list[str]) -> None:
    """pcf_check_master_entry(): the type, y/n/- flags, a wakeup of digits (a '?' after
    them), a process limit of digits, or '-'."""
    from linter.model import ConfigError
    from linter.parsers.postfix_master import parse

    def valid(index: int, text: str) -> bool:
        if index < 3:
            return text in ("y", "n", "-")
        digits = text[:-1] if index == 3 and text.endswith("?") else text
        return digits == "-" or all(c in "0123456789" for c in digits)

    columns = flags + counts
    line = f"smtp {kind} {' '.join(columns)} smtpd\n"
    expected = kind in ("inet", "unix", "unix-dgram", "fifo", "pass") and all(valid(i, c) for i, c in enumerate(columns))
    try:
        parse("master.cf", line)
    except ConfigError as e:
        assert not expected, e.message
        assert e.message.startswith("invalid ") and e.message.endswith(f' in "{line[:-1]}"')
        return
    assert expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "smtpd_tls_security_level", "x_y"]),
                          st.sampled_from(["", "may", "b c", "$x"]), st.booleans()), min_size=1, max_size=3),
       st.booleans())
def test_master_overrides_are_located_as_the_general_span_locates_them(options: list, continued: bool) -> None:
    """An override's span, name and value on the entry's first line and on a continuation
    line: the text each points at."""
    from linter.parsers.postfix_master import parse

    written = [f"-o {{ {n} = {v} }}" if braces else f"-o {n}={v.replace(' ', '')}" for n, v, braces in options]
    text = "submission inet n - n - - smtpd" + ("\n  " if continued else " ") + " ".join(written) + "\n"
    service = parse("master.cf", text).entries[0]
    lines = text.split("\n")

    def at(span: object) -> str:
        assert span.line == span.end_line
        return lines[span.line - 1][span.column - 1:span.end_column - 1]

    assert [at(o.span) for o in service.overrides] == written
    assert [at(o.name_span) for o in service.overrides] == [n for n, _v, _b in options]
    assert [at(o.value_span) for o in service.overrides] == \
        [v if braces else v.replace(" ", "") for _n, v, braces in options]


def _formatter_pieces(template: str) -> list[tuple[str, str | None]]:
    import string

    return [(literal, name) for literal, name, _spec, _conversion in string.Formatter().parse(template)]


def _formatter_render(template: str, values: dict) -> str:
    """A message filled as string.Formatter splits it (a missing name: "?")."""
    out = []
    for literal, name in _formatter_pieces(template):
        out.append(literal)
        if name is not None:
            out.append(str(values[name]) if name in values else "?")
    return "".join(out)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab {}", max_size=16))
def test_templates_fill_as_string_formatter_splits_them(template: str) -> None:
    """A template without a brace is its own text; the others as string.Formatter splits
    them (the same error for a malformed one)."""
    from linter.policy import templates

    templates._pieces.cache_clear()
    values = {"a": "A", "b": "", "ab": "x"}
    try:
        expected = _formatter_render(template, values)
    except ValueError as e:
        try:
            templates.render(template, values)
        except ValueError as got:
            assert str(got) == str(e)
        else:
            raise AssertionError(f"{template!r}: no error") from None
        return
    assert templates.render(template, values) == expected
    assert templates.unfilled(template, {}) == [name for _l, name in _formatter_pieces(template) if name is not None]
