"""What every harness (and tests/test_fuzz_*.py) checks, and where the seeds come from.

The invariants, for any input whatsoever:

* a config parser returns a :class:`~linter.model.Document` or raises
  :class:`~linter.model.ConfigError` located inside the input (nothing else);
* every span of a parsed document lies inside the text of its file: line 1..number of
  lines (lines split on ``"\\n"`` only), columns 1..length of that line + 1, start <= end;
* ``policy-lint parse``'s JSON for the document is valid JSON.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from linter.model import DOVECOT, POSTFIX_MAIN, POSTFIX_MASTER, ConfigError, Document, Span, decode

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
FILE_NAMES = {POSTFIX_MAIN: "main.cf", POSTFIX_MASTER: "master.cf", DOVECOT: "dovecot.conf"}


class InvariantError(AssertionError):
    """An invariant the harness checks does not hold (a finding of the fuzzer)."""


def lines_of(text: str) -> list[str]:
    """The lines spans count in: split on ``"\\n"`` only (a ``"\\r"`` is content)."""
    return text.split("\n")


def check_span(span: Span, lines: list[str], what: str) -> None:
    if not 1 <= span.line <= len(lines) or not 1 <= span.end_line <= len(lines):
        raise InvariantError(f"{what}: {span} has a line outside 1..{len(lines)}")
    if not 1 <= span.column <= len(lines[span.line - 1]) + 1:
        raise InvariantError(f"{what}: {span} starts outside line {span.line} ({lines[span.line - 1]!r})")
    if not 1 <= span.end_column <= len(lines[span.end_line - 1]) + 1:
        raise InvariantError(f"{what}: {span} ends outside line {span.end_line} ({lines[span.end_line - 1]!r})")
    if (span.line, span.column) > (span.end_line, span.end_column):
        raise InvariantError(f"{what}: {span} ends before it starts")


def spans_of(document: Document) -> Iterator[tuple[str, Span]]:
    """Every span the document holds, with a label saying what it belongs to."""
    for entry in document.entries:
        yield "entry", entry.span
        for name in ("name_span", "value_span"):
            if hasattr(entry, name):
                yield name, getattr(entry, name)
        for token in getattr(entry, "fields", ()):
            yield "field", token.span
        for override in getattr(entry, "overrides", ()):
            yield "override", override.span
            yield "override name", override.name_span
            yield "override value", override.value_span
    for section in document.sections:
        yield "section", section.span
        if section.close_span is not None:
            yield "section close", section.close_span
    for template in document.templates:
        yield "template", template.span
    for warning in document.warnings:
        yield f"warning {warning.code}", warning.span
    if document.end is not None:
        yield "end", document.end


def check_document(document: Document, text: str) -> None:
    """Spans inside the files; JSON output valid.  ``text`` is the root file's text;
    other files (Dovecot includes) are read from disk."""
    from linter.dump import to_json

    texts = {document.path: lines_of(text)}
    for what, span in spans_of(document):
        if span.path not in texts:
            try:
                texts[span.path] = lines_of(decode(Path(span.path).read_bytes(), span.path))
            except OSError as e:
                raise InvariantError(f"{what}: {span} names a file that cannot be read: {e}") from None
        check_span(span, texts[span.path], what)
    loaded = json.loads(to_json([document]))
    if not isinstance(loaded, list) or len(loaded) != 1:
        raise InvariantError(f"parse JSON is not a one-document array: {loaded!r}")


def check_error(error: ConfigError, path: str, text: str) -> None:
    """A ConfigError about the root file lies inside it (line 0: no line applies)."""
    if error.path != path or error.line == 0:
        return
    lines = lines_of(text)
    if not 1 <= error.line <= len(lines):
        raise InvariantError(f"{error}: line outside 1..{len(lines)}")
    if not 1 <= error.column <= len(lines[error.line - 1]) + 1:
        raise InvariantError(f"{error}: column outside line {error.line} ({lines[error.line - 1]!r})")


def parse_bytes(data: bytes, fmt: str, directory: str | None = None) -> Document | None:
    """Parse ``data`` as ``fmt`` at ``directory/<usual name>``; check every invariant.

    ``directory`` defaults to :func:`dovecot_tree` for Dovecot (includes to find) and to
    a path never read for Postfix (only Dovecot includes touch the disk).
    Returns the document, or None when the parser rejected the input (correctly).
    """
    from linter.parsers import parse_text

    if directory is None:
        directory = dovecot_tree() if fmt == DOVECOT else "/nonexistent/policy-lint-fuzz"
    path = os.path.join(directory, FILE_NAMES[fmt])
    try:
        text = decode(data, path)
    except ConfigError as e:
        check_error(e, path, data.decode("utf-8", "surrogateescape"))
        return None
    try:
        document = parse_text(path, text, fmt)
    except ConfigError as e:
        check_error(e, path, text)
        return None
    check_document(document, text)
    return document


def dovecot_tree() -> str:
    """A scratch directory with files a fuzzed ``!include`` can find (made once per process)."""
    global _TREE
    if _TREE is None:
        _TREE = tempfile.mkdtemp(prefix="policy-lint-fuzz-")
        conf_d = Path(_TREE) / "conf.d"
        conf_d.mkdir()
        (conf_d / "10-a.conf").write_text("auth_mechanisms = plain login\nservice auth {\n  user = x\n}\n")
        (conf_d / "20-b.conf").write_text("protocol imap {\n  mail_plugins = $mail_plugins imap_quota\n}\n")
        (Path(_TREE) / "body.inc").write_text("ssl = yes\n")
    return _TREE


_TREE: str | None = None


# -- seeds ---------------------------------------------------------------------------


def _manifest(kind: str) -> list[Path]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    rows = manifest.read_text(encoding="utf-8").splitlines()
    header = rows[0].split("\t")
    found = []
    for line in rows[1:]:
        row = dict(zip(header, line.split("\t")))
        if row.get("kind") == kind:
            found.append(CORPUS / row["local_path"])
    return found


def config_seeds(fmt: str) -> list[bytes]:
    """Real files of ``fmt``: ``../shared/corpus`` (when present) and ``examples/``."""
    paths = _manifest(fmt)
    examples = ROOT / "examples"
    if fmt == DOVECOT:
        paths += sorted(examples.glob("*/dovecot/**/*.conf"))
    else:
        paths += sorted(examples.glob(f"*/{FILE_NAMES[fmt]}"))
    return [p.read_bytes() for p in paths if p.is_file()]


def policy_seeds() -> list[bytes]:
    paths = sorted((ROOT / "policies").glob("*.yaml")) + sorted((ROOT / "tests" / "policies").rglob("*.yaml"))
    return [p.read_bytes() for p in paths]


def expr_seeds() -> list[bytes]:
    """Every ``expr:`` and ``let`` value of the policies, plus a few edge cases."""
    from ruamel.yaml import YAML

    found: list[str] = ["1 + 2 * 3", "not (a or b)", "words(x)[0]", "size('10M') > 1", "'a' < 1", "1 // 0",
                        "matches(x, r'^(a|b)+$')", "service('chroot') == 'y'", "x if y else z", "-(2 ** 10)"]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("expr", "when") and isinstance(value, str):
                    found.append(value)
                elif key == "let" and isinstance(value, dict):
                    found.extend(v for v in value.values() if isinstance(v, str))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    yaml = YAML(typ="safe")
    for path in sorted((ROOT / "policies").glob("*.yaml")):
        walk(yaml.load(path.read_text(encoding="utf-8")))
    return [text.encode("utf-8") for text in dict.fromkeys(found)]


def run(one_input, seeds: list[bytes], name: str) -> None:
    """Start atheris on ``one_input``; without a corpus directory on the command line,
    the seeds are written to ``fuzz/corpus/<name>/`` and that directory is used."""
    import sys

    import atheris

    args = list(sys.argv)
    if not any(not a.startswith("-") for a in args[1:]):
        corpus = Path(__file__).resolve().parent / "corpus" / name
        corpus.mkdir(parents=True, exist_ok=True)
        for number, seed in enumerate(seeds):
            (corpus / f"seed-{number:04d}").write_bytes(seed)
        args.append(str(corpus))
    # instrument_all() covers the functions loaded so far: load every module under test first
    # (the parsers are imported lazily by parse_text()).
    import linter.dump
    import linter.parsers.dovecot
    import linter.parsers.postfix_main
    import linter.parsers.postfix_master
    import linter.policy.expr
    import linter.policy.loader  # noqa: F401

    atheris.instrument_all()
    atheris.Setup(args, one_input)
    atheris.Fuzz()


# -- bounds on Dovecot includes (issue 14.3) ------------------------------------------


def include_fan_out(data: bytes) -> None:
    """A Dovecot tree with fan-out shaped by ``data``: ``depth`` levels of ``fan_out``
    files, each including every file of the next level (``fan_out ** k`` inclusions at
    level k), parsed under small bounds on inclusions and bytes taken from ``data``.

    Invariants: the parser reads at most the bound of files; when the tree's inclusions
    or bytes exceed a bound it raises a ConfigError saying ``include limit``, located on
    a line of a file of the tree; otherwise the tree parses."""
    data = data + bytes(4 - len(data)) if len(data) < 4 else data
    depth, fan_out = 1 + data[0] % 5, 1 + data[1] % 4
    max_files, max_bytes = 1 + data[2] % 60, 64 + 16 * data[3]
    padding = "".join(chr(b) for b in data[4:200] if 0x20 <= b < 0x7f)  # a comment's worth of ASCII
    directory = Path(tempfile.mkdtemp(prefix="policy-lint-fuzz-bounds-"))
    sizes = []
    for level in range(1, depth + 1):
        text = f"# level {level} {padding}\nmail_plugins_{level} = x\n"
        if level < depth:
            text += f"!include L{level + 1}-*.conf\n"
        sizes.append(len(text))
        for number in range(fan_out):
            (directory / f"L{level}-{number}.conf").write_text(text, encoding="ascii")
    root = directory / "dovecot.conf"
    root_text = "protocols = imap\n!include L1-*.conf\n"
    root.write_text(root_text, encoding="ascii")
    inclusions = sum(fan_out ** level for level in range(1, depth + 1))
    included_bytes = sum(fan_out ** level * sizes[level - 1] for level in range(1, depth + 1))
    try:
        _parse_bounded(directory, root, root_text, max_files, max_bytes,
                       f"depth {depth}, fan-out {fan_out} ({inclusions} inclusions, {included_bytes} bytes), "
                       f"bounds {max_files} files, {max_bytes} bytes", inclusions > max_files or included_bytes > max_bytes)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _parse_bounded(directory: Path, root: Path, root_text: str, max_files: int, max_bytes: int, shape: str,
                   over: bool) -> None:
    import linter.parsers.dovecot_include as dovecot_parser  # where includes are read and bounded
    from linter.parsers import parse_text

    reads: list[str] = []
    real_read = dovecot_parser.read_text

    def counting_read(path: str, *args, **kwargs):
        reads.append(path)
        return real_read(path, *args, **kwargs)

    saved = dovecot_parser.MAX_INCLUDED_FILES, dovecot_parser.MAX_INCLUDED_BYTES
    dovecot_parser.MAX_INCLUDED_FILES, dovecot_parser.MAX_INCLUDED_BYTES = max_files, max_bytes
    dovecot_parser.read_text = counting_read
    try:
        try:
            parse_text(str(root), root_text, DOVECOT)
            error = None
        except ConfigError as e:
            error = e
    finally:
        dovecot_parser.MAX_INCLUDED_FILES, dovecot_parser.MAX_INCLUDED_BYTES = saved
        dovecot_parser.read_text = real_read
    if len(reads) > max_files:
        raise InvariantError(f"{shape}: {len(reads)} files read")
    if error is None and over:
        raise InvariantError(f"{shape}: parsed without an include limit error")
    if error is not None:
        if not over or "include limit" not in error.message:
            raise InvariantError(f"{shape}: unexpected error {error}")
        if not error.path.startswith(str(directory)) or error.line < 1:
            raise InvariantError(f"{shape}: the include limit error is not located in the tree: {error}")
        text = Path(error.path).read_text(encoding="ascii")
        check_error(error, error.path, text)


# -- output escaping (issue 14.5) -----------------------------------------------------

# what a terminal or GitHub's log viewer acts on: C0 but TAB and LF, DEL, C1
_CONTROLS = frozenset([*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)])
_WORKFLOW_COMMAND = re.compile(r"::(error|warning|notice)( [a-zA-Z]+=[^:,\n]*(,[a-zA-Z]+=[^:,\n]*)*)?::[^\n]*")


def output_of(data: bytes) -> dict[str, tuple[str, str]]:
    """``policy-lint check`` on a main.cf made of ``data`` (at most 4 KB, also put in a
    value and in the directory's name) in text and github format: format -> (stdout, stderr).

    Invariants: no control character (C0 but TAB and LF, DEL, C1) reaches either stream;
    in github format every line that starts with ``::`` (after blanks) is one whole
    workflow command of the linter's, so that no text from the input begins a line of
    its own with ``::``."""


    data = data[:4096]
    text = data.decode("utf-8", "surrogateescape")
    name = "".join(ch for ch in text[:40] if ch not in "/\0") or "x"
    base = Path(tempfile.mkdtemp(prefix="policy-lint-fuzz-out-"))
    directory = base / name
    try:
        directory.mkdir()
    except OSError:
        directory = base / "x"
        directory.mkdir()
    flat = text.replace("\n", " ")
    (directory / "main.cf").write_bytes(data + b"\nsmtpd_banner = " + flat.encode("utf-8", "surrogateescape")
                                        + b"\n" + b"\x1b[2J" + data[:64].replace(b"\n", b" ") + b" = 1\n")
    try:
        return _outputs(directory)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _outputs(directory: Path) -> dict[str, tuple[str, str]]:
    import contextlib
    import io

    from linter.cli import main

    results = {}
    for fmt in ("text", "github"):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(["check", "--no-config", "--format", fmt, str(directory / "main.cf")])
        results[fmt] = (out.getvalue(), err.getvalue())
        for stream, written in zip(("stdout", "stderr"), results[fmt]):
            bad = sorted({f"{ord(ch):#04x}" for ch in written if ord(ch) in _CONTROLS})
            if bad:
                raise InvariantError(f"{fmt} {stream}: control characters {', '.join(bad)} written unescaped")
            if fmt == "github":
                for line in written.split("\n"):
                    if line.lstrip().startswith("::") and not _WORKFLOW_COMMAND.fullmatch(line):
                        raise InvariantError(f"github {stream}: a line starts with '::' but is not one of the "
                                             f"linter's workflow commands: {line!r}")
    return results
