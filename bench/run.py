"""Benchmark policy-lint: start-up (warm and cold policy cache), bulk throughput, scaling, memory.

It measures what users get: the working tree is installed with a plain, non-editable
``pip install`` into a fresh virtual environment made for the run, and every scenario runs
that environment's ``policy-lint`` console script from a neutral directory.  The baseline is
``python -c pass`` of the same environment, measured interleaved with each scenario (one
baseline run before every scenario run), so a slow or busy machine moves both alike; its
absolute time is printed, so a reader sees when it is inflated (an editable install's import
hook, or other ``.pth`` files, make every process start slower and hide the linter's cost).
Run from the repository root::

    python bench/run.py                 # the full table (a few minutes on 2 cores)
    python bench/run.py --runs 5 --json bench/out/latest.json
    python bench/run.py --quick         # smaller trees, fewer runs: a smoke test
    python bench/run.py --python PY     # an existing environment instead of a fresh one

A last serial run of the largest tree splits its time per file into parse, evaluate
(the rules, with host grouping), report (suppressions, rendering, writing) and other
(start-up, config, policy, discovery), through a small driver that times
``engine.check`` and the reporter inside the same ``linter.cli.main`` call.

The bulk tree is generated from the real configs in ``../shared/corpus`` (``--corpus``):
each host directory gets a main.cf, a master.cf and a dovecot.conf copied from corpus files
that parse on their own.  Child processes run with bytecode caching on (in a private
``PYTHONPYCACHEPREFIX``) as an installed package would, whatever ``PYTHONDONTWRITEBYTECODE``
says, and the cache directory is private to the run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CORPUS = os.path.join(os.path.dirname(REPO), "shared", "corpus")
SINGLE_HOST = os.path.join(REPO, "examples", "hardened")
# One small rule, as a site adds to the built-in pack: the cold run then compiles YAML.
with open(os.path.join(REPO, "examples", "policies", "local.yaml"), encoding="utf-8") as _f:
    USER_POLICY = _f.read()
# Runs linter.cli.main in the measured process and reports its own peak RSS and its
# children's (the worker processes) to a side file: stdout and stderr belong to the linter.
DRIVER = (
    "import resource, sys\n"
    "from linter.cli import main\n"
    "status = main(sys.argv[2:])\n"
    "with open(sys.argv[1], 'w') as f:\n"
    "    f.write('%d %d' % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,\n"
    "                       resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(status)\n"
)
# Where the time of a serial check goes, per file: the same run as the command line makes it
# (linter.cli.main), with timers around the engine (engine.check) and the output (the
# reporter's render, and what follows the engine: suppressions, writing); parsing is timed
# apart in the same process, each file parsed once as the engine does.  evaluate = engine -
# parse; other = start-up, config, policy, discovery.  Printed as JSON on stdout.
PHASES = (
    "import json, os, sys, time\n"
    "started = time.perf_counter()\n"
    "from linter import cli, engine, parsers, reporters\n"
    "spent = {'engine': 0.0, 'render': 0.0, 'engine_end': 0.0}\n"
    "real_check, real_renderer = engine.check, reporters.renderer\n"
    "def check(*args, **kwargs):\n"
    "    t = time.perf_counter()\n"
    "    try:\n"
    "        return real_check(*args, **kwargs)\n"
    "    finally:\n"
    "        spent['engine_end'] = time.perf_counter()\n"
    "        spent['engine'] += spent['engine_end'] - t\n"
    "def renderer(name):\n"
    "    render = real_renderer(name)\n"
    "    def timed(*args, **kwargs):\n"
    "        t = time.perf_counter()\n"
    "        try:\n"
    "            return render(*args, **kwargs)\n"
    "        finally:\n"
    "            spent['render'] += time.perf_counter() - t\n"
    "    return timed\n"
    "real_chunks = reporters.chunk_renderer\n"
    "def chunk_renderer(name):\n"
    "    render = real_chunks(name)\n"
    "    if render is None:\n"
    "        return None\n"
    "    def timed(*args, **kwargs):\n"
    "        pieces = iter(render(*args, **kwargs))\n"
    "        while True:\n"
    "            t = time.perf_counter()\n"
    "            try:\n"
    "                piece = next(pieces)\n"
    "            except StopIteration:\n"
    "                return\n"
    "            finally:\n"
    "                spent['render'] += time.perf_counter() - t\n"
    "            yield piece\n"
    "    return timed\n"
    "engine.check, reporters.renderer = check, renderer\n"
    "if hasattr(reporters, 'chunk_renderer'):\n"
    "    reporters.chunk_renderer = chunk_renderer\n"
    "with open(os.devnull, 'w') as sink:\n"
    "    sys.stderr = sink\n"
    "    status = cli.main(sys.argv[2:])\n"
    "    ended = time.perf_counter()\n"
    "    sys.stderr = sys.__stderr__\n"
    "files = []\n"
    "for directory, _dirs, names in os.walk(sys.argv[1]):\n"
    "    files += [os.path.join(directory, n) for n in names if parsers.detect_format(os.path.join(directory, n))]\n"
    "t = time.perf_counter()\n"
    "for path in files:\n"
    "    try:\n"
    "        parsers.parse_file(path)\n"
    "    except Exception:\n"
    "        pass\n"
    "parse = time.perf_counter() - t\n"
    "total = ended - started\n"
    "report = ended - spent['engine_end']\n"
    "print(json.dumps({'files': len(files), 'total_s': total, 'parse_s': parse,\n"
    "                  'evaluate_s': spent['engine'] - parse, 'render_s': spent['render'], 'report_s': report,\n"
    "                  'other_s': total - spent['engine'] - report, 'status': status}))\n"
)


@dataclass
class Scenario:
    name: str
    times: list[float] = field(default_factory=list)
    files: int = 0
    input_bytes: int = 0
    status: int | None = None
    rss_self_kib: int = 0
    rss_children_kib: int = 0
    paired_baseline: list[float] = field(default_factory=list)  # python -c pass, run just before each run

    @property
    def ratio(self) -> float | None:
        """Median over the runs of (run time / the baseline run just before it)."""
        if not self.paired_baseline:
            return None
        return statistics.median(t / b for t, b in zip(self.times, self.paired_baseline))

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def best(self) -> float:
        return min(self.times)


# -- the machine ------------------------------------------------------------------------------


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    try:  # other jobs on a shared machine slow the bulk runs: say how busy it was
        load = list(os.getloadavg())
    except (AttributeError, OSError):
        load = None
    return {"cpu": cpu, "cores": usable, "python": platform.python_version(),
            "implementation": platform.python_implementation(), "system": platform.platform(terse=True),
            "load_average_at_end": load}


# -- the bulk tree ------------------------------------------------------------------------------


def corpus_files(corpus: str) -> dict[str, list[bytes]]:
    """Non-templated corpus files by kind, each kept only if policy-lint parses it on its own."""
    sys.path.insert(0, REPO)
    from linter.model import ConfigError
    from linter.parsers import parse_file

    by_kind: dict[str, list[bytes]] = {"postfix-main": [], "postfix-master": [], "dovecot": []}
    with open(os.path.join(corpus, "MANIFEST.tsv"), encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f][1:]
    for row in sorted(rows):
        local, kind, templated = row[0], row[5], row[6]
        if kind not in by_kind or templated != "no":
            continue
        path = os.path.join(corpus, local)
        try:
            document = parse_file(path, kind)
        except (ConfigError, OSError):
            continue
        if kind == "dovecot" and len(getattr(document, "files", ()) or ()) > 1:
            continue  # includes would point outside the generated host
        with open(path, "rb") as f:
            by_kind[kind].append(f.read())
    missing = [k for k, v in by_kind.items() if not v]
    if missing:
        raise SystemExit(f"bench: the corpus at {corpus} has no usable {', '.join(missing)} file")
    return by_kind


def make_tree(root: str, n_files: int, sources: dict[str, list[bytes]]) -> int:
    """``n_files`` config files in host directories (main.cf, master.cf, dovecot.conf each,
    taken round-robin from the corpus); returns the total input size in bytes."""
    names = (("main.cf", "postfix-main"), ("master.cf", "postfix-master"), ("dovecot.conf", "dovecot"))
    total = written = 0
    host = 0
    while written < n_files:
        directory = os.path.join(root, f"host{host:05d}")
        os.makedirs(directory)
        for name, kind in names:
            if written == n_files:
                break
            choices = sources[kind]
            content = choices[(host * 7 + len(name)) % len(choices)]
            with open(os.path.join(directory, name), "wb") as f:
                f.write(content)
            total += len(content)
            written += 1
        host += 1
    return total


# -- measuring ----------------------------------------------------------------------------------


def child_env(cache_dir: str, pycache: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = pycache
    env["POLICY_LINT_CACHE_DIR"] = cache_dir
    # the installed package only: nothing from the working tree or the caller's environment
    for name in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "GITHUB_ACTIONS"):
        env.pop(name, None)
    return env


def make_venv(work: str) -> str:
    """A fresh virtual environment with the working tree installed as users install it
    (``pip install .``, not editable); returns its directory."""
    venv = os.path.join(work, "venv")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = os.path.join(venv, "bin", "python")
    done = subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", REPO],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if done.returncode:
        raise SystemExit(f"bench: pip install of {REPO} failed:\n{done.stdout.decode()[-2000:]}")
    return venv


def run_once(command: list[str], env: dict[str, str], cwd: str) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"bench: {' '.join(command)} exited {done.returncode}:\n{done.stderr.decode()[-2000:]}")
    return elapsed, done.returncode


class Runner:
    """Runs commands from a neutral directory and interleaves the baseline with them."""

    def __init__(self, python: str, env: dict[str, str], cwd: str):
        self.python, self.env, self.cwd = python, env, cwd
        self.baseline = Scenario("baseline: python -c pass")

    def base_once(self) -> None:
        elapsed, _ = run_once([self.python, "-c", "pass"], self.env, self.cwd)
        self.baseline.times.append(elapsed)

    def measure(self, scenario: Scenario, command: list[str], runs: int, env: dict[str, str] | None = None,
                before_each=None) -> Scenario:
        for _ in range(runs):
            self.base_once()
            if before_each is not None:
                before_each()
            elapsed, scenario.status = run_once(command, env or self.env, self.cwd)
            scenario.times.append(elapsed)
            scenario.paired_baseline.append(self.baseline.times[-1])
        return scenario


def measure_phases(runner: Runner, root: str, linter_args: list[str], runs: int) -> dict:
    """The per-file split of a serial check of ``root``: parse, evaluate, report, other
    (the run with the lowest total of ``runs``)."""
    best = None
    for _ in range(runs):
        done = subprocess.run([runner.python, "-c", PHASES, root, *linter_args], env=runner.env, cwd=runner.cwd,
                              capture_output=True)
        if done.returncode:
            raise SystemExit(f"bench: the phase run failed:\n{done.stderr.decode()[-2000:]}")
        found = json.loads(done.stdout.decode().strip().splitlines()[-1])
        if found["status"] not in (0, 1):
            raise SystemExit(f"bench: the phase run's check exited {found['status']}")
        if best is None or found["total_s"] < best["total_s"]:
            best = found
    assert best is not None
    files = best["files"] or 1
    return {**best, **{f"{k}_us_per_file": best[f"{k}_s"] / files * 1e6
                       for k in ("total", "parse", "evaluate", "report", "render", "other")}}


# The console script pip writes imports re and rewrites argv[0] before it calls our entry point;
# these stages add one step each, and every stage leaves through os._exit as the linter does.
WRAPPER = "import os, re, sys\nsys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
# the linter's modules a warm one-host check imports (read from such a check in the child)
IMPORTED = ("import sys\nfrom linter.cli import main\nsys.stdout = open(__import__('os').devnull, 'w')\n"
            "main(sys.argv[1:])\nsys.stdout = sys.__stdout__\n"
            "print(' '.join(m for m in sys.modules if m == 'linter' or m.startswith('linter.')))\n")


def measure_startup_split(runner: Runner, linter: list[str], single: list[str], runs: int) -> dict:
    """Where a warm one-host check's time goes, as differences of interleaved runs: the
    interpreter (``python -c pass``), pip's console script before our code (``re``), importing
    the modules the check imports, and the check itself (policy, discovery, parsing,
    evaluation, report)."""
    done = subprocess.run([runner.python, "-c", IMPORTED, *single], env=runner.env, cwd=runner.cwd,
                          capture_output=True, text=True)
    modules = done.stdout.split()
    imports = "".join(f"import {m}\n" for m in modules)
    stages = {"wrapper": [runner.python, "-c", WRAPPER + "os._exit(0)\n"],
              "imports": [runner.python, "-c", WRAPPER + imports + "os._exit(0)\n"],
              "check": [*linter, *single]}
    times: dict[str, list[float]] = {name: [] for name in ("baseline", *stages)}
    for _ in range(runs):
        times["baseline"].append(run_once([runner.python, "-c", "pass"], runner.env, runner.cwd)[0])
        for name, command in stages.items():
            times[name].append(run_once(command, runner.env, runner.cwd)[0])
    median = {name: statistics.median(t) for name, t in times.items()}
    return {"modules": len(modules), "runs": runs, **{f"{k}_ms": v * 1000 for k, v in median.items()},
            "interpreter_ms": median["baseline"] * 1000,
            "console_script_ms": (median["wrapper"] - median["baseline"]) * 1000,
            "import_ms": (median["imports"] - median["wrapper"]) * 1000,
            "work_ms": (median["check"] - median["imports"]) * 1000}


def measure_check(runner: Runner, scenario: Scenario, linter_args: list[str], runs: int, work: str) -> Scenario:
    """A ``check`` run through the driver, which also reports peak RSS."""
    rss_file = os.path.join(work, "rss.txt")
    command = [runner.python, "-c", DRIVER, rss_file, *linter_args]
    for _ in range(runs):
        elapsed, scenario.status = run_once(command, runner.env, runner.cwd)
        scenario.times.append(elapsed)
        with open(rss_file, encoding="utf-8") as f:
            own, children = (int(x) for x in f.read().split())
        scenario.rss_self_kib = max(scenario.rss_self_kib, own)
        scenario.rss_children_kib = max(scenario.rss_children_kib, children)
    return scenario


# -- the report ---------------------------------------------------------------------------------


def table(results: dict) -> str:
    base = results["baseline"]
    lines = [f"machine: {results['machine']['cpu']}, {results['machine']['cores']} cores, "
             f"Python {results['machine']['python']} ({results['machine']['system']})",
             f"installed: {results['installed']}",
             f"baseline (python -c pass, same environment, interleaved with every start-up run): "
             f"median {base['median_s'] * 1000:.1f} ms, min {base['min_s'] * 1000:.1f} ms over {base['runs']} runs",
             f"runs per scenario: {results['runs']} (bulk: {results['bulk_runs']})", ""]
    header = f"{'scenario':<34}{'median':>10}{'min':>10}{'x baseline':>12}{'files':>8}{'files/s':>10}"
    lines += [header, "-" * len(header)]
    for s in results["scenarios"]:
        rate = f"{s['files'] / s['median_s']:.0f}" if s["files"] > 1 else ""
        ratio = f"{s['ratio']:>11.2f}x" if s["files"] <= 1 else f"{'':>12}"
        lines.append(f"{s['name']:<34}{s['median_s'] * 1000:>8.1f}ms{s['min_s'] * 1000:>8.1f}ms"
                     f"{ratio}{s['files'] or '':>8}{rate:>10}")
    lines.append("")
    scaling = results["scaling"]
    lines.append("scaling (bulk, auto jobs): input size -> time, relative to the 1x tree")
    for row in scaling:
        lines.append(f"  {row['factor']:>3}x  {row['files']:>6} files  {row['input_bytes'] / 1e6:7.2f} MB  "
                     f"{row['median_s']:7.3f}s  time ratio {row['time_ratio']:5.2f}  "
                     f"(per-file time ratio {row['per_file_ratio']:.2f})")
    lines.append("")
    for s in results["scenarios"]:
        if s["rss_self_kib"]:
            lines.append(f"peak RSS {s['name']}: main process {s['rss_self_kib'] / 1024:.1f} MiB, "
                         f"largest worker {s['rss_children_kib'] / 1024:.1f} MiB")
    phases = results.get("phases")
    if phases:
        lines += ["", f"per file, serial check of the 16x tree ({phases['files']} files, the fastest of the bulk runs): "
                      f"{phases['total_us_per_file']:.0f} us = parse {phases['parse_us_per_file']:.0f} + "
                      f"evaluate {phases['evaluate_us_per_file']:.0f} (with grouping) + report "
                      f"{phases['report_us_per_file']:.0f} (suppressions, rendering {phases['render_us_per_file']:.0f}, "
                      f"writing) + other {phases['other_us_per_file']:.0f} (start-up, config, policy, discovery)"]
    split = results.get("startup")
    if split:
        lines += ["", f"one host, warm, where the time goes (medians of {split['runs']} interleaved runs of each "
                      f"stage): {split['check_ms']:.1f} ms = interpreter {split['interpreter_ms']:.1f} "
                      f"(python -c pass) + console script {split['console_script_ms']:.1f} (pip's wrapper: "
                      f"import re) + imports {split['import_ms']:.1f} ({split['modules']} linter modules and "
                      f"what they import) + the check {split['work_ms']:.1f} (policy, discovery, parsing, "
                      f"evaluation, report)"]
    targets = results["targets"]
    lines += ["", f"targets: warm one host {targets['warm_ratio']:.2f}x baseline (<= 3.0), "
              f"cold + user policy {targets['cold_user_policy_ms']:.0f} ms (<= 250), "
              f"bulk 16x {targets['bulk_files_per_s']:.0f} files/s (>= 2,000)"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="timed runs per start-up scenario (default 11)")
    parser.add_argument("--bulk-runs", type=int, default=3, help="timed runs per bulk scenario (default 3)")
    parser.add_argument("--files", type=int, default=10_000, help="files in the largest bulk tree (16x)")
    parser.add_argument("--corpus", default=DEFAULT_CORPUS, help="the corpus directory (with MANIFEST.tsv)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--quick", action="store_true", help="1,600 files, 3 runs: a smoke test")
    parser.add_argument("--python", metavar="PY",
                        help="measure the environment of this interpreter instead of a fresh venv with pip install .")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.bulk_runs, args.files = 3, 1, 1600

    work = tempfile.mkdtemp(prefix="policy-lint-bench-")
    try:
        results = run_all(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = table(results)
    sys.stdout.write(text)
    if args.json:
        directory = os.path.dirname(args.json)
        if directory:
            os.makedirs(directory, exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)
            f.write("\n")
    return 0


def run_all(args: argparse.Namespace, work: str) -> dict:
    if args.python:
        python = os.path.abspath(args.python)
        installed = f"existing environment {python}"
    else:
        python = os.path.join(make_venv(work), "bin", "python")
        installed = "fresh venv, pip install . (non-editable)"
    script = os.path.join(os.path.dirname(python), "policy-lint")
    linter = [script] if os.path.exists(script) else [python, "-m", "linter"]
    neutral = os.path.join(work, "cwd")  # no linter/ package here for python to find
    os.makedirs(neutral)
    env = child_env(os.path.join(work, "cache"), os.path.join(work, "pyc"))
    runner = Runner(python, env, neutral)
    single = ["check", SINGLE_HOST, "--format", "text"]

    # warm-up: bytecode for the stdlib and the package, and the policy cache
    run_once([python, "-c", "pass"], env, neutral)
    run_once([*linter, *single], env, neutral)
    run_once([*linter, *single], env, neutral)

    scenarios: list[Scenario] = []
    warm = runner.measure(Scenario("one host, warm cache"), [*linter, *single], args.runs)
    cold_env = dict(env)

    def fresh_cache() -> None:
        shutil.rmtree(cold_env["POLICY_LINT_CACHE_DIR"], ignore_errors=True)

    cold_env["POLICY_LINT_CACHE_DIR"] = os.path.join(work, "cold-cache")
    cold = runner.measure(Scenario("one host, cold (empty cache)"), [*linter, *single], args.runs,
                          env=cold_env, before_each=fresh_cache)
    # a user policy is compiled from YAML (ruamel.yaml, jsonschema); the built-in pack never is
    user_policy = os.path.join(work, "local-policy.yaml")
    with open(user_policy, "w", encoding="utf-8") as f:
        f.write(USER_POLICY)
    cold_user = runner.measure(Scenario("one host + user policy, cold"),
                               [*linter, *single, "--policy", user_policy], args.runs, env=cold_env,
                               before_each=fresh_cache)
    warm_user = runner.measure(Scenario("one host + user policy, warm"),
                               [*linter, *single, "--policy", user_policy], args.runs)
    no_cache = runner.measure(Scenario("one host, --no-cache"), [*linter, *single, "--no-cache"], args.runs)
    scenarios += [warm, cold, cold_user, warm_user, no_cache]
    startup = measure_startup_split(runner, linter, single, args.runs * 2)

    sources = corpus_files(args.corpus)
    scaling = []
    phases: dict = {}
    for factor in (1, 4, 16):
        n = max(args.files * factor // 16, 1)
        root = os.path.join(work, f"tree-{factor}x")
        size = make_tree(root, n, sources)
        output = os.path.join(work, "report.json")
        linter_args = ["check", root, "--no-config", "--format", "json", "--output", output]
        s = measure_check(runner, Scenario(f"bulk {factor}x, auto jobs", files=n, input_bytes=size), linter_args,
                          args.bulk_runs, work)
        scenarios.append(s)
        scaling.append(s)
        if factor == 16:
            serial = measure_check(runner, Scenario("bulk 16x, --jobs 1", files=n, input_bytes=size),
                                   [*linter_args, "--jobs", "1"], args.bulk_runs, work)
            scenarios.append(serial)
            phases = measure_phases(runner, root, [*linter_args, "--jobs", "1"], args.bulk_runs)
        shutil.rmtree(root)

    baseline = runner.baseline
    first = scaling[0]
    return {
        "machine": machine(),
        "installed": installed,
        "runs": args.runs,
        "bulk_runs": args.bulk_runs,
        "baseline": {"median_s": baseline.median, "min_s": baseline.best, "runs": len(baseline.times)},
        "scenarios": [{"name": s.name, "median_s": s.median, "min_s": s.best,
                       "ratio": s.ratio if s.ratio is not None else s.median / baseline.median,
                       "files": s.files, "files_per_s": s.files / s.median if s.files > 1 else None,
                       "input_bytes": s.input_bytes, "rss_self_kib": s.rss_self_kib,
                       "rss_children_kib": s.rss_children_kib, "times_s": s.times,
                       "paired_baseline_s": s.paired_baseline} for s in scenarios],
        "scaling": [{"factor": f, "files": s.files, "input_bytes": s.input_bytes, "median_s": s.median,
                     "time_ratio": s.median / first.median,
                     "per_file_ratio": (s.median / s.files) / (first.median / first.files)}
                    for f, s in zip((1, 4, 16), scaling)],
        "phases": phases,
        "startup": startup,
        "targets": {
            "warm_ratio": warm.ratio,
            "cold_ms": cold.median * 1000,
            "cold_user_policy_ms": cold_user.median * 1000,
            "bulk_files_per_s": scaling[-1].files / scaling[-1].median,
        },
    }


if __name__ == "__main__":
    sys.exit(main())
