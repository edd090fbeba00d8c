"""Profiles: opt-in policy packs shipped with the tool (``policies/profiles/NAME.yaml``),
named by ``profiles:`` in the config file or ``--profile``."""

from __future__ import annotations

import os
from collections.abc import Iterable


def profile_dir() -> str:
    """``policies/profiles`` (in a wheel ``linter/policies/profiles``)."""
    from linter.policy.loader import builtin_pack_dir

    return os.path.join(str(builtin_pack_dir()), "profiles")


def available_profiles() -> tuple[str, ...]:
    """The profile names (``stig``, ``cis``, ``null-client``): the packs in :func:`profile_dir`."""
    try:
        names = os.listdir(profile_dir())
    except OSError:
        return ()
    return tuple(sorted(n[: -len(".yaml")] for n in names if n.endswith(".yaml")))


def profile_problem(name: str) -> str | None:
    """Why ``name`` is no profile, with a did-you-mean, or None."""
    known = available_profiles()
    if name in known:
        return None
    from linter.suggest import hint_suffix

    return f"unknown profile {name!r}{hint_suffix(name, known)}; profiles: {', '.join(known) or 'none'}"


def profile_paths(names: Iterable[str]) -> list[str]:
    """The policy files of the named profiles (validated before), each once, in order."""
    paths: list[str] = []
    for name in names:
        path = os.path.join(profile_dir(), f"{name}.yaml")
        if path not in paths:
            paths.append(path)
    return paths
