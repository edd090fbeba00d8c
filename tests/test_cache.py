"""The compiled-policy cache, the lean warm start-up and the parallel bulk path."""

from __future__ import annotations

import json
import marshal
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import linter.cache as cache
import linter.store as store
from linter import catalog
from linter.cache import load_config_cached, load_policy_cached
from linter.config import load_config
from linter.engine import PARALLEL_MIN_FILES, Report, check
from linter.options import Options
from linter.policy import load_policy
from linter.policy import loader as policy_loader
from linter.policy.stored import policy_to_data

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"

USER_POLICY = (EXAMPLES / "policies" / "local.yaml").read_text(encoding="utf-8")  # one user policy


@pytest.fixture
def cache_dir(tmp_path: Path) -> str:
    return str(tmp_path / "cache")


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts real compilations (calls of the YAML/JSON Schema loader)."""
    calls: list[int] = []
    real = policy_loader.load_policy

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(policy_loader, "load_policy", counting)
    return calls


def _entries(directory: str, kind: str = "policy") -> list[Path]:
    return sorted(Path(directory).glob(f"{kind}-*.bin"))


def _host_files(root: Path) -> list[str]:
    return sorted(str(p) for p in root.rglob("*") if p.is_file() and p.suffix in (".cf", ".conf"))


# -- hits, misses, invalidation ----------------------------------------------------------------


def test_hit_gives_the_same_policy_and_diagnostics_as_a_fresh_compile(cache_dir: str, compiles: list[int]) -> None:
    fresh = load_policy([], builtin=True)
    compiles.clear()
    first = load_policy_cached([], builtin=True, directory=cache_dir)
    assert compiles == [1] and len(_entries(cache_dir)) == 1
    hit = load_policy_cached([], builtin=True, directory=cache_dir)
    assert compiles == [1], "the second load must come from the cache"
    assert policy_to_data(hit) == policy_to_data(fresh) == policy_to_data(first)
    assert [r.id for r in hit.rules] == [r.id for r in fresh.rules]

    files = _host_files(EXAMPLES / "insecure")
    expected = check(files, fresh, Options())
    got = check(files, hit, Options())
    assert expected.diagnostics, "the insecure example must have findings for this test to mean anything"
    assert got.diagnostics == expected.diagnostics
    assert got.errors == expected.errors


def test_a_check_from_the_cache_leaves_the_examples_undecoded(cache_dir: str) -> None:
    """The examples (128 KB of the built-in pack's entry) are a line of their own, decoded
    only when a rule's examples are asked for (policy-lint test, the docs), then all equal
    to a fresh compile's."""
    load_policy_cached([], builtin=True, directory=cache_dir)
    hit = load_policy_cached([], builtin=True, directory=cache_dir)
    check(_host_files(EXAMPLES / "insecure"), hit, Options())
    assert not any(type(rule._examples) is tuple for rule in hit.rules)
    fresh = load_policy([], builtin=True)
    assert [rule.examples for rule in hit.rules] == [rule.examples for rule in fresh.rules]
    assert all(type(rule._examples) is tuple for rule in hit.rules)


def test_changed_policy_file_invalidates(tmp_path: Path, cache_dir: str, compiles: list[int]) -> None:
    policy_file = tmp_path / "local.yaml"
    policy_file.write_text(USER_POLICY, encoding="utf-8")
    first = load_policy_cached([str(policy_file)], builtin=False, directory=cache_dir)
    assert first.rule("LC001").severity.name == "WARNING"
    policy_file.write_text(USER_POLICY.replace("severity: warning", "severity: error"), encoding="utf-8")
    second = load_policy_cached([str(policy_file)], builtin=False, directory=cache_dir)
    assert second.rule("LC001").severity.name == "ERROR"
    assert len(compiles) == 2 and len(_entries(cache_dir)) == 2
    # the built-in pack is part of the key too: with it, another entry
    both = load_policy_cached([str(policy_file)], builtin=True, directory=cache_dir)
    assert both.rule("LC001") is not None and len(both.rules) > 1 and len(compiles) == 3


def test_a_policy_error_is_raised_every_time_and_never_cached(tmp_path: Path, cache_dir: str) -> None:
    policy_file = tmp_path / "bad.yaml"
    policy_file.write_text(USER_POLICY.replace("kind: value", "kind: valeu"), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(policy_loader.PolicyError) as info:
            load_policy_cached([str(policy_file)], builtin=False, directory=cache_dir)
        assert "valeu" in str(info.value)
    assert _entries(cache_dir) == []


def test_changed_version_invalidates(monkeypatch: pytest.MonkeyPatch, cache_dir: str, compiles: list[int]) -> None:
    load_policy_cached([], builtin=True, directory=cache_dir)
    load_policy_cached([], builtin=True, directory=cache_dir)
    assert compiles == [1]
    monkeypatch.setattr(cache, "__version__", "999.0.0")
    load_policy_cached([], builtin=True, directory=cache_dir)
    assert compiles == [1, 1] and len(_entries(cache_dir)) == 2


def test_changed_package_source_invalidates(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cache_dir: str,
                                            compiles: list[int]) -> None:
    load_policy_cached([], builtin=True, directory=cache_dir)
    # a package whose catalogue data differs: a copy of the policy-relevant files, one changed
    package = tmp_path / "package"
    for name in cache._POLICY_SOURCES:
        target = package / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(cache._PACKAGE) / name, target)
    with open(package / "data" / "postfix-3.7.json", "a", encoding="utf-8") as f:
        f.write("\n")
    monkeypatch.setattr(cache, "_PACKAGE", str(package))
    load_policy_cached([], builtin=True, directory=cache_dir)
    assert compiles == [1, 1]


def test_edited_built_in_pack_invalidates(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cache_dir: str,
                                          compiles: list[int]) -> None:
    """The built-in pack's files are keyed like the package's sources (name, size, inode,
    modification time), not read on a hit: an edit is still a new entry, with the edit in it."""
    pack = tmp_path / "policies"
    shutil.copytree(policy_loader.builtin_pack_dir(), pack)
    monkeypatch.setattr(policy_loader, "builtin_pack_dir", lambda: str(pack))
    before = load_policy_cached([], builtin=True, directory=cache_dir)
    assert load_policy_cached([], builtin=True, directory=cache_dir).rules == before.rules and compiles == [1]
    tls = pack / "postfix-tls.yaml"
    text = tls.read_text(encoding="utf-8")
    rule = before.rules[[r.source.path for r in before.rules].index(str(tls))]
    tls.write_text(text.replace(f"name: {rule.name}\n", f"name: {rule.name}-edited\n", 1), encoding="utf-8")
    after = load_policy_cached([], builtin=True, directory=cache_dir)
    assert compiles == [1, 1] and len(_entries(cache_dir)) == 2
    assert f"{rule.name}-edited" in [r.name for r in after.rules]


def _split(entry: Path) -> tuple[dict, list]:
    """An entry's header and its parts, decoded (a policy's: its data, its examples)."""
    header, _, payload = entry.read_bytes().partition(b"\n")
    magic, tag, kind, key, length, digest = header.decode("ascii").split(" ")
    data, rest = payload[:int(length)], payload[int(length):]
    return ({"magic": magic, "format": int(tag.split(".")[0]), "tag": tag, "kind": kind, "key": key,
             "digest": digest}, [marshal.loads(part) for part in (data, rest) if part])


def _join(header: dict, parts: list, digest: bool = True) -> bytes:
    """An entry holding ``parts``; ``digest``: with the header's digest made to match them."""
    blobs = [marshal.dumps(part) for part in parts]
    body = b"".join(blobs)
    if digest:
        header = {**header, "digest": cache._hash(body).hexdigest()}
    fields = (header["magic"], header["tag"], header["kind"], header["key"], str(len(blobs[0])), header["digest"])
    return " ".join(fields).encode("ascii") + b"\n" + body


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "wrong-shape", "short-rule", "short-check",
                                    "wrong-key", "not-utf8", "edited"])
def test_damaged_entry_falls_back_and_is_rewritten(damage: str, cache_dir: str, compiles: list[int]) -> None:
    good = load_policy_cached([], builtin=True, directory=cache_dir)
    [entry] = _entries(cache_dir)
    original = entry.read_bytes()
    if damage == "truncated":
        entry.write_bytes(original[: len(original) // 2])
    elif damage == "garbage":
        entry.write_bytes(b"\x00\x13garbage{[" * 50)
    elif damage == "empty":
        entry.write_bytes(b"")
    elif damage == "wrong-shape":  # a valid entry, right key and digest, data that is not a policy
        header, [_, examples] = _split(entry)
        entry.write_bytes(_join(header, [{"packs": [], "rules": [{"id": "X"}]}, examples]))
    elif damage in ("short-rule", "short-check"):  # policy rows, one of a record's fields missing
        header, [(packs, rules), examples] = _split(entry)
        first = rules[0][:-1] if damage == "short-rule" else (*rules[0][:5], rules[0][5][:-1], *rules[0][6:])
        entry.write_bytes(_join(header, [(packs, (first, *rules[1:])), examples]))
    elif damage == "wrong-key":
        header, lines = _split(entry)
        entry.write_bytes(_join({**header, "key": "0" * 64}, lines))
    elif damage == "edited":  # a rule's example changed, the digest not: what was compiled is not what is read
        header, [data, examples] = _split(entry)
        examples[0][0]["name"] = "edited"  # the first rule's first example
        entry.write_bytes(_join(header, [data, examples], digest=False))
    else:
        entry.write_bytes(b'{"format": 1, "key": "\xff\xfe"}')
    again = load_policy_cached([], builtin=True, directory=cache_dir)
    assert policy_to_data(again) == policy_to_data(good)
    assert compiles == [1, 1], "a damaged entry is compiled afresh"
    assert entry.read_bytes() == original, "and rewritten"
    load_policy_cached([], builtin=True, directory=cache_dir)
    assert compiles == [1, 1]


def test_entries_give_back_exactly_the_values_written(tmp_path: Path) -> None:
    """Equal strings and tuples are written once (marshal refers back to them), but only
    values of the same types are one: 1, 1.0 and True stay apart, and a tuple holding a
    list is never shared."""
    value = [(1,), (1.0,), (True,), ("a", 1), ("a", True), ("a", 1), "x", "x", -0.0, 0.0, ([1],), ([1],),
             {"k": ("a", (1, None)), "j": ("a", (1, None))}, (), b"raw", ((1,),), ((True,),), (-0.0,), (0.0,)]
    assert store.write_entry(str(tmp_path), "data", "k" * 64, value, {"second": ("a", 1)})
    data, second = store.read_entry(str(tmp_path), "data", "k" * 64)
    assert data == value and store.decode(second) == {"second": ("a", 1)}
    assert [type(v[-1]) for v in data[:5]] == [int, float, bool, int, bool]
    assert repr(data[8]) == "-0.0" and repr(data[9]) == "0.0"
    assert data[10][0] is not data[11][0], "a list is never shared"
    assert [repr(v) for v in data[15:]] == ["((1,),)", "((True,),)", "(-0.0,)", "(0.0,)"], "nor equal values of other types"
    assert data[12]["k"] is data[12]["j"] and data[3] is data[5], "equal tuples of the same types are one"
    data[10][0].append(2)
    assert data[11] == ([1],)


def test_unwritable_cache_directory_still_loads(tmp_path: Path, compiles: list[int]) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be", encoding="utf-8")
    policy = load_policy_cached([], builtin=True, directory=str(blocker / "cache"))
    assert policy.rules and compiles == [1]


def test_cache_directory_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("POLICY_LINT_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert store.cache_dir() == str(tmp_path / "explicit")
    monkeypatch.delenv("POLICY_LINT_CACHE_DIR")
    assert store.cache_dir() == str(tmp_path / "xdg" / "policy-lint")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert store.cache_dir() == str(tmp_path / "home" / ".cache" / "policy-lint")


def _load_in_child(args: tuple[str, str]) -> int:
    directory, _ = args
    return len(load_policy_cached([], builtin=True, directory=directory).rules)


def test_concurrent_runs_share_one_directory(cache_dir: str) -> None:
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(4) as pool:
        counts = pool.map(_load_in_child, [(cache_dir, str(i)) for i in range(4)])
    assert len(set(counts)) == 1 and counts[0] > 0
    [entry] = _entries(cache_dir)
    assert _split(entry)[0]["format"] == cache.CACHE_FORMAT
    assert not [p for p in Path(cache_dir).iterdir() if p.suffix == ".tmp"], "no temporary file is left behind"


def test_config_file_cache_round_trips(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: str) -> None:
    config_file = tmp_path / ".policy-lint.yaml"
    config_file.write_text("select: [PF1, DC2]\nignore: [PF105]\nseverity:\n  PF101: error\n"
                           "params:\n  PF102:\n    limit: 5\nfail-on: warning\nexclude: ['old/*']\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    fresh = load_config(".policy-lint.yaml")
    first = load_config_cached(".policy-lint.yaml", directory=cache_dir)
    hit = load_config_cached(".policy-lint.yaml", directory=cache_dir)
    assert first == hit == fresh and hit.positions == fresh.positions
    assert len(_entries(cache_dir, "config")) == 1
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")  # paths are rebased onto the current directory: another key
    load_config_cached("../.policy-lint.yaml", directory=cache_dir)
    assert len(_entries(cache_dir, "config")) == 2



def test_a_nested_config_is_cached_as_the_top_one_is(tmp_path: Path) -> None:
    # a directory with its own .policy-lint.yaml: read through the cache like the top config,
    # so a warm run of both directories reads no YAML (ruamel.yaml, the key readers) at all
    (tmp_path / ".git").mkdir()
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        shutil.copy(EXAMPLES / "hardened" / "main.cf", tmp_path / name / "main.cf")
    (tmp_path / ".policy-lint.yaml").write_text("ignore: [PF106]\n", encoding="utf-8")  # the run's own
    (tmp_path / "b" / ".policy-lint.yaml").write_text("ignore: [PF105]\n", encoding="utf-8")  # b's files
    env = dict(os.environ, POLICY_LINT_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("GITHUB_ACTIONS", None)
    probe = ("import sys\nfrom linter.cli import main\nstatus = main(sys.argv[1:])\nsys.stdout.flush()\n"
             "sys.stderr.write(f'status={status} ruamel=' + str(any(m.startswith('ruamel') for m in sys.modules)))\n")
    runs = [subprocess.run([sys.executable, "-c", probe, "check", "a", "b"], capture_output=True, text=True,
                           env=env, cwd=tmp_path, timeout=120) for _ in range(2)]
    assert runs[0].stdout == runs[1].stdout
    assert runs[0].stderr.endswith("ruamel=True"), runs[0].stderr  # the cold run reads the YAML
    assert runs[1].stderr.endswith("ruamel=False"), runs[1].stderr
    assert len(_entries(str(tmp_path / "cache"), "config")) == 2


def test_config_under_an_undecodable_directory_name_is_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              cache_dir: str) -> None:
    directory = os.fsdecode(os.path.join(os.fsencode(tmp_path), b"site\xff"))  # a lone surrogate in the path
    os.mkdir(directory)
    with open(os.path.join(directory, ".policy-lint.yaml"), "w", encoding="utf-8") as f:
        f.write("select: [PF1]\n")
    monkeypatch.chdir(tmp_path)
    path = os.path.join(os.path.basename(directory), ".policy-lint.yaml")
    first = load_config_cached(path, directory=cache_dir)
    hit = load_config_cached(path, directory=cache_dir)
    assert first == hit == load_config(path) and hit.path == path
    assert len(_entries(cache_dir, "config")) == 1
    assert not [p for p in Path(cache_dir).iterdir() if p.suffix == ".tmp"], "no temporary file is left behind"

# -- the warm start-up path ----------------------------------------------------------------------

_MODULES_AFTER_CHECK = (
    "import sys\n"
    "from linter.cli import main\n"
    "status = main(sys.argv[1:])\n"
    "heavy = sorted(m for m in ('ruamel.yaml', 'jsonschema', 'difflib') if m in sys.modules)\n"
    "print('HEAVY=' + ','.join(heavy))\n"
    "sys.exit(status)\n"
)


def _run_driver(cache: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "POLICY_LINT_CACHE_DIR": cache}
    return subprocess.run([sys.executable, "-c", _MODULES_AFTER_CHECK, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def _heavy(done: subprocess.CompletedProcess) -> list[str]:
    line = next(line for line in done.stdout.splitlines() if line.startswith("HEAVY="))
    return [m for m in line[len("HEAVY="):].split(",") if m]


def test_warm_run_imports_neither_yaml_nor_jsonschema(cache_dir: str, tmp_path: Path) -> None:
    policy_file = tmp_path / "local.yaml"
    policy_file.write_text(USER_POLICY, encoding="utf-8")
    args = ("check", "examples/insecure", "--policy", str(policy_file))
    cold = _run_driver(cache_dir, *args)
    assert cold.returncode == 1, cold.stderr
    # a user policy is compiled from YAML: the probe can see the heavy modules
    assert "ruamel.yaml" in _heavy(cold) and "jsonschema" in _heavy(cold)
    warm = _run_driver(cache_dir, *args)
    assert warm.returncode == 1, warm.stderr
    assert "ruamel.yaml" not in _heavy(warm) and "jsonschema" not in _heavy(warm)
    assert [line for line in warm.stdout.splitlines() if not line.startswith("HEAVY=")] == \
        [line for line in cold.stdout.splitlines() if not line.startswith("HEAVY=")]


def test_cold_builtin_only_run_loads_the_precompiled_pack(cache_dir: str) -> None:
    """No user policy: even with an empty cache, the shipped compile of the pack is read."""
    cold = _run_driver(cache_dir, "check", "examples/insecure")
    assert cold.returncode == 1, cold.stderr
    assert "ruamel.yaml" not in _heavy(cold) and "jsonschema" not in _heavy(cold)
    fresh = _run_driver(cache_dir, "check", "examples/insecure", "--no-cache")
    assert [line for line in cold.stdout.splitlines() if not line.startswith("HEAVY=")] == \
        [line for line in fresh.stdout.splitlines() if not line.startswith("HEAVY=")]


def test_warm_clean_run_does_not_import_difflib(cache_dir: str) -> None:
    """difflib is for did-you-mean hints; a host without misspelt names never needs it."""
    _run_driver(cache_dir, "check", "examples/hardened")
    warm = _run_driver(cache_dir, "check", "examples/hardened")
    assert warm.returncode == 0, warm.stderr
    assert _heavy(warm) == []


def test_no_cache_flag_compiles_and_writes_nothing(cache_dir: str, tmp_path: Path) -> None:
    policy_file = tmp_path / "local.yaml"
    policy_file.write_text(USER_POLICY, encoding="utf-8")
    done = _run_driver(cache_dir, "check", "examples/hardened", "--no-cache", "--policy", str(policy_file))
    assert done.returncode == 0, done.stderr
    assert "ruamel.yaml" in _heavy(done)
    assert not os.path.exists(cache_dir) or not _entries(cache_dir)


# -- the parallel bulk path ------------------------------------------------------------------------


def _bulk_tree(root: Path, hosts: int, corpus: Path | None = None) -> list[str]:
    """Host directories made from the examples (and the corpus when given), plus broken files."""
    sources = [EXAMPLES / "insecure", EXAMPLES / "hardened"]
    corpus_files: list[Path] = []
    if corpus is not None:
        from tests.conftest import corpus_manifest

        corpus_files = [corpus / row["local_path"] for row in corpus_manifest()
                        if row["kind"] in ("postfix-main", "postfix-master") and row["templated"] == "no"]
    for i in range(hosts):
        host = root / f"host{i:03d}"
        shutil.copytree(sources[i % 2], host, ignore=shutil.ignore_patterns(".policy-lint.yaml"))
        if corpus_files:
            source = corpus_files[i % len(corpus_files)]
            name = "master.cf" if "master" in source.name or i % 2 else "main.cf"
            shutil.copyfile(source, host / name)
        if i % 17 == 5:  # a file the parser rejects: an error in the report, not a crash
            (host / "dovecot" / "dovecot.conf").write_text("service {\n",  # Missing '}'
                                                          encoding="utf-8")
        if i % 13 == 3:  # an include kept out of the repository: a note, and the rest is checked
            (host / "dovecot" / "dovecot.conf").write_text("!include auth-sql.conf.ext\nprotocols = imap\n",
                                                          encoding="utf-8")
    return _host_files(root)


@pytest.mark.parametrize("use_corpus", [False, True])
def test_parallel_results_equal_serial_results(tmp_path: Path, request: pytest.FixtureRequest,
                                               use_corpus: bool) -> None:
    corpus = request.getfixturevalue("corpus") if use_corpus else None
    files = _bulk_tree(tmp_path / "tree", 40, corpus)
    policy = load_policy([], builtin=True)
    serial = check(files, policy, Options(), jobs=1)
    parallel = check(files, policy, Options(), jobs=2)
    assert serial.diagnostics and serial.errors and serial.notes, \
        "the tree must have findings, errors and notes for this test to mean anything"
    assert parallel.diagnostics == serial.diagnostics
    assert [str(n) for n in parallel.notes] == [str(n) for n in serial.notes]
    assert [str(e) for e in parallel.errors] == [str(e) for e in serial.errors]
    assert parallel.files == serial.files
    # and a second parallel run is identical (the merge does not depend on finishing order)
    assert check(files, policy, Options(), jobs=2).diagnostics == parallel.diagnostics


def _shown(report: Report) -> tuple:
    """What a report shows (errors and notes compare by their text)."""
    return (report.diagnostics, [str(e) for e in report.errors], [str(n) for n in report.notes], report.files,
            report.comments)


def _hand_overs(monkeypatch: pytest.MonkeyPatch, progress) -> list[int]:
    """What ``progress()`` said each time a chunk of hosts was handed to the pool."""
    import linter.parallel as parallel

    handed: list[int] = []
    real_hand_over = parallel._hand_over

    def spy(pool, chunk):
        handed.append(progress())
        return real_hand_over(pool, chunk)

    monkeypatch.setattr(parallel, "_hand_over", spy)
    return handed


def test_workers_start_while_hosts_are_still_grouped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool gets its first chunk of hosts when only that chunk is grouped, not after
    the whole tree is (counted, not timed), and the report is the serial run's."""
    import linter.engine as engine

    files = _bulk_tree(tmp_path / "tree", 40)  # conf.d files in every host: each waits for its own
    grouped = 0
    real_grouped = engine.hosts_as_grouped

    def counting(*args):
        nonlocal grouped
        for host in real_grouped(*args):
            grouped += 1
            yield host

    monkeypatch.setattr(engine, "hosts_as_grouped", counting)
    handed = _hand_overs(monkeypatch, lambda: grouped)  # hosts grouped when each chunk was handed over
    policy = load_policy([], builtin=True)
    report = check(files, policy, Options(), jobs=2)
    assert grouped == 40
    assert handed == list(range(4, 41, 4)), "a chunk of 4 hosts goes as soon as it is grouped"
    assert report.diagnostics and _shown(report) == _shown(check(files, policy, Options(), jobs=1))


def test_a_host_goes_to_a_worker_only_when_no_later_file_joins_it(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Files of one host passed far apart (host000's Dovecot conf.d files last, host002's
    master.cf last, host004's main.cf again under another spelling): each host is checked
    whole, as serially, with the findings of every file that joined it."""
    import pickle

    import linter.parallel as parallel

    real_hand_over = parallel._hand_over
    # the chunk as it is when handed over (the pool pickles it a moment later, in a thread)
    monkeypatch.setattr(parallel, "_hand_over", lambda pool, chunk: real_hand_over(pool, pickle.loads(pickle.dumps(chunk))))
    files = _bulk_tree(tmp_path / "tree", 30)
    tree = str(tmp_path / "tree")
    late = [f for f in files if f.startswith(os.path.join(tree, "host000", "dovecot", "conf.d", ""))]
    late.append(os.path.join(tree, "host002", "master.cf"))
    assert len(late) == 3 and all(f in files for f in late)
    ordered = [f for f in files if f not in late] + late + [os.path.join(tree, "host000", "..", "host004", "main.cf")]
    policy = load_policy([], builtin=True)
    parallel = check(ordered, policy, Options(), jobs=2)
    serial = check(ordered, policy, Options(), jobs=1)
    assert _shown(parallel) == _shown(serial)
    shown = {p for d in serial.diagnostics for p in (d.span.path, *(r.path for r in d.related))}
    assert set(late) <= shown, "the late files' findings are in the report"


def test_hosts_paired_by_the_configuration_go_once_all_are_grouped(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``hosts:`` entries (a main.cf paired with another directory's master.cf) and
    ``roles:`` globs, any file may join any host: the pool gets the hosts once every file
    is grouped, and the report is the serial run's."""
    import linter.hosts as hosts_module
    from linter.options import Host

    files = _bulk_tree(tmp_path / "tree", 24)
    tree = str(tmp_path / "tree")
    hosts = (Host(main=os.path.join(tree, "host000", "main.cf"), master=os.path.join(tree, "host023", "master.cf"),
                  roles=("relay",)),)
    options = Options(hosts=hosts, roles=((os.path.join(tree, "host01*"), ("mx",)),))
    paired = 0  # files grouped by their directories so far (each looks for its counterparts)
    real_pair = hosts_module._postfix_pair

    def counting(*args):
        nonlocal paired
        paired += 1
        return real_pair(*args)

    monkeypatch.setattr(hosts_module, "_postfix_pair", counting)
    handed = _hand_overs(monkeypatch, lambda: paired)
    policy = load_policy([], builtin=True)
    report = check(files, policy, options, jobs=2)
    assert len(handed) > 1 and handed[0] == paired, "no host goes before the last file is grouped"
    assert _shown(report) == _shown(check(files, policy, options, jobs=1))


def test_automatic_parallelism_needs_enough_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import linter.parallel as parallel

    used: list[int] = []
    real = parallel.check_parallel

    def spy(config, groups, workers, *rest):
        used.append(workers)
        return real(config, groups, workers, *rest)

    monkeypatch.setattr(parallel, "check_parallel", spy)
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    policy = load_policy([], builtin=True)
    few = _host_files(EXAMPLES / "insecure")
    check(few, policy, Options())
    assert used == [], "a handful of files is checked in-process"
    files = _bulk_tree(tmp_path / "tree", PARALLEL_MIN_FILES // 5 + 1)
    assert len(files) >= PARALLEL_MIN_FILES
    report = check(files, policy, Options())
    assert used == [2] and report.diagnostics


def test_a_command_resolves_each_path_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """Discovery, the confinement, grouping and the reader share the command's resolved
    real paths: no path is looked up as a possible link twice (counted), whatever the
    number of workers, and the report is the same."""
    from collections import Counter

    from linter import cli

    _bulk_tree(tmp_path / "tree", 12)
    (tmp_path / "tree" / "host001" / "dovecot" / "local.conf").symlink_to(tmp_path / "tree" / "host000" / "main.cf")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".policy-lint.yaml").write_text("{}\n", encoding="utf-8")
    real_islink = os.path.islink
    outputs = []
    for jobs in ("1", "2"):
        asked: Counter = Counter()

        def counting(path, asked=asked):
            asked[path] += 1
            return real_islink(path)

        monkeypatch.setattr(os.path, "islink", counting)
        status = cli.main(["check", "--format", "json", "--jobs", jobs, "tree"])
        outputs.append((status, capsys.readouterr()))
        monkeypatch.setattr(os.path, "islink", real_islink)
        ours = Counter({path: n for path, n in asked.items() if path.startswith("tree")})  # the tree's
        # every directory of the 12 hosts (a walked file's directory entry says whether it is a link)
        assert len(ours) >= 36 and max(ours.values()) == 1, ours.most_common(3)
    assert outputs[0] == outputs[1] and outputs[0][0] == 2  # findings, and a file that does not parse


def test_package_json_is_kept_decoded_and_an_edit_is_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          cache_dir: str) -> None:
    """A catalogue is decoded from JSON once, then read from the cache; a changed file is a
    new entry (and what the check sees); with --no-cache nothing is written."""
    data = tmp_path / "catalogue.json"
    data.write_text('{"version": "1", "params": {"a": {"type": "int"}}}', encoding="utf-8")
    monkeypatch.setenv("POLICY_LINT_CACHE_DIR", cache_dir)
    decodes = []
    real = store._read_json
    monkeypatch.setattr(store, "_read_json", lambda path: decodes.append(path) or real(path))
    first = store.load_package_json(str(data))
    assert store.load_package_json(str(data)) == first == {"version": "1", "params": {"a": {"type": "int"}}}
    assert len(decodes) == 1 and len(_entries(cache_dir, "data")) == 1
    data.write_text('{"version": "2", "params": {}}', encoding="utf-8")
    assert store.load_package_json(str(data))["version"] == "2" and len(_entries(cache_dir, "data")) == 2
    monkeypatch.setattr(store, "ENABLED", False)
    data.write_text('{"version": "3", "params": {}}', encoding="utf-8")
    assert store.load_package_json(str(data))["version"] == "3" and len(_entries(cache_dir, "data")) == 2


def _forget_catalogues() -> None:
    """The catalogue module's memos cleared: its next answers are a new process's."""
    for value in vars(catalog).values():
        if hasattr(value, "cache_clear"):
            value.cache_clear()


@pytest.fixture
def catalogue_decodes(monkeypatch: pytest.MonkeyPatch, cache_dir: str) -> Iterator[list[str]]:
    """The catalogues as a new process reads them, cached in ``cache_dir``; the list names
    each JSON file decoded (a cache miss)."""
    monkeypatch.setenv("POLICY_LINT_CACHE_DIR", cache_dir)
    decodes: list[str] = []
    real = store._read_json
    monkeypatch.setattr(store, "_read_json", lambda path: decodes.append(os.path.basename(path)) or real(path))
    _forget_catalogues()
    yield decodes
    _forget_catalogues()


def _postfix_json() -> dict:
    return json.loads((REPO / "linter" / "data" / "postfix-3.7.json").read_text(encoding="utf-8"))


def test_a_check_leaves_the_summaries_unread_and_a_warm_catalogue_still_gives_them(
        catalogue_decodes: list[str], cache_dir: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A check reads each catalogue it needs once, from JSON when cold and from the cache when
    warm, and never the parameters' summaries (60% of a Postfix catalogue): they are an entry
    of their own, made and read when first asked for, and every Param from a warm cache is
    the JSON's, summary included."""
    from linter import cli

    outputs = []
    for _ in range(2):
        _forget_catalogues()
        catalogue_decodes.clear()
        outputs.append((cli.main(["check", "--format", "json", str(EXAMPLES / "hardened")]), capsys.readouterr()))
    assert outputs[0] == outputs[1] and outputs[0][0] == 0
    assert catalogue_decodes == [], "a warm check decodes no JSON"
    assert len(_entries(cache_dir, "data")) == 2  # the two catalogues' rows, no summaries
    param = catalog.postfix_param("smtpd_tls_security_level")
    assert catalogue_decodes == [] and param.default == "" and param.choices == ("", "none", "may", "encrypt")
    expected = _postfix_json()["params"]
    assert param.summary == expected["smtpd_tls_security_level"]["summary"] != ""
    assert catalogue_decodes == ["postfix-3.7.json"] and len(_entries(cache_dir, "data")) == 3
    _forget_catalogues()
    catalogue_decodes.clear()
    again = catalog.postfix_param("smtpd_tls_security_level")
    assert hash(again) == hash(param) and catalogue_decodes == []
    for name, entry in expected.items():
        got = catalog.postfix_param(name)
        assert (got.name, got.default, got.type, got.unit, got.min, got.max, got.choices, got.summary, got.raw) == (
            name, entry.get("default"), entry["type"], entry.get("unit"), entry.get("min"), entry.get("max"),
            tuple(entry.get("choices", ())), entry.get("summary", ""), entry.get("raw", False)), name
    assert catalogue_decodes == [] and again == param
    assert catalog.postfix_param("smtpd_tls_security_level").replace(summary="x").summary == "x"


@pytest.mark.parametrize("damage", ["edited", "short-row", "json-form", "edited-summary"])
def test_a_damaged_catalogue_entry_is_a_miss(damage: str, catalogue_decodes: list[str], cache_dir: str) -> None:
    """A catalogue entry that is not what was written (its digest does not match), or is not
    of the form the lookups read (a row of other fields, the JSON's dicts of format 5), is
    decoded afresh from the JSON and rewritten; so is a damaged summaries entry."""
    name = "smtpd_tls_security_level"
    param = catalog.postfix_param(name)
    [rows] = _entries(cache_dir, "data")
    summary = param.summary
    [summaries] = set(_entries(cache_dir, "data")) - {rows}
    entry = summaries if damage == "edited-summary" else rows
    original = entry.read_bytes()
    header, [data] = _split(entry)
    if damage == "edited":  # a default changed, the digest not
        data["params"][name] = ("encrypt", *data["params"][name][1:])
        entry.write_bytes(_join(header, [data], digest=False))
    elif damage == "short-row":  # a valid entry (key, digest) whose row lacks a field
        data["params"][name] = data["params"][name][:-1]
        entry.write_bytes(_join(header, [data]))
    elif damage == "json-form":
        entry.write_bytes(_join(header, [_postfix_json()]))
    else:
        data[""][name] = "edited"
        entry.write_bytes(_join(header, [data], digest=False))
    _forget_catalogues()
    catalogue_decodes.clear()
    again = catalog.postfix_param(name)
    assert again.default == "" and again.summary == summary and again == param
    assert catalogue_decodes == ["postfix-3.7.json"], "the damaged entry is made afresh, once"
    assert entry.read_bytes() == original, "and rewritten"


def test_no_cache_run_writes_no_entry(tmp_path: Path) -> None:
    env = dict(os.environ, POLICY_LINT_CACHE_DIR=str(tmp_path / "cache"))
    (tmp_path / "main.cf").write_text("myhostname = mx.example.org\n", encoding="utf-8")
    command = [sys.executable, "-m", "linter", "check", "--format", "json", str(tmp_path / "main.cf")]
    assert subprocess.run([*command, "--no-cache"], env=env, capture_output=True, cwd=tmp_path).returncode in (0, 1)
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())
    assert subprocess.run(command, env=env, capture_output=True, cwd=tmp_path).returncode in (0, 1)
    assert _entries(str(tmp_path / "cache"), "policy") and _entries(str(tmp_path / "cache"), "data")
