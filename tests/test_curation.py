"""The curation desk off the network: sources.toml, OPML in and out, and publish/unpublish editing files in place."""

from __future__ import annotations

from pathlib import Path

import pytest

from site_builder.commands.publish import with_published
from site_builder.commands.sources import Subscription, matches, parse_opml, parse_subscriptions, render_opml
from site_builder.errors import ContentError, SiteError

# ---------------------------------------------------------------- sources.toml


def test_sources_toml_is_read_with_defaults() -> None:
    text = ('[[source]]\nurl = "https://example.org/feed.xml"  # the wire\nname = "Example  Wire"\n'
            'topics = ["AI"]\ninclude = ["chip", "export"]\nexclude = ["sponsored"]\n\n'
            '[[source]]\nurl = "https://other.example/atom.xml"\n')
    assert parse_subscriptions(text) == [
        Subscription("https://example.org/feed.xml", "Example Wire", ("AI",), ("chip", "export"), ("sponsored",), 1),
        Subscription("https://other.example/atom.xml", line=8)]


def test_unknown_keys_and_bad_values_are_reported_at_their_lines() -> None:
    text = ('sorce = 1\n[[source]]\nurl = "https://example.org/feed.xml"\nincldue = ["chip"]\n\n'
            '[[source]]\nurl = "ftp://example.org/feed"\ntopics = "AI"\n\n'
            '[[source]]\nname = "No URL"\n\n'
            '[[source]]\nurl = "https://other.example/"\n\n'
            '[[source]]\nurl = "https://OTHER.example?utm_source=x"\n')
    with pytest.raises(SiteError) as caught:
        parse_subscriptions(text)
    assert str(caught.value) == "\n".join([
        "sources.toml:1: unknown key 'sorce' (did you mean '[[source]]'?)",
        "sources.toml:4: unknown key 'incldue' (did you mean 'include'?)",
        "sources.toml:7: url must be an http or https URL, not 'ftp://example.org/feed'",
        "sources.toml:8: 'topics' must be a list of strings, not 'AI'",
        "sources.toml:10: [[source]] has no url",
        "sources.toml:17: url https://OTHER.example?utm_source=x is already subscribed at line 14",
    ])


def test_invalid_toml_names_its_line() -> None:
    with pytest.raises(SiteError) as caught:
        parse_subscriptions('[[source]]\nurl = "https://example.org/feed.xml\n')
    assert str(caught.value) == "sources.toml:2: invalid TOML: Illegal character '\\n'"


@pytest.mark.parametrize(("title", "excerpt", "kept"), [
    ("Chip makers race", "", True), ("New EXPORT rules", "", True), ("Football", "chip shortage", True),
    ("Chipmunks", "", False), ("Chip news", "a sponsored post", False), ("Weather", "", False)])
def test_filters_match_whole_words_in_title_or_excerpt(title: str, excerpt: str, kept: bool) -> None:
    sub = Subscription("https://example.org/", include=("chip", "export"), exclude=("Sponsored",))
    assert matches(sub, title, excerpt) is kept


# ---------------------------------------------------------------- OPML

OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>My list</title></head><body>
  <outline text="Tech">
    <outline type="rss" text="Example &amp; Wire" title="Example &amp; Wire" xmlUrl="https://example.org/feed.xml"/>
    <outline type="rss" text="Local" xmlUrl="file:///etc/passwd"/>
  </outline>
  <outline type="rss" text="Other" xmlUrl="https://other.example/atom.xml" htmlUrl="https://other.example/"/>
</body></opml>
"""


def test_opml_round_trip_through_the_cli(make_site, run_cli, tmp_path: Path) -> None:
    root = make_site({"site.toml": 'title = "Desk"\n',
                      "sources.toml": '# my sources\n[[source]]\nurl = "https://other.example/atom.xml"\n'})
    (tmp_path / "list.opml").write_bytes(OPML)
    code, out, err = run_cli("sources", "import", tmp_path / "list.opml", "--source", root)
    assert (code, out, err) == (0, "added https://example.org/feed.xml (Example & Wire)\n"
                                   "added 1, skipped 1 (already in sources.toml)\n", "")
    assert (root / "sources.toml").read_text() == (
        '# my sources\n[[source]]\nurl = "https://other.example/atom.xml"\n\n'
        '[[source]]\nurl = "https://example.org/feed.xml"\nname = "Example & Wire"\n')
    code, out, err = run_cli("sources", "export", "--source", root)
    assert (code, err) == (0, "")
    assert out == ('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n  <head>\n'
                   "    <title>Desk: sources</title>\n  </head>\n  <body>\n"
                   '    <outline type="rss" text="https://other.example/atom.xml" '
                   'title="https://other.example/atom.xml" xmlUrl="https://other.example/atom.xml"/>\n'
                   '    <outline type="rss" text="Example &amp; Wire" title="Example &amp; Wire" '
                   'xmlUrl="https://example.org/feed.xml"/>\n  </body>\n</opml>\n')
    assert [(s.url, s.name) for s in parse_opml(out.encode(), "out.opml")] == [
        ("https://other.example/atom.xml", "https://other.example/atom.xml"),
        ("https://example.org/feed.xml", "Example & Wire")]


def test_opml_errors() -> None:
    with pytest.raises(SiteError) as caught:
        parse_opml(b"<opml><body><outline", "list.opml")
    assert str(caught.value) == "list.opml:1: not valid OPML: unclosed token"
    with pytest.raises(SiteError) as caught:
        parse_opml(b"<rss/>", "list.opml")
    assert str(caught.value) == "list.opml: not an OPML file (no <opml> with a <body>)"


def test_render_opml_of_nothing_is_still_valid() -> None:
    assert parse_opml(render_opml([], "x").encode(), "x") == []


# ---------------------------------------------------------------- publish / unpublish

ITEM = ("---\n# picked by hand\ntitle: Chips   # the headline\nzeta: 1\npublished: false  # not yet\n"
        "alpha: [a, b]\n---\nBody with published: false in it.\n")


def test_publish_changes_only_the_value() -> None:
    assert with_published(ITEM, True, "content/x.md") == ITEM.replace("published: false  # not yet",
                                                                      "published: true  # not yet")
    assert with_published(with_published(ITEM, True, "x"), False, "x") == ITEM


def test_publish_keeps_crlf_and_bom() -> None:
    text = "\ufeff" + ITEM.replace("\n", "\r\n")
    assert with_published(text, True, "x") == text.replace("published: false", "published: true", 1)


def test_publish_adds_the_key_when_absent_with_the_files_line_ends() -> None:
    text = "---\r\ntitle: Chips\r\n---\r\nBody\r\n"
    assert with_published(text, False, "x") == "---\r\ntitle: Chips\r\npublished: false\r\n---\r\nBody\r\n"


@pytest.mark.parametrize(("text", "message"), [
    ("Just text\n", "content/x.md: has no frontmatter (--- lines) to set `published:` in; add one by hand"),
    ("---\ntitle: A\npublished: true\npublished: false\n---\n",
     "content/x.md:4: `published:` is set 2 times (lines 3, 4); keep one and try again"),
    ("---\ntitle: A\npublished:\n  - true\n---\n", "content/x.md:3: `published:` has no plain value on its line; "
                                                   "set it by hand"),
    ("---\n{title: A, published: false}\n---\n",
     "content/x.md: cannot edit `published:` safely in this frontmatter; set it by hand"),
    ("---\ntitle: A\n", "content/x.md:1: frontmatter has no closing `---` line"),
])
def test_publish_refuses_files_it_cannot_edit_safely(text: str, message: str) -> None:
    with pytest.raises(ContentError) as caught:
        with_published(text, True, "content/x.md")
    assert str(caught.value) == message


def test_cli_publish_by_file_and_slug_keeps_other_bytes(make_site, run_cli) -> None:
    crlf = "\ufeff---\r\ntitle: Second story\r\nslug: picked\r\n# keep me\r\npublished: no\r\n---\r\nText\r\n"
    root = make_site({"site.toml": "", "content/a.md": ITEM, "content/b.md": crlf.encode("utf-8"),
                      "content/c.md": "---\ntitle: Third\ndraft: true\n---\n"})
    code, out, err = run_cli("publish", "--source", root, "content/a.md", "picked", "third")
    assert (code, out, err) == (0, "published: content/a.md\npublished: content/b.md\npublished: content/c.md\n",
                                "warning: content/c.md: also has `draft: true`, so it stays hidden\n")
    assert (root / "content/a.md").read_text() == ITEM.replace("published: false", "published: true", 1)
    assert (root / "content/b.md").read_bytes() == crlf.replace("published: no", "published: true").encode()
    assert run_cli("publish", "--source", root, "picked")[1] == "unchanged: content/b.md\n"
    assert run_cli("unpublish", "--source", root, "picked")[:2] == (0, "unpublished: content/b.md\n")
    assert (root / "content/b.md").read_bytes() == crlf.replace("published: no", "published: false").encode()


def test_cli_publish_errors_change_nothing(make_site, run_cli) -> None:
    root = make_site({"site.toml": "", "content/a.md": ITEM, "content/2024-01-01-same.md": "---\ntitle: Same\n---\n",
                      "content/2024-01-02-same.md": "---\ntitle: Same\n---\n"})
    code, out, err = run_cli("publish", "--source", root, "content/a.md", "nope", "same", "site.toml")
    assert (code, out) == (1, "")
    assert err == ("no content file or item slug 'nope' under content/\n"
                   "slug 'same' is ambiguous (content/2024-01-01-same.md, content/2024-01-02-same.md); "
                   "name the file instead\n"
                   "site.toml: is not a file under content/\n")
    assert (root / "content/a.md").read_text() == ITEM
