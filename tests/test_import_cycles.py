"""No import cycle in linter/: the graph of every import statement (function-level ones
included, since a lazy import only postpones a cycle) between the package's modules."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "linter"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _resolve(importer: str, is_package: bool, level: int, module: str | None) -> str:
    if not level:
        return module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def import_graph() -> dict[str, dict[str, int]]:
    """module -> {imported linter module: line of the first import}.  ``from pkg import name``
    points at ``pkg.name`` when that is a module, else at ``pkg`` itself."""
    modules = _modules()
    graph: dict[str, dict[str, int]] = {}
    for name, path in modules.items():
        edges: dict[str, int] = {}
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, path.name == "__init__.py", node.level, node.module)
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                           for alias in node.names]
            for target in targets:
                if target in modules and target != name:
                    edges.setdefault(target, node.lineno)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each as one
    cycle through it, sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def _path_through(graph: dict[str, dict[str, int]], component: list[str]) -> str:
    """One cycle inside ``component``, as 'a (a.py:12) -> b (b.py:3) -> a'."""
    members = set(component)
    start = component[0]
    trail = [start]
    seen = {start}
    while True:
        here = trail[-1]
        nxt = next((w for w in sorted(graph[here]) if w == start and len(trail) > 1), None) or \
            next((w for w in sorted(graph[here]) if w in members and w not in seen), None) or \
            next(w for w in sorted(graph[here]) if w in members)
        if nxt in trail:
            loop = trail[trail.index(nxt):] + [nxt]
            return " -> ".join(f"{a} (line {graph[a][b]})" for a, b in zip(loop, loop[1:])) + f" -> {nxt}"
        trail.append(nxt)
        seen.add(nxt)


def test_the_import_graph_sees_lazy_imports() -> None:
    graph = import_graph()
    assert "linter.policy.loader" in graph["linter.policy"]  # a top-level import
    assert "linter.policy.compile" in graph["linter.policy.loader"]  # one inside load_policy


def test_no_import_cycle_in_the_package() -> None:
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles (module (line of its import) -> ...):\n" + "\n".join(
        _path_through(graph, component) for component in found)


def test_every_module_imports_first() -> None:
    """Each module imported before any other of the package (a fresh start for each): an
    import that only works in some order (a package __init__ that reaches a module still
    being initialised) fails here."""
    import subprocess
    import sys

    names = sorted(name for name in _modules() if not name.endswith("__main__"))
    code = ("import importlib, sys\nfailed = []\n"
            "for name in sys.argv[1:]:\n"
            "    for loaded in [m for m in sys.modules if m == 'linter' or m.startswith('linter.')]:\n"
            "        del sys.modules[loaded]\n"
            "    try:\n        importlib.import_module(name)\n"
            "    except Exception as e:\n        failed.append(f'{name}: {type(e).__name__}: {e}')\n"
            "print('\\n'.join(failed))\n")
    done = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True, timeout=120,
                          cwd=PACKAGE.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", done.stdout
