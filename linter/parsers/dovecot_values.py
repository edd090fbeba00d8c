"""How the Dovecot parser reads a value (a mixin of ``dovecot._Parser``): the ``$key``
self-references ``doveconf -n`` expands, and Dovecot 2.3's obsolete settings with the
setting doveconf applies instead."""

from __future__ import annotations

from linter.model import ParseWarning, Setting, Span

# Dovecot 2.3.19.1 (Debian) defaults of the list settings that configs extend with
# ``name = $name more``; ``doveconf -n`` expands such a self-reference to the default
# when nothing set it before. Checked against ``doveconf -d`` by the oracle tests. The
# catalogue (``linter.catalog``) is asked first; this covers what it has no default for.
SELF_REFERENCE_DEFAULTS = {
    "auth_mechanisms": "plain",
    "import_environment": "TZ CORE_OUTOFMEM CORE_ERROR LISTEN_PID LISTEN_FDS NOTIFY_SOCKET",
    "login_trusted_networks": "",
    "mail_plugins": "",
    "protocols": "",
}


class ValueReader:
    """Needs ``values`` (the value so far per section and key), ``entries``, ``warnings``
    and ``config_version`` of the parser."""

    def _obsolete(self, section: tuple[str, ...], key: str, value: str, whole: Span, name_span: Span,
                  value_span: Span) -> None:
        """Dovecot 2.3's obsolete settings: doveconf's warning, and the setting it applies
        instead (``ssl_protocols = !SSLv3`` is ``ssl_min_protocol = TLSv1``)."""
        from linter import versions

        found = versions.obsolete_23(key, value)
        if found is None:
            return
        message = f"Obsolete setting: {found.message}"
        replacement = None
        if found.error is not None:
            message += f"; then: {found.error} (doveconf fails)"
        elif found.name is not None:
            replacement = f"{found.name} = {found.value}"
            self.values[(section, found.name)] = found.value
            self.entries.append(Setting(section, found.name, found.value, whole, name_span, value_span,
                                        converted_from=key))
        else:
            replacement = ""  # removed: doveconf ignores it
        self.warnings.append(ParseWarning("obsolete-setting", message, whole, replacement))

    def _expand(self, section: tuple[str, ...], key: str, written: str) -> str:
        """``doveconf -n``'s reading of an unquoted value holding ``$``: space-split
        tokens re-joined by one space, ``$key`` (the setting itself) expanded."""
        # config_write_keyvariable(): a token ends at a space; the blanks (spaces and
        # tabs) after it are skipped, so "$a \t b" reads "$a b" but "$a\tb" stays.
        tokens = []
        rest = written
        while True:
            end = rest.find(" ")
            if end < 0:
                tokens.append(rest)
                break
            tokens.append(rest[:end])
            rest = rest[end:].lstrip(" \t")
        out: list[str] = []
        # 2.3 expands ``$key``; 2.4 expands ``$SET:key`` and keeps ``$key`` as written.
        reference = "$" + key if self.config_version is None else "$SET:" + key
        for token in tokens:
            if token == reference:
                previous = self._previous(section, key)
                out.append(token if previous is None else previous)
            else:
                out.append(token)
        return " ".join(out)

    def _previous(self, section: tuple[str, ...], key: str) -> str | None:
        """The value ``key`` had so far here or in an enclosing section, else its
        default from the catalogue, else from SELF_REFERENCE_DEFAULTS, else None."""
        for depth in range(len(section), -1, -1):
            found = self.values.get((section[:depth], key))
            if found is not None:
                return found
        from linter import catalog

        if self.config_version is None:
            param = catalog.dovecot_setting(key, section[-1].split(" ", 1)[0] if section else None, "2.3")
            if param is not None and param.default is not None:
                return param.default
            return SELF_REFERENCE_DEFAULTS.get(key)  # None: the token stays as written
        version = catalog.dovecot_tree_version(self.config_version)
        kind, _, name = section[-1].partition(" ") if section else (None, "", "")
        param = catalog.dovecot_setting(key, kind, version, name or None)
        return param.default if param is not None else None
