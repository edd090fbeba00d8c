"""Value semantics: Postfix ``$`` expansion (unit tests and differential against
``postconf -x``), typed conversion (against postmap/doveconf where they judge), and
policy literals."""

from __future__ import annotations

import os
import random
import re
import subprocess
from pathlib import Path

import pytest

from linter import catalog
from linter.values import (
    DOVECOT,
    UNKNOWN,
    ExpansionError,
    compat_level,
    effective_postfix,
    expand,
    parse_bool,
    parse_int,
    parse_octal,
    parse_size,
    parse_time,
    references,
    split_list,
    typed_value,
)
from tests.conftest import corpus_manifest

VALUES = {"a": "hello", "e": "", "n": "$a", "c1": "$c2", "c2": "$c1", "num": "10", "lvl": "3.6", "d": "$$a"}


def ex(text: str, values: dict | None = None):
    return expand(text, (values if values is not None else VALUES).get)


# --- expansion: each form ------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("$a", "hello"),
        ("${a}", "hello"),
        ("$(a)", "hello"),
        ("$( a )", "hello"),  # postconf tolerates blanks around the name
        ("${ a }", "hello"),
        ("$a.$a", "hello.hello"),
        ("$n$n", "hellohello"),  # recursive
        ("$undefined!", "!"),  # undefined is empty
        ("$$a $$", "$a $"),
        ("$d", "$a"),  # $$ in a referenced value is not expanded again
        ("${a?yes}", "yes"),
        ("${e?yes}", ""),
        ("${a:no}", ""),
        ("${e:no}", "no"),
        ("${undefined:no}", "no"),
        ("${a?{1}:2}", "1"),
        ("${e?{1}: 2 }", "2"),
        ("${a?x:y}", "x:y"),  # unbraced value: the rest, colon included
        ("${e?{yes}:{no}}", "no"),
        ("${a?{$n}}", "hello"),
        ("${a?{${e:{in}}}}", "in"),
        ("x${e?{1}:{$e}}y", "xy"),
        ("${{10} < {9} ? {lt} : {ge}}", "ge"),  # numeric: both all digits
        ("${{10} < {9a} ? {lt} : {ge}}", "lt"),  # otherwise lexicographic
        ("${{007} == {7}}", "true"),
        ("${{} == {0}}", ""),  # empty is not a number
        ("${{1} == {1}}", "true"),
        ("${{a}<{b}:{f}}", ""),
        ("${{$a}!={x}?{d}:{s}}", "d"),
        ("${{ 1 } == {1}}", ""),  # blanks inside braces count
        ("${ {1} == {1} }", "true"),
        ("${{3.10} >level {3.9} ? {y} : {n}}", "y"),  # levels, not floats
        ("${{3.6} <level {3.10}}", "true"),
        ("${{$lvl} <level {1} ? {old} : {new}}", "new"),
        ("${{2} >=level {1.5}}", "true"),
        ("${{3.6.1} ==level {3.6.1}}", "true"),
        ("${{$num} > {9}}", "true"),
    ],
)
def test_expand_forms(text, expected):
    assert ex(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("$c1", 'unreasonable macro call nesting: "c'),
        ("x$-y", 'empty macro name: "x$-y"'),
        ("trailing $", "empty macro name"),
        ("$(a", 'truncated macro reference: "$(a"'),
        ("${na-me}", 'attribute name syntax error at: "...na>>>-me"'),
        ("${a:{x}:{y}}", 'unexpected input at: "...x}>>>:{y}"'),
        ("${a?{1}x}", '":" expected at: "...1}>>>x"'),
        ("${{1} = {1}}", "expected at"),
        ("${{x} <level {1}}", "malformed compatibility level"),
        ("${{1} == 1}", "expected at"),
    ],
)
def test_expand_errors_like_postfix(text, message):
    with pytest.raises(ExpansionError, match=re.escape(message)):
        ex(text)


def test_cycle_is_an_error_not_a_hang():
    with pytest.raises(ExpansionError):
        ex("$x", {"x": "a${y}", "y": "${x?{1}}"})


def test_expansion_bomb_is_bounded():
    values = {f"a{i}": f"$a{i - 1}$a{i - 1}" for i in range(1, 40)}
    values["a0"] = "xxxxxxxx"
    with pytest.raises(ExpansionError, match="unreasonably long"):
        ex("$a39", values)
    assert ex("$a3", values) == "x" * 64


def test_unknown_propagates():
    values = {"t": UNKNOWN, "u": "pre $t", "k": "known"}
    assert ex("$u", values) is UNKNOWN
    assert ex("${t?{1}:{2}}", values) is UNKNOWN
    assert ex("$k", values) == "known"
    assert expand(UNKNOWN, values.get) is UNKNOWN
    assert not UNKNOWN and repr(UNKNOWN) == "UNKNOWN"


def test_references():
    assert references("$a ${b?x} $(c) $$d ${{$e} == {1}}") == ("a", "b", "c", "e")


def test_compat_level():
    assert compat_level("3.10") > compat_level("3.9") > compat_level("2")
    assert compat_level("3") == (3, 0, 0)
    with pytest.raises(ValueError):
        compat_level("3.x")


# --- effective values ------------------------------------------------------------------


def test_effective_follows_explicit_reference():
    explicit = {"smtpd_sasl_security_options": "noanonymous, noplaintext"}
    assert effective_postfix("smtpd_sasl_tls_security_options", explicit) == "noanonymous, noplaintext"
    assert effective_postfix("smtpd_sasl_tls_security_options", {}) == "noanonymous"


def test_effective_depends_on_compatibility_level():
    assert effective_postfix("smtpd_relay_restrictions", {}) == ""
    assert (
        effective_postfix("smtpd_relay_restrictions", {"compatibility_level": "3.6"})
        == "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination"
    )
    assert effective_postfix("mynetworks_style", {"compatibility_level": "2"}) == "host"
    assert effective_postfix("mynetworks_style", {"compatibility_level": "1"}) == "subnet"
    assert effective_postfix("smtpd_tls_fingerprint_digest", {"compatibility_level": "3.10"}) == "sha256"


def test_effective_host_dependent_and_unknown_names():
    assert effective_postfix("myhostname", {}) is UNKNOWN
    assert effective_postfix("smtpd_banner", {}) is UNKNOWN  # $myhostname ESMTP $mail_name
    assert effective_postfix("smtpd_banner", {"myhostname": "mx.example"}) == "mx.example ESMTP Postfix"
    assert effective_postfix("no_such_parameter", {}) is None
    assert effective_postfix("mine", {"mine": "$mail_name"}) == "Postfix"
    assert effective_postfix("message_size_limit", {"message_size_limit": UNKNOWN}) is UNKNOWN


def test_effective_service_defined_parameters():
    explicit = {"default_destination_concurrency_limit": "7"}
    assert effective_postfix("relay_destination_concurrency_limit", explicit, services=["relay"]) == "7"
    assert effective_postfix("relay_destination_concurrency_limit", explicit) is None


# --- typed conversion --------------------------------------------------------------------


def test_postfix_bool():
    assert parse_bool("YES") is True and parse_bool("no") is False
    with pytest.raises(ValueError, match="bad boolean configuration: smtpd_helo_required = true"):
        parse_bool("true", name="smtpd_helo_required")


def test_dovecot_bool():
    assert parse_bool("Y", DOVECOT) and parse_bool("1", DOVECOT) and parse_bool("yes", DOVECOT)
    assert parse_bool("NO", DOVECOT) is False
    for bad in ("N", "0", "true"):
        with pytest.raises(ValueError, match=r"Invalid boolean value: .* \(use yes or no\)"):
            parse_bool(bad, DOVECOT)


def test_postfix_numbers_have_no_units():
    assert parse_int("100") == 100 and parse_size("+5") == 5
    with pytest.raises(ValueError, match="bad numerical configuration: message_size_limit = 10M"):
        parse_size("10M", name="message_size_limit")
    with pytest.raises(ValueError, match="bad numerical configuration"):
        parse_int("10240000 # trailing comment?")
    with pytest.raises(ValueError, match="invalid header_size_limit parameter value 0 < 1"):
        parse_size("0", name="header_size_limit", minimum=1)


def test_dovecot_numbers_and_sizes():
    assert parse_int("007", DOVECOT) == 7
    with pytest.raises(ValueError, match="Invalid number 10k: Not a valid number"):
        parse_int("10k", DOVECOT)
    with pytest.raises(ValueError, match="Number too small"):
        parse_int("-1", DOVECOT)
    with pytest.raises(ValueError, match="Number too large"):
        parse_int("99999999999", DOVECOT)
    assert parse_size("256 M", DOVECOT) == 256 << 20
    assert parse_size("2 kB", DOVECOT) == parse_size("2KiB", DOVECOT) == 2048
    assert parse_size("18446744073709551615 B", DOVECOT) == 2**64 - 1
    with pytest.raises(ValueError, match="Invalid size: 2kilo"):
        parse_size("2kilo", DOVECOT)


def test_postfix_time():
    assert parse_time("60s") == 60
    assert parse_time("5", "d") == 5 * 86400  # bare number: the default unit
    assert parse_time("1hour") == 3600  # 3.7 checks only the first unit letter
    assert parse_time("2w") == 2 * 604800
    for bad in ("3600x", "-5", "5H", "", "1.5h"):
        with pytest.raises(ValueError, match="bad time value or unit"):
            parse_time(bad, name="ipc_timeout")
    with pytest.raises(ValueError, match=r"invalid ipc_timeout: 0 \(min 1\)"):
        parse_time("0", name="ipc_timeout", minimum=1)


def test_dovecot_time():
    assert parse_time("1 hours", fmt=DOVECOT) == 3600
    assert parse_time("30 secs", fmt=DOVECOT) == 30
    assert parse_time("5m", fmt=DOVECOT) == 300
    assert parse_time("2 ho", fmt=DOVECOT) == 7200  # any prefix of the unit word
    assert parse_time("0", fmt=DOVECOT) == 0
    assert parse_time("250 ms", "ms", DOVECOT) == 0.25
    assert parse_time("2000 ms", fmt=DOVECOT) == 2
    with pytest.raises(ValueError, match="missing units"):
        parse_time("7", fmt=DOVECOT)
    with pytest.raises(ValueError, match="Milliseconds not supported"):
        parse_time("1500 ms", fmt=DOVECOT)
    with pytest.raises(ValueError, match="Invalid time interval: 2 mo"):
        parse_time("2 mo", fmt=DOVECOT)


def test_octal_mode():
    assert parse_octal("0660") == 0o660
    assert parse_octal("660") == 660  # decimal without the leading 0 (= 01224)
    for bad in ("0668", "rw", "-1"):
        with pytest.raises(ValueError):
            parse_octal(bad)


def test_split_list():
    assert split_list("a, b,c\td\n e") == ("a", "b", "c", "d", "e")
    assert split_list("check_client_access hash:/x, { inline:{a=b} , x }") == (
        "check_client_access",
        "hash:/x",
        "inline:{a=b} , x",
    )
    assert split_list("") == ()
    assert split_list("plain,login PLAIN", DOVECOT) == ("plain,login", "PLAIN")


def test_policy_literals():
    from linter.policy.units import parse_seconds as policy_time
    from linter.policy.units import parse_size as policy_size

    assert policy_size("10M") == 10 * 1024 * 1024
    assert policy_size(5) == 5
    assert policy_time("1h") == 3600 and policy_time("2 days") == 172800
    with pytest.raises(ValueError):
        policy_size("ten")
    with pytest.raises(ValueError):
        policy_time("1 fortnight")


def test_typed_value_by_catalogue_type():
    p = catalog.postfix_param
    assert typed_value(p("maximal_queue_lifetime"), "2") == 2 * 86400
    assert typed_value(p("anvil_rate_time_unit"), "60") == 60
    assert typed_value(p("smtpd_helo_required"), "Yes") is True
    assert typed_value(p("message_size_limit"), "10240000") == 10240000
    assert typed_value(p("smtpd_relay_restrictions"), "permit_mynetworks, reject") == ("permit_mynetworks", "reject")
    assert typed_value(p("smtpd_banner"), "$x") == "$x"
    assert typed_value(p("message_size_limit"), UNKNOWN) is UNKNOWN
    with pytest.raises(ValueError, match="invalid header_size_limit parameter value 0 < 1"):
        typed_value(p("header_size_limit"), "0")
    d = catalog.dovecot_setting
    assert typed_value(d("mode", "unix_listener"), "0660", DOVECOT) == 0o660
    assert typed_value(d("auth_cache_ttl"), "1 hours", DOVECOT) == 3600
    assert typed_value(d("auth_mechanisms"), "plain login", DOVECOT) == ("plain", "login")
    with pytest.raises(ValueError, match="Invalid value: maybe"):
        typed_value(d("ssl"), "maybe", DOVECOT)


# --- differential: postconf -x ---------------------------------------------------------------


def _write_config(directory: Path, main_cf: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "main.cf").write_text(main_cf)
    (directory / "master.cf").write_text("")
    # Postfix pauses ~2s to "let main.cf cool down" when its mtime is this very second.
    for name in ("main.cf", "master.cf"):
        os.utime(directory / name, (1_000_000_000, 1_000_000_000))


def _postconf_x(postconf: str, directory: Path, main_cf: str, args: tuple[str, ...] = ("-n",)):
    """(returncode, {name: value}) of ``postconf -c DIR -x ARGS`` on ``main_cf``."""
    _write_config(directory, main_cf)
    result = subprocess.run(
        [postconf, "-c", str(directory), "-x", *args], capture_output=True, text=True, env=dict(os.environ, LC_ALL="C")
    )
    values = {}
    for line in result.stdout.splitlines():
        name, _, value = line.partition(" =")
        values[name] = value.strip()
    return result.returncode, values


def _norm(value: str) -> str:
    # postconf prints values with runs of whitespace collapsed (pcf_print_line)
    return " ".join(value.split())


_ATOMS = ["x", "1", "10", "9", "", "3.6", "3.10", "$p1", "$p2", "${p3}", "$(p4)", "$empty", "$undef", "a b", "$$"]


def _random_expr(rng: random.Random, depth: int = 0) -> str:
    if depth > 2 or rng.random() < 0.3:
        return rng.choice(_ATOMS)
    name = rng.choice(["p1", "p2", "p3", "empty", "undef"])
    sub = lambda: _random_expr(rng, depth + 1)  # noqa: E731
    pick = rng.randrange(8)
    if pick == 0:
        return f"${{{name}?{{{sub()}}}:{{{sub()}}}}}"
    if pick == 1:
        return f"${{{name}?{{{sub()}}}}}"
    if pick == 2:
        return f"${{{name}:{{{sub()}}}}}"
    if pick == 3:
        op = rng.choice(["==", "!=", "<", "<=", ">=", ">"])
        return f"${{{{{sub()}}} {op} {{{sub()}}} ? {{{sub()}}} : {{{sub()}}}}}"
    if pick == 4:
        op = rng.choice(["<level", ">=level", "==level"])
        lhs, rhs = rng.choice(["3.6", "3.10", "2", "$p5"]), rng.choice(["1", "3.9", "3.6.1"])
        return f"${{{{{lhs}}} {op} {{{rhs}}} ? {{{sub()}}} : {{{sub()}}}}}"
    if pick == 5:
        return f"${{{name}:{re.sub(r'[{}:?]', '', sub())}}}"
    return sub() + "-" + sub()


def test_generated_expressions_match_postconf(postconf, tmp_path):
    rng = random.Random(20240601)
    base = {"p1": "alpha", "p2": "$p1 and ${p3:{fallback}}", "p3": "", "p4": "10", "p5": "3.6", "empty": ""}
    exprs = {f"t{i}": _random_expr(rng) for i in range(150)}
    lines = [f"{k} = {v}" for k, v in {**base, **exprs}.items()]
    # Listing them as restriction classes makes them user-defined, so postconf prints them.
    lines.append("smtpd_restriction_classes = " + " ".join([*base, *exprs]))
    code, printed = _postconf_x(postconf, tmp_path / "gen", "\n".join(lines) + "\n")
    values = {**base, **exprs}
    if code != 0:  # some expression is a syntax error: find each one on its own
        pytest.fail("generated expressions must be valid; fix the generator")
    for name, text in exprs.items():
        assert _norm(ex(text, values)) == printed[name], (name, text)


@pytest.mark.parametrize(
    "text",
    ["x$-y", "$(a", "${a?{1}x}", "${{x} <level {1}}", "$self"],
)
def test_postconf_rejects_what_we_reject(postconf, tmp_path, text):
    main_cf = f"a = 1\nself = {text}\nsmtpd_restriction_classes = a self\n"
    code, _ = _postconf_x(postconf, tmp_path, main_cf)
    assert code != 0
    with pytest.raises(ExpansionError):
        ex(text, {"a": "1", "self": text})


def test_all_defaults_expand_like_postconf(postconf, tmp_path):
    for level in ("", "compatibility_level = 3.6\n", "compatibility_level = 2\n"):
        code, printed = _postconf_x(postconf, tmp_path / f"l{len(level)}", level, ())
        assert code == 0
        checked = 0
        for name, value in printed.items():
            ours = effective_postfix(name, {"config_directory": str(tmp_path / f"l{len(level)}"),
                                            **({"compatibility_level": level.split("= ")[1].strip()} if level else {})})
            if ours is UNKNOWN or ours is None:  # host-dependent (myhostname ...), read-only
                continue
            assert _norm(ours) == value, name
            checked += 1
        assert checked > 700


def _corpus_main_cfs(corpus: Path):
    for row in corpus_manifest():
        if row["kind"] == "postfix-main" and row["templated"] == "no":
            yield corpus / row["local_path"]


def test_corpus_main_cf_expands_like_postconf(postconf, corpus, tmp_path):
    from linter.model import Assignment, ConfigError
    from linter.parsers import postfix_main

    compared = files = 0
    for i, path in enumerate(_corpus_main_cfs(corpus)):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        try:
            doc = postfix_main.parse(str(path), text)
        except ConfigError:
            continue
        directory = tmp_path / f"c{i}"
        explicit = {e.name: e.value for e in doc.entries if isinstance(e, Assignment)}
        explicit["config_directory"] = str(directory)
        code, printed = _postconf_x(postconf, directory, text)
        if code != 0:  # postconf found a macro error: we must find one too
            with pytest.raises(ExpansionError):
                for name in explicit:
                    effective_postfix(name, explicit)
            continue
        files += 1
        for name, value in printed.items():
            ours = effective_postfix(name, explicit)
            if ours is UNKNOWN or ours is None:
                continue
            assert _norm(ours) == value, (path, name)
            compared += 1
    if not files:
        pytest.skip("no plain main.cf in the corpus")
    assert compared > 50


# --- differential: the daemons' own value checks ---------------------------------------------


@pytest.mark.parametrize(
    "name, value",
    [
        ("message_size_limit", "10M"),
        ("message_size_limit", "+5"),
        ("header_size_limit", "0"),
        ("header_size_limit", "1"),
        ("default_process_limit", "0"),
        ("ipc_timeout", "1hour"),
        ("ipc_timeout", "3600x"),
        ("ipc_timeout", "0"),
        ("ipc_timeout", "5H"),
        ("ipc_timeout", "10"),
        ("queue_minfree", "123"),
        ("maximal_queue_lifetime", "2"),
    ],
)
def test_postfix_conversion_matches_postmap(postconf, tmp_path, name, value):
    """postmap loads the global parameter table: it is fatal exactly when we raise."""
    postmap = str(Path(postconf).with_name("postmap"))
    _write_config(tmp_path, f"{name} = {value}\n")
    result = subprocess.run(
        [postmap, "-q", "key", "static:ok"], capture_output=True, text=True,
        env=dict(os.environ, MAIL_CONFIG=str(tmp_path), LC_ALL="C"),
    )
    try:
        typed_value(catalog.postfix_param(name), value)
        ours = None
    except ValueError as error:
        ours = str(error)
    if result.returncode == 0:
        assert ours is None
    else:
        assert ours is not None and ours in result.stderr, result.stderr


# --- Postfix's own test vectors (src/util/mac_expand.in), judged by the installed 3.7 ----------

MAC_EXPAND_VALID = [
    "${{$name1} != {}?x{a |$name1|$name2|}}",
    "${{$name2} != {}?x{a}:{b |$name1|}}",
    "${{$name1} != {}?{a}:x{b |$name1|}}",
    "${{$name2} != {}?{a}:x{b |$name1|}}",
    "${{${ name1}} == {}}",
    "${name1?{${ name1}}:{${name2}}}",
    "${name2?{${ name1}}:{${name2}}}",
    "${{${name1?bug:test}} != {bug:test}?{Error: NOT}:{Good:}} Postfix 2.11 compatible",
    "${{${name1??bug}} != {?bug}?{Error: NOT}:{Good:}} Postfix 2.11 compatible",
    "${{${name2::bug}} != {:bug}?{Error: NOT}:{Good:}} Postfix 2.11 compatible",
    "${name1?name 1 defined, |$name1|$name2|}",
    "${name1:name 1 undefined, |$name1|$name2|}",
    "${name2:name 2 undefined, |$name1|$name2|}",
    "|$name1|$name2|",
    "${{$name1} != {}?{a |$name1|}:b |$name2|}",
    "${{$name1} == {}:{name 1 defined, |$name1|$name2|}}",
    "${{$name2} != {} ? {a} : name 2 undefined, |$name1|$name2|}",
    "${{$name1} != {}}",
    "${{$name2} == {}}",
]

# What postconf 3.7.11 said about the invalid ones (captured from the oracle).
MAC_EXPAND_INVALID = [
    ("${${name1} != {}?name 1 defined, |$name1|$name2|}", 'attribute name syntax error at: "...>>>${name1} != {}?name'),
    ("${{$name1} ? {a} : {b} }", '"==" or "!="" or "<"" or "<="" or ">="" or ">" expected at: "...$name1}'),
    ("${x{$name1} != {}?{a}}", 'attribute name syntax error at: "...x>>>{$name1} != {}?{a}"'),
    ("${{$name1}x?{a}}", '"==" or "!="" or "<"" or "<="" or ">="" or ">" expected at: "...$name1}>>>x?{a}"'),
    ("${{$name1} != {}x{a}}", '"?" or ":" expected at: "...}>>>x{a}"'),
    ("${{$name1} != {}?{a}x}", '":" expected at: "...a}>>>x"'),
    ("${{text}}", '"==" or "!="" or "<"" or "<="" or ">="" or ">" expected at: "...text}>>>"'),
    ("${{text}?{non-empty}:{empty}}", '"==" or "!="" or "<"" or "<="" or ">="" or ">" expected at: "...text}>>>?{no'),
    ("${name2?{${name1}}?{${name2}}}", '":" expected at: "...${name1}}>>>?{${name2}}"'),
    ("${{xx}==(yy)?{oops}:{phew}}", '"{expression}" expected at: "...{xx}'),
]


@pytest.mark.parametrize("text, message", MAC_EXPAND_INVALID)
def test_mac_expand_vectors_rejected(text, message):
    with pytest.raises(ExpansionError) as info:
        ex(text, {"name1": "name1-value"})
    assert str(info.value).startswith(message)


def test_mac_expand_vectors_match_postconf(postconf, tmp_path):
    cases = {f"t{i}": text for i, text in enumerate(MAC_EXPAND_VALID)}
    main_cf = "name1 = name1-value\n" + "".join(f"{k} = {v}\n" for k, v in cases.items())
    main_cf += "smtpd_restriction_classes = name1 name2 " + " ".join(cases) + "\n"
    code, printed = _postconf_x(postconf, tmp_path, main_cf)
    assert code == 0
    values = {"name1": "name1-value", **cases}
    for name, text in cases.items():
        assert _norm(ex(text, values)) == printed[name], text
