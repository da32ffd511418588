"""The writer never follows a link out of output/, never reads a FIFO placed there, and rolls a failed
update back so output/ is exactly as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from site_builder.stages import write as write_module
from tests.conftest import read_tree

SITE = {"site.toml": 'title = "Digest"\nbase_url = "https://example.org/"\n',
        "content/a.md": "---\ntitle: Alpha\ndate: 2024-05-01T09:00:00Z\ntopics: [AI]\n---\nAlpha body.\n",
        "content/b.md": "---\ntitle: Beta\ndate: 2024-05-02T09:00:00Z\n---\nBeta body.\n"}


def links_and_specials(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_symlink() or not (p.is_file() or p.is_dir()))


@pytest.fixture
def built(make_site, run_cli, tmp_path):
    root = make_site(SITE)
    code, _, err = run_cli("build", "--source", root)
    assert code == 0, err
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "index.html").write_text("not yours")
    return root, outside


@pytest.mark.timeout(60)
@pytest.mark.parametrize("cache", [[], ["--no-cache"]])
def test_a_linked_folder_in_output_is_replaced_not_written_through(built, run_cli, cache):
    root, outside = built
    before = read_tree(root / "output")
    for name in ("news", "topics/ai"):
        target = root / "output" / name
        for path in sorted(target.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        target.rmdir()
        target.symlink_to(outside)
    code, _, err = run_cli("build", "--source", root, *cache)
    assert code == 0, err
    assert read_tree(outside) == {"index.html": b"not yours"}
    assert links_and_specials(root / "output") == []
    assert read_tree(root / "output") == before


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["index.html", "news/alpha/index.html", "feed.xml", "stray.html"])
def test_a_linked_file_in_output_is_replaced_not_written_through(built, run_cli, name):
    root, outside = built
    before = read_tree(root / "output")
    path = root / "output" / name
    path.unlink(missing_ok=True)
    path.symlink_to(outside / "index.html")
    code, _, err = run_cli("build", "--source", root)
    assert code == 0, err
    assert read_tree(outside) == {"index.html": b"not yours"}
    assert links_and_specials(root / "output") == []
    assert read_tree(root / "output") == before


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["index.html", "topics/ai/feed.xml", "stray"])
def test_a_fifo_in_output_is_removed_without_being_read(built, run_cli, name):
    root, _ = built
    before = read_tree(root / "output")
    path = root / "output" / name
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    code, _, err = run_cli("build", "--source", root)
    assert code == 0, err
    assert links_and_specials(root / "output") == []
    assert read_tree(root / "output") == before


@pytest.mark.timeout(60)
@pytest.mark.parametrize("failing", ["news/alpha/index.html", "topics/ai/index.html", "sitemap.xml"])
def test_an_update_that_fails_part_way_is_rolled_back(built, run_cli, monkeypatch, failing):
    root, _ = built
    add = {"content/a.md": SITE["content/a.md"].replace("Alpha body.", "Alpha, edited."),
           "content/c.md": "---\ntitle: Gamma\ndate: 2024-05-03T09:00:00Z\ntopics: [AI]\n---\nGamma body.\n"}
    for rel, text in add.items():
        (root / rel).write_text(text)
    (root / "content/b.md").unlink()
    before = read_tree(root / "output")
    folders = sorted(p for p in (root / "output").rglob("*") if p.is_dir())
    real_replace = os.replace

    def replace(source, target, *args, **kwargs):
        # What a read-only folder does to a new file moved in (root ignores permissions, so the failure
        # is simulated); moving the old file back where it was is left to work.
        if str(target).endswith(failing) and Path(source).name.isdigit():
            raise PermissionError(13, "Permission denied", str(target))
        return real_replace(source, target, *args, **kwargs)

    monkeypatch.setattr(write_module.os, "replace", replace)
    code, out, err = run_cli("build", "--source", root)
    assert (code, out) == (1, "")
    assert err == f"cannot write the site to {root / 'output'}: Permission denied ({root / 'output' / failing})\n"
    assert read_tree(root / "output") == before
    assert sorted(p for p in (root / "output").rglob("*") if p.is_dir()) == folders
    assert [p.name for p in root.iterdir() if ".tmp-" in p.name] == []
    monkeypatch.setattr(write_module.os, "replace", real_replace)
    code, _, err = run_cli("build", "--source", root)
    assert code == 0, err
    assert b"Alpha, edited." in (root / "output/news/alpha/index.html").read_bytes()
    assert not (root / "output/news/beta").exists()
