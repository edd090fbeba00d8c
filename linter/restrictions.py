"""Postfix SMTP access restriction lists: walking them as smtpd does."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from linter.conversions import split_list

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

# --- SMTP access restriction lists (smtpd_check.c) --------------------------------------

# The restrictions one of which must be reachable in smtpd_relay_restrictions or
# smtpd_recipient_restrictions (rcpt_required[] in smtpd_check_init), else smtpd exits:
# "fatal: in parameter smtpd_relay_restrictions or smtpd_recipient_restrictions, specify
# at least one working instance of: ..."
RELAY_GUARDS: Final = ("reject_unauth_destination", "defer_unauth_destination", "reject", "defer",
                       "defer_if_permit", "check_relay_domains")
_REJECT_ALL = frozenset(("reject", "defer", "defer_if_permit"))
_TAKES_ARGUMENT = frozenset((
    "check_policy_service", "reject_rbl_client", "reject_rhsbl_client", "reject_rhsbl_reverse_client",
    "reject_rhsbl_helo", "reject_rhsbl_sender", "reject_rhsbl_recipient", "permit_dnswl_client",
    "permit_rhswl_client", "sleep", "warn_if_reject",
))
# Permit whatever client, HELO name, sender or certificate a table or service says OK for,
# whatever the destination: before reject_unauth_destination they can open the relay
# (SMTPD_ACCESS_README "Dangerous use of smtpd_recipient_restrictions").
_CONDITIONAL_PERMITS = frozenset((
    "check_policy_service", "permit_dnswl_client", "permit_rhswl_client", "permit_tls_all_clientcerts",
    "permit_naked_ip_address",
))
# Permit only for a trusted client, an authenticated one, or an authorized destination.
_TRUSTED_PERMITS = frozenset((
    "permit_mynetworks", "permit_sasl_authenticated", "permit_inet_interfaces", "permit_tls_clientcerts",
    "permit_auth_destination", "permit_mx_backup",
))
_KNOWN = frozenset((
    *RELAY_GUARDS, *_TAKES_ARGUMENT, *_CONDITIONAL_PERMITS, *_TRUSTED_PERMITS, "permit", "defer_if_reject",
    "reject_invalid_helo_hostname", "reject_invalid_hostname", "reject_maps_rbl", "reject_multi_recipient_bounce",
    "reject_non_fqdn_helo_hostname", "reject_non_fqdn_hostname", "reject_non_fqdn_recipient",
    "reject_non_fqdn_sender", "reject_plaintext_session", "reject_rbl", "reject_sender_login_mismatch",
    "reject_authenticated_sender_login_mismatch", "reject_unauthenticated_sender_login_mismatch",
    "reject_known_sender_login_mismatch", "reject_unauth_pipelining", "reject_unknown_address",
    "reject_unknown_client", "reject_unknown_client_hostname", "reject_unknown_forward_client_hostname",
    "reject_unknown_helo_hostname", "reject_unknown_hostname", "reject_unknown_recipient_domain",
    "reject_unknown_reverse_client_hostname", "reject_unknown_sender_domain", "reject_unlisted_recipient",
    "reject_unlisted_sender", "reject_unverified_recipient", "reject_unverified_sender",
))
_MAX_CLASS_DEPTH = 20

# Outcomes of a list for one kind of client and destination
BLOCK, PASS, MAYBE, GOON = "block", "pass", "maybe", "continue"


def _is_access_check(name: str) -> bool:
    return name.startswith("check_") and name.endswith("_access")


def _recipient_scoped(name: str) -> bool:
    return name.startswith("check_recipient_")


class RestrictionWalker:
    """Walks a restriction list as smtpd's generic_checks() does, expanding the
    restriction classes of ``smtpd_restriction_classes``.

    ``classes`` is the value of smtpd_restriction_classes; ``definition(name)`` gives a
    class's value (raising when it is unknown).  ``judge(name, argument)`` says what one
    restriction does for the request in question: BLOCK, PASS, MAYBE or GOON.
    """

    def __init__(self, classes: Iterable[str], definition: Callable[[str], Any]):
        self.classes = set(classes)
        self.definition = definition

    @staticmethod
    def items(value: Any) -> list[tuple[str, str, str]]:
        """(restriction in lower case, its argument or '', the token as written) of one list."""
        tokens = list(value) if isinstance(value, tuple) else list(split_list(str(value or "")))
        items = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            name, argument = token.lower(), ""
            if ":" in token:  # a bare type:table is short for this list's check_*_access
                name, argument = "type:table", token
            elif name != "warn_if_reject" and (name in _TAKES_ARGUMENT or _is_access_check(name)) \
                    and i + 1 < len(tokens):
                argument = tokens[i + 1]
                i += 1
            items.append((name, argument, token))
            i += 1
        return items

    def expansion(self, token: str, depth: int) -> list[tuple[str, str, str]] | None:
        # smtpd looks classes up case-sensitively ("XXX ... should not be case-sensitive")
        if token not in self.classes:
            return None
        if depth > _MAX_CLASS_DEPTH:
            raise ValueError(f"restriction class {token} nests too deeply")
        return self.items(self.definition(token))

    def has_guard(self, value: Any, depth: int = 0) -> bool:
        """has_required(): a relay guard is reachable (not after a bare permit; the
        restriction after warn_if_reject does not count)."""
        items = self.items(value) if depth == 0 else value
        skip = False
        for index, (name, argument, token) in enumerate(items):
            if skip:
                skip = False
                continue
            if name == "warn_if_reject" and index + 1 < len(items):
                skip = True
                continue
            if name == "permit":
                return False
            if name in RELAY_GUARDS:
                return True
            inner = None if argument else self.expansion(token, depth + 1)
            if inner is not None and self.has_guard(inner, depth + 1):
                return True
        return False

    def walk(self, value: Any, judge: Callable[[str, str], str], depth: int = 0) -> tuple[str, str]:
        """(outcome, the restriction that decides it) for the list: BLOCK or PASS when
        that is certain, MAYBE (with the first such restriction) when a restriction
        whose answer depends on a table, a service or DNS comes first."""
        items = self.items(value) if depth == 0 else value
        warned = False
        for name, argument, token in items:
            if name == "warn_if_reject":
                warned = True  # the next restriction only logs what it would reject
                continue
            inner = None if argument else self.expansion(token, depth + 1)
            if inner is not None:
                verdict, why = self.walk(inner, judge, depth + 1)
                what = f"{token} ({why})"
            else:
                verdict = judge(name, argument)
                what = argument if name == "type:table" else f"{token} {argument}".strip()
            if warned and verdict == BLOCK:
                verdict = GOON
            warned = False
            if verdict != GOON:
                return verdict, what
        return PASS, "the end of the list"


# The system's public CA stores (distribution bundles and directories): a client certificate
# any public CA issued verifies against them.
PUBLIC_CA_STORES: Final = frozenset((
    "/etc/ssl/certs", "/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem", "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/certs", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/pki/tls/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/usr/share/ca-certificates",
    "/usr/local/share/certs/ca-root-nss.crt", "/usr/local/etc/ssl/cert.pem", "/etc/ssl/certs/ca-bundle.crt",
))


def client_certs_are_trust(ca_file: str, ca_path: str, append_default_ca: bool) -> bool:
    """Whether ``permit_tls_all_clientcerts`` trusts only the site's own clients: postconf(5)
    allows it when smtpd_tls_CAfile/CApath hold only the CAs the site trusts. With the
    system's public stores (or tls_append_default_CA = yes) any publicly issued certificate
    passes; with no CA at all no certificate verifies and it permits nobody."""
    if append_default_ca:
        return False
    stores = [v.strip().rstrip("/") for v in (ca_file, ca_path) if v.strip()]
    return not any(store in PUBLIC_CA_STORES for store in stores)


def judge_relay(name: str, argument: str, certificate_trust: bool = False) -> str:
    """For a stranger (not in mynetworks, not authenticated) and a remote destination;
    ``certificate_trust``: client certificates verify only against the site's own CAs."""
    if name in RELAY_GUARDS:
        return BLOCK
    if name == "permit":
        return PASS
    if name == "permit_tls_all_clientcerts" and certificate_trust:
        return GOON  # trust in the client itself, as permit_sasl_authenticated
    if name in _CONDITIONAL_PERMITS or (_is_access_check(name) and not _recipient_scoped(name)):
        return MAYBE
    if name in _KNOWN or _is_access_check(name) or name == "type:table":
        return GOON
    return BLOCK  # "unknown smtpd restriction": smtpd answers 451 4.3.5 Server configuration error


def judge_unauthenticated(name: str, argument: str) -> str:
    """For a client that has not authenticated (not in mynetworks) and a local destination."""
    if name in _REJECT_ALL:
        return BLOCK
    if name in ("permit", "permit_auth_destination"):
        return PASS
    if _is_access_check(name) or name in ("type:table", "check_policy_service"):
        return MAYBE  # the table or service may reject (or permit) anyone
    if name in _KNOWN:
        return GOON
    return BLOCK
