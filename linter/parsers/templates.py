"""Template syntax found in infrastructure repositories (Jinja, ERB, envsubst, installers).

A line that is template control flow (``{% if %}``, ``<% end %>``, ``{# ... #}``) is
kept as an opaque :class:`~linter.model.TemplateLine`; a value that contains a
template expression (``{{ var }}``, ``<%= @var %>``, ``${UPPER_ENV}``, installers' line
templates ``@VAR@``, ``PH_VAR`` and, in Postfix files, ``%{var}`` and ``%(var)s``; in files of
the '%' dialect below, ``%var``) is parsed
as usual but marked ``templated``: its value is unknown and checks that need it skip it. A
master.cf field holding one (``PH_MAX_SERVERS`` as maxproc) is not judged by its syntax.

Postfix's own ``${name}`` and ``${{$a} == {b} ? ...}`` syntax is not template syntax:
Postfix parameter names are lowercase, and Jinja's ``{{`` never follows a ``$``.
"""

from __future__ import annotations

from linter.lazyre import lazy

# A whole line of template control flow or a template comment.
_CONTROL_LINE = lazy(r"^\s*(\{%-?|\{#|<%(?!=)|<%#|%\s*(if|for|end|else|unless)\b)")
# An expression that stands for a value the template engine fills in.
_EXPRESSION = lazy(
    r"(?<!\$)\{\{.*?\}\}"  # Jinja / Go templates / Mustache; not Postfix ${{...}}
    r"|<%=?.*?%>"  # ERB / EJS
    r"|\{%.*?%\}"  # Jinja statement inline
    r"|\$\{[A-Z][A-Z0-9_]*(?:[:?=+-][^}]*)?\}"  # ${ENV} substitution (upper case)
    r"|@@[A-Za-z_][A-Za-z0-9_]*@@"  # @@VAR@@ placeholders
    r"|@[A-Z][A-Z0-9_]+@"  # autoconf / sed @VAR@ (upper case: never an address)
    r"|\bPH_[A-Z0-9_]+\b"  # iRedMail's installer placeholders (PH_SSL_CERT)
)
# Line templates that only Postfix files can hold: Dovecot's own %{user} and %u
# variables look the same, Postfix has no '%' syntax in main.cf or master.cf.
_POSTFIX_EXPRESSION = lazy(
    r"%\{[A-Za-z_][A-Za-z0-9_.]*\}"  # %{var} (RPM macros, Ruby/Python format strings)
    r"|%\([A-Za-z_][A-Za-z0-9_]*\)[sdr]"  # %(var)s (Python % formatting)
)


# Installers' string.Template with '%' as its delimiter (modoboa-installer): ``%name`` and
# ``%{name}`` are placeholders, ``%%`` a literal '%'.  At the start of a line a placeholder
# is a flag that renders to "" or "#": ``%{dovecot_enabled}smtpd_sasl_type = dovecot`` is a
# line that may or may not be set.  Neither Postfix nor Dovecot has a name starting with
# '%', so a line that starts with one is this dialect wherever it is (its position
# decides); inside values it is only where the file is one of these templates, since
# Dovecot's own variables (%u, %{user}) look the same.
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PERCENT_HEAD = lazy(r"%(?:\{(" + _NAME + r")\}|(" + _NAME + r"))")
_PERCENT_LINE = lazy(r"(?m)^[ \t]*%(?:\{" + _NAME + r"\}|" + _NAME + ")")
_PERCENT_AT_START = lazy(r"(?m)^%(?:\{" + _NAME + r"\}|" + _NAME + ")")
_PERCENT_PLACEHOLDER = lazy(r"(?<!%)%(?:\{" + _NAME + r"\}|" + _NAME + ")")

CONDITIONAL = "conditional"  # a flag, then a line of the file: parsed, its value unknown
CONTINUATION = "continuation"  # a flag, then blanks: (Postfix) a continuation line
OPAQUE = "opaque"  # the placeholder is the name or the whole line (or a flagged comment)


def percent_line(line: str, start: int = 0) -> tuple[str, int] | None:
    """How a line whose text at ``start`` is a '%' placeholder reads: (CONDITIONAL,
    where the rest starts), (CONTINUATION, same), (OPAQUE, its end); None when no
    placeholder is there.  Only a braced flag can be followed directly by text
    (``%flagname`` is one placeholder)."""
    m = _PERCENT_HEAD.match(line, start)
    if m is None:
        return None
    end = m.end()
    rest = line[end:].rstrip("\r")
    if m.group(2) is not None or not rest.strip(" \t") or rest.lstrip(" \t")[0] == "#":
        return OPAQUE, len(line)
    if rest[0] in " \t":
        return CONTINUATION, end
    return CONDITIONAL, end


def has_percent_lines(text: str, anywhere: bool = True) -> bool:
    """The text has a line that starts with a '%' placeholder (``anywhere``: after blanks
    too, as Dovecot reads lines; else in column 1, as Postfix starts a logical line)."""
    return "%" in text and bool((_PERCENT_LINE if anywhere else _PERCENT_AT_START).search(text))


def has_percent_placeholder(text: str) -> bool:
    """``%name`` or ``%{name}`` (not after '%': ``%%`` is a literal '%')."""
    return "%" in text and bool(_PERCENT_PLACEHOLDER.search(text))


def may_hold_template(line: str) -> bool:
    """Whether ``line`` holds a character sequence that :func:`is_template_line`,
    :func:`has_template` or :func:`has_percent_lines` needs (the union of their own first
    tests): most lines hold none, so a file's lines are screened with one call each."""
    return "%" in line or "{#" in line or "{{" in line or "${" in line or "@" in line or "PH_" in line


def is_template_line(line: str) -> bool:
    """True for a line that is template control flow, not config."""
    # every control line holds '%' or '{#' (most lines hold neither, a Dovecot section's '{' is
    # not enough: a hot path of the parsers, and a check of plain files never compiles the pattern)
    return ("%" in line or "{#" in line) and bool(_CONTROL_LINE.match(line))


def has_template(text: str, postfix: bool = False) -> bool:
    """True when ``text`` contains a template expression (with ``postfix``, also the
    ``%{var}`` / ``%(var)s`` line templates that Dovecot syntax would clash with)."""
    # each expression holds '{{', '{%', '${', '<%', '@' or 'PH_': most text has none (a hot path
    # of every parser; a Dovecot section's '{' is not enough)
    if ("{{" in text or "{%" in text or "${" in text or "@" in text or "<%" in text or "PH_" in text) \
            and _EXPRESSION.search(text):
        return True
    return postfix and "%" in text and bool(_POSTFIX_EXPRESSION.search(text))


# -- control blocks ------------------------------------------------------------------

_JINJA_TAG = lazy(r"^\s*\{%[-+]?\s*(\w+)(.*?)[-+]?%\}\s*$")
_JINJA_OPENERS = frozenset({"if", "for", "macro", "block", "call", "filter", "with", "raw", "autoescape"})
_GO_TAG = lazy(r"^\s*\{\{-?\s*(\w+)\b.*?-?\}\}\s*$")
_GO_OPENERS = frozenset({"if", "range", "with", "define", "block"})
_ERB_TAG = lazy(r"^\s*<%-?(?![=#])\s*(.*?)\s*-?%>\s*$")
_ERB_OPENER = lazy(r"^(if|unless|case|while|until|for|begin)\b|\bdo(\s*\|[^|]*\|)?$")
_ERB_MIDDLE = lazy(r"^(else|elsif|when|rescue|ensure)\b")


def block_role(line: str) -> str | None:
    """Whether a template control line opens a block (``open``), closes one (``close``),
    continues one (``else``: ``{% else %}``, ``<% } else { -%>``), or none of those
    (a ``{% set %}``, a comment, an expression line): Jinja, Go templates, ERB and
    Puppet EPP."""
    m = _JINJA_TAG.match(line)
    if m:
        word, rest = m.group(1), m.group(2)
        if word.startswith("end"):
            return "close"
        if word in ("else", "elif"):
            return "else"
        if word in _JINJA_OPENERS or (word == "set" and "=" not in rest):  # {% set x %}...{% endset %}
            return "open"
        return None
    m = _GO_TAG.match(line)
    if m:
        word = m.group(1)
        return "close" if word == "end" else "else" if word == "else" else "open" if word in _GO_OPENERS else None
    m = _ERB_TAG.match(line)
    if m:
        body = m.group(1).strip()
        if body.startswith("}"):  # EPP: "} -%>" or "} else { -%>"
            return "else" if body.endswith("{") else "close"
        if body.endswith("{"):  # EPP: "if $x { -%>", "$list.each |$x| { -%>"
            return "open"
        if body == "end" or body.startswith("end ") or body.startswith("end;"):
            return "close"
        if _ERB_MIDDLE.match(body):
            return "else"
        if _ERB_OPENER.search(body):
            return "open"
    return None


_TAG_PAIRS = (("{%", "%}"), ("{#", "#}"), ("<%", "%>"))


def open_tag(text: str) -> str | None:
    """The closer a tag opened on ``text`` still awaits (``{% if a and`` -> ``%}``), or None."""
    for opener, closer in _TAG_PAIRS:
        start = text.rfind(opener)
        if start >= 0 and text.find(closer, start + len(opener)) < 0:
            return closer
    return None


_EXPRESSION_OPEN = lazy(r"(?<!\$)\{\{")  # not Postfix's ${{$a} == {b} ? ...}


def open_expressions(line: str, depth: int = 0) -> int:
    """How many ``{{`` expressions are still open after ``line`` (``depth`` open before it)."""
    return max(0, depth + len(_EXPRESSION_OPEN.findall(line)) - line.count("}}"))


def joined_tags(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Template lines ``(number, text)`` with a tag written over several consecutive lines
    (``{% if x is defined and`` / ``x | length > 0 %}``) read as one, at its first line."""
    out: list[tuple[int, str]] = []
    first, text, last = 0, "", -1
    for number, line in lines:
        if text and number == last + 1:
            text, last = f"{text} {line.strip()}", number
        else:
            if text:
                out.append((first, text))  # a tag never closed: as it is
            first, text, last = number, line, number
        if open_tag(text) is None:
            out.append((first, text))
            text = ""
    if text:
        out.append((first, text))
    return out


def control_blocks(lines: list[tuple[int, str]]) -> list[tuple[int, int | None]]:
    """The control blocks among template lines ``(number, text)``: ``(first line, last
    line)``, the last None when the block is never closed (or a closer has no opener,
    which makes every later line unsafe)."""
    blocks: list[tuple[int, int | None]] = []
    stack: list[int] = []
    for number, text in joined_tags(lines):
        role = block_role(text)
        if role == "open":
            stack.append(number)
        elif role == "close":
            if not stack:
                return [*blocks, (0, None)]  # an unbalanced closer: nothing after it is known safe
            blocks.append((stack.pop(), number))
    blocks += [(start, None) for start in stack]
    return blocks


def enclosing_block(blocks: list[tuple[int, int | None]], line: int) -> tuple[int, int | None] | None:
    """The outermost block that ``line`` is inside (between its opener and closer)."""
    found = [(start, end) for start, end in blocks if start < line and (end is None or line < end)]
    return min(found, key=lambda b: b[0]) if found else None
