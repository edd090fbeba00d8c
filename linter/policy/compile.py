"""Compile policy files into rules: read each file (located YAML), validate it against the
schema, build its rules; every problem of every file is collected before anything is raised.

:func:`compile_files` is the one entry point: :func:`linter.policy.loader.load_policy` calls
it for user packs (on top of the precompiled built-in pack) and
:mod:`linter.policy.precompiled` calls it to make the shipped compile.
"""

from __future__ import annotations

from collections.abc import Sequence

from linter.policy.build import RuleBuilder
from linter.policy.model import Compiled, Pack, Rule
from linter.policy.problems import PolicyError, PolicyProblem
from linter.policy.validate import UNBUILDABLE, FileContext, schema_validator
from linter.policy.yaml_io import read_located

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def compile_files(paths: Sequence[str], base: Compiled | None = None) -> Compiled:
    """Compile ``paths`` after the packs of ``base`` (whose rule and pack ids stay taken).

    Raises :class:`PolicyError` with every problem of every file; it carries the rules that
    did load and every id the files define."""
    state = _Compilation(base or Compiled())
    for path in paths:
        state.load_file(path)
    compiled = Compiled(tuple(state.packs), tuple(state.rules), dict(state.rule_ids), dict(state.pack_ids))
    if state.problems:
        raise PolicyError(state.problems, compiled.policy, list(state.rule_ids))
    return compiled


class _Compilation:
    def __init__(self, base: Compiled) -> None:
        self.problems: list[PolicyProblem] = []
        self.packs: list[Pack] = list(base.packs)
        self.rules: list[Rule] = list(base.rules)
        self.rule_ids: dict[str, tuple[str, int]] = dict(base.id_locations)  # id -> (file, line) first defining it
        self.pack_ids: dict[str, str] = dict(base.pack_ids)
        self._validator = None

    def defined_at(self, rule_id: str) -> str:
        """``file:line`` of the rule that first took ``rule_id``."""
        path, line = self.rule_ids[rule_id]
        return f"{path}:{line}"

    @property
    def validator(self) -> Any:
        if self._validator is None:
            self._validator = schema_validator()
        return self._validator

    def load_file(self, path: str) -> None:
        located, problems = read_located(path)
        self.problems += problems
        if located is None:
            return
        ctx = FileContext(self, path, located)
        data = located.data
        if not isinstance(data, dict):
            ctx.problem((), "a policy file is a mapping with 'policy' and 'rules'",
                        "start with 'policy: my-pack' and 'rules:'")
            return
        bad_rules = ctx.validate()
        pack_id = data.get("policy") if isinstance(data.get("policy"), str) else ""
        if pack_id:
            if pack_id in self.pack_ids:
                ctx.problem(("policy",), f"pack id {pack_id!r} is already used by {self.pack_ids[pack_id]}",
                            "pack ids must be unique among loaded packs")
            else:
                self.pack_ids[pack_id] = path
        if isinstance(data.get("title"), str) or pack_id:
            self.packs.append(Pack(pack_id, str(data.get("title", "")), data.get("reference"), path))
        rules = data.get("rules") if isinstance(data.get("rules"), list) else []
        for index, rule_data in enumerate(rules):
            bad = bad_rules.get(index)
            if bad is not None and (not isinstance(rule_data, dict) or UNBUILDABLE & {p[:1] for p in bad}):
                rid = rule_data.get("id") if isinstance(rule_data, dict) else None
                if isinstance(rid, str):
                    if rid in self.rule_ids:
                        ctx.problem(("rules", index, "id"), f"duplicate rule id {rid!r} (first defined at "
                                    f"{self.defined_at(rid)})", "rule ids must be unique across all loaded packs")
                    self.rule_ids.setdefault(rid, ctx.where(("rules", index, "id")))
                continue
            if not isinstance(rule_data, dict):
                continue
            # a rule the schema rejects still gets the semantic checks of its other parts
            # (every error of a file in one run); it is not built
            rule = RuleBuilder(ctx, index, rule_data, pack_id, bad or set()).build()
            if rule is not None and bad is None:
                self.rules.append(rule)
