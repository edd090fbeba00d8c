"""The keys of ``.policy-lint.yaml``: each key's reader, which converts its value and
collects located problems (:class:`Reader`); :func:`linter.config.load_config` drives them."""

from __future__ import annotations

import os
from collections.abc import Iterator

from linter.diagnostics import Severity
from linter.lazyre import lazy
from linter.model import FORMATS, ConfigError
from linter.options import Host
from linter.profiles import profile_problem
from linter.suggest import hint_suffix

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

LEVELS = tuple(str(s) for s in sorted(Severity, reverse=True))  # the Severity names: error, warning, info
KEYS = ("policies", "builtin", "profiles", "select", "ignore", "severity", "params", "fail-on", "formats",
        "hosts", "exclude", "baseline", "versions", "roots", "roles")
HOST_KEYS = ("main", "master", "dovecot", "roles")
ROLE = lazy(r"[a-z][a-z0-9_-]*")
RULE_ID = lazy(r"[A-Z]+[0-9]+")
RULE_PREFIX = lazy(r"[A-Z]+[0-9]*")


def split_ids(text: str) -> tuple[str, ...]:
    """``"PF1, DV2"`` -> ``("PF1", "DV2")``."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


class Reader:
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
        self.fail(self.value_at(node, key), f"{what} must be a non-empty string, not {show(value)}")
        return None

    def strings(self, node: Any, key: str, what: str, split_commas: bool = False) -> tuple[str, ...]:
        """A list of strings, or one string (split on commas for rule lists)."""
        value = node[key]
        if isinstance(value, str):
            return split_ids(value) if split_commas else (value,)
        if not isinstance(value, list):
            self.fail(self.value_at(node, key), f"{key}: expected a list of {what}, not {show(value)}")
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
        self.fail(self.value_at(node, key), f"{key}: expected a mapping, not {show(value)}")
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
        self.fail(self.value_at(node, key), f"{what}: expected one of {', '.join(LEVELS)}, not {show(value)}")
        return None


def show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value) if isinstance(value, str) else f"{type(value).__name__} {value!r}"


def plain(value: Any) -> Any:
    """ruamel's commented containers and scalars as plain Python values."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def _read_policies(r: Reader, tree: Any, key: str) -> tuple[str, ...]:
    kept = []
    for i, p in enumerate(r.strings(tree, key, "policy files")):
        node, at = (tree[key], i) if isinstance(tree[key], list) else (tree, key)
        path = r.confined(node, at, f"{key}[{i}]" if node is not tree else key, r.rebase(p))
        if path is not None:
            kept.append(path)
    return tuple(kept)


def _read_builtin(r: Reader, tree: Any, key: str) -> bool | None:
    if isinstance(tree[key], bool):
        return tree[key]
    r.fail(r.value_at(tree, key), f"builtin: expected true or false, not {show(tree[key])}")
    return None


def _read_profiles(r: Reader, tree: Any, key: str) -> tuple[str, ...]:
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


def _read_select(r: Reader, tree: Any, key: str) -> tuple[str, ...]:
    return r.rule_ids(tree, key, prefixes=True)


def _rule_keys(r: Reader, node: dict, key: str) -> Iterator[Any]:
    """The keys of ``node`` that are rule ids (each located); a problem for every other key."""
    for rule_id in node:
        r.positions[(key, str(rule_id))] = r.key_at(node, rule_id)
        if RULE_ID.fullmatch(str(rule_id)):
            yield rule_id
        else:
            r.fail(r.key_at(node, rule_id), f"{key}: {rule_id!r} is not a rule id (like PF101)")


def _read_severity(r: Reader, tree: Any, key: str) -> dict[str, Severity] | None:
    node = r.mapping(tree, key)
    if node is None:
        return None
    out = {}
    for rule_id in _rule_keys(r, node, key):
        level = r.level(node, rule_id, f"severity.{rule_id}")
        if level is not None:
            out[str(rule_id)] = level
    return out


def _read_params(r: Reader, tree: Any, key: str) -> dict[str, dict] | None:
    node = r.mapping(tree, key)
    if node is None:
        return None
    out: dict[str, dict] = {}
    for rule_id in _rule_keys(r, node, key):
        values = node[rule_id]
        if not isinstance(values, dict):
            r.fail(r.value_at(node, rule_id), f"params.{rule_id}: expected a mapping of parameter names to "
                                              f"values, not {show(values)}")
            continue
        for name in values:
            r.positions[(key, str(rule_id), str(name))] = r.key_at(values, name)
            if isinstance(values[name], dict) or values[name] is None:
                r.fail(r.value_at(values, name), f"params.{rule_id}.{name}: expected a value, "
                                                 f"not {show(values[name])}")
        out[str(rule_id)] = {str(k): plain(v) for k, v in values.items()}
    return out


def _read_fail_on(r: Reader, tree: Any, key: str) -> Severity | None:
    return r.level(tree, key, key)


def _read_formats(r: Reader, tree: Any, key: str) -> dict[str, str] | None:
    node = r.mapping(tree, key)
    if node is None:
        return None
    out = {}
    for pattern in node:
        fmt = node[pattern]
        if fmt not in FORMATS:
            r.fail(r.value_at(node, pattern), f"formats.{pattern}: expected one of {', '.join(FORMATS)}, "
                                              f"not {show(fmt)}{hint_suffix(str(fmt), FORMATS)}")
            continue
        out[r.rebase_glob(str(pattern))] = fmt
    return out


def _read_hosts(r: Reader, tree: Any, key: str) -> tuple[Host, ...] | None:
    node = tree[key]
    if not isinstance(node, list):
        r.fail(r.value_at(tree, key), f"hosts: expected a list of {{main, master, dovecot}} mappings, "
                                      f"not {show(node)}")
        return None
    hosts = []
    for i, item in enumerate(node):
        if not isinstance(item, dict) or not item:
            r.fail(r.value_at(node, i), f"hosts[{i}]: expected a mapping with main, master and/or dovecot, "
                                        f"not {show(item)}")
            continue
        files = {}
        for name in item:
            if name not in HOST_KEYS:
                r.fail(r.key_at(item, name), f"hosts[{i}]: unknown key {name!r}{hint_suffix(str(name), HOST_KEYS)}; "
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


def _read_versions(r: Reader, tree: Any, key: str) -> dict[str, str] | None:
    from linter.catalog import VERSIONS

    node = r.mapping(tree, key)
    if node is None:
        return None
    out = {}
    for product in node:
        if product not in VERSIONS:
            r.fail(r.key_at(node, product), f"versions: unknown key {product!r}"
                                            f"{hint_suffix(str(product), tuple(VERSIONS))}; known keys: "
                                            f"{', '.join(VERSIONS)}")
            continue
        value = node[product]
        text = str(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None
        if text not in VERSIONS[product]:
            quote = " (quote it: a YAML number 3.10 is 3.1)" if isinstance(value, float) else ""
            r.fail(r.value_at(node, product), f"versions.{product}: expected one of "
                                              f"{', '.join(VERSIONS[product])}, not "
                                              f"{text if text is not None else show(value)}{quote}")
            continue
        out[str(product)] = text
    return out


def _read_role_list(r: Reader, node: Any, key: Any, what: str) -> tuple[str, ...]:
    value = node[key]
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else None
    if items is None:
        r.fail(r.value_at(node, key), f"{what}: expected a role or a list of roles, not {show(value)}")
        return ()
    out = []
    for item in items:
        if isinstance(item, str) and ROLE.fullmatch(item):
            out.append(item)
        else:
            r.fail(r.value_at(node, key), f"{what}: {show(item)} is not a role name (lowercase, like relay or "
                                          "public-mx)")
    return tuple(out)


def _read_roles(r: Reader, tree: Any, key: str) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    node = r.mapping(tree, key)
    if node is None:
        return None
    out = []
    for pattern in node:
        roles = _read_role_list(r, node, pattern, f"roles.{pattern}")
        if roles:
            out.append((r.rebase_glob(str(pattern)), roles))
    return tuple(out)


def _read_exclude(r: Reader, tree: Any, key: str) -> tuple[str, ...]:
    return tuple(r.rebase_glob(p) for p in r.strings(tree, key, "glob patterns"))


def _read_baseline(r: Reader, tree: Any, key: str) -> str | None:
    value = r.string(tree, key, key)
    return r.confined(tree, key, key, r.rebase(value)) if value is not None else None


def _read_roots(r: Reader, tree: Any, key: str) -> tuple[tuple[str, str], ...] | None:
    """``roots: {/usr/share/dovecot: vendor/dovecot}``: where the files a Dovecot
    ``!include /usr/share/dovecot/...`` names are kept in the repository."""
    node = r.mapping(tree, key)
    if node is None:
        return None
    out = []
    for prefix in node:
        if not isinstance(prefix, str) or not prefix.startswith("/"):
            r.fail(r.key_at(node, prefix), f"roots: {show(prefix)} is not an absolute path (the folder "
                                           "as the target host has it, such as /etc/dovecot)")
            continue
        folder = r.string(node, prefix, f"roots.{prefix}")
        if folder is None:
            continue
        path = r.confined(node, prefix, f"roots.{prefix}", r.rebase(folder))
        if path is not None:
            out.append((prefix, path))
    return tuple(out)


KEY_READERS = {
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
