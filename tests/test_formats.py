"""The format registry (linter.formats) and the recipe of docs/extending.md for adding a
config format: the documented module, written to a temporary directory and registered the
documented way, makes a file of the new format checkable and fixable from the command line."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from linter import catalog, formats
from linter.parsers import detect_format
from tests import test_cli

site = test_cli.site
run = test_cli.run
DOCS = Path(__file__).resolve().parent.parent / "docs" / "extending.md"


def _recipe() -> str:
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## Adding a config format or a version"):]
    end = section.find("\n## ", 3)
    return section if end < 0 else section[:end]


def _block(text: str, language: str) -> str:
    found = re.search(rf"```{language}\n(.*?)```", text, re.DOTALL)
    assert found, f"no {language} block in the recipe"
    return found.group(1)


@pytest.fixture
def toy_format(tmp_path_factory, monkeypatch):
    """The recipe's module, as a module of its own, with its TABLE entry."""
    directory = tmp_path_factory.mktemp("plugin")
    (directory / "toy_kv.py").write_text(_block(_recipe(), "python"), encoding="utf-8")
    monkeypatch.syspath_prepend(str(directory))
    monkeypatch.setitem(formats.TABLE, "toy-kv", "toy_kv")
    yield
    formats._loaded.pop("toy-kv", None)
    sys.modules.pop("toy_kv", None)


def test_the_documented_table_is_the_registry():
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| `([a-z0-9_.]+)` \| `([a-z0-9]+)` \| (.*) \|$", _recipe(), re.MULTILINE)
    assert [(name, module) for name, module, _p, _s in rows] == list(formats.TABLE.items())
    for name, _module, product, scopes in rows:
        fmt = formats.get(name)
        assert fmt.name == name and fmt.product == product
        assert re.findall(r"`([a-z-]+)`", scopes) == list(fmt.scopes)
        assert product in catalog.VERSIONS  # a catalogue for every product, per version


@pytest.mark.parametrize(("path", "expected"), [
    ("etc/postfix/main.cf", "postfix-main"), ("roles/mx/templates/main.cf.j2", "postfix-main"),
    ("postfix-master.cf", "postfix-master"), ("etc/dovecot/dovecot.conf", "dovecot"),
    ("etc/dovecot/conf.d/10-ssl.conf", "dovecot"), ("auth-sql.conf.ext", "dovecot"), ("nginx.conf", None),
])
def test_detection_goes_through_the_table(path, expected):
    assert formats.detect(Path(path).name.removesuffix(".j2"), path) == expected
    assert detect_format(path) == expected


def test_the_command_line_offers_every_format():
    from linter import cli

    assert tuple(cli.FORMAT_CHOICES) == formats.FORMATS


def test_an_unknown_format_names_the_known_ones():
    with pytest.raises(ValueError, match="expected one of postfix-main, postfix-master, dovecot"):
        formats.get("exim")


def test_a_new_format_is_one_module_and_one_table_entry(site, capsys, toy_format):
    recipe = _recipe()
    (site / "site.yaml").write_text(_block(recipe, "yaml"), encoding="utf-8")
    (site / "app.kv").write_text(_block(recipe, "ini"), encoding="utf-8")
    console = _block(recipe, "console").splitlines()
    command = console[0].removeprefix("$ policy-lint ").split()
    assert detect_format("app.kv") == "toy-kv"

    status, out, err = run(capsys, *command)
    assert (status, err) == (1, "")
    assert out.splitlines()[0] == console[1]

    status, out, err = run(capsys, "check", "--no-builtin", "--policy", "site.yaml", "--format", "json", "app.kv")
    finding = json.loads(out)[0]
    assert (finding["rule"], finding["line"], finding["column"]) == ("TX801", 2, 14)

    status, out, err = run(capsys, *command[:1], "--fix", *command[1:])
    assert status == 0, out + err
    assert (site / "app.kv").read_text(encoding="utf-8") == "# the app\nworkers = 4\nname = mx\n"
