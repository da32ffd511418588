"""FIFOs, sockets, devices and linked folders in the site's input folders: refused or followed, never a hang."""

from __future__ import annotations

import os
import socket

import pytest

from site_builder.files import walk_tree

SITE = {"site.toml": 'title = "Digest"\nbase_url = "https://example.org/"\n',
        "content/good.md": "---\ntitle: Good\ndate: 2024-05-01T09:00:00Z\n---\nFine.\n"}
ITEM = "---\ntitle: {title}\ndate: 2024-05-02T09:00:00Z\n---\nText.\n"


def _fifo(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)


def _socket(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()


def _zero(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to("/dev/zero")


def _null_device_link(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to("/dev/urandom")


MAKERS = {"fifo": (_fifo, "a FIFO (named pipe)"), "socket": (_socket, "a socket"),
          "dev-zero": (_zero, "a character device"), "dev-urandom": (_null_device_link, "a character device")}
# where -> (the file's path, what the message says about such files)
PLACES = {"content": ("content/2024/odd.md", "content files must be regular files"),
          "static": ("static/css/odd.css", "static files must be regular files"),
          "templates": ("templates/item.html", "templates must be regular files"),
          "theme-templates": ("themes/mine/templates/base.html", "templates must be regular files"),
          "theme-static": ("themes/mine/static/app.js", "static files must be regular files")}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", sorted(MAKERS))
@pytest.mark.parametrize("place", sorted(PLACES))
@pytest.mark.parametrize("command", ["build", "check"])
def test_special_files_are_refused_without_being_read(kind, place, command, make_site, run_cli):
    theme = {"themes/mine/theme.toml": 'extends = "default"\n', "site.toml": SITE["site.toml"] + 'theme = "mine"\n'} \
        if place.startswith("theme") else {}
    root = make_site({**SITE, **theme})
    rel, rule = PLACES[place]
    make, what = MAKERS[kind]
    make(root / rel)
    code, out, err = run_cli(command, "--source", root)
    assert code == 1
    assert f"{rel}: {what}, not a regular file; {rule} (remove it)\n" in err
    assert not (root / "output").exists()


@pytest.mark.timeout(60)
def test_a_special_file_without_a_content_suffix_is_only_skipped(make_site, run_cli):
    root = make_site(SITE)
    _fifo(root / "content/notes")
    code, _, err = run_cli("build", "--source", root)
    assert code == 0, err
    assert "warning: content/notes: skipped: not a content file" in err


@pytest.mark.timeout(60)
def test_linked_folders_inside_the_site_are_followed_once(make_site, run_cli):
    root = make_site({**SITE, "shared/inner/linked.md": ITEM.format(title="Linked story"),
                      "content/real/own.md": ITEM.format(title="Own story")})
    (root / "content/again").symlink_to("../shared")            # inside the site: followed
    (root / "content/shared").symlink_to("../shared")           # the same folder once more: skipped
    (root / "content/alias").symlink_to("real")                 # a folder of content/ itself: read anyway
    (root / "content/real/loop").symlink_to("..")               # its own parent: a loop
    (root / "content/root").symlink_to("/")                     # contains everything: a loop
    (root / "content/usr").symlink_to("/usr")                   # out of the site
    code, out, err = run_cli("build", "--source", root)
    assert code == 0, err
    assert err.splitlines() == [
        "warning: content/alias: skipped: a link to content/real, which is read anyway",
        "warning: content/real/loop: skipped: a link to a folder that contains it (a loop)",
        "warning: content/root: skipped: a link to a folder that contains it (a loop)",
        "warning: content/shared: skipped: a link to a folder already read through another link",
        "warning: content/usr: skipped: a link to a folder outside the site (/usr); only links within the site's "
        "folder are followed",
    ]
    assert (root / "output/news/linked-story/index.html").is_file()
    assert (root / "output/news/own-story/index.html").is_file()
    assert "3 items published" in out
    code, out, err = run_cli("check", "--source", root)
    assert code == 0 and err.count("skipped: a link") == 5


@pytest.mark.timeout(60)
def test_linked_static_folders_follow_the_same_rule(make_site, run_cli):
    root = make_site({**SITE, "assets/img/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"})
    (root / "static").mkdir()
    (root / "static/img").symlink_to("../assets/img")
    (root / "static/self").symlink_to(".")
    code, _, err = run_cli("build", "--source", root)
    assert code == 0, err
    assert err == "warning: static/self: skipped: a link to a folder that contains it (a loop)\n"
    assert (root / "output/img/logo.svg").read_text() == "<svg xmlns='http://www.w3.org/2000/svg'/>"


def test_walk_tree_lists_linked_files_and_sorts(tmp_path):
    (tmp_path / "top/b").mkdir(parents=True)
    (tmp_path / "top/b/x.md").write_text("x")
    (tmp_path / "top/a.md").write_text("a")
    (tmp_path / "elsewhere.md").write_text("e")
    (tmp_path / "top/c.md").symlink_to(tmp_path / "elsewhere.md")
    files, warnings = walk_tree(tmp_path / "top", lambda name: False)
    assert [os.path.relpath(f, tmp_path) for f in files] == ["top/a.md", "top/b/x.md", "top/c.md"]
    assert warnings == []


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
@pytest.mark.parametrize("command", ["build", "check"])
def test_a_special_site_toml_or_theme_toml_is_refused(kind, command, make_site, run_cli):
    make, what = MAKERS[kind]
    root = make_site({"content/good.md": SITE["content/good.md"]})
    make(root / "site.toml")
    code, _, err = run_cli(command, "--source", root)
    assert code == 1
    assert f"site.toml: {what}, not a regular file; site.toml must be a regular file (remove it)\n" in err
    (root / "site.toml").unlink()
    (root / "site.toml").write_text('theme = "mine"\n')
    make(root / "themes/mine/theme.toml")
    (root / "themes/mine/templates").mkdir()
    code, _, err = run_cli(command, "--source", root)
    assert code == 1
    assert f"themes/mine/theme.toml: {what}, not a regular file; theme.toml must be a regular file (remove it)\n" \
        in err
