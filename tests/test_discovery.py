"""Discovery: which files a check reads, and located messages for what it cannot read."""

from __future__ import annotations

import os

import pytest

from linter.discovery import discover


def _tree(root, files: list[str]) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n", encoding="utf-8")


@pytest.fixture
def tree(tmp_path, monkeypatch):
    _tree(tmp_path, [
        "etc/postfix/main.cf", "etc/postfix/master.cf", "etc/postfix/README",
        "etc/dovecot/dovecot.conf", "etc/dovecot/conf.d/10-auth.conf", "etc/dovecot/conf.d/notes.txt",
        ".git/main.cf", "node_modules/pkg/main.cf", ".hidden/main.cf", "vendor/main.cf",
        "templates/main.cf.j2", "templates/mail.tmpl",
    ])
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_walk_keeps_known_formats_and_skips_hidden_and_vendored(tree):
    found = discover(["."])
    assert found.files == (
        "etc/dovecot/conf.d/10-auth.conf", "etc/dovecot/dovecot.conf", "etc/postfix/main.cf",
        "etc/postfix/master.cf", "templates/main.cf.j2", "vendor/main.cf",
    )
    assert found.errors == () and found.notes == ()


def test_exclude_globs_and_format_overrides(tree):
    found = discover(["."], formats={"templates/mail.tmpl": "dovecot"}, exclude=["vendor", "*.j2"])
    assert "vendor/main.cf" not in found.files and "templates/main.cf.j2" not in found.files
    assert "templates/mail.tmpl" in found.files


def test_paths_come_out_relative_to_the_current_directory(tree):
    found = discover([str(tree / "etc" / "postfix"), "./etc/postfix/main.cf"])
    assert found.files == ("etc/postfix/main.cf", "etc/postfix/master.cf")  # and each only once


def test_explicit_file_without_a_known_format_is_an_error(tree):
    found = discover(["etc/postfix/README", "etc/postfix/main.cf"])
    assert found.files == ("etc/postfix/main.cf",)
    (error,) = found.errors
    assert str(error).startswith("etc/postfix/README: cannot tell the format from the name; use --as")


def test_forced_format_accepts_any_explicit_name(tree):
    assert discover(["etc/postfix/README"], forced_format="postfix-main").files == ("etc/postfix/README",)


def test_missing_path_and_broken_link(tree):
    os.symlink("nowhere", tree / "dangling.cf")
    found = discover(["no/such/dir", "dangling.cf"])
    assert [str(e) for e in found.errors] == ["no/such/dir: no such file or directory",
                                              "dangling.cf: broken symbolic link"]


def test_symlink_loop_is_skipped_with_a_note(tree):
    os.symlink("..", tree / "etc" / "postfix" / "up")  # etc/postfix/up -> etc
    os.symlink("self", tree / "etc" / "self")  # a link to itself: ELOOP
    found = discover(["etc"])
    assert found.files == ("etc/dovecot/conf.d/10-auth.conf", "etc/dovecot/dovecot.conf", "etc/postfix/main.cf",
                           "etc/postfix/master.cf")
    notes = sorted(str(n) for n in found.notes)
    assert notes[0].startswith("etc/postfix/up: skipped: symbolic link loop")
    assert notes[1].startswith("etc/self: skipped:")
    assert found.errors == ()


def test_symlinked_directory_is_followed(tree):
    os.symlink(tree / "etc" / "postfix", tree / "linked")
    found = discover(["linked"])
    assert found.files == ("linked/main.cf", "linked/master.cf")


def test_unreadable_directory_is_a_located_error(tree, monkeypatch):
    locked = tree / "etc" / "locked"
    locked.mkdir()
    locked.chmod(0)
    if os.geteuid() == 0:  # root reads any directory: make this one fail as it would for a user
        real_scandir = os.scandir

        def scandir(path):
            if os.path.basename(str(path)) == "locked":
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)
    try:
        found = discover(["etc"])
    finally:
        locked.chmod(0o755)
    assert [str(e) for e in found.errors] == ["etc/locked: cannot read directory: Permission denied"]
    assert "etc/postfix/main.cf" in found.files


def test_paths_outside_the_current_directory(tree, monkeypatch):
    monkeypatch.chdir(tree / "templates")
    assert discover(["../etc/postfix"]).files == ("../etc/postfix/main.cf", "../etc/postfix/master.cf")
    absolute = str(tree / "etc" / "postfix" / "main.cf")
    assert discover([absolute]).files == (absolute,)
