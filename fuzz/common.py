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
