"""Whole builds: visibility across every output, feeds read back, determinism, errors, stale files."""

from __future__ import annotations

import re
from pathlib import Path

import feedparser

from tests.conftest import SEEDS, read_tree

ARTICLE = """---
title: "{title}"
publishedDateTime: {date}
topics: {topics}
provider:
  name: {provider}
  domain: example.com
originalUrl: https://example.com/{slug}
excerpt: "Excerpt of {title}"
{more}---
Body of {title} with a [relative link](../beta-story/) and an image ![x](pic.png).
"""


def article(title, date="2024-05-01T09:00:00Z", topics="[AI]", provider="Example News", more=""):
    slug = re.sub(r"\W+", "-", title.lower()).strip("-")
    return ARTICLE.format(title=title, date=date, topics=topics, provider=provider, slug=slug, more=more)


HIDDEN = {
    "content/secret.md": article("Zebra Secret Unpublished", topics="[Secrets, AI]", provider="Hidden Wire",
                                 more="published: false\n"),
    "content/draft.md": article("Quokka Draft Story", topics="[Drafts]", provider="Draft Desk", more="draft: true\n"),
    "content/off.md": article("Narwhal Off Story", more="published: off\n"),
}
VISIBLE = {
    "content/a.md": article("Alpha Story", "2024-05-01T09:00:00Z", "[AI, Space]"),
    "content/b.md": article("Beta Story", "2024-05-02T10:00:00Z", "Space", "Other Times"),
    "content/sub/c.txt": "Gamma Plain Story\n\nFirst paragraph.\n\nSecond paragraph.\n",
}


def build(make_site, run_cli, files, *extra):
    root = make_site(files)
    code, out, err = run_cli("build", "--source", root, *extra)
    assert code == 0, err
    return root, out, err


def test_hidden_items_never_reach_any_output(make_site, run_cli):
    root, out, _ = build(make_site, run_cli, {**VISIBLE, **HIDDEN})
    tree = read_tree(root / "output")
    needles = ["Zebra", "Quokka", "Narwhal", "zebra-secret", "quokka-draft", "narwhal-off",
               "Secrets", "Drafts", "Hidden Wire", "Draft Desk", "hidden-wire", "draft-desk"]
    leaks = [(path, n) for path, data in tree.items() for n in needles if n.encode() in data]
    assert leaks == []
    assert "topics/secrets/index.html" not in tree and "topics/drafts/index.html" not in tree
    assert "Alpha Story" in tree["index.html"].decode()
    assert "3 items published, 3 hidden (1 draft, 2 unpublished)" in out


def test_drafts_flag_shows_hidden_items_marked(make_site, run_cli):
    root, _, _ = build(make_site, run_cli, {**VISIBLE, **HIDDEN}, "--drafts")
    home = (root / "output/index.html").read_text()
    assert "Zebra Secret Unpublished" in home and "Quokka Draft Story" in home
    assert '<span class="badge badge-hidden">unpublished</span>' in home
    assert '<span class="badge badge-hidden">draft</span>' in home


def test_pages_and_links(make_site, run_cli):
    root, _, _ = build(make_site, run_cli, VISIBLE)
    out = root / "output"
    item = (out / "news/alpha-story/index.html").read_text()
    assert "Alpha Story" in item and "Example News" in item
    assert 'href="https://example.com/alpha-story"' in item
    assert 'href="../../topics/ai/"' in item and 'href="../../topics/space/"' in item
    assert (out / "topics/space/index.html").read_text().count('class="card-title"') == 2
    topics_index = (out / "topics/index.html").read_text()
    assert 'href="../topics/ai/"' in topics_index or 'href="ai/"' in topics_index
    assert (out / "news/gamma-plain-story/index.html").exists()
    assert (out / "2024/05/02/index.html").exists() and (out / "archive/index.html").exists()


def test_every_internal_link_resolves_at_root_and_under_subpath(make_site, run_cli):
    root, _, _ = build(make_site, run_cli, VISIBLE, "--base-url", "https://example.org/digest/")
    out = root / "output"
    for page in out.rglob("*.html"):
        if page.name == "404.html":
            continue
        for href in re.findall(r'href="([^"]+)"', page.read_text()):
            if href.startswith(("http://", "https://", "#")):
                continue
            target = (page.parent / href).resolve()
            if href.endswith("/") or target.is_dir():
                target = target / "index.html"
            assert target.is_file(), f"{page.relative_to(out)} links to missing {href}"
    not_found = (out / "404.html").read_text()
    assert 'href="/digest/archive/"' in not_found


def test_feed_read_back_by_feedparser(make_site, run_cli):
    root, _, _ = build(make_site, run_cli, {**VISIBLE, **HIDDEN}, "--base-url", "https://example.org/digest/")
    feed = feedparser.parse((root / "output/feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    titles = [e.title for e in feed.entries]
    assert titles == ["Beta Story", "Alpha Story", "Gamma Plain Story"]
    for entry in feed.entries:
        assert entry.link.startswith("https://example.org/digest/news/")
        assert entry.published_parsed is not None
        assert entry.id
    assert feed.feed.link == "https://example.org/digest/"
    content = feed.entries[1].content[0].value
    assert 'href="https://example.org/digest/news/beta-story/"' in content
    assert 'src="https://example.org/digest/news/alpha-story/pic.png"' in content


def test_two_builds_are_byte_identical(make_site, run_cli, tmp_path):
    root, _, _ = build(make_site, run_cli, {**VISIBLE, **HIDDEN})
    first = read_tree(root / "output")
    code, _, err = run_cli("build", "--source", root, "--output", tmp_path / "again", "--no-cache")
    assert code == 0, err
    assert read_tree(tmp_path / "again") == first


def test_removed_and_unpublished_items_disappear(make_site, run_cli):
    root, _, _ = build(make_site, run_cli, VISIBLE)
    assert (root / "output/news/beta-story/index.html").exists()
    (root / "content/b.md").unlink()
    (root / "content/a.md").write_text(article("Alpha Story", more="published: false\n"))
    code, out, _ = run_cli("build", "--source", root)
    assert code == 0
    assert not (root / "output/news/beta-story").exists()
    assert not (root / "output/news/alpha-story").exists()
    assert not (root / "output/topics/space").exists()
    assert "removed" in out


def test_content_errors_are_all_reported_and_output_kept(make_site, run_cli):
    root, _, _ = build(make_site, run_cli, VISIBLE)
    before = read_tree(root / "output")
    (root / "content/z.md").write_text("---\ntitle: Z\ntopics: 5\n---\n")
    (root / "content/y.md").write_text("---\ntitle: [unclosed\n---\n")
    code, out, err = run_cli("build", "--source", root)
    assert code == 1
    assert err == ("content/y.md:2: invalid YAML in frontmatter: did not find expected ',' or ']'\n"
                   "content/z.md:3: topics must be a list of strings, not 5\n")
    assert "Traceback" not in err and out == ""
    assert read_tree(root / "output") == before


def test_slug_collisions_get_a_suffix_and_a_warning(make_site, run_cli):
    root, _, err = build(make_site, run_cli, {
        "content/one.md": article("Same Title", "2024-05-01T09:00:00Z"),
        "content/two.md": article("Same Title", "2024-05-03T09:00:00Z"),
    })
    assert (root / "output/news/same-title/index.html").exists()
    assert (root / "output/news/same-title-2/index.html").exists()
    assert "warning: content/two.md: URL /news/same-title/ is already used by content/one.md; " \
           "using /news/same-title-2/" in err


def test_equal_explicit_slugs_are_an_error(make_site, run_cli):
    root = make_site({"content/one.md": article("One", more="slug: same\n"),
                      "content/two.md": article("Two", more="slug: same\n")})
    code, _, err = run_cli("build", "--source", root)
    assert code == 1
    assert err == "content/two.md:10: slug 'same' gives URL /news/same/, already used by content/one.md; " \
                  "choose another slug\n"


def test_the_two_seeds_build_as_a_site(make_site, run_cli):
    files = {f"content/{p.name}": p.read_bytes() for p in SEEDS}
    root, out, err = build(make_site, run_cli, files)
    tree = read_tree(root / "output")
    assert "news/countering-western-hegemony-putin-emphasizes-ai-independence-for-russia/index.html" in tree
    blob = b"".join(tree.values())
    assert b"alien" not in blob and b"metro.co.uk" not in blob and b"Metro" not in blob
    assert "1 items published, 1 hidden (1 unpublished)" in out
    assert "using its modification time" in err


def test_usage_error_exit_2(run_cli):
    code, _, err = run_cli("build", "--bogus")
    assert code == 2 and "unrecognized arguments: --bogus" in err


def test_repeated_feed_ids_are_an_error(make_site, run_cli):
    root = make_site({"content/a.md": article("One"), "content/a.txt": "Two\n\nBody\n"})
    code, _, err = run_cli("build", "--source", root)
    assert code == 1
    guid = err.split("feed id ", 1)[1].split(" ", 1)[0]
    assert err == f"content/a.txt: feed id {guid} is also used by content/a.md; give one of them its own " \
                  "`id:` (or rename the file)\n"
