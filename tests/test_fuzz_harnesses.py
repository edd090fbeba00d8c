"""The atheris harnesses in fuzz/ run on their seeds without error (so they cannot rot),
and the inputs they found crashing stay fixed.

A harness's ``one_input(data)`` raises for any broken invariant; these tests call it
directly, without atheris' instrumentation (atheris is imported only when a harness is
run as a program), so they run wherever the tests do.
"""

from __future__ import annotations

import importlib

import pytest

HARNESSES = ["fuzz_postfix_main", "fuzz_master", "fuzz_dovecot", "fuzz_policy", "fuzz_expr", "fuzz_include_bounds",
             "fuzz_output"]


def harness(name: str):
    return importlib.import_module(f"fuzz.{name}")


@pytest.mark.parametrize("name", HARNESSES)
def test_harness_runs_on_its_seeds(name):
    module = harness(name)
    seeds = module.seeds()
    assert seeds, f"{name} has no seeds"
    for seed in seeds:
        module.one_input(seed)


@pytest.mark.parametrize("name", HARNESSES)
def test_harness_survives_trivial_inputs(name):
    module = harness(name)
    for data in (b"", b"\0", b"\xff\xfe", b"{" * 200, b"\n" * 50, b"&a [*a, *a]"):
        module.one_input(data)


# -- inputs the fuzzers found ---------------------------------------------------------------


def test_policy_with_nul_and_an_anchor_is_a_policy_error(tmp_path):
    """fuzz_policy: a NUL in a file with '&' escaped the alias-bomb prescan as ruamel's ReaderError."""
    from linter.policy import PolicyError, load_policy

    path = tmp_path / "p.yaml"
    path.write_bytes(b"policy: p\nrules: &a [1]\nx: *a\n\0\n")
    with pytest.raises(PolicyError) as caught:
        load_policy([str(path)], builtin=False)
    assert [p.path for p in caught.value.problems] == [str(path)]
    assert "YAML" in str(caught.value)
    harness("fuzz_policy").one_input(path.read_bytes())


@pytest.mark.parametrize("text", ["&a [*a, *a]\n", "policy: p\nrules: &r\n  - id: X\n    more: *r\n"])
def test_recursive_alias_is_a_located_policy_error(tmp_path, text):
    """A trivial fuzz input: an alias inside the collection it names made the loader recurse forever."""
    from linter.policy import PolicyError, load_policy

    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError) as caught:
        load_policy([str(path)], builtin=False)
    (problem,) = caught.value.problems
    assert problem.line == text.count("\n", 0, text.index("*")) + 1
    assert "recursive" in problem.message


@pytest.mark.parametrize("text, column", [("'éééé' > 01", 10), ("'\ufffd' in x or y > 01", 17), ("'é' > 0x", 8)])
def test_expression_error_column_counts_characters(text, column):
    """fuzz_expr: some tokenizer errors report UTF-8 byte offsets; a column past the text's end came out."""
    from linter.policy.expr import Expr, ExprError

    with pytest.raises(ExprError) as caught:
        Expr.parse(text)
    assert caught.value.column == column
    harness("fuzz_expr").one_input(text.encode())


def _warnings_during(function, *args) -> list[str]:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            function(*args)
        except Exception:
            pass
    return [str(w.message) for w in caught]


def test_expression_compiler_prints_no_python_warning():
    """fuzz_expr: '1if x else 2' made ast.parse print a SyntaxWarning on stderr (nothing below the CLI prints)."""
    from linter.policy.expr import Expr

    assert _warnings_during(Expr.parse, "1if x else 2") == []
    assert _warnings_during(Expr.parse, "0x1for") == []


def test_policy_loader_prints_no_yaml_warning(tmp_path):
    """fuzz_policy: a re-used YAML anchor made ruamel print a ReusedAnchorWarning on stderr."""
    from linter.policy import load_policy

    path = tmp_path / "p.yaml"
    path.write_text("policy: p\na: &a [1]\nb: &a [2]\nrules: []\n")
    assert _warnings_during(load_policy, [str(path)], False) == []


def test_policy_error_line_counts_a_lone_carriage_return_as_a_line_break(tmp_path):
    """fuzz_policy: YAML breaks lines at a lone CR too; the harness counted only LF, so a
    correct "line 7" of an unterminated flow sequence looked out of range."""
    from linter.policy import PolicyError, load_policy

    data = b'policy: p\nrules: [\r"x",\n'
    path = tmp_path / "p.yaml"
    path.write_bytes(data)
    with pytest.raises(PolicyError) as caught:
        load_policy([str(path)], builtin=False)
    assert [p.line for p in caught.value.problems] == [4]  # 'policy', 'rules: [', '"x",', end of stream
    harness("fuzz_policy").one_input(data)


def test_dovecot_include_with_empty_path_parts_stays_under_the_tree(tmp_path):
    """fuzz_dovecot: '//' in an absolute include made a 'local tail' start with '/', so it was
    globbed from the file system's root, and realpath() of /proc/1/cwd raised PermissionError."""
    from linter.parsers import parse_file

    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "a.conf").write_text("k = 1\n")
    root = tmp_path / "dovecot.conf"
    root.write_text("!include_try /etc/dovecot//conf.d//*.conf\n!include_try /nonexistent//x/////*.none\n")
    doc = parse_file(str(root))
    assert [(e.name, e.value) for e in doc.entries] == [("k", "1")]
    assert doc.files == (str(root), str(tmp_path / "conf.d" / "a.conf"))
    harness("fuzz_dovecot").one_input(b"!include_try /usr/x/*.pro/va]]/*/////*\n")


def test_dovecot_include_of_an_unreadable_link_is_located(tmp_path):
    """realpath() of a link the process may not read (/proc/PID/cwd of another user's
    process) raised PermissionError; now the include is read or refused with a message."""
    from linter.model import ConfigError
    from linter.parsers import parse_file

    root = tmp_path / "dovecot.conf"
    root.write_text("!include_try /proc/1/cwd\nk = 1\n")
    try:
        doc = parse_file(str(root))
    except ConfigError as e:
        assert e.line == 1
    else:
        assert [(e.name, e.value) for e in doc.entries] == [("k", "1")]


@pytest.mark.parametrize("text, line, column", [
    ("policy: p\nrules: []\n? [[x]]\n: 1\n", 3, 3),
    ("policy: p\nrules: []\na: &a [[x]]\nd: [?*a]\n", 3, 4),  # the aliased list, where it is written
])
def test_nested_collection_as_a_mapping_key_is_a_located_policy_error(tmp_path, text, line, column):
    """fuzz_policy: ruamel raised a bare TypeError (unhashable CommentedSeq) for such a key."""
    from linter.policy import PolicyError, load_policy

    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError) as caught:
        load_policy([str(path)], builtin=False)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (line, column)
    assert "cannot be a key" in problem.message
    harness("fuzz_policy").one_input(text.encode())


def test_nested_collection_as_a_key_in_the_config_file_is_located(tmp_path):
    from linter.config import ConfigFileError, load_config

    path = tmp_path / ".policy-lint.yaml"
    path.write_text("select: [PF]\n? [[x]]\n: 1\n")
    with pytest.raises(ConfigFileError) as caught:
        load_config(str(path))
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:2:3: invalid YAML: a mapping key holds a nested list or mapping, which cannot be a key"]


def test_locating_an_unhashable_key_prints_no_yaml_warning(tmp_path):
    """The second pass that finds where an unhashable key is must be as quiet as the load."""
    from linter.policy import load_policy

    path = tmp_path / "p.yaml"
    path.write_text("policy: p\nrules: []\na: &a [[x]]\nb: &a [[y]]\nd: [?*a]\n")
    assert _warnings_during(load_policy, [str(path)], False) == []
