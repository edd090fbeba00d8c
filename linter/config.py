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
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from linter.diagnostics import Severity
from linter.model import FORMATS, ConfigError
from linter.options import Host, Options

CONFIG_NAME = ".policy-lint.yaml"
MAX_CONFIG_BYTES = 1024 * 1024
LEVELS = ("error", "warning", "info")
KEYS = ("policies", "builtin", "profiles", "select", "ignore", "severity", "params", "fail-on", "formats",
        "hosts", "exclude", "baseline", "versions", "roots", "roles")
HOST_KEYS = ("main", "master", "dovecot", "roles")
ROLE = re.compile(r"[a-z][a-z0-9_-]*")
RULE_ID = re.compile(r"[A-Z]+[0-9]+")
RULE_PREFIX = re.compile(r"[A-Z]+[0-9]*")


@dataclass(frozen=True)
class Config:
    """The settings of one config file (all defaults when there is none)."""

    path: str | None = None
    policies: tuple[str, ...] = ()
    builtin: bool = True
    profiles: tuple[str, ...] = ()  # opt-in profile packs (policies/profiles/NAME.yaml)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    params: dict[str, dict] = field(default_factory=dict)
    fail_on: Severity | None = None
    formats: dict[str, str] = field(default_factory=dict)
    hosts: tuple[Host, ...] = ()
    exclude: tuple[str, ...] = ()
    baseline: str | None = None
    roles: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (glob, roles): has_role() of the hosts there
    versions: dict[str, str] = field(default_factory=dict)  # product -> catalogue version
    # absolute Dovecot include prefix -> the repository folder that holds those files
    roots: tuple[tuple[str, str], ...] = ()
    # (key, rule id[, param]) -> (line, column) of the key, to locate problems found later
    positions: dict[tuple[str, ...], tuple[int, int]] = field(default_factory=dict, compare=False)

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


def split_ids(text: str) -> tuple[str, ...]:
    """``"PF1, DV2"`` -> ``("PF1", "DV2")``."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


# -- profiles: opt-in packs shipped with the tool -------------------------------------


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
    return f"unknown profile {name!r}{did_you_mean(name, known)}; profiles: {', '.join(known) or 'none'}"


def profile_paths(names: Iterable[str]) -> list[str]:
    """The policy files of the named profiles (validated before), each once, in order."""
    paths: list[str] = []
    for name in names:
        path = os.path.join(profile_dir(), f"{name}.yaml")
        if path not in paths:
            paths.append(path)
    return paths


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` to append to a message, or nothing."""
    from linter.suggest import did_you_mean as hint

    found = hint(word, choices)
    return f" ({found})" if found else ""


class _Reader:
    """Walks the YAML tree, converting values and collecting located problems."""

    def __init__(self, path: str):
        self.path = path
        self.base = os.path.dirname(path)
        self.problems: list[ConfigError] = []
        self.positions: dict[tuple[str, ...], tuple[int, int]] = {}
        self._repository: str | None = None

    @property
    def repository(self) -> str:
        """The repository root of the config file: the paths it names must stay inside."""
        if self._repository is None:
            from linter.confine import repository_root

            self._repository = repository_root(self.path)
        return self._repository

    def confined(self, node: Any, key: Any, what: str, path: str) -> str | None:
        """``path`` (rebased) when it is inside the config's repository, else a located problem:
        a repository's config must not make the linter read or write the machine's files."""
        from linter.confine import inside

        real = os.path.realpath(path)
        if inside(real, self.repository):
            return path
        via = f" (a symbolic link to {real})" if real != os.path.abspath(path) else ""
        self.fail(self.value_at(node, key), f"{what}: {path}{via} is outside the repository {self.repository}; "
                                            "a config file may name only files inside its own repository "
                                            "(name it on the command line instead)")
        return None

    def fail(self, where: tuple[int, int], message: str) -> None:
        self.problems.append(ConfigError(self.path, where[0], where[1], message))

    @staticmethod
    def key_at(node: Any, key: Any) -> tuple[int, int]:
        try:
            line, column = node.lc.key(key)
            return line + 1, column + 1
        except (AttributeError, KeyError, TypeError):
            return 1, 1

    @staticmethod
    def value_at(node: Any, key: Any) -> tuple[int, int]:
        try:
            line, column = node.lc.value(key) if isinstance(node, dict) else node.lc.item(key)
            return line + 1, column + 1
        except (AttributeError, KeyError, TypeError, IndexError):
            return 1, 1

    def rebase(self, path: str) -> str:
        """A path written in the config file, made relative to the current directory."""
        return os.path.normpath(os.path.join(self.base, os.path.expanduser(path)))

    def rebase_glob(self, pattern: str) -> str:
        # A pattern without '/' matches a file's name anywhere; one with '/' is anchored
        # at the config file's directory, unless it starts with a wildcard.
        if "/" not in pattern or pattern.startswith(("*", "/")) or self.base in ("", "."):
            return pattern
        return os.path.normpath(os.path.join(self.base, pattern))

    def string(self, node: Any, key: Any, what: str) -> str | None:
        value = node[key]
        if isinstance(value, str) and value.strip():
            return value
        self.fail(self.value_at(node, key), f"{what} must be a non-empty string, not {_show(value)}")
        return None

    def strings(self, node: Any, key: str, what: str, split_commas: bool = False) -> tuple[str, ...]:
        """A list of strings, or one string (split on commas for rule lists)."""
        value = node[key]
        if isinstance(value, str):
            return split_ids(value) if split_commas else (value,)
        if not isinstance(value, list):
            self.fail(self.value_at(node, key), f"{key}: expected a list of {what}, not {_show(value)}")
            return ()
        out = []
        for i in range(len(value)):
            item = self.string(value, i, f"{key}[{i}]")
            if item is not None:
                out.append(item)
        return tuple(out)

    def mapping(self, node: Any, key: str) -> dict | None:
        value = node[key]
        if isinstance(value, dict):
            return value
        if value is None:
            return {}
        self.fail(self.value_at(node, key), f"{key}: expected a mapping, not {_show(value)}")
        return None

    def rule_ids(self, node: Any, key: str, prefixes: bool) -> tuple[str, ...]:
        ids = self.strings(node, key, "rule ids", split_commas=True)
        pattern = RULE_PREFIX if prefixes else RULE_ID
        good = []
        for rule_id in ids:
            if pattern.fullmatch(rule_id):
                good.append(rule_id)
            else:
                self.fail(self.value_at(node, key), f"{key}: {rule_id!r} is not a rule id or prefix "
                                                    "(capital letters, then digits: PF101, PF, DV2)")
        return tuple(good)

    def level(self, node: Any, key: Any, what: str) -> Severity | None:
        value = node[key]
        if isinstance(value, str) and value.lower() in LEVELS:
            return Severity.parse(value)
        self.fail(self.value_at(node, key), f"{what}: expected one of {', '.join(LEVELS)}, not {_show(value)}")
        return None


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value) if isinstance(value, str) else f"{type(value).__name__} {value!r}"


def _plain(value: Any) -> Any:
    """ruamel's commented containers and scalars as plain Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


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
    tree = _read_yaml(path)
    reader = _Reader(path)
    if tree is None:
        return Config(path=path)
    if not isinstance(tree, dict):
        raise ConfigFileError([ConfigError(path, 1, 1, f"expected a mapping of settings, not {_show(tree)}")])
    values: dict[str, Any] = {}
    for key in tree:
        where = reader.key_at(tree, key)
        if key not in KEYS:
            reader.fail(where, f"unknown key {key!r}{did_you_mean(str(key), KEYS)}; known keys: {', '.join(KEYS)}")
            continue
        reader.positions[(key,)] = where
        reader_method = _KEY_READERS[key]
        result = reader_method(reader, tree, key)
        if result is not None:
            values[key.replace("-", "_")] = result
    if reader.problems:
        raise ConfigFileError(reader.problems)
    return Config(path=path, positions=reader.positions, **values)


def _read_policies(r: _Reader, tree: Any, key: str) -> tuple[str, ...]:
    kept = []
    for i, p in enumerate(r.strings(tree, key, "policy files")):
        node, at = (tree[key], i) if isinstance(tree[key], list) else (tree, key)
        path = r.confined(node, at, f"{key}[{i}]" if node is not tree else key, r.rebase(p))
        if path is not None:
            kept.append(path)
    return tuple(kept)


def _read_builtin(r: _Reader, tree: Any, key: str) -> bool | None:
    if isinstance(tree[key], bool):
        return tree[key]
    r.fail(r.value_at(tree, key), f"builtin: expected true or false, not {_show(tree[key])}")
    return None


def _read_profiles(r: _Reader, tree: Any, key: str) -> tuple[str, ...]:
    names = []
    items = tree[key]
    for index, name in enumerate(r.strings(tree, key, "profile names", split_commas=True)):
        problem = profile_problem(name)
        if problem:
            where = r.value_at(items, index) if isinstance(items, list) else r.value_at(tree, key)
            r.fail(where, f"profiles: {problem}")
        elif name not in names:
            names.append(name)
    return tuple(names)


def _read_select(r: _Reader, tree: Any, key: str) -> tuple[str, ...]:
    return r.rule_ids(tree, key, prefixes=True)


def _rule_keys(r: _Reader, node: dict, key: str) -> Iterator[Any]:
    """The keys of ``node`` that are rule ids (each located); a problem for every other key."""
    for rule_id in node:
        r.positions[(key, str(rule_id))] = r.key_at(node, rule_id)
        if RULE_ID.fullmatch(str(rule_id)):
            yield rule_id
        else:
            r.fail(r.key_at(node, rule_id), f"{key}: {rule_id!r} is not a rule id (like PF101)")


def _read_severity(r: _Reader, tree: Any, key: str) -> dict[str, Severity] | None:
    node = r.mapping(tree, key)
    if node is None:
        return None
    out = {}
    for rule_id in _rule_keys(r, node, key):
        level = r.level(node, rule_id, f"severity.{rule_id}")
        if level is not None:
            out[str(rule_id)] = level
    return out


def _read_params(r: _Reader, tree: Any, key: str) -> dict[str, dict] | None:
    node = r.mapping(tree, key)
    if node is None:
        return None
    out: dict[str, dict] = {}
    for rule_id in _rule_keys(r, node, key):
        values = node[rule_id]
        if not isinstance(values, dict):
            r.fail(r.value_at(node, rule_id), f"params.{rule_id}: expected a mapping of parameter names to "
                                              f"values, not {_show(values)}")
            continue
        for name in values:
            r.positions[(key, str(rule_id), str(name))] = r.key_at(values, name)
            if isinstance(values[name], dict) or values[name] is None:
                r.fail(r.value_at(values, name), f"params.{rule_id}.{name}: expected a value, "
                                                 f"not {_show(values[name])}")
        out[str(rule_id)] = {str(k): _plain(v) for k, v in values.items()}
    return out


def _read_fail_on(r: _Reader, tree: Any, key: str) -> Severity | None:
    return r.level(tree, key, key)


def _read_formats(r: _Reader, tree: Any, key: str) -> dict[str, str] | None:
    node = r.mapping(tree, key)
    if node is None:
        return None
    out = {}
    for pattern in node:
        fmt = node[pattern]
        if fmt not in FORMATS:
            r.fail(r.value_at(node, pattern), f"formats.{pattern}: expected one of {', '.join(FORMATS)}, "
                                              f"not {_show(fmt)}{did_you_mean(str(fmt), FORMATS)}")
            continue
        out[r.rebase_glob(str(pattern))] = fmt
    return out


def _read_hosts(r: _Reader, tree: Any, key: str) -> tuple[Host, ...] | None:
    node = tree[key]
    if not isinstance(node, list):
        r.fail(r.value_at(tree, key), f"hosts: expected a list of {{main, master, dovecot}} mappings, "
                                      f"not {_show(node)}")
        return None
    hosts = []
    for i, item in enumerate(node):
        if not isinstance(item, dict) or not item:
            r.fail(r.value_at(node, i), f"hosts[{i}]: expected a mapping with main, master and/or dovecot, "
                                        f"not {_show(item)}")
            continue
        files = {}
        for name in item:
            if name not in HOST_KEYS:
                r.fail(r.key_at(item, name), f"hosts[{i}]: unknown key {name!r}{did_you_mean(str(name), HOST_KEYS)}; "
                                             f"known keys: {', '.join(HOST_KEYS)}")
                continue
            if name == "roles":
                roles = _read_role_list(r, item, name, f"hosts[{i}].roles")
                if roles:
                    files["roles"] = roles
                continue
            value = r.string(item, name, f"hosts[{i}].{name}")
            if value is not None:
                path = r.confined(item, name, f"hosts[{i}].{name}", r.rebase(value))
                if path is not None:
                    files[name] = path
        if files:
            hosts.append(Host(**files))
    return tuple(hosts)


def _read_versions(r: _Reader, tree: Any, key: str) -> dict[str, str] | None:
    from linter.catalog import VERSIONS

    node = r.mapping(tree, key)
    if node is None:
        return None
    out = {}
    for product in node:
        if product not in VERSIONS:
            r.fail(r.key_at(node, product), f"versions: unknown key {product!r}"
                                            f"{did_you_mean(str(product), tuple(VERSIONS))}; known keys: "
                                            f"{', '.join(VERSIONS)}")
            continue
        value = node[product]
        text = str(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None
        if text not in VERSIONS[product]:
            quote = " (quote it: a YAML number 3.10 is 3.1)" if isinstance(value, float) else ""
            r.fail(r.value_at(node, product), f"versions.{product}: expected one of "
                                              f"{', '.join(VERSIONS[product])}, not "
                                              f"{text if text is not None else _show(value)}{quote}")
            continue
        out[str(product)] = text
    return out


def _read_role_list(r: _Reader, node: Any, key: Any, what: str) -> tuple[str, ...]:
    value = node[key]
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else None
    if items is None:
        r.fail(r.value_at(node, key), f"{what}: expected a role or a list of roles, not {_show(value)}")
        return ()
    out = []
    for item in items:
        if isinstance(item, str) and ROLE.fullmatch(item):
            out.append(item)
        else:
            r.fail(r.value_at(node, key), f"{what}: {_show(item)} is not a role name (lowercase, like relay or "
                                          "public-mx)")
    return tuple(out)


def _read_roles(r: _Reader, tree: Any, key: str) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    node = r.mapping(tree, key)
    if node is None:
        return None
    out = []
    for pattern in node:
        roles = _read_role_list(r, node, pattern, f"roles.{pattern}")
        if roles:
            out.append((r.rebase_glob(str(pattern)), roles))
    return tuple(out)


def _read_exclude(r: _Reader, tree: Any, key: str) -> tuple[str, ...]:
    return tuple(r.rebase_glob(p) for p in r.strings(tree, key, "glob patterns"))


def _read_baseline(r: _Reader, tree: Any, key: str) -> str | None:
    value = r.string(tree, key, key)
    return r.confined(tree, key, key, r.rebase(value)) if value is not None else None


def _read_roots(r: _Reader, tree: Any, key: str) -> tuple[tuple[str, str], ...] | None:
    """``roots: {/usr/share/dovecot: vendor/dovecot}``: where the files a Dovecot
    ``!include /usr/share/dovecot/...`` names are kept in the repository."""
    node = r.mapping(tree, key)
    if node is None:
        return None
    out = []
    for prefix in node:
        if not isinstance(prefix, str) or not prefix.startswith("/"):
            r.fail(r.key_at(node, prefix), f"roots: {_show(prefix)} is not an absolute path (the folder "
                                           "as the target host has it, such as /etc/dovecot)")
            continue
        folder = r.string(node, prefix, f"roots.{prefix}")
        if folder is None:
            continue
        path = r.confined(node, prefix, f"roots.{prefix}", r.rebase(folder))
        if path is not None:
            out.append((prefix, path))
    return tuple(out)


_KEY_READERS = {
    "versions": _read_versions,
    "policies": _read_policies,
    "builtin": _read_builtin,
    "profiles": _read_profiles,
    "select": _read_select,
    "ignore": _read_select,
    "severity": _read_severity,
    "params": _read_params,
    "fail-on": _read_fail_on,
    "formats": _read_formats,
    "hosts": _read_hosts,
    "exclude": _read_exclude,
    "baseline": _read_baseline,
    "roots": _read_roots,
    "roles": _read_roles,
}


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

    ids = [r.id for r in policy.rules]
    for section in ("select", "ignore"):
        for prefix in getattr(config, section):
            if not any(rule_id.startswith(prefix) for rule_id in (*ids, *extra_ids)):
                fail((section,), f"{section}: {prefix!r} matches no loaded rule{did_you_mean(prefix, ids)}")
    for section in ("severity", "params"):
        for rule_id in getattr(config, section):
            if policy.rule(rule_id) is None and not (section == "severity" and rule_id in extra_ids) \
                    and rule_id not in unbuilt:
                fail((section, rule_id), f"{section}: no loaded rule has id {rule_id!r}{did_you_mean(rule_id, ids)}")
    for rule_id, values in config.params.items():
        rule = policy.rule(rule_id)
        if rule is None:
            continue
        for name, value in values.items():
            if name not in rule.params:
                known = ", ".join(sorted(rule.params)) or "none"
                fail(("params", rule_id, name), f"params.{rule_id}: rule {rule_id} has no parameter {name!r}"
                                                f"{did_you_mean(name, list(rule.params))}; its parameters: {known}")
            elif not same_kind(rule.params[name], value):
                fail(("params", rule_id, name), f"params.{rule_id}.{name}: expected a value like the default "
                                                f"{rule.params[name]!r}, not {value!r}")
    return sorted(problems, key=lambda p: (p.line, p.column, p.message))
