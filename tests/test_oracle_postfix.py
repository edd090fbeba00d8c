"""Differential tests: our main.cf / master.cf parsers against postconf 3.7 (the oracle).

How each side is brought to the same form (postconf's output is lossy):

* ``postconf -n`` prints only parameters it considers used, collapses whitespace
  runs (``pcf_print_line()``: separators `` \\t\\r\\n``) and always prints
  ``config_directory``.  We append one line referencing every name as ``$name``
  so that all of them are printed, drop ``config_directory`` and compare values
  with whitespace collapsed the same way; names that cannot be referenced (odd
  characters) are compared through postconf's ``unused parameter: name=value``
  warning, which shows non-printable bytes as ``?`` (``printable()``).
* ``postconf -F`` prints each entry's 8 fields; the command line is re-split
  (``{...}`` groups, which postconf adds around words with blanks) into the ``-o``
  values and the other arguments.  ``postconf -P`` prints each entry's overrides
  sorted by name, the last one winning.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linter.model import ConfigError, decode
from linter.parsers import postfix_main, postfix_master
from tests.conftest import corpus_manifest

SEPARATORS = re.compile(r"[ \t\r\n]+")
REFERENCEABLE = re.compile(r"[A-Za-z0-9_]+")
PROBE = "policy_lint_oracle_probe"
# Generated examples per test (each costs two or three postconf runs); raise it
# locally for a longer differential run.
EXAMPLES = int(os.environ.get("POLICY_LINT_ORACLE_EXAMPLES", "150"))


def collapse(text: str) -> str:
    return " ".join(w for w in SEPARATORS.split(text) if w)


def printable(text: str) -> str:
    """Postfix's printable(): every byte outside printable ASCII shown as '?'."""
    raw = text.encode("utf-8", "surrogateescape")
    return "".join(chr(b) if 0x20 <= b < 0x7F else "?" for b in raw)


def write_config(directory: Path, main_cf: str, master_cf: str) -> None:
    for name, text in (("main.cf", main_cf), ("master.cf", master_cf)):
        path = directory / name
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
        # Postfix sleeps before reading a file changed within the last second
        # ("pausing to let it cool down"); a file from the past is read at once.
        os.utime(path, (time.time() - 60, time.time() - 60))


# Every test here runs against postconf 3.7 (Debian 12, installed) and 3.10 (Debian 13, in
# the root of .ci/trixie-root, through a wrapper that copies the config directory into it).
_WRAPPER = """#!/bin/sh
# postconf 3.10 in ROOT: postconf -c DIR ARGS...
root={root}
[ "$1" = -c ] || exec chroot "$root" postconf "$@"
dir=$2; shift 2
copy=$(mktemp -d "$root/tmp/policy-lint-postconf.XXXXXX") || exit 1
cp -p "$dir"/main.cf "$dir"/master.cf "$copy"/ 2>/dev/null
chroot "$root" postconf -c "${{copy#$root}}" "$@"; status=$?
rm -rf "$copy"
exit $status
"""


@pytest.fixture(scope="session", params=["3.7", "3.10"])
def postconf(request, tmp_path_factory) -> str:
    if request.param == "3.7":
        return request.getfixturevalue("postconf_installed")
    root = request.getfixturevalue("trixie_root")
    wrapper = tmp_path_factory.mktemp("postconf310") / "postconf"
    wrapper.write_text(_WRAPPER.format(root=str(root)), encoding="utf-8")
    wrapper.chmod(0o755)
    return str(wrapper)


def run_postconf(postconf: str, directory: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [postconf, "-c", str(directory), *args], capture_output=True, timeout=30, check=False
    )


# --- main.cf -----------------------------------------------------------------------


def oracle_main(postconf: str, directory: Path, text: str) -> tuple[dict[str, str], dict[str, str]] | str:
    """postconf's view of ``text`` as main.cf: (collapsed values of the names it
    printed, printable() values of the names it warned unused), or its fatal error."""
    names = [m.group(1) for m in re.finditer(r"^([^\s=#]+)\s*=", text, re.M)]
    probe = " ".join(f"${{{n}}}" for n in dict.fromkeys(names) if REFERENCEABLE.fullmatch(n))
    body = text if text.endswith("\n") or not text else text + "\n"
    write_config(directory, body + f"{PROBE} = {probe}\n", "")
    result = run_postconf(postconf, directory, "-n")
    stderr = result.stderr.decode("utf-8", "surrogateescape")
    if result.returncode != 0:
        return stderr
    printed = {}
    for line in result.stdout.decode("utf-8", "surrogateescape").splitlines():
        name, _, value = line.partition(" =")
        printed[name] = value.strip(" ")
    printed.pop("config_directory", None)
    printed.pop(PROBE, None)
    unused = {}
    for match in re.finditer(r"main\.cf: unused parameter: ([^=\n]*)=(.*)", stderr):
        unused[match.group(1)] = match.group(2)
    unused.pop(PROBE, None)
    return printed, unused


def compare_main(postconf: str, directory: Path, text: str, label: str) -> None:
    oracle = oracle_main(postconf, directory, text)
    if isinstance(oracle, str):
        fatal = next(line for line in oracle.splitlines() if "fatal:" in line)
        line = re.search(r"line (\d+): (.*)", fatal)
        if line is None:
            # Not a syntax error: postconf evaluates some values when it starts
            # ("unreasonable macro call nesting" for myhostname = $myhostname).
            assert "macro" in oracle, f"{label}: unexpected postconf failure: {oracle}"
            postfix_main.parse("main.cf", text)
            return
        with pytest.raises(ConfigError) as caught:
            postfix_main.parse("main.cf", text)
        assert caught.value.line == int(line.group(1)), f"{label}: {oracle}"
        assert printable(caught.value.message) == line.group(2).strip(), label
        return
    printed, unused = oracle
    document = postfix_main.parse("main.cf", text)
    last = {a.name: a.value for a in document.entries}
    last.pop("config_directory", None)
    ours_printed = {n: collapse(v) for n, v in last.items() if n in printed}
    ours_unused = {printable(n): printable(v) for n, v in last.items() if n not in printed}
    assert ours_printed == printed, label
    assert ours_unused == unused, label


def corpus_rows(kind: str) -> list[dict[str, str]]:
    return [r for r in corpus_manifest() if r["kind"] == kind]


@pytest.mark.parametrize("row", corpus_rows("postfix-main"), ids=lambda r: r["local_path"])
def test_corpus_main_cf_agrees_with_postconf(row, corpus, postconf, tmp_path):
    text = decode((corpus / row["local_path"]).read_bytes(), row["local_path"])
    if row["templated"] == "yes" and not_postfix_until_rendered(postfix_main, oracle_main, text, postconf, tmp_path):
        return
    compare_main(postconf, tmp_path, text, row["local_path"])


def not_postfix_until_rendered(parser, oracle, text: str, postconf: str, directory: Path) -> bool:
    """For a template: True when the raw text cannot be compared with postconf.

    A template is no Postfix file until rendered, so postconf's verdict on the raw
    text says little; we promise no traceback, and a ConfigError only where
    postconf fails too.  A template without template lines is compared in full,
    unless an entry holds a template item (``PH_MAX_SERVERS`` as maxproc) that we keep
    opaque and postconf rejects as written.
    """
    try:
        document = parser.parse("template", text)
    except ConfigError:
        assert isinstance(oracle(postconf, directory, text), str)
        return True
    if document.templates:
        return True
    return any(getattr(e, "templated", False) for e in document.entries) and \
        isinstance(oracle(postconf, directory, text), str)


# --- master.cf ---------------------------------------------------------------------


def split_output_words(text: str) -> list[str]:
    """Words of a postconf command line, ``{...}`` groups (with blanks inside) unwrapped."""
    words, level, current = [], 0, ""
    for ch in text + " ":
        if ch == " " and level == 0:
            if current:
                words.append(current)
            current = ""
            continue
        level += ch == "{"
        level -= ch == "}" and level > 0
        current += ch
    return [w[1:-1] if w.startswith("{") and w.endswith("}") and re.search(r"[ \t]", w) else w for w in words]


def oracle_master(postconf: str, directory: Path, text: str) -> tuple[list[dict], list[str]] | str:
    write_config(directory, "", text)
    fields = run_postconf(postconf, directory, "-F")
    if fields.returncode != 0:
        return fields.stderr.decode("utf-8", "surrogateescape")
    params = run_postconf(postconf, directory, "-P")
    lines = re.sub(r"\n[ \t]+", " ", fields.stdout.decode("utf-8", "surrogateescape")).splitlines()
    entries: list[dict] = []
    for line in lines:
        key, _, value = line.partition(" = ")
        field = key.rsplit("/", 2)[2]
        if field == "service":
            entries.append({})
        entries[-1][field] = value.strip()
    for entry in entries:
        command, *rest = split_output_words(entry.pop("command"))
        overrides, args, in_options, i = [], [], True, 0
        while i < len(rest):
            word = rest[i]
            if in_options and (not word.startswith("-") or word == "--"):
                in_options = False
            if in_options and word == "-o" and i + 1 < len(rest):
                overrides.append(rest[i + 1])
                i += 2
                continue
            args.append(word)
            i += 1
        entry.update(command=command, args=args, o_values=overrides)
    return entries, params.stdout.decode("utf-8", "surrogateescape").splitlines()


def unbraced_first_argument(args: list[str]) -> list[str]:
    """postconf prints the word that ends the options without the braces it needs
    (pcf_print_master_field(): need_parens is not computed for it), so its blanks
    split it; do the same to ours."""
    for index, arg in enumerate(args):
        if not arg.startswith("-") or arg == "--":
            return args[:index] + (arg.split(" ") if arg else [arg]) + args[index + 1 :]
    return args


def compare_master(postconf: str, directory: Path, text: str, label: str) -> None:
    oracle = oracle_master(postconf, directory, text)
    if isinstance(oracle, str):
        with pytest.raises(ConfigError) as caught:
            postfix_master.parse("master.cf", text)
        expected = re.sub(r"^\S*postconf: fatal: (file \S+: line \d+: )?", "", oracle.strip().splitlines()[-1])
        assert printable(caught.value.message.replace("\n", " ")) == expected, label
        line = re.search(r"line (\d+):", oracle)
        if line:
            assert caught.value.line == int(line.group(1)), label
        return
    entries, params = oracle
    document = postfix_master.parse("master.cf", text)
    assert len(document.entries) == len(entries), label
    expected_params = []
    for service, entry in zip(document.entries, entries):
        ours = {
            "service": service.service,
            "type": service.type,
            "private": service.private,
            "unprivileged": service.unprivileged,
            "chroot": service.chroot,
            "wakeup": service.wakeup,
            "process_limit": service.process_limit,
            "command": service.command,
            "args": [collapse(a) for a in service.args],
        }
        theirs = {k: v for k, v in entry.items() if k != "o_values"}
        ours["args"] = unbraced_first_argument(ours["args"])
        theirs["args"] = [collapse(a) for a in theirs["args"]]
        assert ours == theirs, label
        # Every -o value postconf shows that is name=value is one of our overrides.
        assert [collapse(f"{o.name}={o.value}") for o in service.overrides] == [
            collapse(v) for v in entry["o_values"] if "=" in v and not v.startswith("=")
        ], label
    # postconf -P keeps one parameter table per service/type, created by the first
    # entry with a -o and shared by the duplicate entries after it (the last -o
    # wins); each entry from that one on prints the final table (observed).
    tables: dict[tuple[str, str], dict[str, str]] = {}
    printing = []
    for service in document.entries:
        key = (service.service, service.type)
        if service.overrides:
            tables.setdefault(key, {}).update((o.name, o.value) for o in service.overrides)
        printing.append(key in tables)
    expected_params = [
        f"{service.service}/{service.type}/{name} = {collapse(value)}".rstrip()
        for service, prints in zip(document.entries, printing)
        if prints
        for name, value in sorted(tables[service.service, service.type].items())
    ]
    assert [p.rstrip() for p in params] == expected_params, label


@pytest.mark.parametrize("row", corpus_rows("postfix-master"), ids=lambda r: r["local_path"])
def test_corpus_master_cf_agrees_with_postconf(row, corpus, postconf, tmp_path):
    text = decode((corpus / row["local_path"]).read_bytes(), row["local_path"])
    if row["templated"] == "yes" and not_postfix_until_rendered(postfix_master, oracle_master, text, postconf, tmp_path):
        return
    compare_master(postconf, tmp_path, text, row["local_path"])


# --- generated files ---------------------------------------------------------------

NAMES = st.sampled_from(
    ["myhostname", "smtpd_banner", "message_size_limit", "relayhost", "mynetworks", "foo_bar", "x1", "smtpd_milters"]
)
WORD = st.sampled_from(
    ["a", "b", "$myhostname", "${name?{value}}", "${x:{a b}}", "inet:127.0.0.1:11332", "#c", "x#y", "\\", "é", "=", "{ a b }"]
)
BLANK = st.sampled_from([" ", "  ", "\t", " \t"])
NEWLINE = st.sampled_from(["\n", "\r\n"])


@st.composite
def main_cf_text(draw) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["set", "set", "set", "comment", "blank"]))
        if kind == "comment":
            lines.append(draw(st.sampled_from(["# comment", "  # indented comment", "#"])))
        elif kind == "blank":
            lines.append(draw(st.sampled_from(["", "  ", "\t"])))
        else:
            name = draw(NAMES)
            before = draw(st.sampled_from(["", " ", "\t"]))
            after = draw(st.sampled_from(["", " ", "  "]))
            words = draw(st.lists(WORD, max_size=3))
            lines.append(f"{name}{before}={after}" + " ".join(words) + draw(st.sampled_from(["", " ", "\t"])))
            for _ in range(draw(st.integers(0, 2))):
                if draw(st.booleans()):
                    lines.append(draw(st.sampled_from(["# between", "", "  "])))
                lines.append(draw(BLANK) + " ".join(draw(st.lists(WORD, min_size=1, max_size=3))))
    newline = draw(NEWLINE)
    return newline.join(lines) + draw(st.sampled_from([newline, ""]))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=main_cf_text())
def test_generated_main_cf_agrees_with_postconf(text, postconf, tmp_path):
    compare_main(postconf, tmp_path, text, repr(text))


SERVICE_NAMES = st.sampled_from(["smtp", "submission", "127.0.0.1:10025", "[::1]:25", "relay", "dovecot"])
ARGS = st.sampled_from(
    [
        "-o smtpd_tls_security_level=encrypt",
        "-o { smtpd_banner = hello world }",
        "-o {smtpd_sasl_auth_enable=yes}",
        "-o syslog_name=postfix/$service_name",
        "-o smtpd_client_restrictions=",
        "-o smtpd_relay_restrictions=permit_sasl_authenticated,reject",
        "-v",
        "-D",
        "-ox=1",
        "-vo a=b",
        "-o x = y",
        "flags=DRhu",
        "argv=/usr/bin/deliver",
        "${recipient}",
        "{ a b }",
        "--",
        "#",
    ]
)


@st.composite
def master_cf_text(draw) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.integers(0, 4)) == 0:
            lines.append(draw(st.sampled_from(["# comment", "", "  #x"])))
            continue
        columns = [
            draw(SERVICE_NAMES),
            draw(st.sampled_from(["inet", "unix", "unix-dgram", "fifo", "pass"])),
            draw(st.sampled_from(["y", "n", "-"])),
            draw(st.sampled_from(["y", "n", "-"])),
            draw(st.sampled_from(["y", "n", "-"])),
            draw(st.sampled_from(["-", "0", "60", "300?", "?"])),
            draw(st.sampled_from(["-", "0", "1", "100"])),
            draw(st.sampled_from(["smtpd", "pipe", "qmgr", "lmtp"])),
        ]
        lines.append(draw(BLANK).join(columns) + draw(BLANK) + " ".join(draw(st.lists(ARGS, max_size=3))))
        for _ in range(draw(st.integers(0, 2))):
            if draw(st.booleans()):
                lines.append(draw(st.sampled_from(["# between", "", "\t"])))
            lines.append(draw(BLANK) + " ".join(draw(st.lists(ARGS, min_size=1, max_size=2))))
    newline = draw(NEWLINE)
    return newline.join(lines) + newline


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=master_cf_text())
def test_generated_master_cf_agrees_with_postconf(text, postconf, tmp_path):
    compare_master(postconf, tmp_path, text, repr(text))


# --- traps where postconf and the daemon differ ----------------------------------


def test_compact_override_postconf_splits_at_the_next_o_but_we_read_it_as_the_daemon(postconf, tmp_path):
    text = "smtp inet n - y - - smtpd -osmtpd_tls_auth_only=yes\n"
    entries, params = oracle_master(postconf, tmp_path, text)
    assert params == ["smtp/inet/nly = yes"]  # postconf's misreading
    service = postfix_master.parse("master.cf", text).entries[0]
    assert [(o.name, o.value) for o in service.overrides] == [("smtpd_tls_auth_only", "yes")]


def test_override_with_spaces_is_dropped_like_postconf_drops_it(postconf, tmp_path):
    text = "submission inet n - y - - smtpd -o smtpd_sasl_auth_enable = yes\n"
    compare_master(postconf, tmp_path, text, text)
    document = postfix_master.parse("master.cf", text)
    assert document.entries[0].overrides == ()
    assert [w.code for w in document.warnings] == ["override-spaces"]


@pytest.mark.parametrize(
    "text",
    [
        "foo\n",
        "= x\n",
        "a = 1\nfoo bar = 2\n",
        "a = 1\n\n  continued\nb\n  c\n",
        "  indented = 1\nb = 2\n",
        "a = 1\r\n\r\n  b\r\n",
        "\ufeffmyhostname = a\n",
    ],
)
def test_main_cf_traps_agree_with_postconf(text, postconf, tmp_path):
    compare_main(postconf, tmp_path, text, repr(text))


@pytest.mark.parametrize(
    "text",
    [
        "smtp inet n - y - smtpd\n",
        "smtp tcp n - y - - smtpd\n",
        "smtp inet yes - y - - smtpd\n",
        "smtp inet n - y 1x - smtpd\n",
        "smtp inet n - y -? - smtpd\n",
        "smtp inet n - y - 1? smtpd\n",
        "smtp inet n - y - - smtpd -o { x = y\n",
        "smtp inet n - y - - smtpd -o {x=y}z {a b}c\n",
        "smtp inet n - y - - smtpd\n# c\n\n  -o a=b\nsmtp inet n - y - - smtpd\n",
        "a unix - n n - - pipe flags=R user=v argv=/bin/x {a  b} -- -o x=y\n",
    ],
)
def test_master_cf_traps_agree_with_postconf(text, postconf, tmp_path):
    compare_master(postconf, tmp_path, text, repr(text))
