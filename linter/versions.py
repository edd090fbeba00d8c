"""Dovecot setting names across versions: the 2.3 -> 2.4 renames, read both ways.

A policy names a Dovecot setting once, in either version's spelling; a check reads it
in the spelling of the tree's version (:func:`translate`), converting the value where
the meaning of the text changed (``disable_plaintext_auth = yes`` is
``auth_allow_cleartext = no``; ``ssl_cert = </path`` is ``ssl_server_cert_file = /path``).
The same table tells the unknown-setting check which name replaced a setting of the
other version (:func:`renamed_in`, :func:`replacement_note`).

Source: Dovecot's upgrade notes, "Converted Settings" (doc.dovecot.org,
installation/upgrade/2.3-to-2.4), checked against doveconf 2.4.1 (every new name is in
the 2.4 catalogue, every old one in the 2.3 catalogue: tests/test_versions.py).
"""

from __future__ import annotations

from collections.abc import Callable

from linter import catalog
from linter.records import TupleRecord, _new

SAME = "same"
FILE = "file"  # 2.3 '<path' (read the file) -> 2.4 'path' (a *_file setting)
INVERT = "invert"  # a boolean whose meaning flipped
PREFER = "prefer"  # ssl_prefer_server_ciphers yes|no -> ssl_server_prefer_ciphers server|client

# (section kind or None, 2.3 name) -> (2.4 name, conversion). A section kind's 2.4 name
# is the short one used inside that section (``service { idle_kill_interval }``).
RENAMED_24: dict[tuple[str | None, str], tuple[str, str]] = {
    (None, "default_idle_kill"): ("default_idle_kill_interval", SAME),
    (None, "disable_plaintext_auth"): ("auth_allow_cleartext", INVERT),
    (None, "auth_default_realm"): ("auth_default_domain", SAME),
    (None, "mail_attachment_dir"): ("mail_ext_attachment_path", SAME),
    (None, "mail_attachment_min_size"): ("mail_ext_attachment_min_size", SAME),
    (None, "ssl_alt_cert"): ("ssl_server_alt_cert_file", FILE),
    (None, "ssl_alt_key"): ("ssl_server_alt_key_file", FILE),
    (None, "ssl_ca"): ("ssl_server_ca_file", FILE),
    (None, "ssl_cert"): ("ssl_server_cert_file", FILE),
    (None, "ssl_cert_username_field"): ("ssl_server_cert_username_field", SAME),
    (None, "ssl_client_cert"): ("ssl_client_cert_file", FILE),
    (None, "ssl_client_key"): ("ssl_client_key_file", FILE),
    (None, "ssl_dh"): ("ssl_server_dh_file", FILE),
    (None, "ssl_key"): ("ssl_server_key_file", FILE),
    (None, "ssl_key_password"): ("ssl_server_key_password", SAME),
    (None, "ssl_prefer_server_ciphers"): ("ssl_server_prefer_ciphers", PREFER),
    (None, "ssl_require_crl"): ("ssl_server_require_crl", SAME),
    (None, "ssl_verify_client_cert"): ("ssl_server_request_client_cert", SAME),
    ("service", "idle_kill"): ("idle_kill_interval", SAME),
    ("service", "service_count"): ("restart_request_count", SAME),
    ("event_exporter", "transport"): ("driver", SAME),
    # 2.4 has no inet_listener address: the global listen, set inside the listener
    # (master-settings.c; dovecot/documentation#1350)
    ("inet_listener", "address"): ("listen", SAME),
}
# 2.3 settings with no one-to-one 2.4 name: what the upgrade notes say to do instead.
REPLACED_24: dict[tuple[str | None, str], str] = {
    (None, "verbose_ssl"): "use log_debug = category=ssl",
    (None, "mail_location"): "split into mail_driver, mail_path, mail_inbox_path, mail_index_path, ...",
    (None, "auth_worker_max_count"): "use the process_limit of service auth-worker",
    (None, "mail_attribute_dict"): "use dict inside a mail_attribute { } filter",
    (None, "notify_status_dict"): "use dict inside a notify_status { } filter",
    (None, "ssl_dh_parameters_length"): "removed (the DH parameters come from ssl_server_dh_file)",
    (None, "ssl_protocols"): "use ssl_min_protocol",
    ("namespace", "location"): "use the mail_* settings (mail_driver, mail_path, ...) inside the namespace",
    ("passdb", "args"): "use the driver's own settings inside passdb NAME { }",
    ("userdb", "args"): "use the driver's own settings inside userdb NAME { }",
    ("passdb", "default_fields"): "use passdb_fields { }",
    ("passdb", "override_fields"): "use passdb_fields { }",
    ("userdb", "default_fields"): "use userdb_fields { }",
    ("userdb", "override_fields"): "use userdb_fields { }",
}
# 2.3 ``plugin { }`` settings that 2.4 renamed into global settings (for the fix text of
# an unknown setting; rules do not read plugin settings through the table above).
PLUGIN_RENAMED_24 = {
    "fts_index_timeout": "fts_search_timeout",
    "fts_language_config": "textcat_config_path",
    "lazy_expunge": "lazy_expunge_mailbox",
    "quota_grace": "quota_storage_grace",
    "quota_over_flag": "quota_over_status_current",
    "quota_over_flag_lazy_check": "quota_over_status_lazy_check",
    "quota_over_flag_value": "quota_over_status_mask",
    "quota_max_mail_size": "quota_mail_size",
}
_OLD_OF = {(kind, new): (old, how) for (kind, old), (new, how) in RENAMED_24.items()}

_TRUE = ("yes", "y", "1")


def _invert(value: str) -> str:
    return "no" if value.strip().lower() in _TRUE else "yes"


def _to_24(how: str) -> Callable[[str], str]:
    if how == FILE:
        return lambda v: v[1:].lstrip(" \t") if v.startswith("<") else v
    if how == INVERT:
        return _invert
    if how == PREFER:
        return lambda v: "server" if v.strip().lower() in _TRUE else "client"
    return lambda v: v


def _to_23(how: str) -> Callable[[str], str]:
    if how == FILE:
        return lambda v: v if v.startswith("<") or not v else "<" + v
    if how == INVERT:
        return _invert
    if how == PREFER:
        return lambda v: "yes" if v.strip() == "server" else "no"
    return lambda v: v


# Dovecot's filter sections: the settings inside are top-level ones (parsers.dovecot.FILTERS).
_FILTERS = ("protocol", "remote", "local", "local_name")


def is_flat(version: str) -> bool:
    return catalog.dovecot_is_flat(version)


def translate(kind: str | None, name: str, version: str
              ) -> tuple[str, Callable[[str], str], Callable[[str], str]] | None:
    """A policy's ``name`` (in a section of ``kind``) as the tree of ``version`` spells it:
    (tree name, tree value -> policy value, policy value -> tree value); None when the
    name needs no translation (known in ``version``, or in no table). A filter section
    (``remote 10.0.0.0/8 { }``, ``protocol imap { }``) holds top-level names."""
    kind = None if kind in _FILTERS else kind
    if is_flat(version):
        entry = RENAMED_24.get((kind, name))
        if entry is None:
            return None
        new, how = entry
        return new, _to_23(how), _to_24(how)
    entry = _OLD_OF.get((kind, name))
    if entry is None:
        return None
    old, how = entry
    return old, _to_24(how), _to_23(how)


def renamed_in(kind: str | None, name: str, version: str) -> str | None:
    """The name ``version`` uses for the other version's ``name`` (a 2.3 name in a 2.4
    tree, or a 2.4 name in a 2.3 tree), or None."""
    found = translate(kind, name, version)
    return found[0] if found is not None else None


def replacement_note(kind: str | None, name: str, version: str) -> str | None:
    """What replaces a 2.3 setting that 2.4 dropped without a one-to-one name."""
    if not is_flat(version):
        return None
    kind = None if kind in _FILTERS else kind
    if kind is None and name in PLUGIN_RENAMED_24:
        return f"renamed to {PLUGIN_RENAMED_24[name]} (2.4 has no plugin {{ }} section: a global setting)"
    return REPLACED_24.get((kind, name))


# -- Dovecot 2.3's obsolete settings ------------------------------------------------------
# What doveconf 2.3.19.1 does with a setting it calls obsolete (src/config/old-set-parser.c;
# each message checked against the real doveconf -n): its warning, and the setting it
# applies instead, in the same section, or nothing.


class Obsolete(TupleRecord):
    __slots__ = ()
    _fields = (
        "message",  # doveconf's words after "Obsolete setting in FILE:LINE: "
        "name",  # the setting applied instead
        "value",
        "error",  # doveconf's error when the value cannot be converted
    )

    def __new__(
        cls,
        message: str,
        name: str | None = None,
        value: str | None = None,
        error: str | None = None,
    ) -> Obsolete:
        return _new(cls, (message, name, value, error))


_REMOVED_23 = ("login_dir", "dbox_rotate_min_size", "dbox_rotate_days", "director_consistent_hashing",
               "mail_log_max_lines_per_sec", "maildir_copy_preserve_filename")
_NOT_NEEDED_23 = ("ssl_parameters_regenerate", "ssl_dh_parameters_length")
_REPLACED_BY_SERVICE_23 = {
    "login_process_size": "service { vsz_limit }",
    "login_max_processes_count": "service { process_limit }",
    "mail_process_size": "service { vsz_limit }",
    "auth_process_size": "service auth { vsz_limit }",
}
_PROTOCOL_VERSIONS = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2")


def ssl_min_protocol_of(ssl_protocols: str) -> tuple[str | None, str | None]:
    """doveconf 2.3's reading of an obsolete ``ssl_protocols``: (ssl_min_protocol, None) or
    (None, error).  Items split on spaces and commas; ``!P`` disables P. With any item
    enabled explicitly, the lowest enabled one; otherwise the lowest not disabled (so an
    empty value gives SSLv3 and ``!SSLv3`` gives TLSv1)."""
    state = dict.fromkeys(_PROTOCOL_VERSIONS, 0)
    explicit = False
    for item in ssl_protocols.replace(",", " ").split():
        enable = not item.startswith("!")
        protocol = item if enable else item[1:]
        if protocol not in state:
            return None, f"Unrecognized protocol '{protocol}'"
        state[protocol] = 1 if enable else -1
        explicit = explicit or enable
    for protocol in _PROTOCOL_VERSIONS:
        if (explicit and state[protocol] > 0) or (not explicit and state[protocol] == 0):
            return protocol, None
    return None, "All protocols disabled"


def _swap(value: str, yes: str, no: str) -> str:
    lowered = value.lower()
    return yes if lowered == "yes" else no if lowered == "no" else value


def obsolete_23(name: str, value: str) -> Obsolete | None:
    """What doveconf 2.3 does with ``name = value`` at the top level or in a filter
    section, when ``name`` is one of its obsolete settings; None otherwise."""
    if name == "ssl_protocols":
        found, error = ssl_min_protocol_of(value)
        message = "ssl_protocols has been replaced by ssl_min_protocol"
        if found is None:
            return Obsolete(message, error=f"Could not find a minimum ssl_min_protocol setting from "
                                           f"ssl_protocols = {value}: {error}")
        return Obsolete(message, "ssl_min_protocol", found)
    if name == "ssl_disable":
        return Obsolete("ssl_disable has been renamed to ssl", "ssl", _swap(value, "no", "yes"))
    if name == "fsync_disable":
        return Obsolete("fsync_disable has been renamed to mail_fsync", "mail_fsync",
                        _swap(value, "never", "optimized"))
    if name == "dbox_rotate_size":
        return Obsolete("dbox_rotate_size has been renamed to mdbox_rotate_size", "mdbox_rotate_size", value)
    if name.startswith("mail_cache_compress_"):
        new = "mail_cache_purge_" + name[len("mail_cache_compress_"):]
        return Obsolete(f"{name} has been renamed to {new}", new, value)
    if name in ("ssl_key_file", "ssl_ca_file"):
        if not value:
            return None  # doveconf ignores it silently
        new = name[: name.rindex("_")]
        return Obsolete(f"{name} has been replaced by {new} = <file", new, "<" + value)
    if name in _REMOVED_23:
        return Obsolete(f"{name} has been removed")
    if name in _NOT_NEEDED_23:
        return Obsolete(f"{name} is no longer needed")
    if name in _REPLACED_BY_SERVICE_23:
        return Obsolete(f"{name} has been replaced by {_REPLACED_BY_SERVICE_23[name]}")
    if name == "sieve":
        return Obsolete("sieve has been moved into plugin {} section")
    if name == "sieve_storage":
        return Obsolete("sieve_storage has been moved into plugin { sieve_dir }")
    return None
