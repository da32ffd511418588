"""The build cache: warm and incremental builds give exactly the bytes of a cold build, and hidden
content never reaches the cache."""

from __future__ import annotations

import os

from site_builder.commands.build import build_site
from site_builder.incremental.store import STORE_DIR as CACHE_DIR, Memory
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
    first = build_site(config, Memory())
    (root / "content/a.md").write_text(article("Alpha Changed"))
    os.utime(root / "content/a.md", (1, 1))
    second = build_site(config, first.memory)
    assert all(f.data is not None for f in second.files)
    assert second.rendered < first.rendered
    cold = build_site(load_config(root, {"use_cache": False}), Memory())
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


def test_in_memory_rebuilds_match_cold_after_each_edit(make_site):
    # Edits that keep every item in its place and edits that move one: each result is byte for byte a
    # cold build, and an edit re-renders only some of the files.
    root = make_site({**VISIBLE, **HIDDEN})
    config = load_config(root)
    result = build_site(config, Memory())
    a, secret = root / "content/a.md", root / "content/secret.md"
    edits = [
        (a, 'title: "Alpha Story"', 'title: "ALPHA Story"'),
        (a, "Body of Alpha Story", "Body of Alpha Story, longer"),
        (a, 'excerpt: "Excerpt of Alpha Story"', "excerpt: A new excerpt."),
        (secret, "Zebra Secret Unpublished", "Zebra Secret Still Unpublished"),
        (a, "topics: [AI, Space]", "topics: [AI, Space, Oceans]"),
        (a, "2024-05-01T09:00:00Z", "2024-05-03T09:00:00Z"),
        (a, "excerpt: A new excerpt.", "excerpt: Another excerpt."),
    ]
    rendered = []
    for path, old, new in edits:
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new, 1))
        result = build_site(config, result.memory)
        rendered.append(result.rendered)
        cold = build_site(load_config(root, {"use_cache": False}), Memory())
        assert {f.rel_path: f.data for f in result.files} == {f.rel_path: f.data for f in cold.files}, (old, new)
    assert b"Zebra" not in b"".join(f.data for f in result.files)
    # A title, body or excerpt edit re-renders the pages showing the item and the feeds, not the site
    # (files made without a key, the sitemap, robots.txt, the search shards' list and static files, are
    # always made; a search shard only when one of its item pages changed); a hidden item's edit renders nothing.
    always = len(result.files) - len(result.memory.rendered)
    assert always == len([f for f in result.files if f.rel_path in ("sitemap.xml", "robots.txt", "pagefind/shards.json")
                          or f.rel_path.startswith(("assets/", "favicon"))])
    assert rendered[3] == always
    index = len([f for f in result.files if f.rel_path.startswith("pagefind/")])  # remade when a page changes
    assert 0 < max(rendered[:3]) - always - index < (len(result.files) - index) // 2, (rendered, index)


def test_warm_builds_match_cold_and_a_drafts_build_stores_nothing(make_site, run_cli, tmp_path):
    root = make_site({**VISIBLE, **HIDDEN})
    assert run_cli("build", "--source", root)[0] == 0
    store = root / CACHE_DIR / "store.sqlite"
    assert store.is_file()
    a = root / "content/a.md"
    for old, new in (('title: "Alpha Story"', 'title: "ALPHA Story"'), ("Body of Alpha", "Longer body of Alpha"),
                     ("topics: [AI, Space]", "topics: [AI]")):
        a.write_text(a.read_text().replace(old, new, 1))
        code, out, err = run_cli("build", "--source", root)
        assert code == 0, err
        assert read_tree(root / "output") == cold_tree(run_cli, root, tmp_path, f"cold-{new}"), new
    # --drafts shows hidden items: nothing of that build is stored.
    before = store.read_bytes()
    assert run_cli("build", "--source", root, "--drafts")[0] == 0
    assert store.read_bytes() == before
    assert run_cli("build", "--source", root)[0] == 0
    assert read_tree(root / "output") == cold_tree(run_cli, root, tmp_path, "cold-after-drafts")
