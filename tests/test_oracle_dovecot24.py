"""Differential tests against Dovecot 2.4's doveconf (Debian 13, in the root of .ci/trixie-root).

``chroot ROOT doveconf -n -P -c FILE`` prints the settings that differ from the defaults,
in its own normal form: ``ssl_server_cert_file = X`` as ``ssl_server { cert_file = X }``,
``passdb foo { passdb_use_cache = no }`` as ``use_cache = no``. Both sides are brought
to flat names (a nameless group folds into the name; inside ``K NAME { }`` a name ``n``
is ``n``, ``K_n`` or ``K_NAME_n``, as doveconf resolves it) under the same filter and
named-section path; every setting doveconf prints must be in our model with that value.

The trees are iRedMail's Dovecot 2.4 samples (the corpus, placeholders filled) and the
tree Debian 13's dovecot-core installs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from linter import catalog
from linter.checks.context import _flat_name
from linter.model import Document, Setting
from linter.parsers import dovecot as parser
from linter.parsers import read_text
from tests.conftest import CORPUS
from tests.test_oracle_dovecot import _as_printed, _normal, read_doveconf_output, same_value

VERSION = "2.4"
IREDMAIL = CORPUS / "iredmail__iRedMail" / "samples" / "dovecot"
# iRedMail's installer fills these in; any plausible value keeps doveconf's checks happy.
PLACEHOLDERS = {
    "PH_AUTH_DEFAULT_REALM": "example.com", "PH_BASE_DIR": "/var/run/dovecot", "PH_DOVECOT_AUTH_GROUP": "mail",
    "PH_DOVECOT_AUTH_USER": "mail", "PH_DOVECOT_MASTER_USER_PASSWORD_FILE": "/etc/dovecot/master-users",
    "PH_FIRST_VALID_UID": "2000", "PH_LAST_VALID_UID": "2000", "PH_GLOBAL_SIEVE_FILE": "/var/vmail/sieve/d.sieve",
    "PH_IREDMAIL_SYSLOG_FACILITY": "mail", "PH_LMTP_BIND_ADDRESS": "127.0.0.1", "PH_LMTP_BIND_PORT": "24",
    "PH_MAIL_GID": "mail", "PH_MAIL_UID": "mail", "PH_POSTFIX_CHROOT_DIR": "/var/spool/postfix",
    "PH_SIEVE_DIR": "/var/vmail/sieve", "PH_SQL_SERVER_ADDRESS": "127.0.0.1", "PH_SQL_SERVER_PORT": "3306",
    "PH_SSL_CERT": "/etc/ssl/certs/mail.crt", "PH_SSL_CIPHERS": "HIGH", "PH_SSL_DH1024_PARAM_FILE": "/etc/ssl/dh.pem",
    "PH_SSL_KEY": "/etc/ssl/private/mail.key", "PH_SYS_GROUP_VMAIL": "mail", "PH_SYS_USER_VMAIL": "mail",
    "PH_VMAIL_DB_ADMIN_PASSWD": "secret", "PH_VMAIL_DB_ADMIN_USER": "vmailadmin", "PH_VMAIL_DB_NAME": "vmail",
}
FILTERS = parser.FILTERS


def flat_key(name: str, headers: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    flat, rest = _flat_name(name, tuple(_normal(h) for h in headers), VERSION)
    return rest, flat


def ours_by_key(doc: Document) -> dict[tuple[tuple[str, ...], str], list[Setting]]:
    found: dict[tuple[tuple[str, ...], str], list[Setting]] = {}
    for entry in doc.entries:
        assert isinstance(entry, Setting)
        found.setdefault(flat_key(entry.name, entry.section), []).append(entry)
    return found


def same24(name: str, ours: str, printed: str) -> bool:
    """2.4 also quotes (and escapes) a value holding a backslash or a double quote."""
    if same_value(name, ours, printed):
        return True
    return printed == '"' + ours.replace("\\", "\\\\").replace('"', '\\"') + '"'


def differences24(doc: Document, printed: list[tuple[tuple[str, ...], str, str]]) -> list[str]:
    ours = ours_by_key(doc)
    problems = []
    for section, name, value in printed:
        key = flat_key(name, section)
        found = ours.get(key)
        if not found:
            if value == "":
                continue
            problems.append(f"missing {'/'.join(key[0] + (key[1],))} = {value!r}")
        elif not same24(name, found[-1].value, value):
            problems.append(f"{'/'.join(key[0] + (key[1],))}: doveconf {value!r}, ours {[s.value for s in found]!r}")
    return problems


def run_doveconf24(root: Path, directory: Path, name: str) -> subprocess.CompletedProcess:
    """doveconf 2.4 on ``directory/name``, copied into the root (includes relative to it)."""
    inside = root / "tmp" / "policy-lint-oracle"
    shutil.rmtree(inside, ignore_errors=True)
    shutil.copytree(directory, inside)
    try:
        return subprocess.run(["chroot", str(root), "doveconf", "-n", "-P", "-c", f"/tmp/policy-lint-oracle/{name}"],
                              capture_output=True, text=True, timeout=60, check=False)
    finally:
        shutil.rmtree(inside, ignore_errors=True)


@pytest.mark.parametrize("variant", ["mariadb", "pgsql", "openldap"])
def test_iredmail_24_tree_agrees_with_doveconf_24(variant, trixie_root, corpus, tmp_path):
    text = (IREDMAIL / f"dovecot-2.4-{variant}.conf").read_text(encoding="utf-8")
    text = re.sub(r"PH_[A-Z0-9_]+", lambda m: PLACEHOLDERS.get(m.group(0), "x"), text)
    (tmp_path / "dovecot.conf").write_text(text, encoding="utf-8")
    result = run_doveconf24(trixie_root, tmp_path, "dovecot.conf")
    assert result.returncode == 0, result.stderr
    printed = read_doveconf_output(result.stdout)
    assert len(printed) >= 100
    doc = parser.parse(str(tmp_path / "dovecot.conf"), text)
    assert doc.meta["dovecot_config_version"] == "2.4.0"
    assert differences24(doc, printed) == []


def test_debian_13_installed_tree_agrees_with_doveconf_24(trixie_root, tmp_path):
    tree = tmp_path / "dovecot"
    shutil.copytree(trixie_root / "etc" / "dovecot", tree, ignore=shutil.ignore_patterns("private"))
    # The root file includes /usr/share/dovecot/protocols.d/*.protocol: bring them next to it.
    shutil.copytree(trixie_root / "usr" / "share" / "dovecot" / "protocols.d", tree / "protocols.d")
    root_text = (tree / "dovecot.conf").read_text(encoding="utf-8")
    root_text = root_text.replace("/usr/share/dovecot/protocols.d/", "protocols.d/")
    (tree / "dovecot.conf").write_text(root_text, encoding="utf-8")
    conf = tree / "conf.d" / "10-ssl.conf"  # the key lives under private/, left out: point at a copy of the cert
    conf.write_text(conf.read_text(encoding="utf-8").replace("/etc/dovecot/private/dovecot.key",
                                                             "/etc/dovecot/private/dovecot.pem"), encoding="utf-8")
    result = run_doveconf24(trixie_root, tree, "dovecot.conf")
    assert result.returncode == 0, result.stderr
    printed = read_doveconf_output(result.stdout)
    assert len(printed) >= 10
    doc = parser.parse(str(tree / "dovecot.conf"), read_text(str(tree / "dovecot.conf")))
    assert differences24(doc, printed) == []
    assert catalog.dovecot_tree_version(doc.meta.get("dovecot_config_version")) == VERSION


def test_values_are_printed_back(trixie_root, tmp_path):
    """Quoting, ``$SET:`` and blanks around ``$`` as doveconf 2.4 reads them."""
    text = ("dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n"
            "login_greeting = a  $x    b\nlogin_greeting = $SET:login_greeting more\n"
            "mail_plugins = acl\nmail_plugins = $mail_plugins   zlib\n"
            "postmaster_address = \"a # b\"\nhostname = 'x\\'y'\n"
            "login_trusted_networks = 10.0.0.0/8 \\\n   192.168.0.0/16\n"
            "protocol imap {\n  mail_plugins = $mail_plugins imap_acl\n}\n"
            "ssl_server_cert_file = </etc/passwd\n")
    (tmp_path / "dovecot.conf").write_text(text, encoding="utf-8")
    result = run_doveconf24(trixie_root, tmp_path, "dovecot.conf")
    assert result.returncode == 0, result.stderr
    printed = read_doveconf_output(result.stdout)
    doc = parser.parse(str(tmp_path / "dovecot.conf"), text)
    assert differences24(doc, printed) == []
    assert {(k, _as_printed(v[-1].value)) for k, v in ours_by_key(doc).items()} >= {
        (((), "login_greeting"), "a $x b more"), (((), "mail_plugins"), "$mail_plugins zlib")}
