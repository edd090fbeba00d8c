"""The `policy-lint parse` JSON contract (linter.dump.to_json) for every format."""

from __future__ import annotations

import json

from linter.dump import to_json
from linter.parsers import parse_text
from linter.parsers.postfix_main import parse as parse_main
from linter.parsers.postfix_master import parse as parse_master

MAIN_KEYS = {"name", "value", "line", "end_line"}
MASTER_KEYS = {
    "service",
    "type",
    "private",
    "unprivileged",
    "chroot",
    "wakeup",
    "process_limit",
    "command",
    "args",
    "overrides",
    "line",
    "end_line",
}
DOVECOT_KEYS = {"section", "name", "value", "file", "line"}


def test_main_cf_entries():
    document = parse_main("/etc/postfix/main.cf", "# c\nmyhostname = mx\nmynetworks = 127.0.0.0/8\n  [::1]/128\nrelayhost =\n")
    (file,) = json.loads(to_json([document]))
    assert (file["path"], file["format"]) == ("/etc/postfix/main.cf", "postfix-main")
    assert [{k: e[k] for k in MAIN_KEYS} for e in file["entries"]] == [
        {"name": "myhostname", "value": "mx", "line": 2, "end_line": 2},
        {"name": "mynetworks", "value": "127.0.0.0/8  [::1]/128", "line": 3, "end_line": 4},
        {"name": "relayhost", "value": "", "line": 5, "end_line": 5},
    ]
    assert file["templates"] == [] and file["warnings"] == []


def test_master_cf_entries():
    text = "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n  -o a=1\n  -o { b = x y } -v -o a=2\n"
    (file,) = json.loads(to_json([parse_master("master.cf", text)]))
    assert file["format"] == "postfix-master"
    first, second = file["entries"]
    assert set(first) >= MASTER_KEYS
    assert {k: second[k] for k in MASTER_KEYS} == {
        "service": "submission",
        "type": "inet",
        "private": "n",
        "unprivileged": "-",
        "chroot": "y",
        "wakeup": "-",
        "process_limit": "-",
        "command": "smtpd",
        "args": ["-v"],
        "overrides": {"a": "2", "b": "x y"},  # the last -o wins
        "line": 2,
        "end_line": 4,
    }


def test_dovecot_entries(tmp_path):
    root = tmp_path / "dovecot.conf"
    root.write_text("auth_mechanisms = plain login\nservice auth {\n  unix_listener auth {\n    mode = 0660\n  }\n}\n")
    document = parse_text(str(root), root.read_text(), "dovecot")
    (file,) = json.loads(to_json([document]))
    assert file["format"] == "dovecot"
    entries = [{k: e[k] for k in DOVECOT_KEYS} for e in file["entries"]]
    assert {"section": [], "name": "auth_mechanisms", "value": "plain login", "file": str(root), "line": 1} in entries
    mode = next(e for e in entries if e["name"] == "mode")
    assert mode["value"] == "0660" and mode["line"] == 4 and len(mode["section"]) == 2


def test_templates_and_warnings_are_separate_keys():
    document = parse_main("main.cf.j2", "{% if x %}\nmessage_size_limit = 10 # bytes\n{% endif %}\n")
    (file,) = json.loads(to_json([document]))
    assert [e["name"] for e in file["entries"]] == ["message_size_limit"]
    assert [t["line"] for t in file["templates"]] == [1, 3]
    (warning,) = file["warnings"]
    assert {k: warning[k] for k in ("code", "line", "column", "end_line", "end_column")} == {
        "code": "trailing-comment",
        "line": 2,
        "column": 25,
        "end_line": 2,
        "end_column": 32,
    }


def test_several_files_and_undecodable_bytes():
    text = b"smtpd_banner = caf\xe9\n".decode("utf-8", "surrogateescape")
    output = to_json([parse_main("a/main.cf", text), parse_master("a/master.cf", "")])
    output.encode("utf-8")  # writable as UTF-8: lone surrogates are escaped
    first, second = json.loads(output)
    assert first["entries"][0]["value"].encode("utf-8", "surrogateescape") == b"caf\xe9"
    assert second == {"path": "a/master.cf", "format": "postfix-master", "entries": [], "templates": [], "warnings": []}
    assert json.loads(to_json([])) == []
