"""Check kinds: one module each, and each module declares everything about its kind.

A check module has, besides its docstring (the kind's documentation, with a ``fail::``
and a ``pass::`` example):

``KIND``
    the name a policy writes as ``check.kind``;
``UNIT``
    ``"scope"``: run once per unit of the rule's scope (main.cf, each smtpd service, the
    Dovecot tree...); ``"document"``: run once per host, on whole documents, whatever
    the scope;
``OWN_EDITS``
    True when the kind makes its own fix edit (``fix`` then takes only ``title`` and
    ``applicability``);
``OPTIONS``
    the JSON Schema of its check keys besides ``kind``: ``properties`` (``True`` for a key
    whose shape the schema's common check properties give, else the key's own schema) and
    optionally ``required``;
``DOC_KEYS``, ``DOC_FINDS``
    its row in the table of docs/policy-language.md;
``validate(builder, check, defined) -> dict`` (optional)
    the semantic checks of its own keys, through the :class:`~linter.policy.build.RuleBuilder`
    (``builder.fail(key, message, hint)``...); returns extra :class:`~linter.policy.model.Check`
    fields (kind-specific values go into ``options``);
``run(rule, unit, env)``
    yields :class:`~linter.checks.base.Finding` objects.

Everything else derives from :data:`KINDS`: the engine's :data:`REGISTRY` and
:data:`DOCUMENT_KINDS`, the loader's :data:`OWN_EDIT_KINDS` and ``validate`` hooks, the
kind list and per-kind key sets of ``linter/data/policy.schema.json`` and the table of
docs/policy-language.md (both written by ``python scripts/gen_check_kinds.py``; a test
fails when they are stale).  docs/extending.md has the recipe for a new kind.
"""

from __future__ import annotations

from types import ModuleType

from linter.checks import (
    assertion,
    dovecot_section,
    duplicate,
    forbidden,
    other_version,
    required,
    syntax,
    undefined_reference,
    unknown_directive,
    value,
)
from linter.lazyre import lazy

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MODULES = (required, forbidden, value, assertion, dovecot_section, syntax, duplicate, unknown_directive,
           undefined_reference, other_version)
UNITS = ("scope", "document")

KINDS: dict[str, ModuleType] = {}
REGISTRY: dict[str, Any] = {}  # kind -> run(rule, unit, env)
DOCUMENT_KINDS: set[str] = set()  # kinds that look at whole documents: once per host, whatever the scope
OWN_EDIT_KINDS: set[str] = set()  # kinds that make their own fix edit


# a kind's docstring shows what it finds and passes (docs/extending.md): lines "fail::", "pass::"
_FAIL_EXAMPLE = lazy(r"(?m)^fail\b.*::$")
_PASS_EXAMPLE = lazy(r"(?m)^pass\b.*::$")


def declaration_problems(module: ModuleType) -> list[str]:
    """What is missing or wrong in a check module's declaration (empty when it is complete)."""
    problems = [f"no {name}" for name in ("KIND", "UNIT", "OWN_EDITS", "OPTIONS", "DOC_KEYS", "DOC_FINDS", "run")
                if not hasattr(module, name)]
    if problems:
        return problems
    if not isinstance(module.KIND, str) or not module.KIND:
        problems.append(f"KIND {module.KIND!r} is not a name")
    if module.UNIT not in UNITS:
        problems.append(f"UNIT {module.UNIT!r} is not one of {', '.join(UNITS)}")
    if not isinstance(module.OWN_EDITS, bool):
        problems.append("OWN_EDITS is not True or False")
    options = module.OPTIONS
    if not isinstance(options, dict) or not isinstance(options.get("properties"), dict) or \
            set(options) - {"properties", "required"} or "kind" in options["properties"] or \
            not set(options.get("required", ())) <= set(options["properties"]):
        problems.append("OPTIONS is not {'properties': {key: schema}, 'required': [key, ...]} without 'kind'")
    if not _FAIL_EXAMPLE.search(module.__doc__ or "") or not _PASS_EXAMPLE.search(module.__doc__ or ""):
        problems.append("the docstring has no fail:: and pass:: example")
    return problems


def register(module: ModuleType) -> None:
    """Add a check kind (a module declared as above); raises ValueError when the declaration
    is incomplete or the kind is taken."""
    problems = declaration_problems(module)
    if not problems and module.KIND in KINDS and KINDS[module.KIND] is not module:
        problems.append(f"kind {module.KIND!r} is already registered")
    if problems:
        raise ValueError(f"check module {module.__name__}: {'; '.join(problems)}")
    _add(module)


def _add(module: ModuleType) -> None:
    KINDS[module.KIND] = module
    REGISTRY[module.KIND] = module.run
    if module.UNIT == "document":
        DOCUMENT_KINDS.add(module.KIND)
    if module.OWN_EDITS:
        OWN_EDIT_KINDS.add(module.KIND)


def unregister(kind: str) -> None:
    """Remove a kind added by :func:`register` (tests)."""
    KINDS.pop(kind, None)
    REGISTRY.pop(kind, None)
    DOCUMENT_KINDS.discard(kind)
    OWN_EDIT_KINDS.discard(kind)


# The built-in kinds are added without register()'s checks, which would cost every run two
# regex compiles on the docstrings: tests/test_check_kinds.py checks their declarations and
# that their kinds are distinct.
for _module in MODULES:
    _add(_module)
