"""JSON Feed 1.1 beside RSS and Atom: the 1.1 rules, the same entries, ids and visibility, `feed_content`,
read back by feedparser-rs (feedparser 6.0 reads no JSON) and by our own importer."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import feedparser_rs

from site_builder.commands.importer import parse_feed_file
from tests.conftest import read_tree
from tests.feed_rules import atom_problems, json_feed_problems, rss_problems

BASE = "https://example.org/digest/"

ARTICLE = """---
title: "{title}"
publishedDateTime: {date}
topics: [AI]
provider:
  name: Example News
  domain: example.com
originalUrl: https://example.com/{slug}
excerpt: "Excerpt of {title}"
{more}---
{body}"""


def item(title: str, date: str, body: str = "", more: str = "") -> str:
    return ARTICLE.format(title=title, date=date, slug=title.lower().replace(" ", "-"), body=body, more=more)


SITE = {
    "site.toml": f'title = "Desk"\nbase_url = "{BASE}"\n',
    "content/a.md": item("Alpha Story", "2024-05-01T09:00:00Z", "Body with a [link](../beta/) & ![pic](p.png).\n"),
    "content/b.md": item("Beta Link", "2024-05-02T10:00:00+02:00"),
    "content/c.md": item("Gamma Story", "2024-05-03T09:00:00Z", "Gamma body.\n",
                         "updatedDateTime: 2024-05-04T09:00:00Z\n"
                         "id: story-42\n"),
    "content/secret.md": item("Zebra Secret", "2024-05-05T09:00:00Z", "Hidden.\n", "published: false\n"),
    "content/draft.md": item("Quokka Draft", "2024-05-05T09:00:00Z", "Hidden.\n", "draft: true\n"),
}


def build(make_site, run_cli, files: dict[str, str], *args: str) -> dict[str, bytes]:
    root = make_site(files)
    code, _, err = run_cli("build", "--source", root, *args)
    assert code == 0, err
    return read_tree(root / "output")


def test_json_feeds_follow_the_rules_and_match_rss_and_atom(make_site, run_cli) -> None:
    tree = build(make_site, run_cli, SITE)
    for path in ("", "topics/ai/"):
        data = tree[path + "feed.json"]
        assert json_feed_problems(data, BASE + path + "feed.json") == []
        assert rss_problems(tree[path + "feed.xml"]) == [] and atom_problems(tree[path + "atom.xml"]) == []
        doc = json.loads(data)
        rss = feedparser.parse(tree[path + "feed.xml"])
        assert [i["id"] for i in doc["items"]] == [e.id for e in rss.entries]
        assert [i["title"] for i in doc["items"]] == ["Gamma Story", "Beta Link", "Alpha Story"]
        assert doc["home_page_url"] == BASE + path
    doc = json.loads(tree["feed.json"])
    gamma, beta, alpha = doc["items"]
    assert gamma["id"].startswith("urn:uuid:") and alpha["id"] == feedparser.parse(tree["atom.xml"]).entries[2].id
    assert beta == {"id": beta["id"], "url": BASE + "news/beta-link/", "external_url": "https://example.com/beta-link",
                    "title": "Beta Link", "content_text": "Excerpt of Beta Link", "summary": "Excerpt of Beta Link",
                    "date_published": "2024-05-02T08:00:00Z", "authors": [{"name": "Example News"}], "tags": ["AI"]}
    assert alpha["content_html"] == ('<p>Body with a <a href="https://example.org/digest/news/beta/" '
                                     'rel="noopener noreferrer">link</a> &amp; '
                                     '<img alt="pic" src="https://example.org/digest/news/alpha-story/p.png">.</p>')
    assert (gamma["date_published"], gamma["date_modified"]) == ("2024-05-03T09:00:00Z", "2024-05-04T09:00:00Z")
    assert b"<" not in tree["feed.json"] and b"&" not in tree["feed.json"]


def test_hidden_items_are_never_in_json_feeds(make_site, run_cli) -> None:
    tree = build(make_site, run_cli, SITE)
    for path, data in tree.items():
        if path.endswith("feed.json"):
            assert b"Zebra" not in data and b"Quokka" not in data, path
    drafts = build(make_site, run_cli, SITE, "--drafts")
    # A --drafts preview shows them everywhere, marked; the JSON Feed carries what RSS carries.
    assert [i["id"] for i in json.loads(drafts["feed.json"])["items"]] == \
        [e.id for e in feedparser.parse(drafts["feed.xml"]).entries]


def test_feedparser_rs_and_our_importer_read_the_json_feed(make_site, run_cli) -> None:
    data = build(make_site, run_cli, SITE)["feed.json"]
    parsed = feedparser_rs.parse(data)
    assert (parsed.version, parsed.bozo, parsed.feed.title, parsed.feed.link) == ("json11", False, "Desk", BASE)
    assert [(e.title, e.link, e.published) for e in parsed.entries] == [
        ("Gamma Story", BASE + "news/gamma-story/", "2024-05-03T09:00:00Z"),
        ("Beta Link", BASE + "news/beta-link/", "2024-05-02T08:00:00Z"),
        ("Alpha Story", BASE + "news/alpha-story/", "2024-05-01T09:00:00Z")]
    assert [t.term for t in parsed.entries[0].tags] == ["AI"]
    back = parse_feed_file(data, "feed.json")
    assert (back.failures, [e["originalUrl"] for e in back.entries]) == ((), [
        "https://example.com/gamma-story", "https://example.com/beta-link", "https://example.com/alpha-story"])


def test_feed_content_excerpt_leaves_bodies_out_of_all_three_formats(make_site, run_cli) -> None:
    files = {**SITE, "site.toml": SITE["site.toml"] + 'feed_content = "excerpt"\n'}
    tree = build(make_site, run_cli, files)
    assert b"Gamma body" not in tree["feed.xml"] + tree["atom.xml"] + tree["feed.json"]
    assert [i.get("content_html") for i in json.loads(tree["feed.json"])["items"]] == [None, None, None]
    assert feedparser.parse(tree["atom.xml"]).entries[0].summary == "Excerpt of Gamma Story"
    full = build(make_site, run_cli, SITE)
    assert all(b"Gamma body" in full[name] for name in ("feed.xml", "atom.xml", "feed.json"))


def test_feed_content_must_be_known(make_site, run_cli) -> None:
    root = make_site({"site.toml": 'title = "x"\nfeed_content = "summary"\n'})
    assert run_cli("build", "--source", root) == (1, "", "site.toml:2: feed_content must be one of full, excerpt\n")


def test_json_feeds_are_byte_identical_across_builds(make_site, run_cli, tmp_path: Path) -> None:
    first = build(make_site, run_cli, SITE)
    second = build(make_site, run_cli, SITE, "--no-cache")
    assert {k: v for k, v in first.items() if k.endswith(".json")} == \
        {k: v for k, v in second.items() if k.endswith(".json")}
