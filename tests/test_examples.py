"""The example hosts a user runs the tool on: the reference parsers accept them, the
hardened host gives no finding, the insecure one gives the findings it was built for."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from linter.engine import check
from linter.options import Host, Options
from linter.policy.loader import load_policy

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _host(name: str) -> Host:
    d = EXAMPLES / name
    return Host(str(d / "main.cf"), str(d / "master.cf"), str(d / "dovecot" / "dovecot.conf"))


def _lint(name: str):
    host = _host(name)
    return check([host.main, host.master, host.dovecot], load_policy([], builtin=True), Options(hosts=(host,)))


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, env={**os.environ, "LC_ALL": "C"})


# -- the reference parsers -------------------------------------------------------------


@pytest.mark.oracle
@pytest.mark.parametrize("args", [["-n"], ["-P"], ["-M"]])
def test_postconf_accepts_hardened_without_warnings(postconf: str, args: list[str]) -> None:
    done = _run([postconf, "-c", str(EXAMPLES / "hardened"), *args])
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr.lower(), done.stderr
    if args == ["-n"]:
        assert "smtpd_sasl_path = private/auth" in done.stdout
        assert "smtpd_client_connection_rate_limit = 30" in done.stdout


@pytest.mark.oracle
def test_doveconf_accepts_hardened_without_warnings(doveconf: str) -> None:
    done = _run([doveconf, "-n", "-c", str(EXAMPLES / "hardened" / "dovecot" / "dovecot.conf")])
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr.lower(), done.stderr
    # the conf.d includes were read: the Postfix listener is in 10-master.conf
    assert "unix_listener /var/spool/postfix/private/auth {" in done.stdout
    assert "auth_mechanisms = plain login" in done.stdout


@pytest.mark.oracle
def test_postconf_sees_the_insecure_mistakes_we_report(postconf: str) -> None:
    """postconf itself only warns about three of them; the linter must report them too."""
    done = _run([postconf, "-c", str(EXAMPLES / "insecure"), "-n"])
    assert done.returncode == 0, done.stderr
    assert "overriding earlier entry: smtpd_client_connection_rate_limit" in done.stderr
    assert "unused parameter: smtpd_client_mesage_rate_limit=100" in done.stderr
    assert "undefined parameter: mua_client_restrictions" in done.stderr
    rules = {d.rule for d in _lint("insecure").diagnostics}
    assert "PF003" in rules  # the duplicate
    assert "PF015" in rules  # the undefined reference
    assert "PF004" in rules  # the typo


@pytest.mark.oracle
def test_doveconf_accepts_insecure(doveconf: str) -> None:
    done = _run([doveconf, "-n", "-c", str(EXAMPLES / "insecure" / "dovecot" / "dovecot.conf")])
    assert done.returncode == 0, done.stderr
    assert "mode = 01232" in done.stdout  # "666" without the leading 0 is decimal: what DC001 says


# -- the linter ------------------------------------------------------------------------


def test_hardened_gives_no_finding() -> None:
    report = _lint("hardened")
    assert report.errors == ()
    assert [f"{d.path}:{d.span.line}: {d.rule} {d.message}" for d in report.diagnostics] == []


# (rule, file relative to the host directory, line); the second set needs the
# catalogue's defaults (a value that is only a default, or a typo'd name).
INSECURE = {
    ("PF001", "main.cf", 9),  # mynetworks ... # localhost only
    ("PF002", "main.cf", 12),  # indented smtpd_helo_required
    ("PF003", "main.cf", 24),  # smtpd_client_connection_rate_limit set twice
    ("PF103", "main.cf", 26),  # event limit exceptions include 0.0.0.0/0
    ("PF105", "main.cf", 27),  # default_process_limit = 2000
    ("PF101", "main.cf", 31),  # ... and the later value is 0
    ("PF401", "main.cf", 34),  # smtpd_tls_protocols = !SSLv2 leaves SSLv3
    ("PF412", "main.cf", 35),  # smtpd_tls_loglevel = 4 logs the plaintext
    ("PF015", "master.cf", 6),  # $mua_client_restrictions, not defined in main.cf
    ("PF010", "master.cf", 7),  # -o name = value
    ("DC208", "dovecot/conf.d/10-auth.conf", 2),  # disable_plaintext_auth = no
    ("DC203", "dovecot/conf.d/10-master.conf", 10),  # mode = 666
    ("DC001", "dovecot/conf.d/10-master.conf", 10),  # ... without a leading 0
    ("DC301", "dovecot/dovecot.conf", 3),  # ssl = no
    ("DC307", "dovecot/dovecot.conf", 5),  # auth_verbose_passwords = plain
    ("DC309", "dovecot/dovecot.conf", 7),  # login_trusted_networks = 0.0.0.0/0
}
INSECURE_WITH_CATALOG = {
    ("PF203", "main.cf", 20),  # absolute smtpd_sasl_path, chrooted smtpd (needs queue_directory)
    ("PF004", "main.cf", 25),  # smtpd_client_mesage_rate_limit
    ("PF104", "main.cf", 35),  # so the message rate stays unlimited (inserted after the last line)
    ("PF005", "main.cf", 28),  # mailbox_size_limit default < message_size_limit (inserted after it)
    ("PF421", "main.cf", 35),  # no outbound TLS (smtp_tls_security_level empty)
    # set nowhere, so found at the services' master.cf entries (main.cf, where the fix goes, related)
    ("PF206", "master.cf", 2),  # noplaintext + plain/login + AUTH before TLS on port 25
    ("PF207", "master.cf", 2),  # smtpd_sasl_tls_security_options inherits noplaintext (smtp)
    ("PF207", "master.cf", 3),  # ... and on submission
    ("PF403", "master.cf", 3),  # submission requires TLS, the default mandatory protocols allow TLSv1
    ("PF501", "master.cf", 2),  # AUTH without smtpd_client_auth_rate_limit (submission's entry related)
    ("PF503", "main.cf", 35),  # VRFY answered
    ("DC204", "dovecot/conf.d/10-master.conf", 11),  # listener without user = postfix
    ("DC205", "dovecot/conf.d/10-master.conf", 11),  # ... and without group = postfix
}


def test_insecure_gives_the_expected_findings_inside_its_files() -> None:
    report = _lint("insecure")
    assert report.errors == ()
    host_dir = EXAMPLES / "insecure"
    found = {(d.rule, Path(d.path).resolve().relative_to(host_dir.resolve()).as_posix(), d.span.line)
             for d in report.diagnostics}
    expected = INSECURE | INSECURE_WITH_CATALOG
    assert expected - found == set(), "missing findings"
    assert found - expected == set(), "unexpected findings"
    for d in report.diagnostics:
        lines = Path(d.path).read_text(encoding="utf-8").splitlines()
        assert 1 <= d.span.line <= len(lines) + 1, d
        assert "?" not in d.message.split(":")[0], d.message  # every placeholder filled


def test_insecure_smtpd_services_are_named_in_service_findings() -> None:
    # both services read main.cf's one value: one finding names them both
    messages = sorted(d.message for d in _lint("insecure").diagnostics if d.rule == "PF203")
    assert [m.split(":")[0] for m in messages] == ["smtp, submission"]


@pytest.mark.parametrize("name", ["hardened", "insecure"])
def test_example_directory_is_one_host_by_default(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`policy-lint examples/NAME` needs no hosts: list: HOST/main.cf, HOST/master.cf and
    HOST/dovecot/dovecot.conf are grouped by default, as an explicit host groups them."""
    from linter.discovery import discover

    monkeypatch.chdir(ROOT)
    assert not (EXAMPLES / name / ".policy-lint.yaml").exists()
    host = _host(name)
    files = [host.main, host.master, host.dovecot]
    policy = load_policy([], builtin=True)
    by_default = check(files, policy, Options()).diagnostics
    assert by_default == check(files, policy, Options(hosts=(host,))).diagnostics
    if name == "insecure":
        assert {"DC201", "PF206"} & {d.rule for d in by_default}  # cross-file rules saw both sides
    walked = check(discover([f"examples/{name}"]).files, policy, Options()).diagnostics

    def seen(diagnostics: tuple) -> list:
        return sorted((d.rule, os.path.relpath(d.path, ROOT), d.span.line) for d in diagnostics)

    assert seen(walked) == seen(by_default)


@pytest.mark.oracle
def test_insecure_with_every_fix_applied_is_clean_and_still_accepted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postconf: str, doveconf: str) -> None:
    """--fix --unsafe-fixes leaves only advice (display-only findings), never a broken file."""
    import shutil

    from linter.cli import main

    host = tmp_path / "insecure"
    shutil.copytree(EXAMPLES / "insecure", host)
    monkeypatch.chdir(host)
    assert main(["--fix", "--unsafe-fixes", "."]) in (0, 1)
    main_cf = (host / "main.cf").read_text(encoding="utf-8")
    assert "\n    smtpd_helo_required" not in main_cf and "# localhost only" not in main_cf
    assert "smtpd_client_connection_rate_limit = 30\n" in main_cf
    assert "0.0.0.0/0" not in main_cf
    files = [str(host / "main.cf"), str(host / "master.cf"), str(host / "dovecot" / "dovecot.conf")]
    h = Host(*files)
    report = check(files, load_policy([], builtin=True), Options(hosts=(h,)))
    left = [(d.rule, str(d.fix.applicability) if d.fix else None) for d in report.diagnostics]
    assert all(applicability == "display-only" for _, applicability in left), left
    assert ("PF010", "display-only") in left  # "-o name = value" needs a human
    assert _run([postconf, "-c", str(host), "-n"]).returncode == 0
    done = _run([doveconf, "-n", "-c", str(host / "dovecot" / "dovecot.conf")])
    assert done.returncode == 0, done.stderr
    assert "mode = 0660" in done.stdout
