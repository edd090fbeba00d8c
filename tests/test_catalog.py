"""The catalogues: complete against the reference programs, typed consistently, and
answering the questions the engine asks (known? default? did you mean?)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from linter import catalog
from linter.values import DOVECOT, UNKNOWN, effective_postfix, references, split_list, typed_value
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, LC_ALL="C")


def _write_postfix(directory: Path, main_cf: str, master_cf: str = "") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "main.cf").write_text(main_cf)
    (directory / "master.cf").write_text(master_cf)
    for name in ("main.cf", "master.cf"):  # an old mtime spares postconf's 1s "cool down" pause
        os.utime(directory / name, (1_000_000_000, 1_000_000_000))


def _pairs(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        name, sep, value = line.partition(" =")
        if sep and not line.startswith(("#", " ")):
            out[name.strip()] = value[1:] if value.startswith(" ") else value
    return out


# --- Postfix -------------------------------------------------------------------------


def test_postfix_catalogue_is_postconf_d(postconf, tmp_path):
    _write_postfix(tmp_path, "")
    result = subprocess.run([postconf, "-c", str(tmp_path), "-d"], capture_output=True, text=True, env=ENV)
    defaults = _pairs(result.stdout)
    assert defaults["mail_version"] == catalog.postfix_version()
    assert set(defaults) == set(catalog.postfix_names())
    for name, value in defaults.items():
        param = catalog.postfix_param(name)
        if param.default is None:  # host- or process-dependent
            assert name in ("myhostname", "mydomain", "mynetworks", "process_id", "process_name", "service_name")
        elif name != "config_directory":
            assert param.default == value, name


@pytest.mark.parametrize(
    "name, type_, unit, minimum",
    [
        ("header_size_limit", "size", None, 1),
        ("message_size_limit", "size", None, 0),
        ("queue_minfree", "size", None, 0),
        ("default_process_limit", "int", None, 1),
        ("smtpd_client_connection_rate_limit", "int", None, 0),
        ("anvil_rate_time_unit", "time", "s", 1),
        ("maximal_queue_lifetime", "time", "d", 0),
        ("address_verify_cache_cleanup_interval", "time", "h", 0),
        ("smtpd_timeout", "time", "s", 1),  # default ${stress?{10}:{300}}s
        ("smtpd_helo_required", "bool", None, None),
        ("smtputf8_enable", "bool", None, None),  # default is a compatibility expression
        ("smtpd_relay_restrictions", "restriction-list", None, None),
        ("alias_maps", "maptype-list", None, None),
        ("header_checks", "maptype-list", None, None),
        ("mynetworks", "list", None, None),
        ("smtpd_sasl_tls_security_options", "list", None, None),  # inherited from $smtpd_sasl_security_options
        ("smtpd_tls_security_level", "enum", None, None),
        ("smtpd_tls_cert_file", "path", None, None),
        ("smtpd_banner", "string", None, None),
    ],
)
def test_postfix_types(name, type_, unit, minimum):
    param = catalog.postfix_param(name)
    assert (param.type, param.unit, param.min) == (type_, unit, minimum)
    assert param.summary.endswith((".", "...")) and len(param.summary) > 10


def test_every_postfix_default_is_valid_for_its_type():
    explicit = {"compatibility_level": "3.6", "myhostname": "mx.example.org", "mydomain": "example.org",
                "mynetworks": "127.0.0.0/8"}
    checked = 0
    for name in catalog.postfix_names():
        param = catalog.postfix_param(name)
        value = effective_postfix(name, explicit)
        if value is UNKNOWN or param.raw:
            continue
        typed = typed_value(param, value)
        if param.type == "time":
            assert typed >= 0 and value.endswith(param.unit), name  # the unit comes from the default
        if param.type == "enum":
            assert value in param.choices, name
        checked += 1
    assert checked > 800


def test_postfix_raw_and_read_only():
    assert catalog.postfix_param("mailbox_command").raw
    assert catalog.postfix_param("default_rbl_reply").raw
    assert not catalog.postfix_param("smtpd_banner").raw
    assert catalog.postfix_read_only("process_name")
    assert catalog.postfix_param("process_name").default is None


def test_service_defined_parameters():
    assert catalog.service_parameter("relay_destination_concurrency_limit", ["relay"]) == (
        "default_destination_concurrency_limit"
    )
    assert catalog.service_parameter("relay_destination_concurrency_limit", []) is None
    assert catalog.service_parameter("relay_time_limit", [("relay", "smtp")]) is None  # pipe/spawn only
    assert catalog.service_parameter("filter_time_limit", [("filter", "pipe")]) == "command_time_limit"
    assert catalog.service_parameter("relay_bogus_limit", ["relay"]) is None


def test_unknown_names_agree_with_postconf_unused_warnings(postconf, tmp_path):
    main_cf = """\
message_size_limit = 10240000
mesage_size_limit = 1
relay_destination_concurrency_limit = 5
relay_time_limit = 10s
dovecot_time_limit = 10s
dovecot_destination_recipient_limit = 1
mine = x
smtpd_banner = $myhostname ${mine?{ok}}
myclass = permit
smtpd_restriction_classes = myclass
orphan = 1
smtpd_helo_restrictions = $orphan2
"""
    master_cf = (
        "smtp inet n - y - - smtpd\n  -o smtpd_bogus_param=yes\n  -o syslog_name=postfix/$mine\n"
        "relay unix - - n - - smtp\ndovecot unix - n n - - pipe flags=DRhu user=vmail argv=/bin/true\n"
    )
    _write_postfix(tmp_path, main_cf, master_cf)
    result = subprocess.run([postconf, "-c", str(tmp_path), "-n"], capture_output=True, text=True, env=ENV)
    unused = {
        line.split("unused parameter: ", 1)[1].split("=", 1)[0]
        for line in result.stderr.splitlines()
        if "unused parameter: " in line
    }
    values = _pairs(main_cf)
    overrides = {"smtpd_bogus_param": "yes", "syslog_name": "postfix/$mine"}
    user_defined = {n for v in [*values.values(), *overrides.values()] for n in references(v)}
    user_defined |= set(split_list(values["smtpd_restriction_classes"]))
    services = [("smtp", "smtpd"), ("relay", "smtp"), ("dovecot", "pipe")]
    ours = {
        name
        for name in [*values, *overrides]
        if not catalog.is_known_postfix(name, services, user_defined)
    }
    assert ours == unused
    assert unused == {"mesage_size_limit", "relay_time_limit", "orphan", "smtpd_bogus_param"}


def test_suggest():
    assert catalog.suggest("mesage_size_limit", "postfix-main") == "message_size_limit"
    assert catalog.suggest("smtpd_tls_securty_level", "postfix-master") == "smtpd_tls_security_level"
    assert catalog.suggest("Message_Size_Limit", "postfix") == "message_size_limit"
    assert catalog.suggest("auth_mechanism", "dovecot") == "auth_mechanisms"
    assert catalog.suggest("mdoe", "dovecot", "unix_listener") == "mode"
    assert catalog.suggest("completely_unrelated_words", "postfix") is None
    with pytest.raises(ValueError):
        catalog.suggest("x", "nginx")


# --- Dovecot -------------------------------------------------------------------------


# doveconf works these defaults out by running managesieve (Pigeonhole's capability dump, a
# forked child whose output it reads); when that run fails it logs a "dump-capability" error
# and prints them empty (seen twice on a loaded machine)
RUN_TIME_DEFAULTS = ("managesieve_sieve_capability", "managesieve_notify_capability")


def test_dovecot_catalogue_covers_doveconf_d(doveconf):
    result = subprocess.run([doveconf, "-d", "-c", "/dev/null"], capture_output=True, text=True, env=ENV)
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"# {catalog.dovecot_version()} ")
    top = {}
    depth = 0
    for line in result.stdout.splitlines():
        if line.startswith("#"):
            continue
        if line.rstrip().endswith("{"):
            depth += 1
        elif line.strip() == "}":
            depth -= 1
        elif depth == 0 and " =" in line:
            name, _, value = line.partition(" =")
            top[name] = value[1:] if value.startswith(" ") else value
    assert len(top) > 250
    for name, value in top.items():
        param = catalog.dovecot_setting(name)
        assert param is not None, name
        if name in RUN_TIME_DEFAULTS and not value:
            assert "dump-capability" in result.stderr, (name, result.stderr)  # only when the dump failed
            continue
        assert param.default == value.strip('"') or param.default == value, name


def test_dovecot_sections_and_filters():
    mode = catalog.dovecot_setting("mode", "unix_listener")
    assert (mode.type, mode.default, mode.section) == ("octal", "0600", "unix_listener")
    assert catalog.dovecot_setting("port", "inet_listener").type == "uint"
    assert catalog.dovecot_setting("vsz_limit", "service").type == "size"
    assert catalog.dovecot_setting("driver", "passdb").default == ""
    assert catalog.dovecot_setting("separator", "namespace") is not None
    assert catalog.dovecot_setting("special_use", "mailbox") is not None
    assert catalog.dovecot_setting("mode") is None  # not a top-level setting
    assert catalog.dovecot_setting("ssl", "protocol") == catalog.dovecot_setting("ssl")  # filters take top level
    assert catalog.dovecot_setting("sieve_anything", "plugin").type == "string"  # free-form
    assert catalog.dovecot_setting("bogus_setting") is None
    ssl = catalog.dovecot_setting("ssl")
    assert (ssl.type, ssl.choices) == ("enum", ("yes", "no", "required"))
    assert catalog.dovecot_setting("auth_mechanisms").type == "list"
    assert catalog.dovecot_setting("auth_cache_ttl").unit == "s"
    assert catalog.dovecot_setting("transport_timeout", "event_exporter").unit == "ms"
    assert catalog.dovecot_named_default(["service auth", "unix_listener auth-userdb"], "mode") == "0666"
    assert catalog.dovecot_named_default(["service auth", "unix_listener auth-client"], "mode") == "0600"
    assert catalog.dovecot_named_default(["service imap-login", "inet_listener imaps"], "port") == "993"


def test_every_dovecot_default_is_valid_for_its_type():
    data = json.loads((ROOT / "linter" / "data" / "dovecot-2.3.json").read_text())
    checked = 0
    for kind in [None, *data["sections"]]:
        names = data["settings"] if kind is None else data["sections"][kind]
        for name in names:
            param = catalog.dovecot_setting(name, kind)
            if "$" in param.default or param.type == "string":
                continue
            typed_value(param, param.default, DOVECOT)
            checked += 1
    assert checked > 150


# Values each type's parser must judge exactly as doveconf does.
PROBE_VALUES = {
    "bool": ["yes", "Y", "1", "no", "NO", "0", "true", "n"],
    "uint": ["0", "007", "10", "10k", "-1", "4294967295", "4294967296"],
    "size": ["0", "1k", "2 kB", "2KiB", "3 M", "1G", "2kilo", "1s", "5"],
    "time": ["0", "1s", "30 secs", "2 ho", "5m", "3 mins", "1 hour", "7", "1k", "2000 ms", "2000 mil", "1500 ms",
             "2 mo", "1 weeks", "1 d"],
    "octal": ["0600", "0660", "660", "0668", "rw"],
    "enum": ["yes", "no", "required", "maybe", "YES"],
}


def _doveconf_accepts(doveconf: str, tmp_path: Path, section: str | None, name: str, value: str) -> bool:
    body = f"{name} = {value}\n"
    if section == "unix_listener":
        body = f"service zz {{\n  unix_listener zz {{\n    {body}  }}\n}}\n"
    path = tmp_path / "probe.conf"
    path.write_text(body)
    result = subprocess.run([doveconf, "-n", "-c", str(path)], capture_output=True, text=True, env=ENV)
    return result.returncode == 0


@pytest.mark.parametrize(
    "name, section",
    [
        ("auth_debug", None),
        ("default_process_limit", None),
        ("mail_attachment_min_size", None),
        ("imap_max_line_length", None),
        ("mail_max_lock_timeout", None),
        ("auth_cache_ttl", None),
        ("mode", "unix_listener"),
        ("ssl", None),
    ],
)
def test_dovecot_types_parse_like_doveconf(doveconf, tmp_path, name, section):
    param = catalog.dovecot_setting(name, section)
    for value in PROBE_VALUES[param.type]:
        try:
            typed_value(param, value, DOVECOT)
            ours = True
        except ValueError:
            ours = False
        theirs = _doveconf_accepts(doveconf, tmp_path, section, name, value)
        assert ours == theirs, (name, value)


# --- the generator ---------------------------------------------------------------------


def _regenerated(tmp_path, names: tuple[str, str], *root: str) -> None:
    committed = {n: (ROOT / "linter" / "data" / n).read_text() for n in names}
    subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_catalog.py"), "--output", str(tmp_path), *root],
                   check=True, capture_output=True, env=ENV)
    for name, text in committed.items():
        assert (tmp_path / name).read_text() == text, f"{name} is stale: run python scripts/gen_catalog.py {' '.join(root)}"


def test_generator_reproduces_the_committed_catalogues(postconf, doveconf, tmp_path):
    installed = subprocess.run([postconf, "-d", "-h", "mail_version"], capture_output=True, text=True).stdout.strip()
    if installed != catalog.postfix_version("3.7"):
        pytest.skip(f"installed Postfix {installed} is not the 3.7 catalogue's version")
    _regenerated(tmp_path, ("postfix-3.7.json", "dovecot-2.3.json"))


def test_generator_reproduces_the_debian_13_catalogues(trixie_root, tmp_path):
    """About 4 minutes (a doveconf probe per candidate name): in CI, or with POLICY_LINT_SLOW=1."""
    if not (IN_CI or os.environ.get("POLICY_LINT_SLOW")):
        pytest.skip("slow: set POLICY_LINT_SLOW=1 (CI runs it)")
    _regenerated(tmp_path, ("postfix-3.10.json", "dovecot-2.4.json"), "--root", str(trixie_root))


def test_catalogues_are_compact_and_load_once():
    for product, versions in catalog.VERSIONS.items():
        for version in versions:
            path = ROOT / "linter" / "data" / f"{product}-{version}.json"
            assert path.stat().st_size < 400_000
            assert json.loads(path.read_text())["version"].startswith(version + ".")
    assert catalog._load("postfix-3.7.json") is catalog._load("postfix-3.7.json")
