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


def is_flat(version: str) -> bool:
    return catalog.dovecot_is_flat(version)


def translate(kind: str | None, name: str, version: str
              ) -> tuple[str, Callable[[str], str], Callable[[str], str]] | None:
    """A policy's ``name`` (in a section of ``kind``) as the tree of ``version`` spells it:
    (tree name, tree value -> policy value, policy value -> tree value); None when the
    name needs no translation (known in ``version``, or in no table)."""
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
    if kind is None and name in PLUGIN_RENAMED_24:
        return f"renamed to {PLUGIN_RENAMED_24[name]} (2.4 has no plugin {{ }} section: a global setting)"
    return REPLACED_24.get((kind, name))
