"""The policy language: load policy packs into typed rules (see docs/policy-language.md)."""

from linter.policy.loader import PolicyError, PolicyProblem, builtin_pack_dir, load_policy
from linter.policy.model import Check, Constraints, Example, FixSpec, Pack, Policy, Rule

__all__ = ["Check", "Constraints", "Example", "FixSpec", "Pack", "Policy", "PolicyError", "PolicyProblem", "Rule",
           "builtin_pack_dir", "load_policy"]
