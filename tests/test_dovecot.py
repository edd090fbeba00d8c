"""The Dovecot parser, trap by trap (facts §3; each behaviour checked with doveconf 2.3.19.1)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from linter.model import ConfigError, Setting, Span
from linter.parsers import dovecot, parse_file, read_text
from tests.conftest import corpus_manifest

DATA = Path(__file__).parent / "data" / "dovecot"


def parse(text: str, path: str = "dovecot.conf"):
    return dovecot.parse(path, text)


def values(doc) -> list[tuple[tuple[str, ...], str, str]]:
    return [(e.section, e.name, e.value) for e in doc.entries]


def write(base: Path, files: dict[str, str]) -> str:
    for name, text in files.items():
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_text(text, encoding="utf-8")
    return str(base / "dovecot.conf")


def error_of(text: str, path: str = "dovecot.conf") -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse(text, path)
    return caught.value


# -- lines, comments, quotes --------------------------------------------------------


def test_hash_ends_the_line_anywhere_outside_quotes():
    doc = parse("auth_mechanisms = plain login # c\nlogin_greeting = a#b\nx = \"a # b\" # c\n")
    assert values(doc) == [((), "auth_mechanisms", "plain login"), ((), "login_greeting", "a"), ((), "x", "a # b")]


def test_hash_without_blank_before_it_warns_like_doveconf():
    doc = parse("plugin {\n  k = plain#login\n}\n")
    (warning,) = doc.warnings
    assert warning.code == "ambiguous-hash"
    assert warning.span == Span("dovecot.conf", 2, 12, 2, 13)
    assert parse("k = a # b\n").warnings == ()


def test_quotes_are_stripped_and_unescaped_only_when_both_ends_match():
    doc = parse("a = \"x\\\"y\\\\z\\n\"\nb = 'q\\'z'\nc = \"a\" b\"\nd = \"open\ne = \" x \"\nf = \"\n")
    assert [v for _, _, v in values(doc)] == ['x"y\\zn', "q'z", 'a" b', '"open', " x ", ""]


def test_unclosed_quote_keeps_the_hash():
    (setting,) = parse('k = "a\\" # c\n').entries
    assert setting.value == '"a\\" # c'


def test_empty_value_has_a_zero_width_value_span():
    (setting,) = parse("auth_mechanisms =\n").entries
    assert setting.value == ""
    assert setting.value_span == Span.point("dovecot.conf", 1, 18)


def test_blanks_around_equals_and_at_the_end_are_dropped():
    (setting,) = parse("\tk\t=\t v \t\n").entries
    assert (setting.name, setting.value) == ("k", "v")
    assert setting.name_span == Span("dovecot.conf", 1, 2, 1, 3)
    assert setting.value_span == Span("dovecot.conf", 1, 7, 1, 8)
    assert [e.value for e in parse("k=v\n").entries] == ["v"]


def test_continuation_joins_lines_with_one_space():
    (setting,) = parse("k = a   \\\n      b \\\n\tc\n").entries
    assert setting.value == "a b c"
    assert (setting.span.line, setting.span.end_line) == (1, 3)


def test_a_comment_or_blank_line_drops_a_pending_continuation():
    # doveconf: line 3 "b" alone is "Expecting '{'": the joined "k = a " was dropped.
    error = error_of("k = a \\\n# comment\nb\n")
    assert (error.line, error.message) == (3, "Expecting '{'")
    assert values(parse("k = a \\\n\nj = b\n")) == [((), "j", "b")]


def test_a_lone_backslash_line_adds_nothing():
    assert parse("k = a \\\n  \\\n  b\n").entries[0].value == "a b"


def test_an_empty_name_is_a_setting_not_a_syntax_error():
    # doveconf: "Missing key name" at top level (settings level), accepted in plugin { }.
    assert values(parse("plugin {\n  = b\n}\n")) == [(("plugin",), "", "b")]


def test_a_continuation_at_the_end_of_the_tree_is_lost():
    assert parse("k = v\nj = w \\\n").entries[-1].name == "k"


def test_crlf_lines():
    doc = parse("plugin {\r\n  k = a b \r\n}\r\n")
    assert values(doc) == [(("plugin",), "k", "a b")]
    assert doc.newline == "\r\n"


def test_file_values_are_kept_as_written():
    doc = parse("ssl_cert = </etc/ssl/cert.pem\nssl_key = <  /etc/ssl/key.pem\nx = < \"q x\"\n")
    assert [v for _, _, v in values(doc)] == ["</etc/ssl/cert.pem", "</etc/ssl/key.pem", '<"q x"']


# -- $variables ----------------------------------------------------------------------


def test_self_reference_expands_the_earlier_value():
    doc = parse("mail_plugins = quota\nmail_plugins = $mail_plugins  acl\n")
    assert doc.entries[-1].value == "quota acl"


def test_self_reference_in_a_filter_reads_the_parent_then_the_filter():
    doc = parse(
        "mail_plugins = a\nprotocol imap {\n  mail_plugins = $mail_plugins x\n}\n"
        "protocol imap {\n  mail_plugins = $mail_plugins z\n}\n"
    )
    assert [e.value for e in doc.entries] == ["a", "a x", "a x z"]


def test_self_reference_without_an_earlier_value_uses_the_default():
    assert parse("mail_plugins = $mail_plugins quota\n").entries[0].value == " quota"


def test_other_variables_stay_as_written_but_blanks_collapse():
    doc = parse("plugin {\n  k1 = a  b   $foo\n  k2 = a\t$x\n  k3 = $ENV:HOME x\n}\n")
    assert [e.value for e in doc.entries] == ["a b $foo", "a\t$x", "$ENV:HOME x"]


def test_blanks_after_a_space_collapse_but_a_lone_tab_stays():
    # doveconf: a token ends at a space and the spaces and tabs after it are skipped
    doc = parse("plugin {\n  k1 = $ \t<\n  k2 = p $q  \tr\t s\n}\n")
    assert [e.value for e in doc.entries] == ["$ <", "p $q r\t s"]


def test_quoted_values_are_not_expanded():
    doc = parse("mail_plugins = a\nmail_plugins = \"$mail_plugins\" b\nx = '$y'\n")
    assert [e.value for e in doc.entries] == ["a", '"$mail_plugins" b', "$y"]


# -- sections ---------------------------------------------------------------------------


def test_sections_nest_and_close_at_their_brace():
    doc = parse(
        "service auth {\n  unix_listener /var/spool/postfix/private/auth {\n    mode = 0660\n  }\n}\n"
    )
    (setting,) = doc.entries
    assert setting.section == ("service auth", "unix_listener /var/spool/postfix/private/auth")
    inner, outer = doc.sections
    assert (inner.kind, inner.name, inner.path) == ("unix_listener", "/var/spool/postfix/private/auth", setting.section)
    assert inner.close_span == Span("dovecot.conf", 4, 3, 4, 4)
    assert outer.span.line == 1 and outer.close_span.line == 5


def test_quoted_and_unnamed_section_headers():
    doc = parse('namespace "in box"{\n  prefix = x\n}\nnamespace "" {\n}\npassdb {\n}\nnamespace   inbox   {\n}\n')
    assert [(s.kind, s.name, s.path) for s in doc.sections] == [
        ("namespace", "in box", ('namespace "in box"',)),
        ("namespace", "", ('namespace ""',)),
        ("passdb", "", ("passdb",)),
        ("namespace", "inbox", ("namespace inbox",)),
    ]


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("plugin { k = v }\n", 1, 9, "Garbage after '{'"),
        ("plugin {x\n}\n", 1, 9, "Garbage after '{'"),
        ("plugin{\n}\n", 1, 8, "Expecting '{'"),
        ("foo bar\n", 1, 8, "Expecting '{'"),
        ("auth_mechanisms\n", 1, 16, "Expecting '{'"),
        ("namespace 'a b' {\n}\n", 1, 14, "Expecting '{'"),
        ('namespace "a\\"b" {\n}\n', 1, 15, "Expecting '{'"),
        ("plugin {\n}}\n", 2, 3, "Expecting '{'"),
        ("}\n", 1, 1, "Unexpected '}'"),
        ("plugin {\n} x\n", 2, 4, "Expecting '{'"),
    ],
)
def test_section_syntax_errors_are_doveconfs(text, line, column, message):
    error = error_of(text)
    assert (error.path, error.line, error.column, error.message) == ("dovecot.conf", line, column, message)


def test_missing_brace_names_where_the_section_started():
    error = error_of("plugin {\n  k = v\nservice x {\n}\n")
    assert (error.line, error.message) == (1, "Missing '}' (section started at dovecot.conf:1)")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("protocol imap {\n protocol pop3 {\n }\n}\n", "protocol must not be under protocol"),
        ("remote 10.0.0.0/8 {\n local 10.0.0.1 {\n }\n}\n", "local must not be under remote"),
        ("protocol imap {\n remote 10.0.0.0/8 {\n }\n}\n", "remote must not be under protocol"),
        ("protocol imap {\n local_name x {\n }\n}\n", "local_name must not be under protocol"),
    ],
)
def test_filters_nest_only_in_dovecots_order(text, message):
    error = error_of(text)
    assert (error.line, error.message) == (2, message)


def test_filters_are_sections():
    doc = parse("local 10.0.0.1 {\n  local_name mail.example {\n    remote 10.1.0.0/16 {\n"
                "      protocol imap {\n        k = v\n      }\n    }\n  }\n}\n")
    assert doc.entries[0].section == ("local 10.0.0.1", "local_name mail.example", "remote 10.1.0.0/16", "protocol imap")


def test_duplicates_and_unknown_names_are_kept_in_order():
    doc = parse("auth_mechanisms = plain\nbogus_setting = 1\nauth_mechanisms = login\n")
    assert values(doc) == [((), "auth_mechanisms", "plain"), ((), "bogus_setting", "1"), ((), "auth_mechanisms", "login")]


def test_mode_without_leading_zero_warns():
    doc = parse("service imap {\n  unix_listener x {\n    mode = 660\n  }\n}\nmode = 0660\n")
    (warning,) = doc.warnings
    assert warning.code == "mode-without-leading-zero"
    assert "01224" in warning.message
    assert warning.span == Span("dovecot.conf", 3, 12, 3, 15)


def test_document_end_is_the_end_of_the_roots_last_line():
    assert parse("k = v\n").end == Span.point("dovecot.conf", 1, 6)
    assert parse("").end == Span.point("dovecot.conf", 1, 1)
    assert parse("a = b\nk = vv").end == Span.point("dovecot.conf", 2, 7)


# -- includes -----------------------------------------------------------------------------


def test_the_fixture_tree(tmp_path):
    root = str(DATA / "tree" / "dovecot.conf")
    doc = parse_file(root)
    base = str(DATA / "tree") + "/"
    assert [f.removeprefix(base) for f in doc.files] == [
        "dovecot.conf", "conf.d/10-auth.conf", "conf.d/auth-system.conf.ext", "conf.d/20-master.conf",
    ]
    by_name = {e.name: e for e in doc.entries}
    assert by_name["auth_mechanisms"].value == "plain login"
    assert by_name["auth_mechanisms"].file == base + "conf.d/10-auth.conf"
    assert by_name["login_greeting"].value == "Mail ready # welcome"
    assert [(e.section, e.value) for e in doc.entries if e.name == "driver"] == [(("passdb",), "pam"), (("userdb",), "passwd")]
    assert doc.entries[-1].section == ("protocol imap",)
    assert doc.entries[-1].value == "quota imap_quota"
    mode = by_name["mode"]
    assert mode.section == ("service auth", "unix_listener /var/spool/postfix/private/auth")
    assert (mode.file, mode.line) == (base + "conf.d/20-master.conf", 3)


def test_include_is_relative_to_the_including_file_and_globs_sort(tmp_path):
    root = write(tmp_path, {
        "dovecot.conf": "!include conf.d/*.conf\n",
        "conf.d/b.conf": "k = b\n",
        "conf.d/a.conf": "k = a\n!include sub/*.inc\n",
        "conf.d/sub/x.inc": "k = x\n",
        "conf.d/.hidden.conf": "k = hidden\n",
    })
    doc = dovecot.parse(root, read_text(root))
    assert [e.value for e in doc.entries] == ["a", "x", "b"]
    assert [os.path.basename(f) for f in doc.files] == ["dovecot.conf", "a.conf", "x.inc", "b.conf"]
    assert doc.entries[1].span.path == str(tmp_path / "conf.d" / "sub" / "x.inc")


def test_brace_alternatives_keep_their_written_order(tmp_path):
    root = write(tmp_path, {"dovecot.conf": "!include d/{c,a}.conf\n", "d/a.conf": "k = a\n", "d/c.conf": "k = c\n"})
    assert [e.value for e in parse_file(root).entries] == ["c", "a"]
    assert dovecot.expand_braces("x{a,b{c,d}}y{1,2}") == ["xay1", "xay2", "xbcy1", "xbcy2", "xbdy1", "xbdy2"]


def test_include_inside_a_section_keeps_the_section(tmp_path):
    root = write(tmp_path, {"dovecot.conf": "plugin {\n  !include body.inc\n  j = 2\n}\n", "body.inc": "k = 1\n"})
    assert values(parse_file(root)) == [(("plugin",), "k", "1"), (("plugin",), "j", "2")]


def test_sections_and_continuations_span_include_boundaries(tmp_path):
    root = write(tmp_path, {
        "dovecot.conf": "!include open.inc\n!include close.inc\nplugin {\n  !include cont.inc\n  y\n}\n",
        "open.inc": "plugin {\n k = open\n",
        "close.inc": "}\n",
        "cont.inc": "k2 = x \\\n",
    })
    doc = parse_file(root)
    assert values(doc) == [(("plugin",), "k", "open"), (("plugin",), "k2", "x y")]
    assert doc.sections[0].close_span.path == str(tmp_path / "close.inc")


def test_include_without_match_is_a_note_and_the_rest_is_read_but_include_try_is_silent(tmp_path):
    # issue 10 cause 9: a secrets file kept out of git (doveconf stops with "No matches");
    # we say so once at its line and read everything else
    root = write(tmp_path, {"dovecot.conf": "k = 1\n!include_try none/*.conf\n!include auth-sql.conf.ext\nj = 2\n"})
    doc = parse_file(root)
    assert values(doc) == [((), "k", "1"), ((), "j", "2")]
    (note,) = doc.notes
    assert (note.path, note.line, note.column) == (root, 3, 1)
    assert note.message.startswith("!include auth-sql.conf.ext: No matches")


def test_a_missing_include_in_a_file_read_twice_is_one_note(tmp_path):
    root = write(tmp_path, {"dovecot.conf": "!include a.conf\n!include a.conf\n", "a.conf": "!include secret.conf\n"})
    doc = parse_file(root)
    assert [(n.path, n.line) for n in doc.notes] == [(str(tmp_path / "a.conf"), 1)]


def test_quoted_include_path_is_not_unquoted(tmp_path):
    root = write(tmp_path, {"dovecot.conf": '!include "a.conf"\n', "a.conf": "k = 1\n"})
    doc = parse_file(root)
    assert values(doc) == [] and "No matches" in doc.notes[0].message


def test_recursive_include(tmp_path):
    root = write(tmp_path, {"dovecot.conf": "!include a.conf\n", "a.conf": "!include dovecot.conf\n"})
    with pytest.raises(ConfigError) as caught:
        parse_file(root)
    assert caught.value.message == f"Recursive include file: {root}"
    assert (caught.value.path, caught.value.line) == (str(tmp_path / "a.conf"), 1)


def test_recursion_through_another_spelling_is_caught(tmp_path):
    root = write(tmp_path, {"dovecot.conf": "!include ./dovecot.conf\n"})
    with pytest.raises(ConfigError, match="Recursive include file"):
        parse_file(root)


def test_a_pending_sibling_counts_as_recursion_like_dovecot(tmp_path):
    # Dovecot pushes every glob match at once: a.conf including b.conf finds b.conf
    # on the stack ("Recursive include file", live with doveconf).
    root = write(tmp_path, {"dovecot.conf": "!include r/*.conf\n", "r/a.conf": "!include b.conf\n", "r/b.conf": "k = 1\n"})
    with pytest.raises(ConfigError, match="Recursive include file: .*r/b.conf"):
        parse_file(root)


def test_a_directory_include_reads_nothing(tmp_path):
    root = write(tmp_path, {"dovecot.conf": "!include d\nk = 1\n", "d/x": ""})
    assert values(parse_file(root)) == [((), "k", "1")]


def test_absolute_include_reads_the_repositorys_copy(tmp_path):
    root = write(tmp_path, {
        "etc/dovecot/dovecot.conf": "!include /etc/dovecot/conf.d/*.conf\n!include_try /nonexistent/x.conf\n",
        "etc/dovecot/conf.d/10-a.conf": "k = repo\n",
    })
    root = str(tmp_path / "etc/dovecot/dovecot.conf")
    doc = parse_file(root)
    assert [(e.value, e.file) for e in doc.entries] == [("repo", str(tmp_path / "etc/dovecot/conf.d/10-a.conf"))]
    (redirect,) = doc.meta["include_redirects"]
    assert redirect == {"file": root, "line": 1, "pattern": "/etc/dovecot/conf.d/*.conf",
                        "resolved": str(tmp_path / "etc/dovecot/conf.d/*.conf")}


def test_absolute_include_that_maps_nowhere_is_a_note_and_never_read(tmp_path):
    # issue 14 point 1: an absolute include names a file of the target host, not of this
    # machine; /etc/passwd is not read (doveconf would read it), and the rest is checked
    root = write(tmp_path, {"dovecot.conf": "!include_try /nonexistent/dir/x.conf\n!include /etc/passwd\n"
                                            "!include /etc/dovecot/../../etc/passwd\nk = 1\n"})
    doc = parse_file(root)
    assert values(doc) == [((), "k", "1")] and doc.files == (root,)
    # held-out C5: the !include_try is noted too (doveconf runs without it, but what it may
    # set is unknown), and every one of them is remembered as unread
    assert [(n.line, n.message.split(":")[0]) for n in doc.notes] == [
        (1, "!include_try /nonexistent/dir/x.conf"), (2, "!include /etc/passwd"),
        (3, "!include /etc/dovecot/../../etc/passwd")]
    assert "maps to no folder of the repository" in doc.notes[1].message
    assert "what it may set is unknown" in doc.notes[0].message
    assert [(line, names) for _within, _path, line, names in doc.meta["unread_includes"]] == [
        (1, None), (2, None), (3, None)]


def test_absolute_include_under_etc_dovecot_maps_to_the_root_folder(tmp_path):
    root = write(tmp_path, {"dovecot/dovecot.conf": "!include /etc/dovecot//conf.d/*.conf\n",
                            "dovecot/conf.d/10-a.conf": "k = 1\n"})
    root = str(tmp_path / "dovecot/dovecot.conf")
    doc = parse_file(root)
    assert [(e.value, e.file) for e in doc.entries] == [("1", str(tmp_path / "dovecot/conf.d/10-a.conf"))]
    assert not doc.notes


def test_roots_mapping_maps_other_prefixes(tmp_path):
    from linter import confine

    root = write(tmp_path, {"dovecot.conf": "!include /usr/share/dovecot/protocols.d/*.protocol\n",
                            "vendor/protocols.d/imap.protocol": "k = imap\n"})
    mapping = [("/usr/share/dovecot", str(tmp_path / "vendor"))]
    with confine.confined(confine.for_paths([str(tmp_path)], mapping=mapping)):
        doc = parse_file(root)
    assert [e.value for e in doc.entries] == ["imap"] and not doc.notes


def test_include_outside_the_repository_root_is_a_note_and_not_read(tmp_path):
    from linter import confine

    write(tmp_path, {"repo/dovecot.conf": "!include ../outside/*.conf\n!include link.conf\nk = 1\n",
                     "outside/auth.conf": "secret = 1\n"})
    (tmp_path / "repo" / "link.conf").symlink_to(tmp_path / "outside" / "auth.conf")
    root = str(tmp_path / "repo" / "dovecot.conf")
    with confine.confined(confine.for_paths([str(tmp_path / "repo")])):
        doc = parse_file(root)
    assert values(doc) == [((), "k", "1")] and doc.files == (root,)
    assert [n.line for n in doc.notes] == [1, 2]
    assert all("outside the repository root" in n.message for n in doc.notes)
    assert "a symbolic link to" in doc.notes[1].message


def test_include_fan_out_stops_at_the_bound_with_a_located_error(tmp_path):
    # issue 14 point 3: 48 files, each including the 4 files of the next level, means
    # 4**12 reads; the bound on inclusions per root stops it at once
    from linter.parsers import dovecot_include as dovecot  # where includes are read

    files = {"dovecot.conf": "!include l0/*.conf\n"}
    for level in range(12):
        for i in range(4):
            files[f"l{level}/f{i}.conf"] = f"k{level}{i} = v\n" + (
                f"!include ../l{level + 1}/*.conf\n" if level < 11 else "")
    root = write(tmp_path, files)
    reads = []
    real_read = dovecot.read_text
    dovecot.read_text = lambda path: reads.append(path) or real_read(path)
    try:
        with pytest.raises(ConfigError) as caught:
            parse_file(root)
    finally:
        dovecot.read_text = real_read
    assert len(reads) == dovecot.MAX_INCLUDED_FILES  # bounded work, not 4**12
    assert caught.value.line == 2 and caught.value.path.endswith(".conf")
    assert caught.value.message.startswith(f"include limit: more than {dovecot.MAX_INCLUDED_FILES} files included")


def test_included_bytes_are_bounded_per_root(tmp_path, monkeypatch):
    from linter.parsers import dovecot_include

    monkeypatch.setattr(dovecot_include, "MAX_INCLUDED_BYTES", 1000)
    root = write(tmp_path, {"dovecot.conf": "!include a/*.conf\n", "a/1.conf": "k = " + "x" * 600 + "\n",
                            "a/2.conf": "j = " + "y" * 600 + "\n"})
    with pytest.raises(ConfigError) as caught:
        parse_file(root)
    assert (caught.value.path, caught.value.line) == (root, 1)
    assert caught.value.message.startswith("include limit: more than 1000 bytes included from")


def test_an_absolute_tail_naming_the_root_is_not_a_loop(tmp_path):
    root = write(tmp_path, {"dovecot.conf": "k = 1\n!include_try /overrides/dovecot.conf\n"})
    assert values(parse_file(root)) == [((), "k", "1")]


def test_unreadable_include_is_reported_at_the_include_line(tmp_path):
    root = write(tmp_path, {"dovecot.conf": "\n!include bad.conf\n", "bad.conf": ""})
    (tmp_path / "bad.conf").write_bytes(b"k = \0\n")
    with pytest.raises(ConfigError) as caught:
        parse_file(root)
    assert caught.value.line == 2 and caught.value.message.startswith(f"Couldn't open include file {tmp_path}/bad.conf")


# -- *.conf.ext ----------------------------------------------------------------------


def test_conf_ext_root_keeps_dollar_and_file_values_as_written():
    doc = parse(
        "driver = mysql\npassword_query = SELECT password \\\n  FROM users WHERE user = '%u'\n"
        "default_pass_scheme = $scheme  x\nx = <file\nmap {\n  pattern = priv/quota\n}\n",
        "dovecot-sql.conf.ext",
    )
    assert values(doc) == [
        ((), "driver", "mysql"),
        ((), "password_query", "SELECT password FROM users WHERE user = '%u'"),
        ((), "default_pass_scheme", "$scheme  x"),
        ((), "x", "<file"),
        (("map",), "pattern", "priv/quota"),
    ]


# -- templates ------------------------------------------------------------------------------


def test_template_lines_and_values():
    doc = parse("{% if x %}\nk = {{ value }}\n{% endif %}\nj = plain\n")
    assert [t.span.line for t in doc.templates] == [1, 3]
    assert [(e.name, e.templated) for e in doc.entries] == [("k", True), ("j", False)]


def test_template_control_flow_around_a_header_does_not_fail_the_file():
    doc = parse("{% if imap %}\nprotocol imap {\n{% else %}\nprotocol pop3 {\n{% endif %}\n  k = v\n}\n")
    # The second header cannot nest in the first (protocol under protocol): it is
    # kept as a template line, and the brace closes the first.
    assert values(doc) == [(("protocol imap",), "k", "v")]
    assert [t.span.line for t in doc.templates] == [1, 3, 4, 5]
    assert doc.sections[0].close_span.line == 7


def test_template_lines_that_do_not_parse_are_kept_opaque():
    doc = parse("<% if @x -%>\n<%= @extra_settings %>\nk = v\n<% end -%>\n}\n", "10-auth.conf.erb")
    assert values(doc) == [((), "k", "v")]
    assert [t.span.line for t in doc.templates] == [1, 2, 4, 5]


def test_a_plain_file_does_not_get_template_tolerance():
    with pytest.raises(ConfigError, match="Unexpected"):
        parse("k = v\n}\n")


DOVECOT_ROWS = [row for row in corpus_manifest() if row["kind"] == "dovecot"]


@pytest.mark.parametrize("row", DOVECOT_ROWS, ids=[r["local_path"] for r in DOVECOT_ROWS])
def test_corpus_files_never_crash(row, corpus):
    path = str(corpus / row["local_path"])
    try:
        doc = parse_file(path, "dovecot")
    except ConfigError as e:
        # Only structural errors on untemplated files, or includes of a tree not in the corpus.
        assert row["templated"] == "no" or "No matches" not in e.message
        assert e.message.startswith(("No matches", "Expecting", "Unexpected", "Missing", "Garbage", "Recursive"))
        return
    assert all(isinstance(e, Setting) for e in doc.entries)
    assert doc.files[0] == path
