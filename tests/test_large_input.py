"""Large input stays linear (issue 14, point 9): a main.cf of thousands of duplicate or
unknown lines, or a master.cf of thousands of services, costs each line the same.

Counted, not timed: the function calls a whole ``check`` makes (Python and built-in calls,
through ``sys.setprofile``) for inputs of n, 2n and 4n lines.
What the second n lines add and what the last 2n lines add are compared: linear work makes
the second twice the first; work that grows with the square of the input (a scan of every
earlier line per line) makes it four times.  (A built-in called once per line on something
as large as the input, such as a set copied per name, is one call here: such code is kept
out by review, and by the per-name judgement cache of ``unknown-directive``.)  The peak
traced memory a line adds is bounded too.
"""

from __future__ import annotations

import gc
import re
import sys
import tracemalloc

import pytest

from linter import cli

N = 150  # lines of the smallest input; then 2N and 4N
BYTES_PER_LINE = 6000  # peak traced memory a line may add (two findings, their report text)


def _main_cf_duplicates(n: int) -> tuple[str, str]:
    # every line a duplicate of an unknown name: a PF003 and a PF004 finding per line
    return "main.cf", "unknown_x = 1\n" * n


def _main_cf_unknown(n: int) -> tuple[str, str]:
    # every name unknown and different (did-you-mean is bounded per file)
    return "main.cf", "".join(f"unknown_param_{i} = value{i}\n" for i in range(n))


def _main_cf_references(n: int) -> tuple[str, str]:
    # user-defined names: each one used by the next, as $name (postconf counts them as known)
    return "main.cf", "".join(f"local_name_{i} = ${{local_name_{i + 1}}} x\n" for i in range(n))


def _master_cf_services(n: int) -> tuple[str, str]:
    lines = ["smtp      inet  n       -       y       -       -       smtpd\n"]
    lines += [f"relay{i}    unix  -       -       n       -       -       smtp\n"
              f"  -o smtp_helo_timeout=5\n  -o syslog_name=postfix/relay{i}\n" for i in range(n // 3)]
    return "master.cf", "".join(lines)


def _cost(directory, name: str, text: str, fmt: str = "json") -> tuple[int, int]:
    (directory / name).write_text(text, encoding="utf-8")
    out = directory / f"report.{fmt}"
    argv = ["check", str(directory / name), "--no-config", "--format", fmt, "--output", str(out)]
    calls = 0

    def count(_frame, event, _arg):
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    # the regex cache is shared with every other test of the process: a full one makes each
    # re.compile a miss, a warm one a hit, so call counts would depend on the tests run
    # before; each run starts from an empty cache (a constant cost the differences cancel)
    re.purge()
    tracemalloc.start()
    sys.setprofile(count)
    try:
        status = cli.main(argv)
    finally:
        sys.setprofile(None)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert status in (0, 1), f"{name}: exit {status}"
    assert out.stat().st_size > 2
    return calls, peak


@pytest.mark.parametrize("make", [_main_cf_duplicates, _main_cf_unknown, _main_cf_references, _master_cf_services],
                         ids=lambda f: f.__name__.lstrip("_"))
def test_cost_per_line_does_not_grow_with_the_input(tmp_path, monkeypatch, make):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()  # the repository root: nothing above it is read
    for d in ("warm", "1", "2", "4"):
        (tmp_path / d).mkdir()
    _cost(tmp_path / "warm", *make(N))  # imports and the catalogue's first loads are not the input's cost
    (c1, m1), (c2, m2), (c4, m4) = (_cost(tmp_path / str(k), *make(k * N)) for k in (1, 2, 4))
    assert c4 - c2 <= 2.4 * (c2 - c1), f"calls: {c1}, {c2}, {c4}"
    # the peak of a small run is the policy's; what more lines add stays small per line
    assert m4 - m1 <= BYTES_PER_LINE * 3 * N, f"peak memory: {m1}, {m2}, {m4}"


@pytest.mark.parametrize("fmt", ["text", "sarif", "github"])
def test_every_streamed_format_costs_each_line_the_same(tmp_path, monkeypatch, fmt):
    # text and SARIF are written finding by finding too: a SARIF document of every result
    # held as dicts took 6.2 GB for a 5 MB main.cf (17 KB a line)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    for d in ("warm", "1", "2", "4"):
        (tmp_path / d).mkdir()
    _cost(tmp_path / "warm", *_main_cf_duplicates(N), fmt)
    (c1, m1), (c2, m2), (c4, m4) = (_cost(tmp_path / str(k), *_main_cf_duplicates(k * N), fmt) for k in (1, 2, 4))
    assert c4 - c2 <= 2.4 * (c2 - c1), f"calls: {c1}, {c2}, {c4}"
    assert m4 - m1 <= BYTES_PER_LINE * 3 * N, f"peak memory: {m1}, {m2}, {m4}"


def test_a_run_does_not_collect_at_the_default_pace_and_restores_the_collector(tmp_path, monkeypatch):
    # a run's documents and findings live until the report is written: the collector's
    # default pace (a collection every 700 new containers, full ones as the heap grows)
    # traverses them again and again and frees nothing; it took a fifth of a large run
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    name, text = _main_cf_duplicates(4 * N)  # about 50 collections at the default pace
    (tmp_path / name).write_text(text, encoding="utf-8")
    collections = []

    def watch(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    before = gc.get_threshold()
    gc.collect()
    gc.callbacks.append(watch)
    try:
        status = cli.main(["check", name, "--no-config", "--format", "json", "--output", "report.json"])
    finally:
        gc.callbacks.remove(watch)
    assert status == 1
    assert len(collections) <= 1, collections
    assert gc.get_threshold() == before


@pytest.mark.parametrize(("fmt", "bound"), [("json", 900), ("sarif", 900), ("text", 1400), ("github", 900)])
def test_what_a_line_of_findings_holds_is_bounded(tmp_path, monkeypatch, fmt, bound):
    # peak traced memory of 2000 and 8000 lines of one unknown name set again and again
    # (two findings a line: PF003 and PF004), without the call counter's overhead.  Measured
    # a line, alone: JSON, SARIF and GitHub 516 bytes (the findings as tuples, the spans they
    # point at, the dead line's deletion kept as its span until written), text 937; 700 and
    # 1120 with a fix, its edit and span held per dead line; in a full test run about 200
    # more, depending on the tests run before; SARIF took 14,000 when the document was held
    # whole
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()

    def peak(n: int) -> int:
        (tmp_path / "main.cf").write_text("unknown_x = 1\n" * n, encoding="utf-8")
        re.purge()
        gc.collect()  # what earlier tests left for the collector is not this run's
        tracemalloc.start()
        try:
            status = cli.main(["check", "main.cf", "--no-config", "--format", fmt, "--output", "report"])
        finally:
            found = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        assert status == 1
        return found

    peak(200)  # imports and the catalogue's first loads
    small, large = peak(2000), peak(8000)
    assert (large - small) / 6000 <= bound, f"peak memory: {small}, {large}: {(large - small) / 6000:.0f} a line"

