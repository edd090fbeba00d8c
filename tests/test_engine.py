"""The engine: host grouping, scopes, smtpd-service overrides, insertion points and fixes."""

from __future__ import annotations

from pathlib import Path

import pytest

from linter.diagnostics import Severity
from linter.edits import apply_edits
from linter.engine import check, is_selected
from linter.options import Host, Options
from linter.policy import load_policy

POLICY = """policy: engine-test
rules:
  - id: EN101
    name: sasl-without-tls-only
    scope: smtpd-service
    message: "{service}: SASL without TLS-only auth"
    when: "smtpd_sasl_auth_enable"
    check: {kind: value, directive: smtpd_tls_auth_only, equals: yes}
    fix:
      title: Require TLS for AUTH
      set: {smtpd_tls_auth_only: "yes"}
  - id: EN102
    name: tls-level-unset
    scope: postfix-main
    message: "{directive} is not set"
    check: {kind: required, directive: smtpd_tls_security_level}
    fix:
      title: Offer STARTTLS
      after: myhostname
      set: {smtpd_tls_security_level: may}
  - id: EN103
    name: qmgr-not-single
    scope: postfix-master
    message: "qmgr process limit is {limit}"
    params: {limit: 1}
    when: "service('command') == 'qmgr'"
    check: {kind: assert, expr: "service('process_limit') == limit"}
"""


def setup(tmp_path: Path, files: dict[str, str]) -> tuple:
    (tmp_path / "policy.yaml").write_text(POLICY)
    policy = load_policy([str(tmp_path / "policy.yaml")], builtin=False)
    paths = {}
    for name, text in files.items():
        path = tmp_path / "etc" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())
        paths[name] = str(path)
    return policy, paths


def test_smtpd_service_override_and_inherited_value(tmp_path: Path) -> None:
    policy, paths = setup(tmp_path, {
        "main.cf": "myhostname = mx\nsmtpd_tls_auth_only = no\nsmtpd_tls_security_level = may\n",
        "master.cf": "smtp inet n - y - - smtpd\n"
                     "submission inet n - y - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n"
                     "  -o smtpd_tls_auth_only=yes\n"
                     "smtps inet n - y - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n",
    })
    report = check([paths["main.cf"], paths["master.cf"]], policy, Options(select=("EN101",)))
    (d,) = report.diagnostics
    assert d.message == "smtps: SASL without TLS-only auth"
    # the value is inherited from main.cf: the finding and the fix are there
    assert d.path == paths["main.cf"] and d.span.line == 2
    assert d.related and d.related[-1].path == paths["master.cf"]
    fixed = apply_edits(Path(paths["main.cf"]).read_text(), d.fix.edits)
    assert "smtpd_tls_auth_only = yes\n" in fixed


def test_default_value_finding_points_at_insertion_point(tmp_path: Path) -> None:
    pytest.importorskip("linter.catalog")
    policy, paths = setup(tmp_path, {"main.cf": "myhostname = mx\nsmtpd_sasl_auth_enable = yes\n# end\n"})
    # a host declared without master.cf runs the stock one: its implicit smtp service
    declared = (Host(main=paths["main.cf"]),)
    (d,) = check([paths["main.cf"]], policy, Options(select=("EN101",), hosts=declared)).diagnostics
    assert d.message == "smtp: SASL without TLS-only auth"
    assert d.span.line == 2
    fixed = apply_edits(Path(paths["main.cf"]).read_text(), d.fix.edits)
    assert fixed == "myhostname = mx\nsmtpd_sasl_auth_enable = yes\nsmtpd_tls_auth_only = yes\n# end\n"


def test_fix_replaces_the_override_the_value_came_from(tmp_path: Path) -> None:
    master = "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n" \
             "  -o smtpd_sasl_auth_enable=yes\n  -o smtpd_tls_auth_only=no\n"
    policy, paths = setup(tmp_path, {"main.cf": "myhostname = mx\n", "master.cf": master})
    report = check([paths["master.cf"]], policy, Options(select=("EN101",)))
    (d,) = report.diagnostics
    assert d.path == paths["master.cf"] and d.span.line == 4
    assert apply_edits(master, d.fix.edits) == master.replace("auth_only=no", "auth_only=yes")


def test_counterpart_is_read_but_findings_only_in_passed_files(tmp_path: Path) -> None:
    policy, paths = setup(tmp_path, {
        "main.cf": "myhostname = mx\nsmtpd_sasl_auth_enable = yes\n",
        "master.cf": "smtp inet n - y - - smtpd\n  -o smtpd_tls_auth_only=no\n",
    })
    only_main = check([paths["main.cf"]], policy, Options(select=("EN101",)))
    assert only_main.diagnostics == ()  # the finding is on the -o in master.cf, not passed
    only_master = check([paths["master.cf"]], policy, Options(select=("EN101",)))
    assert [d.span.line for d in only_master.diagnostics] == [2]


def test_missing_directive_after_related_directive_keeps_crlf(tmp_path: Path) -> None:
    text = "# head\r\nmyhostname = mx\r\nmydomain = example.org\r\n"
    policy, paths = setup(tmp_path, {"main.cf": text})
    report = check([paths["main.cf"]], policy, Options(select=("EN102",)))
    (d,) = report.diagnostics
    assert d.span.line == 2  # after myhostname, as the fix says; never line 1
    assert apply_edits(text, d.fix.edits) == \
        "# head\r\nmyhostname = mx\r\nsmtpd_tls_security_level = may\r\nmydomain = example.org\r\n"


def test_missing_directive_in_file_without_trailing_newline(tmp_path: Path) -> None:
    policy, paths = setup(tmp_path, {"main.cf": "mydomain = example.org"})
    (d,) = check([paths["main.cf"]], policy, Options(select=("EN102",))).diagnostics
    assert d.span.line == 1
    assert apply_edits("mydomain = example.org", d.fix.edits) == \
        "mydomain = example.org\nsmtpd_tls_security_level = may\n"


def test_postfix_master_scope_with_params_override(tmp_path: Path) -> None:
    policy, paths = setup(tmp_path, {"master.cf": "qmgr unix n - n 300 1 qmgr\n"})
    assert check([paths["master.cf"]], policy, Options(select=("EN103",))).diagnostics == ()
    report = check([paths["master.cf"]], policy, Options(select=("EN103",), params={"EN103": {"limit": 2}},
                                                          severity={"EN103": Severity.ERROR}))
    (d,) = report.diagnostics
    assert d.message == "qmgr process limit is 2" and d.severity is Severity.ERROR and d.span.line == 1


def test_parse_error_goes_to_errors_and_other_files_are_checked(tmp_path: Path) -> None:
    policy, paths = setup(tmp_path, {"a/main.cf": "this is not a setting\n", "b/main.cf": "myhostname = mx\n"})
    report = check([paths["a/main.cf"], paths["b/main.cf"]], policy, Options(select=("EN102",)))
    assert [e.path for e in report.errors] == [paths["a/main.cf"]]
    assert [d.path for d in report.diagnostics] == [paths["b/main.cf"]]


def test_unknown_format_is_an_error(tmp_path: Path) -> None:
    policy, paths = setup(tmp_path, {"notes.txt": "x"})
    report = check([paths["notes.txt"]], policy, Options())
    assert report.errors and "format" in report.errors[0].message


def test_select_and_ignore_longest_prefix_wins() -> None:
    assert is_selected("PF101", Options())
    assert not is_selected("PF101", Options(ignore=("PF1",)))
    assert is_selected("PF101", Options(select=("PF101",), ignore=("PF1",)))
    assert not is_selected("PF101", Options(select=("PF",), ignore=("PF10",)))
    assert not is_selected("DV101", Options(select=("PF",)))


def _one_rule_policy(tmp_path: Path, body: str):
    (tmp_path / "one.yaml").write_text("policy: one\nrules:\n  - id: EN201\n    name: one-rule\n" + body)
    return load_policy([str(tmp_path / "one.yaml")], builtin=False)


def test_fix_with_unfillable_placeholder_is_dropped_finding_kept(tmp_path: Path) -> None:
    # myhostname's default is host-dependent: {host} cannot be filled, so no fix writes '?'
    policy = _one_rule_policy(tmp_path, """    scope: postfix-main
    message: "smtpd_banner must not leak the version"
    let: {host: myhostname}
    check: {kind: value, directive: smtpd_banner, not_matches: mail_version}
    fix:
      title: "Use a plain banner"
      set: {smtpd_banner: "{host} ESMTP"}
""")
    main = tmp_path / "etc" / "main.cf"
    main.parent.mkdir()
    main.write_text("smtpd_banner = $myhostname $mail_version\n")
    (d,) = check([str(main)], policy, Options()).diagnostics
    assert d.span.line == 1 and d.fix is None
    main.write_text("myhostname = mx.example.org\nsmtpd_banner = $myhostname $mail_version\n")
    (d,) = check([str(main)], policy, Options()).diagnostics
    assert d.fix is not None and d.fix.edits[0].content == "mx.example.org ESMTP"


def test_override_value_with_blanks_uses_long_form(tmp_path: Path) -> None:
    policy = _one_rule_policy(tmp_path, """    scope: smtpd-service
    message: "{service}: weak SASL options"
    check: {kind: value, directive: smtpd_sasl_security_options, contains: [noplaintext]}
    fix:
      title: "Forbid plaintext"
      set: {smtpd_sasl_security_options: "noanonymous, noplaintext"}
""")
    master = ("smtp inet n - y - - smtpd\n  -o smtpd_sasl_security_options=noplaintext\n"
              "submission inet n - y - - smtpd\n  -o smtpd_sasl_security_options=noanonymous\n"
              "  -o smtpd_tls_security_level=encrypt\n")
    path = tmp_path / "etc" / "master.cf"
    path.parent.mkdir()
    path.write_text(master)
    (d,) = check([str(path)], policy, Options()).diagnostics
    assert d.span.line == 4
    fixed = apply_edits(master, d.fix.edits)
    assert fixed == master.replace("-o smtpd_sasl_security_options=noanonymous",
                                   "-o { smtpd_sasl_security_options = noanonymous, noplaintext }")
    (tmp_path / "etc" / "master.cf").write_text(fixed)
    assert check([str(path)], policy, Options()).diagnostics == ()


@pytest.mark.parametrize("layout", [
    {"main.cf": "main.cf", "master.cf": "master.cf", "dovecot": "dovecot/dovecot.conf"},
    {"main.cf": "postfix/main.cf", "master.cf": "postfix/master.cf", "dovecot": "dovecot/dovecot.conf"},
    {"main.cf": "main.cf", "master.cf": "master.cf", "dovecot": "dovecot.conf"},
])
def test_default_grouping_pairs_postfix_with_dovecot(tmp_path: Path, layout: dict) -> None:
    # EN201 (in main.cf) fires only when the Dovecot tree, includes read, is found;
    # EN202 (in dovecot.conf) only when main.cf is found
    policy = _one_rule_policy(tmp_path, """    scope: host
    message: "Dovecot sets auth_mechanisms"
    check: {kind: assert, expr: "not dovecot_exists('auth_mechanisms')", anchor: smtpd_sasl_type}
  - id: EN202
    name: other-rule
    scope: host
    message: "Dovecot lacks service auth"
    when: "smtpd_sasl_type == 'dovecot'"
    check: {kind: dovecot-section, section: "service auth"}
""")
    host = tmp_path / "host"
    texts = {"main.cf": "smtpd_sasl_type = dovecot\n", "master.cf": "smtp inet n - y - - smtpd\n",
             "dovecot": "protocols = imap\n!include conf.d/*.conf\n"}
    for key, rel in layout.items():
        (host / rel).parent.mkdir(parents=True, exist_ok=True)
        (host / rel).write_text(texts[key])
    conf_d = (host / layout["dovecot"]).parent / "conf.d" / "10-auth.conf"
    conf_d.parent.mkdir()
    conf_d.write_text("auth_mechanisms = plain\n")

    def rules(*passed: str) -> list[str]:
        return [d.rule for d in check([str(host / p) for p in passed], policy, Options()).diagnostics]

    # host-scope rules are cross-file: checking any file of the host reports their
    # findings wherever they are (pre-commit passes only the changed file)
    assert sorted(rules(layout["main.cf"])) == ["EN201", "EN202"]
    assert sorted(rules(layout["master.cf"])) == ["EN201", "EN202"]
    assert sorted(rules(layout["dovecot"])) == ["EN201", "EN202"]
    assert sorted(rules(str(conf_d.relative_to(host)))) == ["EN201", "EN202"]
    assert sorted(rules(layout["main.cf"], layout["dovecot"])) == ["EN201", "EN202"]


def test_trailing_comment_fix_leaves_no_trailing_blank(tmp_path: Path) -> None:
    policy = _one_rule_policy(tmp_path, """    scope: postfix-main
    message: "{detail}"
    check: {kind: syntax, warning: trailing-comment}
    fix: {title: Remove the comment, applicability: safe}
""")
    main = "message_size_limit = 10240000 \t # 10 MB\nmynetworks = 127.0.0.0/8\n  [::1]/128  # loopback\n"
    path = tmp_path / "etc" / "main.cf"
    path.parent.mkdir()
    path.write_text(main)
    report = check([str(path)], policy, Options())
    assert [d.span.line for d in report.diagnostics] == [1, 3]
    fixed = apply_edits(main, [e for d in report.diagnostics for e in d.fix.edits])
    assert fixed == "message_size_limit = 10240000\nmynetworks = 127.0.0.0/8\n  [::1]/128\n"


def test_service_scope_reads_dovecot_and_merges_same_finding(tmp_path: Path) -> None:
    # SASL on two services through -o; each needs the listener its own smtpd_sasl_path names
    policy = _one_rule_policy(tmp_path, """    scope: smtpd-service
    message: "no Dovecot listener {socket}"
    when: "smtpd_sasl_auth_enable and dovecot_exists('service auth')"
    let: {socket: "join_path(queue_directory, smtpd_sasl_path)"}
    check: {kind: dovecot-section, section: "service auth / unix_listener {socket}"}
""")
    files = {
        "main.cf": "smtpd_sasl_path = private/auth\n",
        "master.cf": "smtp inet n - y - - smtpd\n"
                     "submission inet n - y - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n"
                     "smtps inet n - y - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n"
                     "relay inet n - y - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n  -o smtpd_sasl_path=private/relay\n",
        "dovecot/dovecot.conf": "service auth {\n}\n",
    }
    paths = []
    for name, text in files.items():
        path = tmp_path / "host" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        paths.append(str(path))
    report = check(paths, policy, Options())
    found = sorted((d.message, [(Path(r.path).name, r.line) for r in d.related]) for d in report.diagnostics)
    # related: the other side (where smtpd_sasl_path is set), then the services that need it
    assert found == [("no Dovecot listener /var/spool/postfix/private/auth",
                      [("main.cf", 1), ("master.cf", 2), ("master.cf", 4)]),
                     ("no Dovecot listener /var/spool/postfix/private/relay", [("master.cf", 8), ("master.cf", 6)])]
    assert {d.span.line for d in report.diagnostics} == {2}  # the end of dovecot.conf


def test_master_cf_finds_templated_main_cf(tmp_path: Path) -> None:
    # master.cf next to main.cf.tmpl: SASL type comes from the templated main.cf, not the default
    policy = _one_rule_policy(tmp_path, """    scope: smtpd-service
    message: "{service}: not dovecot"
    when: "smtpd_sasl_auth_enable"
    check: {kind: value, directive: smtpd_sasl_type, equals: dovecot}
""")
    host = tmp_path / "host"
    host.mkdir()
    (host / "main.cf.tmpl").write_text("smtpd_sasl_type = dovecot\nmyhostname = {{ fqdn }}\n")
    (host / "master.cf").write_text("submission inet n - n - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n")
    assert check([str(host / "master.cf")], policy, Options()).diagnostics == ()
    (host / "main.cf.tmpl").unlink()
    # without its main.cf the SASL type is unknown, not the default cyrus (issue 10, cause 3)
    report = check([str(host / "master.cf")], policy, Options())
    assert report.diagnostics == ()
    assert [n.message.split(":")[0] for n in report.notes] == [
        "no main.cf was found next to it, in its parent or subdirectories, or in a templates/ or files/ mirror"]
