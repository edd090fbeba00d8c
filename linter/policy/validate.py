"""Schema validation of a policy file, and the translation of schema errors into located
problems with a breadcrumb and a hint (``path:12:7: rule PF101, check.min: ...``)."""

from __future__ import annotations

from collections.abc import Sequence

from linter.policy.problems import PolicyProblem
from linter.policy.yaml_io import Located
from linter.suggest import did_you_mean

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# A schema error here leaves nothing to check semantically: the rule as a whole, its
# identity, its scope (names mean different things per scope).
UNBUILDABLE = {(), ("id",), ("scope",)}


def schema_validator() -> Any:  # a jsonschema validator
    from jsonschema import Draft202012Validator

    from linter.policy.kinds import schema

    return Draft202012Validator(schema())


def key_text(path: Sequence) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out



class FileContext:
    """One policy file being compiled: positions, breadcrumbs, its problems.

    ``state`` is the compilation (its ``problems``, ``validator``, ``rule_ids`` and
    ``defined_at``)."""

    def __init__(self, state: Any, path: str, located: Located):
        self.state = state
        self.path = path
        self.located = located

    def position(self, path: tuple, on_key: bool = False) -> tuple[int, int, str]:
        probe = tuple(path)
        if on_key and probe in self.located.keys:
            return (*self.located.keys[probe], "")
        while probe not in self.located.values and probe:
            probe = probe[:-1]
        return self.located.values.get(probe, (1, 1, ""))

    def where(self, path: tuple) -> tuple[str, int]:
        """(file, line) of ``path``: where a rule id is defined."""
        line, _, _ = self.position(path)
        return self.path, line

    def rule_id(self, path: Sequence) -> str | None:
        if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
            rules = self.located.data.get("rules") if isinstance(self.located.data, dict) else None
            rule = rules[path[1]] if isinstance(rules, list) and path[1] < len(rules) else None
            rid = rule.get("id") if isinstance(rule, dict) else None
            return rid if isinstance(rid, str) else f"#{path[1] + 1}"
        return None

    def problem(self, path: Sequence, message: str, hint: str | None = None, on_key: bool = False,
                offset: tuple[int, int] | None = None) -> None:
        path = tuple(path)
        line, column, _ = self.position(path, on_key)
        if offset:
            line, column = offset
        rid = self.rule_id(path)
        key = key_text(path[2:] if rid is not None else path) or None
        self.state.problems.append(PolicyProblem(self.path, line, column, rid, message, hint, key))

    def validate(self) -> dict[int, set[tuple]]:
        """Schema-check the file; returns, for each rule with errors, where in the rule
        they are (``("check", "min")``; ``()`` for the rule as a whole)."""
        bad: dict[int, set[tuple]] = {}
        for error in self.state.validator.iter_errors(self.located.data):
            path = tuple(error.absolute_path)
            if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
                places = bad.setdefault(path[1], set())
                inner = path[2:]
                instance = error.instance if isinstance(error.instance, dict) else {}
                if error.validator == "additionalProperties":
                    places.update(inner + (k,) for k in instance if k not in error.schema.get("properties", {}))
                elif error.validator == "required":
                    places.update(inner + (k,) for k in error.validator_value if k not in instance)
                else:
                    places.add(inner)
            self.schema_problem(error, path)
        return bad

    def schema_problem(self, error: Any, path: tuple) -> None:
        validator = error.validator
        hint = None
        message = error.message
        if validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = list(error.schema.get("properties", {}))
            extra = [k for k in error.instance if k not in allowed]
            for key in extra:
                suggestion = did_you_mean(key, allowed)
                kind = error.instance.get("kind") if path and path[-1] == "check" else None
                context = f" for kind {kind!r}" if isinstance(kind, str) else ""
                self.problem(path + (key,), f"unexpected key {key!r}{context}",
                             suggestion or ("allowed keys: " + ", ".join(k for k in allowed if k != "kind")),
                             on_key=True)
            return
        if validator == "enum":
            choices = [str(c) for c in error.validator_value]
            message = f"{error.instance!r} is not one of {', '.join(choices)}"
            hint = did_you_mean(str(error.instance), choices)
        elif validator == "oneOf" and error.schema.get("title") == "Example":
            message = "an example has exactly one of 'bad' or 'good' ('count' and 'fixed' go with 'bad')"
        elif validator == "pattern" and path and path[-1] == "id":
            hint = "capital letters then digits, e.g. PF101"
        elif validator == "pattern" and path and path[-1] == "name":
            hint = "kebab case saying what is wrong, e.g. connection-rate-unlimited"
        elif validator == "propertyNames" or (validator == "pattern" and error.relative_schema_path
                                                and "propertyNames" in error.relative_schema_path):
            message = f"invalid name: {error.message}"
        self.problem(path, message, hint)


