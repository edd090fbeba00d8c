"""The functions of the policy expression language (:mod:`linter.policy.expr`): pure ones,
ones over Postfix restriction lists that read the environment, and the names of the
context functions the environment answers."""

from __future__ import annotations

from collections.abc import Callable

from linter import values
from linter.policy.units import parse_seconds, parse_size
from linter.restrictions import client_certs_are_trust
from linter.values import networks_outside, public_networks, remote_inet, wide_networks

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol
else:
    Protocol = object  # the interface stays documented without importing typing at start-up


class Environment(Protocol):
    """What an expression can see: names and the context functions."""

    def lookup(self, name: str) -> Any: ...

    def context(self, function: str, argument: str) -> Any: ...


def words(value: Any) -> tuple:
    """A list value as a tuple of words (a string splits at blanks and commas)."""
    if isinstance(value, tuple):
        return value
    if value is None:
        return ()
    return tuple(w for w in str(value).replace(",", " ").split() if w)


def contains(collection: Any, item: Any) -> bool:
    """``contains()`` and ``in``: a string is a list of words ('plain' in 'plain login')."""
    if isinstance(collection, str):
        collection = words(collection)
    if collection is None:
        return False
    return item in collection


def _lower(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(v.lower() if isinstance(v, str) else v for v in value)
    return str(value).lower()


def _join_path(base: Any, path: Any) -> str:
    path = str(path)
    if path.startswith("/"):
        return path
    return str(base).rstrip("/") + "/" + path


def _join(items: Any, separator: Any) -> str:
    """The items of a list value as one text, ``separator`` between them."""
    return str(separator).join(str(item) for item in words(items))


def as_text(value: Any) -> str:
    """``str()``: a list as its words joined by blanks, nothing as the empty text."""
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _prefix(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"a prefix length must be a number, not {value!r}")
    return value


# name -> (minimum args, maximum args, implementation)
PURE_FUNCTIONS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "len": (1, 1, lambda x: len(x) if x is not None else 0),
    "contains": (2, 2, contains),
    "startswith": (2, 2, lambda s, p: as_text(s).startswith(p)),
    "endswith": (2, 2, lambda s, p: as_text(s).endswith(p)),
    "removeprefix": (2, 2, lambda s, p: as_text(s).removeprefix(p)),
    "lower": (1, 1, _lower),
    "str": (1, 1, as_text),  # a number as text, e.g. a Dovecot port compared with part of a Postfix value
    "words": (1, 1, words),
    "join_path": (2, 2, _join_path),
    "join": (2, 2, _join),
    "size": (1, 1, parse_size),
    "seconds": (1, 1, parse_seconds),
    "matches": (2, 2, None),  # compiled specially: the pattern is RE2, compiled once
    # address lists (mynetworks, login_trusted_networks): the items that are networks
    # wider than /v4 or /v6, or that hold a public address
    "wide_networks": (3, 3, lambda v, v4, v6: wide_networks(v, _prefix(v4), _prefix(v6))),
    "public_networks": (1, 1, public_networks),
    "networks_outside": (2, 2, networks_outside),
    "remote_inet": (2, 2, lambda v, port: remote_inet(v, as_text(port))),
    "tls_floor": (1, 1, values.tls_floor),
}


# -- functions over Postfix restriction lists: they also read smtpd_restriction_classes
# and the classes it names, through the environment ------------------------------------


def _walker(env: Environment) -> values.RestrictionWalker:
    classes = env.context("param", "smtpd_restriction_classes")
    return values.RestrictionWalker(words(classes), lambda name: env.context("param", name))


def _relay_guard(env: Environment, restrictions: Any) -> bool:
    return _walker(env).has_guard(restrictions)


def _relay_judge(env: Environment) -> Callable[[str, str], str]:
    """judge_relay, told whether client certificates are the site's own: the CA settings
    are read the first time the walk meets permit_tls_all_clientcerts (in the list or in
    a restriction class it expands), and only then."""
    trust: list[bool] = []

    def judge(name: str, argument: str) -> str:
        if name == "permit_tls_all_clientcerts" and not trust:
            trust.append(client_certs_are_trust(str(env.context("param", "smtpd_tls_CAfile")),
                                                str(env.context("param", "smtpd_tls_CApath")),
                                                _yes(env.context("param", "tls_append_default_CA"))))
        return values.judge_relay(name, argument, bool(trust) and trust[0])

    return judge


def _yes(value: Any) -> bool:
    return value is True or str(value).lower() in ("yes", "true")


def _relay_outcome(env: Environment, restrictions: Any) -> str:
    return _walker(env).walk(restrictions, _relay_judge(env))[0]


def _relay_decider(env: Environment, restrictions: Any) -> str:
    return _walker(env).walk(restrictions, _relay_judge(env))[1]


def _auth_outcome(env: Environment, restrictions: Any) -> str:
    return _walker(env).walk(restrictions, values.judge_unauthenticated)[0]


# name -> (minimum args, maximum args, implementation(env, *args))
ENV_FUNCTIONS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "relay_guard": (1, 1, _relay_guard),
    "relay_outcome": (1, 1, _relay_outcome),
    "relay_decider": (1, 1, _relay_decider),
    "auth_outcome": (1, 1, _auth_outcome),
}
# Functions that ask the environment; their one argument must be a string literal,
# so the loader can check what they name.
CONTEXT_FUNCTIONS = ("is_set", "default", "param", "in_effect", "delivers", "service", "dovecot", "dovecot_exists",
                     "dovecot_filter", "has_role", "postfix_values")
# Context functions whose path may be computed (a literal is checked at load, a computed one read as is).
COMPUTED_CONTEXT_FUNCTIONS = ("dovecot", "dovecot_exists")
FILTER_KINDS = ("protocol", "remote", "local", "local_name")  # dovecot_filter(): Dovecot's filter sections
FUNCTIONS = tuple(PURE_FUNCTIONS) + tuple(ENV_FUNCTIONS) + CONTEXT_FUNCTIONS
SERVICE_COLUMNS = ("service", "type", "private", "unprivileged", "chroot", "wakeup", "process_limit", "command", "args")
# The Postfix delivery agents delivers('agent') can ask about (master.cf command names).
DELIVERY_AGENTS = ("local", "virtual", "lmtp", "smtp", "pipe", "error", "discard")
