"""Differential tests: our Dovecot parser against ``doveconf -n`` (Dovecot 2.3.19.1).

``doveconf -n -P -c FILE`` prints the settings that differ from the defaults, sorted,
nested like the config. Every setting it prints must be in our model, in the same
section, with the same value. The corpus files doveconf accepts are compared one by
one; the files it rejects are checked against the reason recorded here, and when the
reason is a syntax error our parser must reject the file with the same message.
Hypothesis then generates trees of files (includes with globs, nested sections,
quotes, comments, continuations, empty values) and compares them the same way.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from linter.model import ConfigError, Document, Setting
from linter.parsers import dovecot as dovecot_parser
from linter.parsers import read_text
from tests.conftest import corpus_manifest

# -- reading doveconf's output -------------------------------------------------------

_HEADER = re.compile(r"^(\S+)(?: (.*))? \{$")
_SETTING = re.compile(r"^(\S*) = (.*)$")


def _as_printed(value: str) -> str:
    """How doveconf prints a stored value: quoted (str_escape(): '"', "'" and '\\') only when it
    holds '#' or outer blanks; any other value as it is, quotes and all.  Comparing in
    this direction keeps ``k = " "`` unambiguous (a stored ``" "`` or a quoted blank)."""
    if "#" in value or value != value.strip(" \t"):
        return '"' + re.sub(r'(["\'\\])', r"\\\1", value) + '"'
    return value


def _unquote_name(name: str) -> str:
    """Section names are quoted when they hold blanks (``namespace "in box"``)."""
    if len(name) >= 2 and name.startswith('"') and name.endswith('"'):
        return re.sub(r"\\(.)", r"\1", name[1:-1])
    return name


def read_doveconf_output(text: str) -> list[tuple[tuple[str, ...], str, str]]:
    """(section path, name, value) for every setting ``doveconf -n`` printed; a path
    part is ``kind`` or ``kind name`` (name unquoted)."""
    found: list[tuple[tuple[str, ...], str, str]] = []
    path: list[str] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.strip() == "}":
            path.pop()
            continue
        body = line[2 * len(path) :]  # two blanks of indentation per level
        header = _HEADER.match(body)
        if header and not _SETTING.match(body):
            kind, name = header.group(1), _unquote_name(header.group(2) or "")
            path.append(f"{kind} {name}" if name else kind)
            continue
        setting = _SETTING.match(body) or re.match(r"^(\S*) =()$", body)
        assert setting, f"unexpected doveconf output line: {line!r}"
        found.append((tuple(path), setting.group(1), setting.group(2)))
    assert not path, "unbalanced doveconf output"
    return found


def run_doveconf(doveconf: str, path: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [doveconf, "-n", "-P", "-c", str(path)], capture_output=True, text=True, timeout=30, check=False
    )


# -- comparing -----------------------------------------------------------------------

_SIZE = {"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_TIME = {"ms": 0.001, "msec": 0.001, "msecs": 0.001, "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
         "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60, "h": 3600, "hour": 3600, "hours": 3600,
         "d": 86400, "day": 86400, "days": 86400, "w": 604800, "week": 604800, "weeks": 604800}


def _number(value: str, units: dict) -> float | None:
    match = re.fullmatch(r"\s*(\d+)\s*([A-Za-z]*)\s*", value)
    if not match:
        return None
    unit = match.group(2)
    factor = units.get(unit) or units.get(unit.lower())
    if factor is None:
        return None if unit else float(match.group(1))
    return int(match.group(1)) * factor


def same_value(name: str, ours: str, printed: str) -> bool:
    """doveconf prints what it stored: sizes as ``1 M``, times as ``1 mins``, octal
    modes as ``0660``; anything else must be equal as text."""
    if _as_printed(ours) == printed:
        return True
    if name == "mode" and ours.isdigit() and printed.isdigit():
        return int(ours, 8 if ours.startswith("0") else 10) == int(printed, 8)
    for units in (_SIZE, _TIME):
        if re.fullmatch(r"\d+ [A-Za-z]+", printed):
            a, b = _number(ours, units), _number(printed, units)
            if a is not None and a == b:
                return True
    return False


def _normal(header: str) -> str:
    kind, _, name = " ".join(header.split()).partition(" ")
    if len(name) >= 2 and name.startswith('"') and name.endswith('"'):
        name = dovecot_parser.unescape(name[1:-1])
    return f"{kind} {name}" if name else kind


def differences(doc: Document, printed: list[tuple[tuple[str, ...], str, str]]) -> list[str]:
    """What doveconf printed that our model lacks or holds with another value."""
    ours: dict[tuple[tuple[str, ...], str], list[Setting]] = {}
    for entry in doc.entries:
        assert isinstance(entry, Setting)
        ours.setdefault((tuple(_normal(h) for h in entry.section), entry.name), []).append(entry)
    problems = []
    for section, name, value in printed:
        found = ours.get((section, name))
        if not found:
            if value == "":
                continue  # section defaults doveconf shows (``namespace { location = }``)
            if not section and name in _COMPUTED:
                continue
            problems.append(f"missing {'/'.join(section + (name,))} = {value!r}")
        elif not any(same_value(name, s.value, value) for s in found):
            problems.append(
                f"{'/'.join(section + (name,))}: doveconf {value!r}, ours {[s.value for s in found]!r}"
            )
        elif not (section and section[-1].split(" ")[0] in _ANONYMOUS) and not same_value(
            name, found[-1].value, value
        ):
            problems.append(f"{'/'.join(section + (name,))}: last is {found[-1].value!r}, doveconf {value!r}")
    return problems


# Defaults computed when the settings are read (the ManageSieve capabilities from the
# installed Sieve extensions): doveconf -n prints them for every file, set or not.
_COMPUTED = {"managesieve_sieve_capability", "managesieve_notify_capability"}

# Sections written without a name may occur many times (each is its own section).
_ANONYMOUS = {"passdb", "userdb", "namespace", "service", "inet_listener", "unix_listener", "fifo_listener",
              "dict", "metric", "event_exporter", "map", "fields", "mailbox", "plugin"}


# -- the corpus ------------------------------------------------------------------------

# Why doveconf 2.3.19.1 rejects a corpus file (substring of its message). A syntax
# error must be ours too (unless the file is templated); the others are setting-level
# checks we leave to lint rules, or environment differences.
REJECTED = {
    "Unknown setting": "setting-level: a name 2.3 does not know (2.4 names, args files, fragments)",
    "Unknown section name": "setting-level: a section 2.3 does not know",
    "Invalid ": "setting-level: a value of the wrong type (template placeholders)",
    "Time interval": "setting-level: a value of the wrong type",
    "Section not allowed here": "setting-level: a fragment meant to be included inside a section",
    "No matches": "include: the file is a fragment of a tree not in the corpus",
    "doesn't exist": "environment: a user or group this machine lacks",
    "Unknown protocol": "environment: a protocol plugin (pigeonhole sieve) not installed",
    "Could not find a minimum ssl_min_protocol": "setting-level: obsolete ssl_protocols value",
    "Expecting '{'": "syntax",
    "Garbage after '{'": "syntax",
    "Unexpected '}'": "syntax",
    "Missing '}'": "syntax",
    "Missing key name": "setting-level: an empty name (accepted inside plugin { })",
}

DOVECOT_ROWS = [row for row in corpus_manifest() if row["kind"] == "dovecot"]


def _first_error(stderr: str) -> str:
    for line in stderr.splitlines():
        if "Warning:" not in line:
            return line
    return ""


@pytest.mark.parametrize("row", DOVECOT_ROWS, ids=[r["local_path"] for r in DOVECOT_ROWS])
def test_corpus_file_agrees_with_doveconf(row, corpus, doveconf):
    path = corpus / row["local_path"]
    result = run_doveconf(doveconf, path)
    templated = row["templated"] == "yes"
    if result.returncode == 0:
        doc = dovecot_parser.parse(str(path), read_text(str(path)))
        assert differences(doc, read_doveconf_output(result.stdout)) == []
        return
    error = _first_error(result.stderr)
    reason = next((REJECTED[key] for key in REJECTED if key in error), None)
    assert reason is not None, f"doveconf rejects {row['local_path']} for a reason not recorded: {error}"
    if reason != "syntax":
        return
    where = re.search(r"configuration file (.+?) line \d+:", error)
    if where and where.group(1) != str(path):
        failing = Path(where.group(1))
        templated = templated or dovecot_parser.has_template_syntax(read_text(str(failing)).splitlines())
    if templated:
        dovecot_parser.parse(str(path), read_text(str(path)))  # tolerated, never a traceback
        return
    with pytest.raises(ConfigError) as caught:
        dovecot_parser.parse(str(path), read_text(str(path)))
    assert caught.value.message in error
    assert f"line {caught.value.line}:" in error or "Missing '}'" in error


def test_most_of_the_corpus_is_compared(corpus, doveconf):
    """The differential test must keep comparing a large part of the corpus."""
    accepted = sum(
        1 for row in DOVECOT_ROWS if run_doveconf(doveconf, corpus / row["local_path"]).returncode == 0
    )
    assert accepted >= 60, f"only {accepted} of {len(DOVECOT_ROWS)} corpus files are accepted by doveconf"


# -- generated trees ---------------------------------------------------------------------

_ERROR = re.compile(r"Error in configuration file (.+?)(?: line (\d+))?: (.*)$")
_WARNING = re.compile(r"Configuration file (.+?) line (\d+): Ambiguous '#'")

# Characters that exercise quoting, comments, escapes and variables.
# ``{#`` / ``{%`` would start a template line (Jinja) and ``{{`` a template expression
# (a file holding one tolerates unbalanced sections), which we handle apart on purpose.
_VALUE_TEXT = st.text(alphabet="ab z'\"#\\$=<{}\t", max_size=12).filter(
    lambda v: "{#" not in v and "{%" not in v and "{{" not in v
)
_PLUGIN_KEYS = ("k1", "k2", "zlib_save", "sieve")


@st.composite
def _value(draw) -> str:
    kind = draw(st.sampled_from(["plain", "plain", "double", "single", "dollar", "file", "empty"]))
    if kind == "empty":
        return ""
    text = draw(_VALUE_TEXT)
    if kind == "double":
        return '"' + text + '"'
    if kind == "single":
        return "'" + text + "'"
    if kind == "dollar":
        return draw(st.sampled_from(["a $x", "$y  b", "x$ z", "a\t$b"]))
    if kind == "file":
        return "<" + draw(st.sampled_from(["", " ", "  "])) + "/etc/x" + text.replace("#", "")
    return text


@st.composite
def _setting_line(draw, keys=_PLUGIN_KEYS) -> str:
    key = draw(st.sampled_from(keys))
    before, after = draw(st.sampled_from([(" = ", ""), ("=", ""), ("\t=\t", " "), (" =", "\t")]))
    value = draw(_value())
    line = f"{key}{before}{value}{after}"
    tail = draw(st.sampled_from(["", "", " # note", "#note"]))
    line += tail
    if draw(st.booleans()) and " " in value and not tail:
        # A continuation: break the value at a blank.
        cut = value.index(" ")
        line = f"{key}{before}{value[:cut]} \\\n   {value[cut + 1:]}"
    return draw(st.sampled_from(["  ", "\t", ""])) + line


@st.composite
def _block(draw, depth: int = 0) -> list[str]:
    """Top-level lines: a plugin section, a filter, a namespace, a service, or a setting."""
    kind = draw(st.sampled_from(["plugin"] * 4 + ["protocol", "namespace", "service", "top", "top", "noise"]))
    if kind == "plugin":
        body = draw(st.lists(_setting_line(), max_size=4))
        return ["plugin {", *body, "}"]
    if kind == "protocol" and depth == 0:
        proto = draw(st.sampled_from(["imap", "pop3", "lmtp"]))
        inner = draw(st.lists(_block(depth=1), max_size=2))
        return [f"protocol {proto} {{", *[line for block in inner for line in block], "}"]
    if kind == "namespace":
        name = draw(st.sampled_from(["inbox", '"in box"', '""', "x"]))
        body = [f"  prefix = {draw(_value())}".rstrip()]
        return [f"namespace {name} {{", *body, "}"]
    if kind == "service":
        name = draw(st.sampled_from(["imap", "auth", "lmtp"]))
        mode = draw(st.sampled_from(["0600", "0660", "660", "0"]))
        return [f"service {name} {{", "  unix_listener sock {", f"    mode = {mode}", "  }", "}"]
    if kind == "noise":
        return [draw(st.sampled_from(["", "# comment", "   ", "  # x = y", "}", "junk", "plugin {x", "= x"]))]
    if kind == "top" or depth:
        key = draw(st.sampled_from(["mail_plugins", "login_greeting", "hostname"]))
        if key == "mail_plugins" and draw(st.booleans()):
            return [f"mail_plugins = $mail_plugins {draw(st.sampled_from(['quota', 'acl', 'zlib  fts']))}"]
        value = draw(st.sampled_from(["a", "b c", '"x # y"', "z"]))
        return [f"{key} = {value}"]
    return []


@st.composite
def _tree(draw) -> dict[str, str]:
    """A root ``dovecot.conf`` and a few included files."""
    files: dict[str, str] = {}
    names = draw(st.lists(st.sampled_from(["10-a.conf", "20-b.conf", "30-c.conf", "a.conf.ext"]),
                          unique=True, min_size=1, max_size=3))
    for name in names:
        lines = [line for block in draw(st.lists(_block(), max_size=3)) for line in block]
        if draw(st.integers(0, 3)) == 0:
            # A nested include, relative to the included file's own directory.
            lines.append(draw(st.sampled_from(["!include sub/*.inc", "!include_try sub/{y,x}.inc"])))
            files["conf.d/sub/x.inc"] = "\n".join(line for block in draw(st.lists(_block(), max_size=2)) for line in block)
        newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
        files["conf.d/" + name] = newline.join(lines)
    blocks = draw(st.lists(_block(), max_size=4))
    include = draw(st.sampled_from(["!include conf.d/*.conf", "!include_try conf.d/*.conf",
                                    "!include conf.d/{30-c,10-a}.conf", "!include_try conf.d/{20-b,nothere}.conf",
                                    "!include conf.d/*.ext", "!include_try   conf.d/*.conf   # all", ""]))
    blocks.insert(draw(st.integers(0, len(blocks))), [include])
    root = [line for block in blocks for line in block]
    if draw(st.booleans()):
        # An include inside a section keeps the section as context.
        files["body.inc"] = "\n".join(draw(st.lists(_setting_line(), min_size=1, max_size=3)))
        root += ["plugin {", "  !include body.inc", "}"]
    end = draw(st.sampled_from(["\n", "\n", "", "\n\n", " \\\n"]))
    files["dovecot.conf"] = "\n".join(root) + end
    return files


def _ours(root: str) -> tuple[Document | None, ConfigError | None]:
    try:
        return dovecot_parser.parse(root, read_text(root)), None
    except ConfigError as e:
        return None, e


def _plugin_values(pairs) -> dict:
    return {(section, name): value for section, name, value in pairs if section and section[-1] == "plugin"}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(tree=_tree())
def test_generated_trees_agree_with_doveconf(tree, tmp_path_factory, doveconf):
    base = tmp_path_factory.mktemp("tree")
    for name, text in tree.items():
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_text(text, encoding="utf-8")
    root = str(base / "dovecot.conf")
    result = run_doveconf(doveconf, root)
    doc, error = _ours(root)
    failure = _first_error(result.stderr) if result.returncode else ""
    fatal = _ERROR.search(failure)
    if fatal is not None and fatal.group(3) == "No matches":
        # doveconf stops at a missing !include; we note it at the same line and read on
        # (issue 10 cause 9), so a later syntax error may still be ours to report
        event("doveconf stops at a missing include; we note it")
        if doc is not None:
            assert [(n.path, n.line) for n in doc.notes if "No matches" in n.message][:1] == \
                [(fatal.group(1), int(fatal.group(2)))]
        return
    structural = fatal is not None and (
        any(key in fatal.group(3) for key, why in REJECTED.items() if why == "syntax")
        or fatal.group(3).startswith(("Recursive include", "protocol must not"))
    )
    if structural:
        event("both reject: " + fatal.group(3).split(" (")[0].split(":")[0])
        assert error is not None, f"doveconf rejects ({failure}), we accept"
        assert error.message == fatal.group(3)
        if fatal.group(2):
            assert (error.path, error.line) == (fatal.group(1), int(fatal.group(2)))
        return
    if result.returncode:
        event("doveconf rejects a value (setting level)")
        return  # a setting-level rejection (a value of the wrong type): nothing to compare
    assert error is None, f"we reject ({error}), doveconf accepts"
    assert not doc.notes, "doveconf reads every include we note as missing"
    printed = read_doveconf_output(result.stdout)
    event("compared")
    assert differences(doc, printed) == []
    # Every plugin setting is printed (plugin has no defaults): the sets must be equal.
    ours = [(tuple(_normal(h) for h in e.section), e.name, _as_printed(e.value)) for e in doc.entries]
    assert _plugin_values(ours) == _plugin_values(printed)
    warned = {(m.group(1), int(m.group(2))) for m in _WARNING.finditer(result.stderr)}
    assert {(w.span.path, w.span.line) for w in doc.warnings if w.code == "ambiguous-hash"} == warned


# -- fixed checks ---------------------------------------------------------------------------

DATA = Path(__file__).parent / "data" / "dovecot"


def test_fixture_tree_agrees_with_doveconf(doveconf):
    root = str(DATA / "tree" / "dovecot.conf")
    result = run_doveconf(doveconf, root)
    assert result.returncode == 0, result.stderr
    printed = read_doveconf_output(result.stdout)
    assert len(printed) >= 10
    assert differences(dovecot_parser.parse(root, read_text(root)), printed) == []


def test_self_reference_defaults_are_doveconfs(doveconf):
    """The built-in defaults used for ``name = $name more`` are 2.3.19.1's."""
    result = subprocess.run([doveconf, "-d", *dovecot_parser.SELF_REFERENCE_DEFAULTS], capture_output=True,
                            text=True, check=True, env={**os.environ, "LC_ALL": "C"})
    printed = dict(line.split(" = ", 1) if " = " in line else (line.rstrip(" ="), "")
                   for line in result.stdout.splitlines())
    assert printed == dovecot_parser.SELF_REFERENCE_DEFAULTS
