"""Versions: the catalogue a tree is read with, and one policy name read in both Dovecot versions.

A policy names a Dovecot setting once (2.3 or 2.4 spelling); a Dovecot tree with
``dovecot_config_version`` is read as 2.4, one without as 2.3, unless
``.policy-lint.yaml`` forces ``versions: {dovecot: ...}``.
"""

from __future__ import annotations

import json

import pytest

from linter import catalog, cli, versions

POLICY = """\
policy: version-test
rules:
  - id: VT001
    name: cleartext-auth
    scope: dovecot
    message: "{directive} lets clients log in in cleartext"
    rationale: test
    check:
      kind: value
      directive: disable_plaintext_auth
      equals: true
    fix:
      title: "Refuse cleartext logins"
      applicability: safe
      set:
        disable_plaintext_auth: "yes"
    examples:
      - bad:
          dovecot.conf: |
            disable_plaintext_auth = no
        fixed:
          dovecot.conf: |
            disable_plaintext_auth = yes
      - good:
          dovecot.conf: |
            dovecot_config_version = 2.4.0
            auth_allow_cleartext = no
  - id: VT002
    name: cert-not-from-file
    scope: dovecot
    message: "{directive} is {value}"
    rationale: test
    when: "is_set('ssl_cert')"
    check:
      kind: assert
      expr: "startswith(dovecot('ssl_cert'), '<')"
    examples:
      - good:
          dovecot.conf: |
            dovecot_config_version = 2.4.0
            ssl_server_cert_file = /etc/ssl/x.pem
"""

V24 = "dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n"


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".policy-lint.yaml").write_text("{}\n", encoding="utf-8")
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    yield tmp_path
    catalog.select()


def findings(capsys, *paths: str, config: str | None = None) -> list[tuple[str, int, str]]:
    argv = ["check", "--no-builtin", "--policy", "policy.yaml", "--format", "json", "--no-cache", *paths]
    if config is not None:
        argv += ["--config", config]
    cli.main(argv)
    report = json.loads(capsys.readouterr().out)
    return [(d["rule"], d["line"], d["message"]) for d in report]


def test_a_23_name_reads_the_24_setting_with_its_meaning(site, capsys):
    (site / "dovecot.conf").write_text(V24 + "auth_allow_cleartext = yes\n", encoding="utf-8")
    assert findings(capsys, "dovecot.conf") == [
        ("VT001", 3, "disable_plaintext_auth lets clients log in in cleartext")]
    (site / "dovecot.conf").write_text(V24 + "auth_allow_cleartext = no\n", encoding="utf-8")
    assert findings(capsys, "dovecot.conf") == []
    (site / "dovecot.conf").write_text(V24, encoding="utf-8")  # 2.4's default: no cleartext
    assert findings(capsys, "dovecot.conf") == []
    (site / "dovecot.conf").write_text("ssl = yes\n", encoding="utf-8")  # 2.3's default: yes
    assert findings(capsys, "dovecot.conf") == []
    (site / "dovecot.conf").write_text("disable_plaintext_auth = no\n", encoding="utf-8")
    assert [f[:2] for f in findings(capsys, "dovecot.conf")] == [("VT001", 1)]


def test_the_fix_writes_the_trees_spelling(site, capsys):
    (site / "dovecot.conf").write_text(V24 + "auth_allow_cleartext = yes\n", encoding="utf-8")
    cli.main(["check", "--no-builtin", "--policy", "policy.yaml", "--no-cache", "--fix", "dovecot.conf"])
    assert (site / "dovecot.conf").read_text() == V24 + "auth_allow_cleartext = no\n"


def test_file_settings_convert_between_lt_path_and_path(site, capsys):
    (site / "dovecot.conf").write_text(V24 + "ssl_server_cert_file = /etc/ssl/x.pem\n", encoding="utf-8")
    assert findings(capsys, "dovecot.conf") == []  # read as ssl_cert = </etc/ssl/x.pem


def test_an_unquoted_version_is_read(site, capsys):
    (site / "dovecot.conf").write_text("auth_allow_cleartext = yes\n", encoding="utf-8")
    (site / "forced.yaml").write_text("versions:\n  dovecot: 2.4\n", encoding="utf-8")
    assert [f[:2] for f in findings(capsys, "dovecot.conf", config="forced.yaml")] == [("VT001", 1)]


def test_a_forced_version_wins_over_the_tree(site, capsys):
    (site / "dovecot.conf").write_text(V24 + "auth_allow_cleartext = yes\n", encoding="utf-8")
    (site / "forced.yaml").write_text("versions:\n  dovecot: '2.3'\n", encoding="utf-8")
    # Read as 2.3: auth_allow_cleartext means nothing there; disable_plaintext_auth is at its default (yes).
    assert findings(capsys, "dovecot.conf", config="forced.yaml") == []


def test_tree_version_detection():
    assert catalog.dovecot_tree_version(None) == "2.3"
    assert catalog.dovecot_tree_version("2.4.0") == "2.4"
    assert catalog.dovecot_tree_version("2.4.1") == "2.4"
    assert catalog.dovecot_tree_version("2.9.0") == catalog.VERSIONS["dovecot"][-1]
    catalog.select(dovecot="2.3")
    try:
        assert catalog.dovecot_tree_version("2.4.0") == "2.3"
    finally:
        catalog.select()


@pytest.mark.parametrize("text, message", [
    ("versions:\n  dovecot: '2.5'\n", "bad.yaml:2:12: error: versions.dovecot: expected one of 2.3, 2.4, not 2.5"),
    ("versions:\n  postfix: 3.10\n", "versions.postfix: expected one of 3.7, 3.10, not 3.1 (quote it"),
    ("versions:\n  dovcot: '2.4'\n", "versions: unknown key 'dovcot' (did you mean 'dovecot'?)"),
])
def test_bad_versions_are_located_config_errors(site, capsys, text, message):
    (site / "bad.yaml").write_text(text, encoding="utf-8")
    assert cli.main(["check", "--config", "bad.yaml", "--no-builtin", "--policy", "policy.yaml"]) == 2
    assert message in capsys.readouterr().err


def test_the_rename_table_names_settings_each_version_knows():
    for (kind, old), (new, _) in versions.RENAMED_24.items():
        assert catalog.dovecot_setting(old, kind, "2.3") is not None, old
        assert catalog.dovecot_setting(old, kind, "2.4") is None, old
        assert catalog.dovecot_setting(new, kind, "2.4") is not None, new
        assert catalog.dovecot_setting(new, kind, "2.3") is None, new
    for new in versions.PLUGIN_RENAMED_24.values():
        assert catalog.dovecot_setting(new, None, "2.4") is not None, new


def test_24_sections_narrow_flat_names():
    assert catalog.dovecot_setting("mode", "unix_listener", "2.4").name == "unix_listener_mode"
    assert catalog.dovecot_setting("query", "passdb", "2.4", "sql").name == "passdb_sql_query"
    assert catalog.dovecot_setting("query", "passdb", "2.4", "foo") is None
    assert catalog.dovecot_setting("cert_file", "ssl_server", "2.4").name == "ssl_server_cert_file"
    assert catalog.dovecot_setting("quota", "mail_plugins", "2.4").type == "string"  # a list item
    assert catalog.dovecot_named_default(["service auth", "unix_listener auth-userdb"], "mode", "2.4") == "0666"


# -- Dovecot 2.3's obsolete settings, against the real doveconf 2.3 ---------------------

OBSOLETE_LINES = [
    "ssl_protocols = !SSLv3", "ssl_protocols = !SSLv2 !SSLv3", "ssl_protocols =", "ssl_protocols = TLSv1.2",
    "ssl_protocols = TLSv1.1,TLSv1.2", "ssl_protocols = !SSLv3 !TLSv1 !TLSv1.1 !TLSv1.2",
    "ssl_protocols = TLSv1 !TLSv1 TLSv1.2", "ssl_protocols = TLSv1.3", "ssl_protocols = !SSLv3 TLSv1.1",
    "ssl_disable = yes", "ssl_disable = NO", "fsync_disable = yes", "fsync_disable = no",
    "dbox_rotate_size = 2M", "mail_cache_compress_min_size = 1k", "ssl_key_file = /k", "ssl_ca_file = /c",
    "ssl_key_file =", "login_dir = /x", "ssl_dh_parameters_length = 2048", "ssl_parameters_regenerate = 1d",
    "mail_process_size = 256", "auth_process_size = 64", "sieve = ~/.dovecot.sieve",
    "protocol imap {\n  ssl_protocols = !SSLv3\n}", "protocol pop3 {\n  ssl_disable = yes\n}",
    "ssl_min_protocol = TLSv1.2\nssl_protocols = !SSLv3",
]


@pytest.mark.parametrize("text", OBSOLETE_LINES)
def test_obsolete_settings_read_as_doveconf_23_reads_them(text, tmp_path, doveconf):
    import re
    import subprocess

    from linter.parsers import dovecot as parser
    from tests.test_oracle_dovecot import differences, read_doveconf_output

    path = tmp_path / "dovecot.conf"
    path.write_text(text + "\n", encoding="utf-8")
    result = subprocess.run([doveconf, "-n", "-P", "-c", str(path)], capture_output=True, text=True, check=False)
    doc = parser.parse(str(path), text + "\n")
    # With a settings plugin installed (ManageSieve) doveconf reads the file twice and warns
    # twice about the same line: one warning per line and message.
    theirs = list(dict.fromkeys(re.findall(r"Obsolete setting in [^:]+:(\d+): (.*)", result.stderr)))
    error = re.search(r"Error: (Could not find a minimum .*)", result.stderr)
    ours = [w for w in doc.warnings if w.code == "obsolete-setting"]
    assert [(str(w.span.line), w.message.split("; then: ")[0]) for w in ours] == \
        [(line, f"Obsolete setting: {message}") for line, message in theirs]
    if error:
        assert [w.message.split("; then: ")[1] for w in ours] == [f"{error.group(1)} (doveconf fails)"]
        return
    fatal = "Fatal:" in result.stderr
    if not fatal:
        printed = [p for p in read_doveconf_output(result.stdout) if not p[1].startswith("plugin")]
        # service { } conversions (mail_process_size...) and plugin moves are reported, not modelled
        printed = [p for p in printed if not (p[0] and p[0][0].startswith(("service", "plugin")))]
        assert differences(doc, printed) == []


@pytest.mark.parametrize("value", ["!SSLv3", "", "TLSv1.2", "!SSLv3 !TLSv1", "TLSv1 TLSv1.1", "!TLSv1.2",
                                   "SSLv3,!TLSv1", "!SSLv3 !TLSv1 !TLSv1.1 !TLSv1.2", "TLSv1.3", "!SSLv2"])
def test_ssl_protocols_conversion(value):
    found, error = versions.ssl_min_protocol_of(value)
    expected = {"!SSLv3": "TLSv1", "": "SSLv3", "TLSv1.2": "TLSv1.2", "!SSLv3 !TLSv1": "TLSv1.1",
                "TLSv1 TLSv1.1": "TLSv1", "!TLSv1.2": "SSLv3", "SSLv3,!TLSv1": "SSLv3"}
    assert found == expected.get(value)
    assert (error is None) == (value in expected)


def test_a_23_obsolete_ssl_protocols_is_seen_as_tlsv1(tmp_path, monkeypatch, capsys):
    """Issue 11: ssl_protocols = !SSLv3 is a silent downgrade to TLSv1; DC005 says so and
    the TLS rules judge ssl_min_protocol = TLSv1 at that line."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".policy-lint.yaml").write_text("{}\n", encoding="utf-8")
    (tmp_path / "dovecot.conf").write_text("ssl = required\nssl_protocols = !SSLv3\n", encoding="utf-8")
    cli.main(["check", "--format", "json", "--no-cache", "dovecot.conf"])
    found = {(d["rule"], d["line"]) for d in json.loads(capsys.readouterr().out)}
    assert ("DC005", 2) in found
    assert any(rule != "DC005" and line == 2 for rule, line in found), found  # a TLS floor rule sees TLSv1


def test_every_catalogue_version_is_in_the_cache_key_and_the_docs():
    """docs/versions.md's recipe: a version is its file, a VERSIONS entry, a cache source
    and the accepted values of versions: in docs/configuration.md."""
    from pathlib import Path

    from linter import cache

    docs = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text(encoding="utf-8")
    for product, known in catalog.VERSIONS.items():
        assert catalog.DEFAULT_VERSIONS[product] in known
        for version in known:
            assert f"data/{product}-{version}.json" in cache._POLICY_SOURCES, (product, version)
            assert f'"{version}"' in docs, (product, version)
