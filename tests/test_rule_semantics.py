"""Issue 10, the rule-semantics causes: each test is the minimal reproduction of a finding
the built-in pack gave on a real configuration (a config in, ``policy-lint check``, the
output), judged against postconf(5) and what the daemons do."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from linter import cli


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    (tmp_path / ".policy-lint.yaml").write_text("{}\n", encoding="utf-8")  # stops the walk up
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def findings(capsys, *argv: str) -> list[dict]:
    """The built-in pack's findings as JSON objects."""
    cli.main(["check", "--format", "json", *argv])
    return json.loads(capsys.readouterr().out)


def rules(capsys, *argv: str) -> list[str]:
    return sorted(f["rule"] for f in findings(capsys, *argv))


# -- cause 1: PF106 on the default --------------------------------------------------------


def test_pf106_default_queue_minfree_already_means_one_and_a_half_message_sizes(site, capsys):
    # postconf(5): "By default, the Postfix SMTP server rejects MAIL FROM commands when
    # the amount of free space is less than 1.5*$message_size_limit"
    write(site / "main.cf", "message_size_limit = 52428800\n")
    assert "PF106" not in rules(capsys, "main.cf")
    write(site / "main.cf", "message_size_limit = 52428800\nqueue_minfree = 0\n")
    assert "PF106" not in rules(capsys, "main.cf")


def test_pf106_explicit_floor_below_one_and_a_half_message_sizes(site, capsys):
    write(site / "main.cf", "message_size_limit = 52428800\nqueue_minfree = 20480000\n")
    found = [f for f in findings(capsys, "main.cf") if f["rule"] == "PF106"]
    assert [(f["line"], f["message"]) for f in found] == [
        (2, "queue_minfree is 20480000, less than 1.5 x message_size_limit (52428800)")]


# -- cause 5: names postconf knows -----------------------------------------------------------


def _postconf_unused(postconf: str, directory: Path) -> set[str]:
    result = subprocess.run([postconf, "-c", str(directory), "-n"], capture_output=True, text=True, check=False)
    return {line.split("unused parameter: ", 1)[1].split("=", 1)[0]
            for line in result.stderr.splitlines() if "unused parameter: " in line}


def test_obsolete_names_postconf_still_knows_are_not_unknown(site, capsys, postconf):
    text = ("postscreen_dnsbl_ttl = 1h\nfallback_relay = [relay.example.org]\n"
            "postscreen_blacklist_action = drop\nsmtpd_client_conection_rate_limit = 30\n")
    write(site / "main.cf", text)
    write(site / "master.cf", "smtp      inet  n       -       y       -       -       smtpd\n")
    unknown = {f["message"].split()[0] for f in findings(capsys, "main.cf") if f["rule"] == "PF004"}
    assert unknown == {"smtpd_client_conection_rate_limit"} == _postconf_unused(postconf, site)


def test_transport_parameters_of_master_cf_services_agree_with_postconf(site, capsys, postconf):
    write(site / "master.cf", "smtp      inet  n       -       y       -       -       smtpd\n"
                              "dovecot   unix  -       n       n       -       -       pipe\n"
                              "  flags=DRhu user=vmail argv=/usr/lib/dovecot/deliver -d ${recipient}\n"
                              "smtp-amavis unix -      -       n       -       2       smtp\n")
    write(site / "main.cf", "dovecot_destination_recipient_limit = 1\n"
                            "dovecot_time_limit = 3600s\n"
                            "smtp-amavis_destination_recipient_limit = 1\n"
                            "smtp-amavis_time_limit = 60s\n"
                            "smtp-amavis_initial_destination_concurrency = 2\n")
    unknown = {f["message"].split()[0] for f in findings(capsys, "main.cf") if f["rule"] == "PF004"}
    assert unknown == {"smtp-amavis_time_limit"} == _postconf_unused(postconf, site)


def test_stock_transport_parameters_without_a_master_cf(site, capsys):
    write(site / "main.cf", "smtp_destination_concurrency_limit = 5\nrelay_destination_recipient_limit = 10\n"
                            "local_destination_recipient_limit = 1\nvirtual_initial_destination_concurrency = 2\n")
    assert "PF004" not in rules(capsys, "main.cf")
