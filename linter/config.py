"""``.policy-lint.yaml``: find it, read it with positions, validate every key at once.

The file is found by walking up from the checked paths (then from the current
directory); ``--config FILE`` names it instead.  Paths in it are relative to its own
directory and are rebased here onto the current directory, the frame every other
path (discovered files, ``formats`` and ``exclude`` globs) is expressed in.

Every problem is a :class:`~linter.model.ConfigError` with the file's line and column;
:class:`ConfigFileError` carries all of them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from linter.diagnostics import Severity
from linter.model import ConfigError
from linter.options import Host, Options
from linter.records import Frozen, _set

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["CONFIG_NAME", "Config", "ConfigFileError", "check_against_policy", "find_config", "load_config"]

CONFIG_NAME = ".policy-lint.yaml"
MAX_CONFIG_BYTES = 1024 * 1024


class Config(Frozen):
    """The settings of one config file (all defaults when there is none).

    ``profiles`` are opt-in profile packs (policies/profiles/NAME.yaml); ``roles`` (glob,
    roles) pairs give has_role() of the hosts there; ``versions`` map a product to a
    catalogue version; ``roots`` map an absolute Dovecot include prefix to the repository
    folder that holds those files; ``positions`` map (key, rule id[, param]) to the (line,
    column) of the key, to locate problems found later (not compared)."""

    __slots__ = ("path", "policies", "builtin", "profiles", "select", "ignore", "severity", "params",
                 "fail_on", "formats", "hosts", "exclude", "baseline", "roles", "versions", "roots",
                 "positions")
    _compare = __slots__[:-1]

    def __init__(self, path: str | None = None, policies: tuple[str, ...] = (), builtin: bool = True,
                 profiles: tuple[str, ...] = (), select: tuple[str, ...] = (), ignore: tuple[str, ...] = (),
                 severity: dict[str, Severity] | None = None, params: dict[str, dict] | None = None,
                 fail_on: Severity | None = None, formats: dict[str, str] | None = None,
                 hosts: tuple[Host, ...] = (), exclude: tuple[str, ...] = (), baseline: str | None = None,
                 roles: tuple[tuple[str, tuple[str, ...]], ...] = (), versions: dict[str, str] | None = None,
                 roots: tuple[tuple[str, str], ...] = (),
                 positions: dict[tuple[str, ...], tuple[int, int]] | None = None):
        _set(self, "path", path)
        _set(self, "policies", policies)
        _set(self, "builtin", builtin)
        _set(self, "profiles", profiles)
        _set(self, "select", select)
        _set(self, "ignore", ignore)
        _set(self, "severity", {} if severity is None else severity)
        _set(self, "params", {} if params is None else params)
        _set(self, "fail_on", fail_on)
        _set(self, "formats", {} if formats is None else formats)
        _set(self, "hosts", hosts)
        _set(self, "exclude", exclude)
        _set(self, "baseline", baseline)
        _set(self, "roles", roles)
        _set(self, "versions", {} if versions is None else versions)
        _set(self, "roots", roots)
        _set(self, "positions", {} if positions is None else positions)

    def options(self, select: Sequence[str] = (), ignore: Sequence[str] = (), exclude: Sequence[str] = (),
                formats: dict[str, str] | None = None) -> Options:
        """Engine options.  The command line's ``select`` starts afresh (as ruff's does): it
        replaces the file's ``select`` and ``ignore``.  Otherwise ``ignore``, ``exclude`` and
        ``formats`` add to the file's (the command line's formats win)."""
        return Options(
            select=tuple(select) or self.select,
            ignore=tuple(ignore) if select else self.ignore + tuple(ignore),
            severity=dict(self.severity),
            params={k: dict(v) for k, v in self.params.items()},
            formats={**(formats or {}), **{k: v for k, v in self.formats.items() if k not in (formats or {})}},
            hosts=self.hosts,
            exclude=self.exclude + tuple(exclude),
            versions=dict(self.versions),
            roles=self.roles,
        )


class ConfigFileError(Exception):
    """Every problem found in a config file."""

    def __init__(self, problems: Iterable[ConfigError]):
        self.problems = tuple(sorted(problems, key=lambda p: (p.path, p.line, p.column, p.message)))
        super().__init__("\n".join(str(p) for p in self.problems))


def find_config(paths: Sequence[str], start: str | None = None) -> str | None:
    """The first ``.policy-lint.yaml`` found walking up from each checked path, then from ``start``."""
    for origin in [*paths, start or os.getcwd()]:
        directory = os.path.abspath(origin)
        if not os.path.isdir(directory):
            directory = os.path.dirname(directory)
        while True:
            candidate = os.path.join(directory, CONFIG_NAME)
            if os.path.isfile(candidate):
                return _cwd_relative(candidate)
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
    return None


def _cwd_relative(path: str) -> str:
    return os.path.relpath(os.path.abspath(path))


def _read_yaml(path: str) -> Any:
    """The config file's ruamel tree (keys and values keep their positions); raises
    :class:`ConfigFileError` when the file cannot be read or is no valid YAML."""
    from linter.parsers import read_regular_file
    from linter.policy.yaml_io import parse_yaml

    try:
        data = read_regular_file(path, MAX_CONFIG_BYTES + 1)  # a FIFO would block forever
    except OSError as e:
        raise ConfigFileError([ConfigError(path, 0, 0, f"cannot read: {e.strerror or e}")]) from None
    except ConfigError as e:
        raise ConfigFileError([e]) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigFileError([ConfigError(path, 0, 0, "config file larger than 1 MiB")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigFileError([ConfigError(path, 0, 0, f"not UTF-8: {e.reason} at byte {e.start}")]) from None
    tree, problem = parse_yaml(text, path)
    if problem is not None:
        message = f"invalid YAML: {problem.message}" if problem.syntax else \
            f"{problem.message} ({problem.hint})" if problem.hint else problem.message
        raise ConfigFileError([ConfigError(path, problem.line, problem.column, message)])
    return tree


def load_config(path: str) -> Config:
    """Read and validate one config file; raises :class:`ConfigFileError` with every problem."""
    # the key readers only when a file is read (a run without a config file, or with a cached
    # one, does without them: about 0.5 ms of imports and patterns)
    from linter.config_keys import KEY_READERS, KEYS, Reader, show
    from linter.suggest import hint_suffix

    tree = _read_yaml(path)
    reader = Reader(path)
    if tree is None:
        return Config(path=path)
    if not isinstance(tree, dict):
        raise ConfigFileError([ConfigError(path, 1, 1, f"expected a mapping of settings, not {show(tree)}")])
    values: dict[str, Any] = {}
    for key in tree:
        where = reader.key_at(tree, key)
        if key not in KEYS:
            reader.fail(where, f"unknown key {key!r}{hint_suffix(str(key), KEYS)}; known keys: {', '.join(KEYS)}")
            continue
        reader.positions[(key,)] = where
        reader_method = KEY_READERS[key]
        result = reader_method(reader, tree, key)
        if result is not None:
            values[key.replace("-", "_")] = result
    if reader.problems:
        raise ConfigFileError(reader.problems)
    return Config(path=path, positions=reader.positions, **values)


def check_against_policy(config: Config, policy, extra_ids: Sequence[str] = (),  # noqa: ANN001
                         unbuilt: Sequence[str] = ()) -> list[ConfigError]:
    """Problems only the loaded policy reveals: unknown rule ids and parameters, wrong types.

    ``extra_ids`` are rules of the tool itself (suppression findings): a severity is fine.
    ``unbuilt`` are ids a policy file defines but that failed to load (their own errors
    are reported): they are not unknown, and their parameters cannot be checked."""
    extra_ids = (*extra_ids, *unbuilt)
    problems = []
    path = config.path or "<config>"

    def fail(key: tuple[str, ...], message: str) -> None:
        line, column = config.positions.get(key, (0, 0))
        problems.append(ConfigError(path, line, column, message))

    from linter.policy.model import same_kind
    from linter.suggest import hint_suffix

    ids = [r.id for r in policy.rules]
    for section in ("select", "ignore"):
        for prefix in getattr(config, section):
            if not any(rule_id.startswith(prefix) for rule_id in (*ids, *extra_ids)):
                fail((section,), f"{section}: {prefix!r} matches no loaded rule{hint_suffix(prefix, ids)}")
    for section in ("severity", "params"):
        for rule_id in getattr(config, section):
            if policy.rule(rule_id) is None and not (section == "severity" and rule_id in extra_ids) \
                    and rule_id not in unbuilt:
                fail((section, rule_id), f"{section}: no loaded rule has id {rule_id!r}{hint_suffix(rule_id, ids)}")
    for rule_id, values in config.params.items():
        rule = policy.rule(rule_id)
        if rule is None:
            continue
        for name, value in values.items():
            if name not in rule.params:
                known = ", ".join(sorted(rule.params)) or "none"
                fail(("params", rule_id, name), f"params.{rule_id}: rule {rule_id} has no parameter {name!r}"
                                                f"{hint_suffix(name, list(rule.params))}; its parameters: {known}")
            elif not same_kind(rule.params[name], value):
                fail(("params", rule_id, name), f"params.{rule_id}.{name}: expected a value like the default "
                                                f"{rule.params[name]!r}, not {value!r}")
    return sorted(problems, key=lambda p: (p.line, p.column, p.message))
