"""Template syntax found in infrastructure repositories (Jinja, ERB, envsubst).

A line that is template control flow (``{% if %}``, ``<% end %>``, ``{# ... #}``) is
kept as an opaque :class:`~linter.model.TemplateLine`; a value that contains a
template expression (``{{ var }}``, ``<%= @var %>``, ``${UPPER_ENV}``) is parsed as
usual but marked ``templated``: its value is unknown and checks that need it skip it.

Postfix's own ``${name}`` and ``${{$a} == {b} ? ...}`` syntax is not template syntax:
Postfix parameter names are lowercase, and Jinja's ``{{`` never follows a ``$``.
"""

from __future__ import annotations

import re

# A whole line of template control flow or a template comment.
_CONTROL_LINE = re.compile(r"^\s*(\{%-?|\{#|<%(?!=)|<%#|%\s*(if|for|end|else|unless)\b)")
# An expression that stands for a value the template engine fills in.
_EXPRESSION = re.compile(
    r"(?<!\$)\{\{.*?\}\}"  # Jinja / Go templates / Mustache; not Postfix ${{...}}
    r"|<%=?.*?%>"  # ERB / EJS
    r"|\{%.*?%\}"  # Jinja statement inline
    r"|\$\{[A-Z][A-Z0-9_]*(?:[:?=+-][^}]*)?\}"  # ${ENV} substitution (upper case)
    r"|@@[A-Za-z_][A-Za-z0-9_]*@@"  # @@VAR@@ placeholders
)


def is_template_line(line: str) -> bool:
    """True for a line that is template control flow, not config."""
    return bool(_CONTROL_LINE.match(line))


def has_template(text: str) -> bool:
    """True when ``text`` contains a template expression."""
    return bool(_EXPRESSION.search(text))
