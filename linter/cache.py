"""The compiled-policy cache: validated policies (and config files) kept as plain data
(entries: :mod:`linter.store`), so a warm run imports neither ruamel.yaml nor jsonschema.

An entry is keyed by a hash of everything its content depends on: the cache format,
``linter.__version__``, the package's policy-relevant source files (loader, expression
compiler, catalogue data, schema) and the built-in pack's files by name, size, inode and
modification time (hashing their bytes cost a warm run 2.5 ms; an edit changes the time, a
reinstall the inode), and the name, real path and bytes of every user policy file.  A
changed file gives a new key, so entries are never updated in place and never need invalidating.

What a hit returns is exactly what a validated compile wrote (:mod:`linter.store` checks
each entry's digest and owner), so the parts a check does not need (rule examples,
expressions of rules that do not run) can stay data until first used.  The example file
names of a cached policy are checked again where they are written (:mod:`linter.policytest`).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from linter import __version__
from linter.store import CACHE_FORMAT, _cached, _hash, _signature, decode

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
# The package's own files whose change can change a compiled policy or a read config.
# (Every module of linter/policy/ and linter/checks/ too: the check kinds' declarations and
# validate hooks are part of the compiler; see _policy_sources.)
_POLICY_SOURCES = ("__init__.py", "catalog.py", "diagnostics.py", "model.py", "suggest.py", "parsers/__init__.py",
                   "data/policy.schema.json", "data/postfix-3.7.json", "data/postfix-3.10.json",
                   "data/dovecot-2.3.json", "data/dovecot-2.4.json")
_CONFIG_SOURCES = ("__init__.py", "config.py", "config_keys.py", "profiles.py", "suggest.py", "options.py",
                   "diagnostics.py", "model.py", "policy/yaml_io.py")


def _policy_sources() -> tuple[str, ...]:
    modules = []
    for package in ("policy", "checks"):
        try:
            names = os.listdir(os.path.join(_PACKAGE, package))
        except OSError:
            names = []
        modules += sorted(f"{package}/{name}" for name in names if name.endswith(".py"))
    return _POLICY_SOURCES + tuple(modules)


def _source_digest(names: Sequence[str]) -> bytes:
    h = _hash(f"{CACHE_FORMAT}\0{__version__}\0".encode())
    for name in names:
        # an optional module (the catalogue) that is absent
        h.update(_signature(name, os.path.join(_PACKAGE, name)) or f"{name}\0-\0".encode())
    return h.digest()


def _files_key(kind: str, sources: Sequence[str], files: Sequence[str], extra: Sequence[str] = (),
               installed: Sequence[str] = ()) -> str | None:
    """The key of an entry built from ``installed`` and ``files``; None when one cannot be
    read (the loader then reports it properly).  ``installed`` files (the built-in pack)
    are part of the package, keyed like its sources by name, size, inode and modification
    time; the others (user policies, configs) by name, real path and bytes."""
    from linter.model import ConfigError
    from linter.parsers import read_regular_file

    h = _hash(kind.encode() + b"\0" + _source_digest(sources))
    for item in extra:
        h.update(item.encode("utf-8", "surrogateescape") + b"\0")
    for path in installed:
        signature = _signature(path, path)
        if signature is None:
            return None
        h.update(signature)
    for path in files:
        try:
            content = read_regular_file(path)  # a FIFO would block forever
        except (OSError, ConfigError):
            return None
        # the name as given is in the entry (rule source spans), so it is part of the key
        h.update(path.encode("utf-8", "surrogateescape") + b"\0" + os.path.realpath(path).encode(
            "utf-8", "surrogateescape") + b"\0" + _hash(content).digest())
    return h.hexdigest()[:64]


# -- policies ---------------------------------------------------------------------------------


def load_policy_cached(paths: Sequence[str], builtin: bool = True, directory: str | None = None):  # noqa: ANN201
    """:func:`linter.policy.load_policy`, from the cache when the same policy was compiled before.

    Raises :class:`linter.policy.PolicyError` as the loader does (failures are not cached).
    """
    from linter.policy.loader import builtin_pack_dir, load_policy, policy_files

    def key() -> str | None:
        files = policy_files(paths, builtin)
        pack = builtin_pack_dir() if builtin else None
        return _files_key("policy", _policy_sources(), [f for f in files if os.path.dirname(f) != pack],
                          installed=[f for f in files if os.path.dirname(f) == pack])

    return _cached("policy", key, directory, lambda: load_policy(paths, builtin), _policy_data, _policy_from)


def _policy_data(policy) -> tuple[tuple, list]:  # noqa: ANN001 - policy.Policy
    """The policy's rows (:func:`linter.policy.stored.policy_to_rows`: tuples in each
    record's field order, which marshal decodes about twice as fast as dicts and lists) and,
    as the entry's second part, its rules' examples (one list of example data per rule)."""
    from linter.policy.stored import example_to_data, policy_to_rows

    return policy_to_rows(policy), [[example_to_data(e) for e in rule.examples] for rule in policy.rules]


class _Examples:
    """An entry's examples part, decoded when a rule's examples are first asked for."""

    def __init__(self, raw: memoryview):
        self.raw = raw
        self.decoded: list | None = None

    def of(self, index: int) -> Callable[[], list]:
        return lambda: self._decode()[index]

    def _decode(self) -> list:
        if self.decoded is None:
            self.decoded = decode(self.raw)
        return self.decoded


def _policy_from(rows: tuple, examples: memoryview | None):  # noqa: ANN202 - policy.Policy
    from linter.policy.model import policy_from_rows

    if examples is None:
        raise ValueError("no examples part")
    return policy_from_rows(rows, _Examples(examples).of)


# -- config files -----------------------------------------------------------------------------


def load_config_cached(path: str, directory: str | None = None):  # noqa: ANN201 - config.Config
    """:func:`linter.config.load_config`, from the cache when the file was read before.

    The config's paths are rebased onto the current directory, so that is in the key.
    Raises :class:`linter.config.ConfigFileError` as the reader does.
    """
    from linter.config import load_config

    def key() -> str | None:
        return _files_key("config", _CONFIG_SOURCES, [path], extra=[os.getcwd()])

    return _cached("config", key, directory, lambda: load_config(path), _config_data, _config_from)


def _config_data(config) -> tuple[dict, None] | None:  # noqa: ANN001
    """The config as plain data (an entry of one part), or None when it does not survive the
    round trip exactly."""
    data = {
        "path": config.path, "policies": list(config.policies), "builtin": config.builtin,
        "profiles": list(config.profiles), "select": list(config.select), "ignore": list(config.ignore),
        "severity": {k: str(v) for k, v in config.severity.items()}, "params": config.params,
        "fail_on": str(config.fail_on) if config.fail_on is not None else None,
        "formats": config.formats, "hosts": [[h.main, h.master, h.dovecot] for h in config.hosts],
        "exclude": list(config.exclude), "baseline": config.baseline,
        "roots": [list(item) for item in config.roots],
        "positions": [[list(k), list(v)] for k, v in config.positions.items()],
    }
    try:
        back = _config_from(data)
    except (KeyError, TypeError, ValueError):
        return None
    # params are free-form YAML values: cache only what comes back unchanged
    if back != config or back.positions != config.positions:
        return None
    return data, None


def _config_from(data: dict, _second: memoryview | None = None):  # noqa: ANN202 - config.Config
    from linter.config import Config
    from linter.diagnostics import Severity
    from linter.options import Host

    return Config(
        path=data["path"], policies=tuple(data["policies"]), builtin=data["builtin"],
        profiles=tuple(data["profiles"]), select=tuple(data["select"]), ignore=tuple(data["ignore"]),
        severity={k: Severity.parse(v) for k, v in data["severity"].items()}, params=data["params"],
        fail_on=Severity.parse(data["fail_on"]) if data["fail_on"] is not None else None,
        formats=data["formats"], hosts=tuple(Host(*h) for h in data["hosts"]), exclude=tuple(data["exclude"]),
        baseline=data["baseline"], roots=tuple((str(a), str(b)) for a, b in data["roots"]),
        positions={tuple(k): tuple(v) for k, v in data["positions"]},
    )
