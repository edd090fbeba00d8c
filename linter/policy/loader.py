"""Load policies: find the pack files, take the built-in pack precompiled when it is
current, compile the rest (:func:`linter.policy.compile.compile_files`).

Every problem in every file is collected before anything is raised, each with the
policy file's line and column, a breadcrumb naming the rule by id and a hint
(``path:12:7: rule PF101, check.min: ... (hint)``).  A rule the schema rejects still
gets the semantic checks of its schema-valid parts, so one run shows every error.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from linter.policy.model import Policy
from linter.policy.problems import PolicyError, PolicyProblem

__all__ = ["PolicyError", "PolicyProblem", "builtin_pack_dir", "load_policy", "policy_files"]


def builtin_pack_dir() -> str:
    """``policies/`` at the repository root in a checkout, ``linter/policies`` in a wheel."""
    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    root = os.path.dirname(package)
    checkout = os.path.join(root, "policies")
    if os.path.isdir(checkout) and os.path.exists(os.path.join(root, "pyproject.toml")):
        return checkout
    return os.path.join(package, "policies")


def policy_files(paths: Sequence[str], builtin: bool = True) -> list[str]:
    """The policy files to load: the built-in pack first, then ``paths`` (directories walked)."""
    files: list[str] = []
    reals: dict[str, str] = {}  # the pack's files: its directory is a real path already
    pack = builtin_pack_dir()
    if builtin and os.path.isdir(pack):
        with os.scandir(pack) as entries:
            named = sorted((e.name, e.is_symlink()) for e in entries if os.path.splitext(e.name)[1] in (".yaml", ".yml"))
        for name, link in named:
            path = os.path.join(pack, name)
            files.append(path)
            reals[path] = os.path.realpath(path) if link else path
    for path in paths:
        if os.path.isdir(path):
            from pathlib import Path  # names as given, normalised as before (rare: a policy directory)

            files += sorted(str(p) for p in Path(path).iterdir() if p.suffix in (".yaml", ".yml"))
        else:
            files.append(str(path))
    seen: set[str] = set()
    unique = []
    for f in files:
        key = reals.get(f) or os.path.realpath(f)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def load_policy(paths: Sequence[str], builtin: bool = True) -> Policy:
    """Load, validate and build every policy file; raises :class:`PolicyError` with all problems."""
    from linter.policy import precompiled  # a warm run takes the compiled policy from the cache (linter.cache)

    files = policy_files(paths, builtin)
    base = None
    if builtin:
        builtin_files = policy_files([], builtin=True)
        if files[:len(builtin_files)] == builtin_files:
            # the shipped compile of the very same YAML: no ruamel.yaml, no jsonschema
            base = precompiled.load(builtin_files)
            if base is not None:
                files = files[len(builtin_files):]
    if base is not None and not files:
        return base.policy
    # lazily: ruamel.yaml and jsonschema only when needed, and the rule builder imports
    # linter.checks, whose modules import this package (test_every_module_imports_first)
    from linter.policy.compile import compile_files

    return compile_files(files, base).policy
