"""The build cache: warm and incremental builds give exactly the bytes of a cold build, and hidden
content never reaches the cache."""

from __future__ import annotations

import os

from site_builder.commands.build import build_site
from site_builder.incremental.cache import CACHE_DIR, Cache
from site_builder.config import load_config
from tests.conftest import read_tree
from tests.test_build import HIDDEN, VISIBLE, article


def cold_tree(run_cli, root, tmp_path, name):
    code, _, err = run_cli("build", "--source", root, "--output", tmp_path / name, "--no-cache")
    assert code == 0, err
    return read_tree(tmp_path / name)


def test_warm_and_incremental_builds_match_a_cold_build(make_site, run_cli, tmp_path):
    root = make_site({**VISIBLE, **HIDDEN})
    assert run_cli("build", "--source", root)[0] == 0
    assert (root / CACHE_DIR).is_dir()
    first = read_tree(root / "output")
    code, out, _ = run_cli("build", "--source", root)
    assert code == 0 and "(0 written" in out
    assert read_tree(root / "output") == first == cold_tree(run_cli, root, tmp_path, "cold1")

    # Edit a title, add an item, unpublish one, delete one: each warm result equals a cold one.
    (root / "content/a.md").write_text(article("Alpha Story Renamed", "2024-05-01T09:00:00Z", "[AI, Space]"))
    (root / "content/new.md").write_text(article("Delta Story", "2024-05-03T09:00:00Z", "[Space]"))
    (root / "content/b.md").write_text(article("Beta Story", "2024-05-02T10:00:00Z", "Space", "Other Times",
                                               more="published: false\n"))
    (root / "content/sub/c.txt").unlink()
    assert run_cli("build", "--source", root)[0] == 0
    assert read_tree(root / "output") == cold_tree(run_cli, root, tmp_path, "cold2")


def test_unchanged_files_keep_their_mtime(make_site, run_cli):
    root = make_site(VISIBLE)
    assert run_cli("build", "--source", root)[0] == 0
    page = root / "output/news/gamma-plain-story/index.html"  # shares no topic with the edited item
    before = page.stat().st_mtime_ns
    (root / "content/a.md").write_text(article("Alpha Story Two"))
    assert run_cli("build", "--source", root)[0] == 0
    assert page.stat().st_mtime_ns == before
    assert "Alpha Story Two" in (root / "output/news/alpha-story-two/index.html").read_text()


def test_hidden_content_never_reaches_the_cache(make_site, run_cli):
    root = make_site({**VISIBLE, **HIDDEN})
    assert run_cli("build", "--source", root)[0] == 0
    blob = b"".join(read_tree(root / CACHE_DIR).values())
    assert b"Alpha Story" in blob  # the cache does hold visible items
    for needle in (b"Zebra", b"Quokka", b"Narwhal", b"secret.md", b"draft.md", b"off.md"):
        assert needle not in blob


def test_in_memory_rebuild_matches_cold(make_site):
    root = make_site({**VISIBLE, **HIDDEN})
    config = load_config(root)
    first = build_site(config, Cache())
    (root / "content/a.md").write_text(article("Alpha Changed"))
    os.utime(root / "content/a.md", (1, 1))
    second = build_site(config, first.cache)
    assert all(f.data is not None for f in second.files)
    assert second.rendered < first.rendered
    cold = build_site(load_config(root, {"use_cache": False}), Cache())
    assert {f.rel_path: f.data for f in second.files} == {f.rel_path: f.data for f in cold.files}


def test_nothing_changed_means_nothing_to_do(make_site, run_cli):
    root = make_site({**VISIBLE, **HIDDEN})
    first = run_cli("build", "--source", root)
    assert first[0] == 0
    tree = read_tree(root / "output")
    code, out, err = run_cli("build", "--source", root)
    assert code == 0 and "(0 written, " in out and "0 removed" in out
    assert out.split(";")[1:3] == first[1].split(";")[1:3]  # same counts repeated
    assert read_tree(root / "output") == tree
    # A file touched in output/ is noticed: the next build puts it right.
    (root / "output/index.html").write_text("tampered")
    assert run_cli("build", "--source", root)[0] == 0
    assert read_tree(root / "output") == tree
    # So is a stray file.
    (root / "output/stray.txt").write_text("x")
    assert run_cli("build", "--source", root)[0] == 0
    assert read_tree(root / "output") == tree


def test_in_memory_rebuilds_that_move_no_item_reuse_the_layout_and_match_cold(make_site):
    # Edits that keep every item in its place (title case, body, excerpt, a hidden item's text) take the
    # last build's pages again; edits that move one (a topic, a date) plan afresh. Each result must be
    # byte for byte a cold build.
    root = make_site({**VISIBLE, **HIDDEN})
    config = load_config(root)
    result = build_site(config, Cache())
    a, secret = root / "content/a.md", root / "content/secret.md"
    edits = [
        (a, 'title: "Alpha Story"', 'title: "ALPHA Story"', True),
        (a, "Body of Alpha Story", "Body of Alpha Story, longer", True),
        (a, 'excerpt: "Excerpt of Alpha Story"', "excerpt: A new excerpt.", True),
        (secret, "Zebra Secret Unpublished", "Zebra Secret Still Unpublished", True),
        (a, "topics: [AI, Space]", "topics: [AI, Space, Oceans]", False),
        (a, "2024-05-01T09:00:00Z", "2024-05-03T09:00:00Z", False),
        (a, "excerpt: A new excerpt.", "excerpt: Another excerpt.", True),
    ]
    for path, old, new, kept in edits:
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new, 1))
        os.utime(path, (2, 2 + len(new)))
        before = result.cache.layout
        result = build_site(config, result.cache)
        assert (result.cache.layout.pages is before.pages) is False
        assert (result.cache.layout.shape == before.shape) is kept, (old, new)
        cold = build_site(load_config(root, {"use_cache": False}), Cache())
        assert {f.rel_path: f.data for f in result.files} == {f.rel_path: f.data for f in cold.files}, (old, new)
    assert b"Zebra" not in b"".join(f.data for f in result.files)


def test_warm_builds_that_move_no_item_reuse_the_cached_layout_and_match_cold(make_site, run_cli, tmp_path):
    root = make_site({**VISIBLE, **HIDDEN})
    assert run_cli("build", "--source", root)[0] == 0
    assert (root / CACHE_DIR / "layout.pickle").is_file()
    a = root / "content/a.md"
    for old, new in (('title: "Alpha Story"', 'title: "ALPHA Story"'), ("Body of Alpha", "Longer body of Alpha"),
                     ("topics: [AI, Space]", "topics: [AI]")):
        a.write_text(a.read_text().replace(old, new, 1))
        code, out, err = run_cli("build", "--source", root)
        assert code == 0, err
        assert read_tree(root / "output") == cold_tree(run_cli, root, tmp_path, f"cold-{new}"), new
    # --drafts shows hidden items: that layout is never written to the cache.
    (root / CACHE_DIR / "layout.pickle").unlink()
    assert run_cli("build", "--source", root, "--drafts")[0] == 0
    assert not (root / CACHE_DIR / "layout.pickle").exists()
