"""The Pagefind search index: what it holds (visible item pages only), what leaves it, byte-stable, and off."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from site_builder.commands.build import build_site
from site_builder.config import load_config
from site_builder.incremental.store import Memory
from site_builder.stages.search import index_pages
from tests.conftest import read_tree
from tests.test_build import HIDDEN, VISIBLE, article

SIGNATURE = b"pagefind_dcd"
HIDDEN_WORDS = [b"Zebra", b"Quokka", b"Narwhal", b"Hidden Wire", b"Draft Desk", b"Secrets", b"Drafts"]


def fragments(files: dict[str, bytes]) -> dict[str, dict]:
    """URL -> the record Pagefind keeps for the page (its text, filters, meta)."""
    records = [json.loads(gzip.decompress(data)[len(SIGNATURE):]) for path, data in files.items()
               if path.startswith("pagefind/shards/") and "/fragment/" in path]
    return {record["url"]: record for record in records}


def bundle(tree: dict[str, bytes]) -> dict[str, bytes]:
    return {path: data for path, data in tree.items() if path.startswith("pagefind/")}


def built(make_site, run_cli, files, *extra) -> Path:
    root = make_site(files)
    code, _, err = run_cli("build", "--source", root, *extra)
    assert code == 0, err
    return root


def test_the_index_holds_every_visible_item_page_with_its_filters_and_nothing_hidden(make_site, run_cli):
    root = built(make_site, run_cli, {**VISIBLE, **HIDDEN})
    tree = read_tree(root / "output")
    records = fragments(tree)

    assert sorted(records) == ["/news/alpha-story/", "/news/beta-story/", "/news/gamma-plain-story/"]
    alpha = records["/news/alpha-story/"]
    assert alpha["meta"]["title"] == "Alpha Story"
    assert alpha["filters"] == {"topic": ["AI", "Space"], "provider": ["Example News"]}
    assert "Excerpt of Alpha Story" in alpha["content"]          # the excerpt, though the page hides it
    assert "Body of Alpha Story" in alpha["content"]
    assert "Example News" in alpha["content"]                     # the byline
    assert "Related" not in alpha["content"] and "Skip to content" not in alpha["content"]
    unpacked = [gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data for data in bundle(tree).values()]
    assert [word for word in HIDDEN_WORDS for data in unpacked if word in data] == []
    assert (root / "output/search/index.html").exists()
    assert b'<form class="site-search" role="search"' in tree["index.html"]


def test_an_unpublished_item_leaves_the_index_and_a_warm_build_equals_a_cold_one(make_site, run_cli, tmp_path):
    root = built(make_site, run_cli, VISIBLE)
    assert "/news/beta-story/" in fragments(read_tree(root / "output"))

    source = root / "content/b.md"
    source.write_text(source.read_text().replace("excerpt:", "published: false\nexcerpt:"))
    code, _, err = run_cli("build", "--source", root)
    assert code == 0, err
    warm = read_tree(root / "output")
    code, _, err = run_cli("build", "--source", root, "--output", tmp_path / "cold", "--no-cache")
    assert code == 0, err

    assert sorted(fragments(warm)) == ["/news/alpha-story/", "/news/gamma-plain-story/"]
    assert [path for path, data in bundle(warm).items() if b"Beta" in data or b"Other Times" in data] == []
    assert bundle(warm) == bundle(read_tree(tmp_path / "cold"))


def test_an_edit_to_an_item_reaches_the_index_and_no_edit_keeps_it(make_site, run_cli):
    root = built(make_site, run_cli, VISIBLE)
    before = bundle(read_tree(root / "output"))
    (root / "content/sub/c.txt").write_text("Gamma Plain Story\n\nNow about aardvarks.\n")
    code, out, err = run_cli("build", "--source", root)
    assert code == 0, err
    after = bundle(read_tree(root / "output"))
    assert "aardvarks" in fragments(after)["/news/gamma-plain-story/"]["content"]
    (root / "content/a.md").touch()  # read again, same bytes: the same index, not even rewritten
    code, out, err = run_cli("build", "--source", root)
    assert bundle(read_tree(root / "output")) == after
    assert before != after


def test_the_index_is_the_same_bytes_for_the_same_pages_although_pagefind_orders_filters_at_random(tmp_path):
    config = load_config(tmp_path)
    pages = [(f"/news/s{n}/", (f'<html lang="en"><body><article data-pagefind-body><h1>Story {n}</h1>'
                               f'<span data-pagefind-filter="topic">T{n % 7}</span>'
                               f'<span data-pagefind-filter="provider">P{n % 5}</span><p>Text {n}</p>'
                               f'</article></body></html>').encode()) for n in range(40)]
    first = index_pages(pages, config, "pagefind/shards/2024-05")
    assert all(index_pages(list(reversed(pages)), config, "pagefind/shards/2024-05") == first for _ in range(4))
    entry = json.loads(next(f.data for f in first if f.rel_path == "pagefind/shards/2024-05/pagefind-entry.json"))
    assert entry["languages"]["en"]["page_count"] == 40
    shard = ("pagefind/shards/2024-05/fragment/", "pagefind/shards/2024-05/index/",
             "pagefind/shards/2024-05/filter/", "pagefind/shards/2024-05/pagefind.en_")
    assert sorted(f.rel_path for f in first if not f.rel_path.startswith(shard)) == [
        "pagefind/pagefind-worker.js", "pagefind/pagefind.js", "pagefind/shards/2024-05/pagefind-entry.json",
        "pagefind/wasm.en.pagefind", "pagefind/wasm.unknown.pagefind"]


def test_search_false_makes_no_index_no_search_page_and_no_box(make_site, run_cli):
    root = built(make_site, run_cli, {**VISIBLE, "site.toml": "search = false\n"})
    tree = read_tree(root / "output")
    assert [path for path in tree if path.startswith(("pagefind/", "search/"))] == []
    assert b"site-search" not in tree["index.html"] and b"data-pagefind" not in tree["news/alpha-story/index.html"]


def test_a_search_value_that_is_not_a_boolean_is_an_error(make_site, run_cli):
    root = make_site({**VISIBLE, "site.toml": 'title = "T"\nsearch = "no"\n'})
    assert run_cli("build", "--source", root) == (1, "", "site.toml:2: 'search' must be true or false, not 'no'\n")


def test_an_item_may_not_take_the_search_pages_urls(make_site, run_cli):
    root = make_site({**VISIBLE, "site.toml": 'permalink = "/search/{slug}/"\n'})
    assert run_cli("build", "--source", root) == (
        1, "", "site.toml:1: permalink may not start with /search/: the site's own pages live there\n")


def test_serve_keeps_a_current_index_in_memory_with_hidden_items_only_for_drafts(make_site):
    root = make_site({**VISIBLE, **HIDDEN})
    public = build_site(load_config(root), Memory())
    drafts = build_site(load_config(root, {"drafts": True}), Memory())

    in_public = fragments({f.rel_path: f.data for f in public.files})
    in_drafts = fragments({f.rel_path: f.data for f in drafts.files})
    assert sorted(in_public) == ["/news/alpha-story/", "/news/beta-story/", "/news/gamma-plain-story/"]
    assert sorted(set(in_drafts) - set(in_public)) == [
        "/news/narwhal-off-story/", "/news/quokka-draft-story/", "/news/zebra-secret-unpublished/"]
    assert not (root / "output").exists()

    (root / "content/a.md").write_text(article("Alpha Story Renamed"))
    again = build_site(load_config(root), public.memory)   # serve's next rebuild, from its in-memory cache
    titles = {r["meta"]["title"] for r in fragments({f.rel_path: f.data for f in again.files}).values()}
    assert titles == {"Alpha Story Renamed", "Beta Story", "Gamma Plain Story"}


def test_serve_answers_the_search_page_and_the_index_it_keeps_in_memory(make_site):
    from tests.test_serve import Preview
    root = make_site({**VISIBLE, **HIDDEN})
    public = Preview(root, watch=False)
    drafts = Preview(root, watch=False, configure=lambda: load_config(root, {"drafts": True}))
    try:
        page = public.get("/search/")
        script = public.get("/pagefind/pagefind.js")
        shards = json.loads(public.get("/pagefind/shards.json")[2])
        entries = [json.loads(public.get(f"/pagefind/{shard}pagefind-entry.json")[2]) for shard in shards]
        drafts_entries = [json.loads(drafts.get(f"/pagefind/{shard}pagefind-entry.json")[2])
                          for shard in json.loads(drafts.get("/pagefind/shards.json")[2])]
    finally:
        public.close()
        drafts.close()

    assert page[0] == 200 and b'data-pagefind="../pagefind/pagefind.js"' in page[2]
    assert script[:2] == (200, {**script[1], "content-type": "text/javascript; charset=utf-8"})
    assert shards == sorted(shards, reverse=True) and all(s.startswith("shards/") for s in shards)
    assert sum(entry["languages"]["en"]["page_count"] for entry in entries) == 3
    assert sum(entry["languages"]["en"]["page_count"] for entry in drafts_entries) == 6
    assert not (root / "output").exists()


def test_without_the_pagefind_binary_the_build_says_what_to_do(make_site, run_cli, monkeypatch):
    root = make_site(VISIBLE)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(root / "no-such-pagefind"))
    assert run_cli("build", "--source", root) == (
        1, "", f"search index: cannot run pagefind at {root / 'no-such-pagefind'}: No such file or directory; "
               "install it with pip install 'pagefind[bin]==1.5.2', or set search = false in site.toml\n")
    assert not (root / "output").exists()


def test_an_edit_re_indexes_only_its_months_shard_and_a_warm_build_equals_a_cold_one(make_site, run_cli, tmp_path,
                                                                                    monkeypatch):
    import site_builder.incremental.search_index as search_index
    # A topic of their own: no May page lists an April item among its related stories (an item page's key,
    # and so its shard's, covers the items it shows; related stories are left out of what is indexed)
    april = {"content/april.md": article("April Story", "2024-04-10T09:00:00Z", "[Marsupials]"),
             "content/april2.md": article("April Other", "2024-04-20T09:00:00Z", "[Marsupials]")}
    root = built(make_site, run_cli, {**VISIBLE, **april})
    tree = bundle(read_tree(root / "output"))
    assert json.loads(tree["pagefind/shards.json"]) == ["shards/2024-05/", "shards/2024-04/", "shards/2023-11/"]
    # the runtime once, beside the list; every other file in a month's folder
    assert sorted(p for p in tree if p.count("/") == 1) == [
        "pagefind/pagefind-worker.js", "pagefind/pagefind.js", "pagefind/shards.json",
        "pagefind/wasm.en.pagefind", "pagefind/wasm.unknown.pagefind"]
    assert sorted(fragments({p: d for p, d in tree.items() if p.startswith("pagefind/shards/2024-04/")})) == [
        "/news/april-other/", "/news/april-story/"]
    stamps = {p: (root / "output" / p).stat().st_mtime_ns for p in tree}
    indexed = []
    real = search_index.index_shards
    monkeypatch.setattr(search_index, "index_shards",
                        lambda shards, config: indexed.append([s for s, _ in shards]) or real(shards, config))

    april = root / "content/april.md"
    april.write_text(april.read_text().replace("Body of April Story", "Body of April Story, now about wombats"))
    code, out, err = run_cli("build", "--source", root)
    assert code == 0, err
    warm = bundle(read_tree(root / "output"))

    assert indexed == [["pagefind/shards/2024-04"]]
    changed = sorted({p for p in set(tree) | set(warm) if tree.get(p) != warm.get(p)})
    assert changed and all(p.startswith("pagefind/shards/2024-04/") for p in changed), changed
    rewritten = [p for p in warm if p in stamps and (root / "output" / p).stat().st_mtime_ns != stamps[p]]
    assert all(p.startswith("pagefind/shards/2024-04/") or p == "pagefind/shards.json" for p in rewritten), rewritten
    assert "wombats" in fragments(warm)["/news/april-story/"]["content"]

    indexed.clear()   # nothing changed: no shard is indexed, the runtime is kept
    (root / "content/a.md").touch()
    assert run_cli("build", "--source", root)[0] == 0
    assert indexed == [] and bundle(read_tree(root / "output")) == warm

    code, _, err = run_cli("build", "--source", root, "--output", tmp_path / "cold", "--no-cache")
    assert code == 0, err
    assert read_tree(root / "output") == read_tree(tmp_path / "cold")


def test_a_missing_runtime_or_shard_file_is_made_again_though_no_page_changed(make_site, run_cli, tmp_path):
    root = built(make_site, run_cli, VISIBLE)
    before = bundle(read_tree(root / "output"))
    for gone in ("pagefind/wasm.en.pagefind", "pagefind/shards/2024-05/pagefind-entry.json"):
        (root / "output" / gone).unlink()
        assert run_cli("build", "--source", root)[0] == 0
        assert bundle(read_tree(root / "output")) == before, gone
