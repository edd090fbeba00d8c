#!/usr/bin/env python3
"""Regenerate ``linter/data/postfix.json`` and ``linter/data/dovecot.json``.

Run ``python scripts/gen_catalog.py`` on a machine with the reference programs
installed (Debian bookworm: ``postfix`` 3.7, ``postfix-doc`` or the plain man page,
``dovecot-core`` 2.3 with the protocol, driver and plugin packages that .ci/run installs:
``dovecot-managesieved`` brings the ``managesieve_*`` settings and services, which doveconf
knows only with it).  Output is deterministic (sorted keys, no host names).

What it runs and reads
----------------------
Postfix
  * ``postconf -c EMPTY -d`` with an empty main.cf *and* master.cf (otherwise the
    installed master.cf adds its service-defined names): every parameter with its
    exact default text.  ``config_directory`` comes from plain ``postconf -d``.
    ``myhostname``, ``mydomain`` and ``mynetworks`` depend on the host: no default is
    stored (``host_dependent``), so the linter treats them as unknown.
  * ``/usr/share/man/man5/postconf.5.gz``: the one-line summary and the type.  Types:
    the default (expanded with the catalogue itself at compatibility_level 0) is
    ``yes``/``no`` -> ``bool``; the text speaks of a "time value"/"time unit" and the
    default ends in a unit letter -> ``time`` with that unit (as get_def_time_unit()
    finds it); digits -> ``size`` when the text speaks of bytes, else ``int``; names
    ending ``_maps`` or text about lookup tables -> ``maptype-list``;
    ``*_restrictions`` -> ``restriction-list``; text saying items are separated by
    commas/whitespace, or "list of" -> ``list``; ``*_directory`` or an absolute
    default -> ``path``; everything else ``string`` (counted as fallback).
    "Specify a non-zero ..." gives ``min: 1``, "non-negative" ``min: 0``; a few more
    ranges come from the daemons' own messages (``RANGES`` below).
  * ``postconf -c DIR -n -x`` with every parameter set to ``$zz_probe``: the ones
    printed unexpanded are *raw* (``default_rbl_reply``, ``mailbox_command``...).
  * ``postconf -c DIR`` with a master.cf that has one service per delivery program
    (local error virtual smtp lmtp pipe spawn): the service-defined parameter
    suffixes per program and the parameter each one defaults to.
  * ``postconf -c EMPTY -d NAME`` for every name a default refers to as ``$NAME`` that
    ``postconf -d`` does not list: the obsolete names postconf still knows
    (``fallback_relay``, ``postscreen_dnsbl_ttl``...), kept as ``compatibility``.
  * ``postconf -M`` of ``$meta_directory/master.cf.proto``: the stock master.cf services
    (``stock_services``), the transports of a host whose master.cf is not known.
Dovecot
  * ``doveconf -a -c PROBE`` on a config with one section of every kind (passdb,
    userdb, namespace/mailbox, a service with inet/unix/fifo listeners, metric,
    event_exporter): every setting at the top level and per section kind, with its
    default as doveconf prints it.  ``doveconf -d`` gives the defaults of the
    services Dovecot defines itself (kept where they differ from the kind's default).
  * 2.4: the settings groups ``doveconf -d`` shows (``group @metric_defaults backend``),
    which a config includes with ``@metric_defaults = backend`` (``groups``).
  * One ``doveconf -n`` per setting with the value ``zzbogus``: the parser's error
    names the type (``Invalid boolean value`` -> bool, ``Invalid number`` -> uint, or
    ``Invalid port number`` -> uint up to 65535,
    ``octal`` when the default has a leading 0, ``Invalid size`` -> size, ``Invalid
    time interval`` -> time (unit ``ms`` when the default is in ms), ``Invalid
    value`` -> enum); accepted -> string, or ``list`` for the few space-separated
    lists named in ``DOVECOT_LISTS``.  Enum choices are the ``default:a:b`` strings
    found in Dovecot's binaries, each value confirmed by doveconf accepting it.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from linter.values import ExpansionError, expand, references  # noqa: E402

DATA = ROOT / "linter" / "data"
MAN_PAGE = Path("/usr/share/man/man5/postconf.5.gz")
HOST_DEPENDENT = ("myhostname", "mydomain", "mynetworks")
DELIVERY_PROGRAMS = ("local", "error", "virtual", "smtp", "lmtp", "pipe", "spawn")

# Ranges the daemons enforce that the man page does not spell out as "non-zero"
# (checked live: "invalid header_size_limit parameter value 0 < 1", see the facts file).
RANGES = {
    "header_size_limit": (1, None),
    "default_process_limit": (1, None),
    "message_size_limit": (0, None),
    "queue_minfree": (0, None),
    "mailbox_size_limit": (0, None),
    "virtual_mailbox_limit": (0, None),
    "smtpd_client_connection_count_limit": (0, None),
    "smtpd_client_connection_rate_limit": (0, None),
    "smtpd_client_message_rate_limit": (0, None),
    "smtpd_client_recipient_rate_limit": (0, None),
    "smtpd_client_new_tls_session_rate_limit": (0, None),
    "smtpd_client_auth_rate_limit": (0, None),
    "default_destination_concurrency_limit": (0, None),
}

# Dovecot has no list type; these settings are split on spaces by their readers.
DOVECOT_LISTS = (
    "auth_mechanisms",
    "mail_plugins",
    "protocols",
    "login_trusted_networks",
    "haproxy_trusted_networks",
    "auth_realms",
    "login_plugins",
    "import_environment",
    "listen",
    "ssl_curve_list",
)


# ``--root DIR``: run the reference programs of another distribution's root (the Debian 13
# root that .ci/trixie-root builds) with chroot; probe files are written under DIR/tmp.
CHROOT: str | None = None


def inside(path: str | Path) -> str:
    """A host path as the chrooted program sees it (unchanged without --root)."""
    text = str(path)
    if CHROOT and text.startswith(CHROOT.rstrip("/") + "/"):
        return text[len(CHROOT.rstrip("/")):]
    return text


def host(path: str) -> Path:
    """A path of the (chrooted) system on this machine."""
    return Path(CHROOT.rstrip("/") + path) if CHROOT else Path(path)


def temporary_directory() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(dir=str(host("/tmp")) if CHROOT else None)


def run(argv: list[str], check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, LC_ALL="C")
    if CHROOT:
        argv = ["chroot", CHROOT, *(inside(a) for a in argv)]
    return subprocess.run(argv, capture_output=True, text=True, check=check, env=env)


def parse_pairs(text: str) -> dict[str, str]:
    pairs = {}
    for line in text.splitlines():
        name, sep, value = line.partition(" = ")
        if not sep:
            name, sep, value = line.partition(" =")
        if sep:
            pairs[name.strip()] = value
    return pairs


# --- Postfix ----------------------------------------------------------------------------


def troff_to_text(lines: list[str]) -> str:
    words = []
    for line in lines:
        if line.startswith((".", "'")):
            if line.startswith((".PP", ".IP", ".sp", ".br", ".nf", ".fi", ".ad", ".na", ".RS", ".RE", ".ft")):
                words.append("\n")
            continue
        line = re.sub(r"\\f[BIRP]|\\s[-+]?\d|\\&", "", line)
        line = line.replace("\\-", "-").replace("\\(bu", "*").replace("\\e", "\\").replace("\\ ", " ")
        words.append(line)
    return re.sub(r"[ \t]+", " ", " ".join(words)).strip()


def man_sections() -> tuple[dict[str, str], set[str]]:
    """(parameter name -> its postconf(5) text, the read-only names)."""
    lines = gzip.decompress(host(str(MAN_PAGE)).read_bytes()).decode("utf-8", "replace").splitlines()
    sections: dict[str, list[str]] = {}
    read_only: set[str] = set()
    current = None
    for line in lines:
        match = re.match(r"\.SH (\S+) \((default|read\\-only)", line)
        if match:
            current = match.group(1)
            sections[current] = []
            if match.group(2) != "default":
                read_only.add(current)
        elif line.startswith(".SH "):
            current = None
        elif current:
            sections[current].append(line)
    return {name: troff_to_text(body) for name, body in sections.items()}, read_only


def summary_of(text: str) -> str:
    first = text.split("\n", 1)[0].strip()
    match = re.match(r"(.+?\.)(\s|$)", first)
    sentence = (match.group(1) if match else first).strip()
    return sentence if len(sentence) <= 200 else sentence[:197].rstrip() + "..."


# Names whose shape says what they hold (postconf(5) uses these suffixes consistently).
NAME_PATTERNS = (
    (r"_(maps|map|checks|reply_filter|delivery_status_filter|command_filter|database)$|^(alias_database)$",
     "maptype-list"),
    (r"_restrictions$", "restriction-list"),
    (r"_(classes|interfaces|networks|exclusions|destinations|domains|security_options|protocols"
     r"|exclude_ciphers|mechanism_filter|macros|workarounds|commands|exceptions|filter_classes)$", "list"),
    (r"(_file|_files|_CAfile|_CApath|_directory|_path|_lock)$", "path"),
)

# Where the rules above would be wrong.
TYPE_OVERRIDES = {
    "compatibility_level": "string",  # a level such as 3.6, compared with <level etc.
}

# Enumerations worth checking values against (postconf(5) lists the values).
POSTFIX_CHOICES = {
    "smtpd_tls_security_level": ["", "none", "may", "encrypt"],
    "smtp_tls_security_level": ["", "none", "may", "encrypt", "dane", "dane-only", "fingerprint", "verify", "secure"],
    "lmtp_tls_security_level": ["", "none", "may", "encrypt", "dane", "dane-only", "fingerprint", "verify", "secure"],
    "smtpd_sasl_type": ["cyrus", "dovecot"],
    "smtp_sasl_type": ["cyrus"],
    "lmtp_sasl_type": ["cyrus"],
    "smtpd_tls_ciphers": ["export", "low", "medium", "high", "null"],
    "smtpd_tls_mandatory_ciphers": ["export", "low", "medium", "high", "null"],
    "smtp_tls_ciphers": ["export", "low", "medium", "high", "null"],
    "smtp_tls_mandatory_ciphers": ["export", "low", "medium", "high", "null"],
    "lmtp_tls_ciphers": ["export", "low", "medium", "high", "null"],
    "lmtp_tls_mandatory_ciphers": ["export", "low", "medium", "high", "null"],
    "smtpd_tls_eecdh_grade": ["auto", "strong", "ultra"],
    "milter_default_action": ["accept", "reject", "tempfail", "quarantine"],
}


def postfix_type(name: str, default: str, expanded: str, text: str) -> tuple[str, str | None, str]:
    """(type, time unit, rule that decided) for one parameter."""
    flat = text.replace("\n", " ").lower()
    if name in TYPE_OVERRIDES:
        return TYPE_OVERRIDES[name], None, "override"
    if expanded.lower() in ("yes", "no"):
        return "bool", None, "yes/no default"
    unit_match = re.fullmatch(r"[0-9]+([smhdw])", expanded)
    if unit_match:
        # Postfix time defaults always carry their unit (get_def_time_unit panics otherwise).
        return "time", unit_match.group(1), "time default"
    if re.fullmatch(r"-?[0-9]+", expanded):
        if re.search(r"\bbytes?\b", flat):
            return "size", None, "digits + bytes"
        return "int", None, "digits"
    if name in POSTFIX_CHOICES:
        return "enum", None, "enumeration"
    for pattern, kind in NAME_PATTERNS:
        if re.search(pattern, name):
            return kind, None, "name pattern"
    if re.search(r"separated by (whitespace|comma|space)|list of|comma- or whitespace-separated", flat) or (
        "," in expanded
    ):
        return "list", None, "list text"
    if default.startswith("/") and " " not in default:
        return "path", None, "path"
    return "string", None, "fallback"


def compatibility_names(config_dir: str, defaults: dict[str, str]) -> dict[str, str]:
    """Names that ``postconf -d NAME`` knows though ``postconf -d`` does not list them: the
    obsolete names that built-in defaults still read (``$fallback_relay`` in
    smtp_fallback_relay, ``${postscreen_dnsbl_ttl?...}`` in postscreen_dnsbl_max_ttl).
    Setting one changes behaviour, so they are not unknown.  Every name referenced by a
    default is asked; run-time macros (``$extension``, ``$rbl_code``) postconf calls unknown."""
    referenced = {n for value in defaults.values() for n in references(value)} - set(defaults)
    found = {}
    for name in sorted(referenced):
        result = run(["postconf", "-c", config_dir, "-d", name], check=False)
        if result.returncode == 0 and "unknown parameter" not in result.stderr:
            found[name] = parse_pairs(result.stdout).get(name, "")
    return found


def stock_services() -> list[list[str]]:
    """(service, type, command) of Postfix's stock master.cf (``$meta_directory/master.cf.proto``,
    as ``postconf -M`` reads it): the transports a host without a known master.cf has."""
    meta = run(["postconf", "-d", "-h", "meta_directory"]).stdout.strip()
    with temporary_directory() as directory:
        Path(directory, "main.cf").write_text("")
        Path(directory, "master.cf").write_text(host(f"{meta}/master.cf.proto").read_text())
        lines = run(["postconf", "-c", directory, "-M"]).stdout.splitlines()
    services = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 8:
            services.append([fields[0], fields[1], os.path.basename(fields[7])])
    return services


def postfix_catalogue() -> dict:
    with temporary_directory() as empty:
        for f in ("main.cf", "master.cf"):
            Path(empty, f).write_text("")
        defaults = parse_pairs(run(["postconf", "-c", empty, "-d"]).stdout)
        services_dir = Path(empty, "svc")
        services_dir.mkdir()
        Path(services_dir, "main.cf").write_text("")
        Path(services_dir, "master.cf").write_text(
            "".join(f"zz{p} unix - - n - - {p}\n" for p in DELIVERY_PROGRAMS)
        )
        with_services = parse_pairs(run(["postconf", "-c", str(services_dir)]).stdout)
        # Raw parameters keep their $ for the daemon to expand at run time with its
        # own macros: postconf -x leaves them alone.
        raw_dir = Path(empty, "raw")
        raw_dir.mkdir()
        Path(raw_dir, "master.cf").write_text("")
        Path(raw_dir, "main.cf").write_text(
            "".join(f"{n} = $zz_probe\n" for n in sorted(defaults) if n != "config_directory") + "zz_probe = x\n"
        )
        raw_names = {
            n for n, v in parse_pairs(run(["postconf", "-c", str(raw_dir), "-n", "-x"]).stdout).items()
            if v == "$zz_probe" and n in defaults
        }
        compatibility = compatibility_names(empty, defaults)
    defaults["config_directory"] = run(["postconf", "-d", "-h", "config_directory"]).stdout.strip()

    service_parameters: dict[str, dict[str, str]] = {}
    for name, value in with_services.items():
        for program in DELIVERY_PROGRAMS:
            prefix = f"zz{program}_"
            if name.startswith(prefix) and value.startswith("$"):
                service_parameters.setdefault(program, {})["_" + name[len(prefix):]] = value[1:]

    man, read_only_names = man_sections()
    read_only = {n: summary_of(man[n]) for n in sorted(read_only_names)}

    def lookup(name: str) -> str | None:
        return defaults.get(name)

    params = {}
    sources: dict[str, int] = {}
    for name in sorted(defaults):
        default = defaults[name]
        text = man.get(name, "")
        try:
            expanded = str(expand(default, lookup))
        except ExpansionError:
            expanded = default
        kind, unit, rule = postfix_type(name, default, expanded, text)
        sources[rule] = sources.get(rule, 0) + 1
        entry: dict = {"type": kind}
        if name in HOST_DEPENDENT or name in read_only_names:
            # Set per host or per process (process_id): no default a linter could know.
            entry["host_dependent"] = True
        else:
            entry["default"] = default
        if unit:
            entry["unit"] = unit
        if name in POSTFIX_CHOICES:
            entry["choices"] = POSTFIX_CHOICES[name]
        if name in raw_names:
            entry["raw"] = True
        flat = text.replace("\n", " ")
        if kind in ("time", "int", "size"):
            # The formal sentence, not "To enable this feature, specify a non-zero ...".
            if "Specify a non-negative" in flat:
                entry["min"] = 0
            elif re.search(r"Specify a non-zero time value \(an integ", flat):
                entry["min"] = 1
        if name in RANGES:
            low, high = RANGES[name]
            if low is not None:
                entry["min"] = low
            if high is not None:
                entry["max"] = high
        if text:
            entry["summary"] = summary_of(text)
        params[name] = entry
    # A default that is just another parameter ($smtpd_tls_security_level) has its type.
    for _ in range(3):
        for entry in params.values():
            match = re.fullmatch(r"\$\{?([A-Za-z0-9_]+)\}?", entry.get("default", ""))
            if entry["type"] == "string" and match and match.group(1) in params:
                source = params[match.group(1)]
                if source["type"] != "string":
                    for key in ("type", "unit", "choices", "min", "max"):
                        if key in source:
                            entry[key] = source[key]
                    sources["fallback"] -= 1
                    sources["inherited"] = sources.get("inherited", 0) + 1
    version = defaults["mail_version"]
    return {
        "generator": "scripts/gen_catalog.py",
        "version": version,
        "params": params,
        "read_only": read_only,
        "compatibility": compatibility,
        "service_parameters": service_parameters,
        "stock_services": stock_services(),
        "type_rules": dict(sorted(sources.items())),
    }


# --- Dovecot ----------------------------------------------------------------------------

PROBE_CONFIG = """\
passdb {
  driver = static
}
userdb {
  driver = static
}
namespace inbox {
  mailbox Trash {
  }
}
service zzprobe {
  inet_listener i {
  }
  unix_listener u {
  }
  fifo_listener f {
  }
}
metric m {
  filter = event=zzprobe
}
event_exporter e {
  format = json
  format_args = time-rfc3339
  transport = log
}
"""

# Where a setting of each kind goes in a probe file: (before, after) the setting line.
PROBE_CONTEXT = {
    None: ("", ""),
    "passdb": ("passdb {\n  driver = static\n", "}\n"),
    "userdb": ("userdb {\n  driver = static\n", "}\n"),
    "namespace": ("namespace inbox {\n", "}\n"),
    "mailbox": ("namespace inbox {\n  mailbox Trash {\n", "  }\n}\n"),
    "service": ("service zzprobe {\n", "}\n"),
    "inet_listener": ("service zzprobe {\n  inet_listener i {\n", "  }\n}\n"),
    "unix_listener": ("service zzprobe {\n  unix_listener u {\n", "  }\n}\n"),
    "fifo_listener": ("service zzprobe {\n  fifo_listener f {\n", "  }\n}\n"),
    "metric": ("metric m {\n  filter = event=zzprobe\n", "}\n"),
    "event_exporter": ("event_exporter e {\n  format = json\n  format_args = time-rfc3339\n  transport = log\n", "}\n"),
}


def parse_doveconf_tree(text: str) -> dict:
    """doveconf output -> {"settings": {...}, "blocks": [(header, subtree), ...]}."""
    root: dict = {"settings": {}, "blocks": []}
    stack = [root]
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped == "}":
            stack.pop()
        elif stripped.endswith(" {") and " = " not in stripped:
            node: dict = {"settings": {}, "blocks": []}
            stack[-1]["blocks"].append((stripped[:-2].strip(), node))
            stack.append(node)
        else:
            name, _, value = stripped.partition(" =")
            value = value[1:] if value.startswith(" ") else value
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            stack[-1]["settings"][name] = value
    return root


def block(tree: dict, header: str) -> dict:
    for h, node in tree["blocks"]:
        if h == header:
            return node
    raise KeyError(header)


def probe(kind: str | None, name: str, value: str, workdir: str) -> str | None:
    """doveconf's error for ``name = value`` in a section of ``kind``; None if accepted."""
    before, after = PROBE_CONTEXT[kind]
    fd, path = tempfile.mkstemp(suffix=".conf", dir=workdir)
    with os.fdopen(fd, "w") as f:
        f.write(f"{before}{name} = {value}\n{after}")
    result = run(["doveconf", "-n", "-c", path], check=False)
    os.unlink(path)
    if result.returncode == 0:
        return None
    match = re.search(r"Fatal: Error in configuration file [^:]*(?: line \d+)?: (.*)", result.stderr)
    return match.group(1) if match else result.stderr.strip().splitlines()[-1]


def _accepted(error: str | None) -> bool:
    """The value parsed; a later cross-setting check may still complain about it."""
    return error is None or not error.startswith("Invalid value")


def enum_strings() -> list[list[str]]:
    """``a:b:c`` strings in Dovecot's programs and libraries (enum definitions)."""
    found: set[str] = set()
    roots = [host("/usr/lib/dovecot"), host("/usr/bin/doveconf"), host("/usr/sbin/dovecot")]
    files = []
    for r in roots:
        if r.is_file():
            files.append(r)
        elif r.is_dir():
            files.extend(p for p in r.rglob("*") if p.is_file() and not p.is_symlink())
    pattern = re.compile(rb"(?<=\x00)([a-zA-Z0-9_.+-]*(?::[a-zA-Z0-9_.+-]*)+)(?=\x00)")
    for path in sorted(files):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        for match in pattern.finditer(data):
            found.add(match.group(1).decode())
    return [s.split(":") for s in sorted(found)]


def dovecot_type(error: str | None, default: str, name: str) -> tuple[str, str | None]:
    if error is None:
        return ("list" if name in DOVECOT_LISTS else "string"), None
    if error.startswith("Invalid boolean value"):
        return "bool", None
    if error.startswith("Invalid port number"):
        return "port", None
    if error.startswith("Invalid number"):
        return ("octal" if re.fullmatch(r"0[0-7]+", default) else "uint"), None
    if error.startswith("Invalid size"):
        return "size", None
    if error.startswith("Invalid time interval"):
        return "time", ("ms" if default.endswith(" ms") else "s")
    if error.startswith("Invalid value"):
        return "enum", None
    return ("list" if name in DOVECOT_LISTS else "string"), None


def typed_entry(name: str, default: str, error: str | None, candidates: list[list[str]],
                try_value) -> dict:
    """A setting's catalogue entry from doveconf's error for ``name = zzbogus``; enum
    choices are the candidate strings whose every value doveconf accepts."""
    kind_type, unit = dovecot_type(error, default, name)
    if error and error.startswith("Setting is a string list"):  # 2.4: import_environment { }
        kind_type = "strlist"
    entry: dict = {"type": kind_type, "default": default}
    if unit:
        entry["unit"] = unit
    if kind_type == "port":
        kind_type = entry["type"] = "uint"
        entry["max"] = 65535
    if kind_type == "uint":
        entry["min"] = 0
    if kind_type == "enum":
        for values in candidates:
            if values[0] == default and len(values) > 1 and all(_accepted(try_value(v)) for v in values if v):
                entry["choices"] = values
                break
    return entry


def dovecot_catalogue() -> dict:
    header = run(["doveconf", "-d"], check=False).stdout.splitlines()[0]
    version = re.match(r"# (\S+)", header).group(1)
    with temporary_directory() as workdir:
        probe_file = Path(workdir, "probe.conf")
        probe_file.write_text(PROBE_CONFIG)
        tree = parse_doveconf_tree(run(["doveconf", "-a", "-c", str(probe_file)]).stdout)
        kinds: dict[str | None, dict[str, str]] = {None: dict(tree["settings"])}
        kinds["passdb"] = block(tree, "passdb")["settings"]
        kinds["userdb"] = block(tree, "userdb")["settings"]
        namespace = block(tree, "namespace inbox")
        kinds["namespace"] = namespace["settings"]
        kinds["mailbox"] = block(namespace, "mailbox Trash")["settings"]
        service = block(tree, "service zzprobe")
        kinds["service"] = service["settings"]
        for listener, header_text in (("inet_listener", "inet_listener i"), ("unix_listener", "unix_listener u"),
                                      ("fifo_listener", "fifo_listener f")):
            kinds[listener] = block(service, header_text)["settings"]
        kinds["metric"] = block(tree, "metric m")["settings"]
        kinds["event_exporter"] = block(tree, "event_exporter e")["settings"]
        # Our probe had to set these for doveconf to accept the sections; the real
        # defaults are empty.
        for k, setting in (("passdb", "driver"), ("userdb", "driver"), ("metric", "filter"),
                           ("event_exporter", "format"),
                           ("event_exporter", "format_args"), ("event_exporter", "transport")):
            kinds[k][setting] = ""

        jobs = [(kind, name) for kind, settings in kinds.items() for name in settings]
        with ThreadPoolExecutor(max_workers=4) as pool:
            errors = dict(zip(jobs, pool.map(lambda j: probe(j[0], j[1], "zzbogus", workdir), jobs)))
        candidates = enum_strings()
        typed: dict[str | None, dict[str, dict]] = {}
        for (kind, name), error in errors.items():
            typed.setdefault(kind, {})[name] = typed_entry(
                name, kinds[kind][name], error, candidates, lambda v, k=kind, n=name: probe(k, n, v, workdir))

        # Defaults of the services Dovecot defines itself, where they differ.
        shipped = parse_doveconf_tree(run(["doveconf", "-d", "-c", str(probe_file)]).stdout)
        named: dict[str, dict[str, str]] = {}
        for header_text, node in shipped["blocks"]:
            if not header_text.startswith("service ") or header_text == "service zzprobe":
                continue
            diff = {k: v for k, v in node["settings"].items() if kinds["service"].get(k) != v}
            if diff:
                named[header_text] = diff
            for sub_header, sub in node["blocks"]:
                sub_kind = sub_header.split(" ", 1)[0]
                sub_diff = {k: v for k, v in sub["settings"].items() if kinds.get(sub_kind, {}).get(k) != v}
                if sub_diff:
                    named[f"{header_text} / {sub_header}"] = sub_diff
    top = typed.pop(None)
    counts: dict[str, int] = {}
    for settings in [top, *typed.values()]:
        for entry in settings.values():
            counts[entry["type"]] = counts.get(entry["type"], 0) + 1
    return {
        "generator": "scripts/gen_catalog.py",
        "version": version,
        "settings": top,
        "sections": typed,
        "free_form_sections": ["plugin", "dict"],
        "filter_sections": ["protocol", "remote", "local", "local_name"],
        "named_defaults": named,
        "type_counts": dict(sorted(counts.items())),
    }


# --- Dovecot 2.4 ------------------------------------------------------------------------
# 2.4 settings are flat names (``passdb_driver``, ``unix_listener_mode``) that filters
# (``passdb sql { }``, ``ssl_server { }``) narrow; inside ``K NAME { }`` a name ``n``
# means ``n``, else ``K_n``, else ``K_NAME_n`` (doveconf's "passdb_query or
# passdb_foo_query not found either"). ``doveconf -a`` prints every flat name.

V24_HEADER = "dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n"


def probe24(name: str, value: str, workdir: str) -> str | None:
    """doveconf 2.4's error for a top-level ``name = value``; None if accepted."""
    fd, path = tempfile.mkstemp(suffix=".conf", dir=workdir)
    with os.fdopen(fd, "w") as f:
        f.write(f"{V24_HEADER}{name} = {value}\n")
    result = run(["doveconf", "-n", "-c", path], check=False)
    os.unlink(path)
    if result.returncode == 0:
        return None
    match = re.search(r"Fatal: Error in configuration file [^:]*(?: line \d+)?: (.*)", result.stderr)
    error = match.group(1) if match else result.stderr.strip().splitlines()[-1]
    return error[len(name) + 2:] if error.startswith(name + ": ") else error


def setting_strings() -> set[str]:
    """Strings shaped like setting names (``a_b``) in Dovecot's programs and modules."""
    found: set[str] = set()
    roots = [host("/usr/lib/dovecot"), host("/usr/bin/doveconf")]
    files = [r] if (r := roots[1]).is_file() else []
    files += [p for p in roots[0].rglob("*") if p.is_file() and not p.is_symlink()] if roots[0].is_dir() else []
    pattern = re.compile(rb"(?<=\x00)([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?=\x00)")
    for path in sorted(files):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        found.update(m.group(1).decode() for m in pattern.finditer(data))
    return found


def dovecot24_catalogue() -> dict:
    header = run(["doveconf", "-d"], check=False).stdout.splitlines()[0]
    version = re.match(r"# (\S+)", header).group(1)
    with temporary_directory() as workdir:
        empty = Path(workdir, "empty.conf")
        empty.write_text(V24_HEADER)
        tree = parse_doveconf_tree(run(["doveconf", "-a", "-c", str(empty)]).stdout)
        shipped = parse_doveconf_tree(run(["doveconf", "-d", "-c", str(empty)]).stdout)
        # -a prints boolean lists empty (auth_mechanisms); -d has their defaults (plain).
        flat = {**tree["settings"], **{k: v for k, v in shipped["settings"].items() if k in tree["settings"]}}
        # Top-level blocks of -d are string-list settings (import_environment { }).
        lists = {h: node for h, node in shipped["blocks"] if " " not in h and h in flat}
        # -a leaves out the settings of the protocol binaries (imap_max_line_length): every
        # name-shaped string in Dovecot's programs that doveconf accepts is one, with the
        # default doveconf -h prints for it.
        found = sorted(n for n in setting_strings() if n not in flat)
        with ThreadPoolExecutor(max_workers=4) as pool:
            probed = dict(zip(found, pool.map(lambda n: probe24(n, "zzbogus", workdir), found)))
        for name, error in probed.items():
            if error is None or not error.startswith("Unknown setting"):
                shown = run(["doveconf", "-c", str(empty), "-h", name], check=False)
                if shown.returncode == 0 and shown.stdout.count("\n") == 1:
                    flat[name] = shown.stdout.rstrip("\n")
        names = sorted(flat)
        with ThreadPoolExecutor(max_workers=4) as pool:
            errors = dict(zip(names, pool.map(lambda n: probe24(n, "zzbogus", workdir), names)))
        candidates = enum_strings()
        settings: dict[str, dict] = {}
        for name in names:
            settings[name] = typed_entry(name, flat[name], errors[name], candidates,
                                         lambda v, n=name: probe24(n, v, workdir))
        for name, node in lists.items():
            settings[name] = {"type": "strlist", "default": " ".join(
                f"{k}={v}" for k, v in sorted(node["settings"].items()))}
        # Defaults of the services Dovecot defines itself, where they differ (short names).

        def short(kind: str) -> dict[str, str]:
            return {n[len(kind) + 1:]: e["default"] for n, e in settings.items() if n.startswith(kind + "_")}

        named: dict[str, dict[str, str]] = {}
        service_defaults = short("service")
        for header_text, node in shipped["blocks"]:
            if not header_text.startswith("service "):
                continue
            diff = {k: v for k, v in node["settings"].items() if service_defaults.get(k) != v}
            if diff:
                named[header_text] = diff
            for sub_header, sub in node["blocks"]:
                sub_defaults = short(sub_header.split(" ", 1)[0])
                sub_diff = {k: v for k, v in sub["settings"].items() if sub_defaults.get(k) != v}
                if sub_diff:
                    named[f"{header_text} / {sub_header}"] = sub_diff
        # The settings groups Dovecot ships (``group @metric_defaults backend { }`` in -d),
        # which ``@metric_defaults = backend`` includes without defining it.
        groups: dict[str, list[str]] = {}
        for header_text, _node in shipped["blocks"]:
            parts = header_text.split()
            if len(parts) == 3 and parts[0] == "group" and parts[1].startswith("@"):
                groups.setdefault(parts[1][1:], []).append(parts[2])
    counts: dict[str, int] = {}
    for entry in settings.values():
        counts[entry["type"]] = counts.get(entry["type"], 0) + 1
    return {
        "generator": "scripts/gen_catalog.py",
        "version": version,
        "layout": "flat",
        "settings": settings,
        "groups": {label: sorted(names) for label, names in sorted(groups.items())},
        "filter_sections": ["protocol", "remote", "local", "local_name"],
        "named_defaults": named,
        "type_counts": dict(sorted(counts.items())),
    }


def major_minor(version: str) -> str:
    return ".".join(re.findall(r"\d+", version)[:2])


def write(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    import argparse

    global CHROOT
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--output", type=Path, default=DATA, help="directory for the JSON files")
    parser.add_argument("--root", help="a system root (chroot) whose postconf/doveconf to read, e.g. "
                        "the Debian 13 root of .ci/trixie-root (needs root)")
    parser.add_argument("--only", choices=("postfix", "dovecot"), help="generate one catalogue")
    args = parser.parse_args(argv)
    CHROOT = os.path.abspath(args.root) if args.root else None
    args.output.mkdir(parents=True, exist_ok=True)
    if args.only != "dovecot":
        postfix = postfix_catalogue()
        write(args.output / f"postfix-{major_minor(postfix['version'])}.json", postfix)
        print(f"postfix {postfix['version']}: {len(postfix['params'])} parameters, "
              f"types by rule {postfix['type_rules']}")
    if args.only != "postfix":
        header = run(["doveconf", "-d"], check=False).stdout.splitlines()[0]
        if major_minor(re.match(r"# (\S+)", header).group(1)) >= "2.4":
            dovecot = dovecot24_catalogue()
            total = len(dovecot["settings"])
        else:
            dovecot = dovecot_catalogue()
            total = len(dovecot["settings"]) + sum(len(s) for s in dovecot["sections"].values())
        write(args.output / f"dovecot-{major_minor(dovecot['version'])}.json", dovecot)
        print(f"dovecot {dovecot['version']}: {total} settings, types {dovecot['type_counts']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
