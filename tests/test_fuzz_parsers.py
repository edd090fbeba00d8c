"""Property tests for the three config parsers: hostile input never crashes them (issue 6).

For random bytes and random mixtures of config tokens (``=``, braces, ``#``,
``!include``, ``-o``, ``${x?{y}}``, Jinja/ERB tags, CR/LF/CRLF, tabs, NUL, Latin-1
bytes, Unicode line separators) each parser returns a document or raises a
ConfigError located inside the file; every span of a document lies inside its file;
``policy-lint parse`` prints valid JSON.  For valid-ish generated configs, printing
the parsed document and parsing it again gives the same names and values.

The invariants live in ``fuzz/common.py``, shared with the atheris harnesses.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz import common
from linter.cli import main
from linter.model import DOVECOT, FORMATS, POSTFIX_MAIN, POSTFIX_MASTER, Document, encode
from linter.parsers import parse_text

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of every format's syntax, the traps of each, and bytes a config should not hold.
TOKENS = [
    *(t.encode() for t in [
        "=", " = ", "{", "}", " {", "{ ", "#", " # c", "#!", "!include ", "!include_try ", "conf.d/*.conf",
        "conf.d/{x,y}.conf", "body.inc", "<", "<body.inc", "-o", " -o ", "-ox=y", "-o { a = b }", "-vo", "--",
        "${x?{y}}", "${{$a} == {b} ? {c} : {d}}", "$x", "$(x", "$$", "{{ jinja }}", "{%- if x %}", "{% endif %}",
        "{# c #}", "<% erb %>", "<%= @x %>", "%>", "{{", "}}", "\n", "\n", "\n", "\r\n", "\r", "\t", " ", "  ",
        "\\", "\\\n", '"', "'", "name", "value", "smtpd_banner", "mail_plugins", "smtp", "inet", "unix", "y",
        "n", "-", "0", "100?", "smtpd", "service auth", "protocol imap", "namespace", "unix_listener", "é",
        "\u2028", "\x0b", "\x0c", "\x1c", "\x85", "\ufeff",
    ]),
    b"\0", b"\xff", b"\xe9", b"\x80", b"\xc3", b"\xed\xa0\x80",
]
TOKEN_SOUP = st.lists(st.sampled_from(TOKENS), max_size=60).map(b"".join)
HOSTILE = st.one_of(st.binary(max_size=1500), TOKEN_SOUP)


def parse_checked(data: bytes, fmt: str) -> Document | None:
    """The invariants of fuzz/common.py: only a located ConfigError, spans in the file, valid JSON."""
    return common.parse_bytes(data, fmt, common.dovecot_tree())


@pytest.mark.parametrize("fmt", FORMATS)
@FAST
@given(data=st.binary(max_size=2000))
def test_random_bytes_parse_or_raise_a_located_config_error(fmt, data):
    parse_checked(data, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=TOKEN_SOUP)
def test_token_soup_parses_or_raises_a_located_config_error(fmt, data):
    parse_checked(data, fmt)


def test_the_token_soup_reaches_both_outcomes():
    """The properties above are not vacuous: such inputs parse, others are rejected."""
    cases = {
        POSTFIX_MAIN: (b"a = b # {{ x }}\r\n  c\n", b"no equals sign\n"),
        POSTFIX_MASTER: (b"smtp inet n - y - - smtpd -o { a = b } -ox=y\n", b"smtp inet n\n"),
        DOVECOT: (b"!include conf.d/*.conf\nservice auth {\n  x = \"a # b\"\n}\n", b"service auth {\n"),
    }
    for fmt, (good, bad) in cases.items():
        document = parse_checked(good, fmt)
        assert document is not None and document.entries, fmt
        assert parse_checked(bad, fmt) is None, fmt


def test_a_span_outside_its_line_is_caught():
    """The span check itself fails on a span past the end of its line."""
    from linter.model import Span

    lines = common.lines_of("ab\ncd")
    common.check_span(Span("f", 2, 1, 2, 3), lines, "ok")
    with pytest.raises(common.InvariantError):
        common.check_span(Span("f", 1, 1, 1, 4), lines, "past the end")
    with pytest.raises(common.InvariantError):
        common.check_span(Span("f", 3, 1, 3, 1), lines, "past the last line")


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=HOSTILE)
def test_parse_command_prints_valid_json_for_hostile_files(fmt, data):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, common.FILE_NAMES[fmt])
        with open(path, "wb") as f:
            f.write(data)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(["parse", "--as", fmt, path])
    assert status in (0, 2), err.getvalue()
    documents = json.loads(out.getvalue())
    assert isinstance(documents, list)
    if status == 0:
        assert len(documents) == 1 and documents[0]["format"] == fmt
    else:
        assert documents == [] and err.getvalue().startswith(path), err.getvalue()
    assert "Traceback" not in err.getvalue()


# -- round trips: parse -> print -> parse keeps names and values ------------------------

BLANK = st.sampled_from([" ", "\t", "  ", " \t"])
NEWLINE = st.sampled_from(["\n", "\r\n"])
POSTFIX_WORDS = st.sampled_from(
    ["a", "b,c", "$myhostname", "${x?{y}}", "${x:{a b}}", "inet:127.0.0.1:11332", "#c", "x#y", "\\", "é",
     "=", "{ a b }", "}", "\udcff", "-o", "'q'", '"q"']
)


@st.composite
def main_cf_text(draw) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["set", "set", "set", "comment", "blank"]))
        if kind == "comment":
            lines.append(draw(st.sampled_from(["# comment", "  # indented", "#", "#a = b"])))
        elif kind == "blank":
            lines.append(draw(st.sampled_from(["", "  ", "\t"])))
        else:
            name = draw(st.sampled_from(["myhostname", "smtpd_banner", "x1", "a.b", "a-b", "über", "n\udcff"]))
            around = draw(st.sampled_from(["=", " = ", "\t=", "=  "]))
            value = " ".join(draw(st.lists(POSTFIX_WORDS, max_size=3)))
            lines.append(name + around + value + draw(st.sampled_from(["", " ", "\t"])))
            for _ in range(draw(st.integers(0, 2))):
                if draw(st.booleans()):
                    lines.append(draw(st.sampled_from(["# between", "", " "])))
                lines.append(draw(BLANK) + " ".join(draw(st.lists(POSTFIX_WORDS, min_size=1, max_size=3))))
    newline = draw(NEWLINE)
    return newline.join(lines) + draw(st.sampled_from([newline, ""]))


def print_main(document: Document) -> str:
    return "".join(f"{a.name} = {a.value}\n" for a in document.entries)


def main_view(document: Document) -> list[tuple[str, str]]:
    return [(a.name, a.value) for a in document.entries]


ARGS = st.sampled_from(
    ["-o smtpd_tls_security_level=encrypt", "-o { smtpd_banner = hello world }", "-o {a=b}", "-o x=$y",
     "-o empty=", "-ox=1", "-vo a=b", "-o x = y", "-o lone", "-v", "-D", "--", "flags=DRhu",
     "argv=/usr/bin/deliver", "${recipient}", "{ a b }", "{}", "#", "é", "-o"]
)


@st.composite
def master_cf_text(draw) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 5))):
        if draw(st.integers(0, 4)) == 0:
            lines.append(draw(st.sampled_from(["# comment", "", "  #x"])))
            continue
        columns = [
            draw(st.sampled_from(["smtp", "submission", "127.0.0.1:10025", "[::1]:25", "relay", "a\udcff"])),
            draw(st.sampled_from(["inet", "unix", "unix-dgram", "fifo", "pass"])),
            *(draw(st.sampled_from(["y", "n", "-"])) for _ in range(3)),
            draw(st.sampled_from(["-", "0", "60", "300?"])),
            draw(st.sampled_from(["-", "0", "1", "100"])),
            draw(st.sampled_from(["smtpd", "pipe", "qmgr", "lmtp"])),
        ]
        lines.append(draw(BLANK).join(columns) + draw(BLANK) + " ".join(draw(st.lists(ARGS, max_size=4))))
        for _ in range(draw(st.integers(0, 2))):
            if draw(st.booleans()):
                lines.append(draw(st.sampled_from(["# between", "", "\t"])))
            lines.append(draw(BLANK) + " ".join(draw(st.lists(ARGS, min_size=1, max_size=2))))
    newline = draw(NEWLINE)
    return newline.join(lines) + draw(st.sampled_from([newline, ""]))


def _braced(word: str) -> str:
    if word == "" or any(c in word for c in " \t{}") or word.startswith("#"):
        return "{ " + word + " }"
    return word


def print_master(document: Document) -> str:
    out = []
    for service in document.entries:
        words = [token.text for token in service.fields]
        for o in service.overrides:
            if any(c in o.name + o.value for c in " \t{}"):
                words.append(f"-o {{ {o.name} = {o.value} }}")
            else:
                words.append(f"-o {o.name}={o.value}")
        words += [_braced(arg) for arg in service.args]
        out.append(" ".join(words) + "\n")
    return "".join(out)


def master_view(document: Document) -> list[tuple]:
    return [(tuple(t.text for t in s.fields), s.args, tuple((o.name, o.value) for o in s.overrides))
            for s in document.entries]


DOVECOT_VALUES = st.sampled_from(
    ["plain login", '"a # b"', "'single'", '"esc \\" q"', "$mail_plugins quota", "<body.inc", "< /etc/x",
     "", "0660", "x#y", "é", "%u@%d", "a\\\n  b", '""']
)


@st.composite
def dovecot_block(draw, depth: int = 0) -> list[str]:
    kind = draw(st.sampled_from(["setting", "setting", "setting", "section", "noise"]))
    if kind == "noise":
        return [draw(st.sampled_from(["", "# comment", "   ", "  # x = y", "!include_try missing/*.conf"]))]
    if kind == "setting" or depth >= 2:
        name = draw(st.sampled_from(["mail_plugins", "auth_mechanisms", "user", "mode", "ssl_cert", "x"]))
        return [draw(st.sampled_from(["", "  ", "\t"])) + name + draw(st.sampled_from([" = ", "=", " =\t"]))
                + draw(DOVECOT_VALUES) + draw(st.sampled_from(["", " ", " # note"]))]
    header = draw(st.sampled_from(["service auth", "protocol imap", "namespace inbox", 'namespace "in box"',
                                   "unix_listener /var/x", "plugin", "passdb"]))
    body = [line for block in draw(st.lists(dovecot_block(depth=depth + 1), max_size=3)) for line in block]
    return [header + draw(st.sampled_from([" {", "\t{", " {  "])), *body, "}"]


@st.composite
def dovecot_text(draw) -> str:
    lines = [line for block in draw(st.lists(dovecot_block(), max_size=5)) for line in block]
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), "!include conf.d/*.conf")
    newline = draw(NEWLINE)
    return newline.join(lines) + draw(st.sampled_from([newline, ""]))


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def print_dovecot(document: Document) -> str:
    out = []
    for setting in document.entries:
        out += [header + " {\n" for header in setting.section]
        out.append(f"{setting.name} = {_quoted(setting.value)}\n")
        out += ["}\n"] * len(setting.section)
    return "".join(out)


def dovecot_view(document: Document) -> list[tuple]:
    return [(s.section, s.name, s.value) for s in document.entries]


ROUND_TRIPS = {
    POSTFIX_MAIN: (main_cf_text(), print_main, main_view),
    POSTFIX_MASTER: (master_cf_text(), print_master, master_view),
    DOVECOT: (dovecot_text(), print_dovecot, dovecot_view),
}


@pytest.mark.parametrize("fmt", FORMATS)
@FAST
@given(data=st.data())
def test_print_then_parse_keeps_names_and_values(fmt, data):
    strategy, printer, view = ROUND_TRIPS[fmt]
    text = data.draw(strategy, label="config")
    document = parse_checked(encode(text), fmt)
    if document is None:
        return  # rejected (checked to be located); nothing to print
    printed = printer(document)
    path = os.path.join(common.dovecot_tree(), common.FILE_NAMES[fmt])
    again = parse_text(path, printed, fmt)
    assert view(again) == view(document), printed
    common.check_document(again, printed)


def test_round_trip_generators_produce_documents_with_entries():
    """Most generated configs parse into entries, so the round trip is exercised."""
    samples = {
        POSTFIX_MAIN: "smtpd_banner = $myhostname ESMTP\n  #c\r\n  x#y\nx1=\n",
        POSTFIX_MASTER: "smtp inet n - y - - smtpd -vo a=b -o { b = c d } {}\n  --  é\n",
        DOVECOT: 'service auth {\n  unix_listener /var/x {\n    mode = 0660\n  }\n  user = "a # b" # c\n}\n',
    }
    for fmt, text in samples.items():
        strategy, printer, view = ROUND_TRIPS[fmt]
        document = parse_text(os.path.join(common.dovecot_tree(), common.FILE_NAMES[fmt]), text, fmt)
        assert view(document)
        printed = printer(document)
        assert view(parse_text(document.path, printed, fmt)) == view(document), printed


# -- regressions found by fuzzing ---------------------------------------------------------


def test_nul_byte_error_column_counts_characters_not_bytes():
    """Found by the token soup: a NUL after a BOM (3 bytes, 1 character) was put in column 4."""
    from linter.model import ConfigError, decode

    with pytest.raises(ConfigError) as caught:
        decode("\ufeffé\0".encode(), "main.cf")
    assert (caught.value.line, caught.value.column) == (1, 3)
    with pytest.raises(ConfigError) as caught:
        decode(b"a\n\xff\xe9\0", "main.cf")
    assert (caught.value.line, caught.value.column) == (2, 3)
