"""Tests for importing RSS, Atom, JSON Feed and news-API files into content/."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.config import load_config
from site_builder.stages.content import parse_item, read_source, split_frontmatter
from site_builder.errors import ConfigError, ContentError, SiteError
from site_builder.commands.importer import import_files, parse_feed, parse_feed_file, plain_text
from site_builder.commands.scaffold import SEED_KEYS, render_item

FEEDS = Path(__file__).parent / "fixtures" / "feeds"


def feed(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def frontmatter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    meta, body = text[4:].split("\n---\n", 1)
    assert body == ""
    return yaml.safe_load(meta)


def site(tmp_path: Path, files: dict[str, str] | None = None) -> Path:
    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    for rel, text in (files or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def content_files(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "content").iterdir())


# ---------------------------------------------------------------- parsing

def test_rss_entries_are_sanitised_and_keep_provider_topics_and_images() -> None:
    entries = parse_feed(feed("rss2.xml"), "rss2.xml")
    assert [e["title"] for e in entries] == [
        "Putin warns ‘alien’ AI is cancelling Russian culture",
        "Chip makers race to build AI accelerators",
        "Putin warns AI is cancelling culture (syndicated copy)",
    ]
    assert entries[0] == {
        "title": "Putin warns ‘alien’ AI is cancelling Russian culture",
        "excerpt": "Russian president Vladimir Putin speaks at an AI conference. "
                   "He is poised to approve an “ambitious” strategy.",
        "publishedDateTime": "2023-11-27T07:48:00Z",
        "originalUrl": "https://www.techwire.example/2023/11/27/putin-ai/?utm_source=rss&utm_medium=feed",
        "webUrl": "https://www.techwire.example/2023/11/27/putin-ai/?utm_source=rss&utm_medium=feed",
        "type": "article",
        "published": False,
        "provider": {"name": "Tech Wire", "domain": "techwire.example"},
        "topics": ["AI", "Russia"],
        "images": [{"url": "https://cdn.techwire.example/img/putin.jpg", "width": 594, "height": 395}],
    }
    # The item's own <source> wins over the channel; an image enclosure is the lead image.
    assert entries[1]["provider"] == {"name": "Hindustan Times Tech", "domain": "hindustantimes.com"}
    assert entries[1]["images"] == [{"url": "https://images.hindustantimes.com/chips.png"}]
    assert entries[1]["excerpt"] == "Demand for accelerators keeps & growing."
    for entry in entries:
        assert "alert" not in entry["excerpt"] and "<" not in entry["excerpt"] and "color" not in entry["excerpt"]


def test_rss_entry_without_link_is_a_counted_failure() -> None:
    parsed = parse_feed_file(feed("rss2.xml"), "feeds/rss2.xml")
    assert len(parsed.entries) == 3
    assert parsed.failures == ("feeds/rss2.xml: entry 3 'A story with no link at all': no http(s) link to the story",)
    assert parsed.warnings == ()


def test_atom_dates_become_utc_and_updated_only_entries_use_updated() -> None:
    ice, sleep = parse_feed(feed("atom.xml"), "atom.xml")
    assert ice["title"] == "Ice sheets melting faster than expected"
    assert ice["excerpt"] == "Satellite data show Greenland lost more ice. Scientists are worried."
    assert ice["publishedDateTime"] == "2024-03-01T07:30:00Z"
    assert ice["updatedDateTime"] == "2024-03-02T08:00:00Z"
    assert ice["topics"] == ["Climate", "Polar science"]
    assert ice["images"] == [{"url": "https://science.example.org/img/ice.jpg", "width": 1600, "height": 900}]
    assert ice["provider"] == {"name": "Science Daily Example", "domain": "science.example.org"}
    assert sleep["publishedDateTime"] == "2024-02-28T17:00:00Z"
    assert "updatedDateTime" not in sleep
    assert sleep["excerpt"] == "Only content, no summary."
    assert list(ice) == [k for k in SEED_KEYS if k in ice]


def test_json_feed_keeps_external_url_as_original_and_escapes_plain_text() -> None:
    parsed = parse_feed_file(feed("jsonfeed.json"), "jsonfeed.json")
    solar, wind = parsed.entries
    assert solar["originalUrl"] == "https://news.example.com/solar-record?utm_campaign=x"
    assert solar["webUrl"] == "https://www.renee.example.net/2024/05/solar"
    assert solar["excerpt"] == "Solar beat coal for the first time & stayed ahead."
    assert solar["publishedDateTime"] == "2024-05-01T10:00:00Z"
    assert solar["updatedDateTime"] == "2024-05-02T00:00:00Z"
    assert solar["provider"] == {"name": "Linkblog of Renée", "domain": "renee.example.net"}
    assert solar["topics"] == ["Energy", "Europe"]
    assert solar["images"] == [{"url": "https://www.renee.example.net/img/solar.webp"}]
    assert wind["excerpt"] == "Plain text with <angle brackets> kept as text."
    assert parsed.failures == ("jsonfeed.json: entry 3 'Only an id, no URL': no http(s) link to the story",)


def test_news_api_entries_keep_every_seed_field() -> None:
    parsed = parse_feed_file(feed("news-api.json"), "news-api.json")
    metro, verge = parsed.entries
    assert list(metro) == list(SEED_KEYS[:3]) + [k for k in SEED_KEYS[4:]]
    assert metro["provider"] == {"name": "Metro", "domain": "metro.co.uk"}
    assert metro["quality"] == 53 and metro["heat"] == -1 and metro["category"] == "news"
    assert metro["ampWebUrl"].endswith("-19884148/amp/")
    assert metro["images"] == [{"url": "https://metro.co.uk/wp-content/uploads/2023/11/GettyImages-1771036808.jpg"
                                       "?quality=90", "width": 594, "height": 395}]
    assert metro["related"] == [{
        "title": "Western monopoly in AI 'dangerous, and unacceptable', says Putin",
        "excerpt": "During his more than two decades in power, Putin has overseen a crackdown.",
        "publishedDateTime": "2023-11-26T12:33:00Z",
        "webUrl": "https://tech.hindustantimes.com/tech/news/western-monopoly-in-ai-71700918917365.html",
        "provider": {"name": "Hindustan Times Tech", "domain": "hindustantimes.com"},
    }]
    assert verge["title"] == "OpenAI's board & the week that was"
    assert verge["excerpt"] == "A look back at five days of turmoil."
    assert verge["publishedDateTime"] == "2023-11-24T14:00:00Z"
    assert verge["type"] == "video" and verge["heat"] == 87
    assert parsed.failures == ("news-api.json: entry 3 'An item whose link is not on the web': "
                               "no http(s) link to the story",)


@pytest.mark.parametrize(("name", "message"), [
    ("truncated.xml", "truncated.xml:14: XML ends early (no element found); the file looks truncated"),
    ("invalid.json", "invalid.json:4: not valid JSON: Expecting property name enclosed in double quotes (column 3)"),
    ("wrong-shape.json", 'wrong-shape.json: JSON is neither a JSON Feed ("version": '
                         '"https://jsonfeed.org/version/1.1") nor a news-API export (an object with a "news" list)'),
    ("not-a-feed.html", "not-a-feed.html: not an RSS, Atom or JSON feed"),
])
def test_malformed_files_are_errors_naming_the_file(name: str, message: str) -> None:
    with pytest.raises(SiteError) as caught:
        parse_feed(feed(name), name)
    assert str(caught.value) == message


@pytest.mark.parametrize(("data", "message"), [
    (b'{"news": [1, 2]}', "x.json: every entry of the 'news' list must be an object"),
    (b'{"version": "https://jsonfeed.org/version/1", "items": {}}', "x.json: JSON Feed 'items' must be a list of objects"),
    ('\ufeff{"news": {}}'.encode("utf-16-le"), 'x.json: JSON is neither a JSON Feed ("version": '
     '"https://jsonfeed.org/version/1.1") nor a news-API export (an object with a "news" list)'),
    (b'{"news": ["caf\xe9"]}', "x.json: not valid UTF-8 (byte 14)"),
])
def test_json_of_the_wrong_shape_inside(data: bytes, message: str) -> None:
    with pytest.raises(SiteError) as caught:
        parse_feed(data, "x.json")
    assert str(caught.value) == message


def test_sloppy_but_complete_xml_is_imported_with_a_warning() -> None:
    data = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://t.example/</link>'
            b"<item><title>Caf&eacute; &amp; more&nbsp;news</title><link>https://t.example/a</link>"
            b"<pubDate>Mon, 27 Nov 2023 07:48:00 GMT</pubDate></item></channel></rss>")
    parsed = parse_feed_file(data, "sloppy.xml")
    assert [e["title"] for e in parsed.entries] == ["Café & more news"]
    assert parsed.warnings == ("sloppy.xml: tolerated a feed error (line 1: undefined entity); check the imported items",)


def test_entry_without_any_date_fails() -> None:
    data = b'{"news": [{"title": "Undated", "webUrl": "https://u.example/a"}, ' \
           b'{"title": "Bad date", "webUrl": "https://u.example/b", "publishedDateTime": "yesterday"}]}'
    parsed = parse_feed_file(data, "n.json")
    assert parsed.entries == ()
    assert parsed.failures == ("n.json: entry 1 'Undated': no publication date",
                               "n.json: entry 2 'Bad date': publishedDateTime 'yesterday' is not an ISO 8601 date")


@pytest.mark.parametrize(("fragment", "text"), [
    ("<p>a</p><p>b</p>", "a b"),
    ("x<script>alert(1)</script>y", "xy"),
    ("<b>bold</b>er &amp; &lt;tag&gt;", "bolder & <tag>"),
    ("  spread \n\t out  ", "spread out"),
])
def test_plain_text(fragment: str, text: str) -> None:
    assert plain_text(fragment) == text


# ---------------------------------------------------------------- importing files

def test_import_writes_unpublished_link_items_and_counts(tmp_path: Path) -> None:
    root = site(tmp_path)
    result = import_files(root, [FEEDS / "rss2.xml"], publish=False)
    assert (len(result.created), result.skipped, result.failed, result.errors) == (2, 1, 1, ())
    assert content_files(root) == ["2023-11-26-chip-makers-race-to-build-ai-accelerators.md",
                                   "2023-11-27-putin-warns-alien-ai-is-cancelling-russian-culture.md"]
    assert result.failures == (f"{FEEDS / 'rss2.xml'}: entry 3 'A story with no link at all': "
                               "no http(s) link to the story",)
    meta = frontmatter(root / "content" / "2023-11-27-putin-warns-alien-ai-is-cancelling-russian-culture.md")
    assert meta == {**parse_feed(feed("rss2.xml"), "rss2.xml")[0], "published": False,
                    "slug": "putin-warns-alien-ai-is-cancelling-russian-culture"}
    assert list(meta) == [k for k in ("title", "slug", *SEED_KEYS[1:]) if k in meta]


def test_imported_files_are_valid_items_for_the_build(tmp_path: Path) -> None:
    root = site(tmp_path)
    result = import_files(root, [FEEDS / n for n in ("rss2.xml", "atom.xml", "jsonfeed.json", "news-api.json")],
                          publish=False)
    assert (len(result.created), result.skipped, result.failed) == (8, 1, 3)
    config = load_config(root)
    for path in result.created:
        item = parse_item(read_source(path, path.relative_to(root).as_posix()), config)
        assert item.published is False
        assert item.kind == "link"
        assert item.provider is not None and item.provider.name


def test_publish_flag_publishes(tmp_path: Path) -> None:
    root = site(tmp_path)
    result = import_files(root, [FEEDS / "atom.xml"], publish=True)
    assert [frontmatter(p)["published"] for p in result.created] == [True, True]


def test_reimport_adds_nothing(tmp_path: Path) -> None:
    root = site(tmp_path)
    files: list[Path | str] = [FEEDS / "rss2.xml", FEEDS / "news-api.json"]
    first = import_files(root, files, publish=False)
    before = content_files(root)
    second = import_files(root, files, publish=False)
    assert (len(first.created), first.skipped) == (4, 1)
    assert (second.created, second.skipped, second.failed) == ((), 5, 2)
    assert content_files(root) == before


def test_existing_hand_written_item_counts_as_imported(tmp_path: Path) -> None:
    seed = ("---\ntitle: Already here\npublishedDateTime: 2023-11-27T07:48:00Z\n"
            "originalUrl: \"https://metro.co.uk/2023/11/27/vladimir-putin-warns-alien-ai-cancelling-russian-culture-"
            "19884148?utm_source=x\"\n---\nBody.\n")
    root = site(tmp_path, {"content/2023/seed.md": seed})
    result = import_files(root, [FEEDS / "news-api.json"], publish=False)
    assert (len(result.created), result.skipped) == (1, 1)
    assert frontmatter(result.created[0])["title"] == "OpenAI's board & the week that was"


def test_unreadable_existing_file_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    root = site(tmp_path, {"content/broken.md": "---\ntitle: [unclosed\n---\n"})
    result = import_files(root, [FEEDS / "atom.xml"], publish=False)
    assert len(result.created) == 2
    with pytest.raises(ContentError) as caught:  # the build's own wording for the problem
        split_frontmatter("---\ntitle: [unclosed\n---\n", "content/broken.md")
    assert result.warnings == (f"{caught.value} (not checked for duplicates)",)
    assert result.warnings[0].startswith("content/broken.md:2: ")


def test_broken_file_writes_nothing_but_others_still_import(tmp_path: Path) -> None:
    root = site(tmp_path)
    result = import_files(root, [FEEDS / "truncated.xml", FEEDS / "atom.xml", FEEDS / "invalid.json"],
                          publish=False)
    assert [str(e) for e in result.errors] == [
        f"{FEEDS / 'truncated.xml'}:14: XML ends early (no element found); the file looks truncated",
        f"{FEEDS / 'invalid.json'}:4: not valid JSON: Expecting property name enclosed in double quotes (column 3)",
    ]
    assert content_files(root) == ["2024-02-28-ten-year-study-of-sleep-finishes.md",
                                   "2024-03-01-ice-sheets-melting-faster-than-expected.md"]


def test_truncated_only_writes_nothing(tmp_path: Path) -> None:
    root = site(tmp_path)
    result = import_files(root, [FEEDS / "truncated.xml"], publish=True)
    assert (result.created, len(result.errors)) == ((), 1)
    assert content_files(root) == []


def test_same_day_same_title_gets_a_suffix_and_nothing_is_overwritten(tmp_path: Path) -> None:
    taken = "---\ntitle: Mine\n---\nKeep me.\n"
    root = site(tmp_path, {"content/2024-01-02-same.md": taken})
    data = b'{"news": [' + b",".join(
        b'{"title": "Same", "webUrl": "https://s.example/%d", "publishedDateTime": "2024-01-02T10:00:00Z"}' % i
        for i in range(2)) + b"]}"
    result = import_files(root, ["-"], publish=False, stdin=data)
    assert [p.name for p in result.created] == ["2024-01-02-same-2.md", "2024-01-02-same-3.md"]
    assert (root / "content" / "2024-01-02-same.md").read_text(encoding="utf-8") == taken


def test_stdin_needs_data(tmp_path: Path) -> None:
    result = import_files(site(tmp_path), ["-"], publish=False, stdin=None)
    assert [str(e) for e in result.errors] == ["'-' reads standard input, but none was given"]
    assert isinstance(result.errors[0], ConfigError)


def test_missing_file_and_missing_site(tmp_path: Path) -> None:
    result = import_files(site(tmp_path), [tmp_path / "nope.xml"], publish=False)
    assert [str(e) for e in result.errors] == [f"{tmp_path / 'nope.xml'}: cannot read: No such file or directory"]
    with pytest.raises(ConfigError) as caught:
        import_files(tmp_path / "no-site", [FEEDS / "atom.xml"], publish=False)
    assert str(caught.value) == (f"{tmp_path / 'no-site'}: source folder does not exist "
                                 "(create a site with `site-builder init`)")


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@settings(max_examples=200, deadline=None)
@given(title=_TEXT, excerpt=_TEXT, topics=st.lists(_TEXT, max_size=3), name=_TEXT)
def test_frontmatter_round_trips_any_text(title: str, excerpt: str, topics: list[str], name: str) -> None:
    entry = {"title": title, "excerpt": excerpt, "publishedDateTime": "2024-01-01T00:00:00Z",
             "originalUrl": "https://x.example/a", "webUrl": "https://x.example/a", "type": "article",
             "published": False, "provider": {"name": name, "domain": "x.example"}, "topics": topics, "images": []}
    text = render_item(entry)
    meta, body = text[4:].split("\n---\n", 1)
    assert body == ""
    assert yaml.safe_load(meta) == entry


# ---------------------------------------------------------------- command line

def test_cli_import_summary_and_exit_codes(tmp_path: Path, run_cli) -> None:
    root = site(tmp_path)
    code, out, err = run_cli("import", FEEDS / "rss2.xml", FEEDS / "invalid.json", "--source", root)
    assert code == 1
    assert out == "created 2, skipped 1 (already in content/), failed 1\n"
    assert err == (f"{FEEDS / 'rss2.xml'}: entry 3 'A story with no link at all': no http(s) link to the story\n"
                   f"{FEEDS / 'invalid.json'}:4: not valid JSON: Expecting property name enclosed in double quotes "
                   "(column 3)\n")
    # An entry that fails is an error (exit 1) that names it, though the other entries are imported.
    assert run_cli("import", FEEDS / "rss2.xml", "--source", root) == (
        1, "created 0, skipped 3 (already in content/), failed 1\n",
        f"{FEEDS / 'rss2.xml'}: entry 3 'A story with no link at all': no http(s) link to the story\n")


def test_cli_import_reads_stdin(tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    root = site(tmp_path)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(feed("atom.xml"))))
    assert run_cli("import", "-", "--publish", "--source", root) == (
        0, "created 2, skipped 0 (already in content/), failed 0\n", "")
    assert content_files(root) == ["2024-02-28-ten-year-study-of-sleep-finishes.md",
                                   "2024-03-01-ice-sheets-melting-faster-than-expected.md"]


def test_cli_import_needs_a_file(run_cli) -> None:
    code, out, err = run_cli("import")
    assert (code, out) == (2, "")
    assert err.endswith("site-builder import: error: the following arguments are required: FILE\n")


def test_init_import_build_end_to_end(tmp_path: Path, run_cli) -> None:
    root = tmp_path / "digest"
    assert run_cli("init", root)[0] == 0
    assert run_cli("import", FEEDS / "news-api.json", "--source", root)[:2] == (  # its entry 3 has no web link
        1, "created 2, skipped 0 (already in content/), failed 1\n")
    code, out, err = run_cli("build", "--source", root)
    assert (code, err) == (0, "")
    assert sorted(p.name for p in (root / "output" / "news").iterdir()) == ["welcome-to-your-news-digest"]
    assert "Putin" not in (root / "output" / "feed.xml").read_text(encoding="utf-8")

    assert run_cli("import", FEEDS / "atom.xml", "--publish", "--source", root)[0] == 0
    assert run_cli("build", "--source", root)[0] == 0
    assert sorted(p.name for p in (root / "output" / "news").iterdir()) == [
        "ice-sheets-melting-faster-than-expected", "ten-year-study-of-sleep-finishes", "welcome-to-your-news-digest"]
    page = (root / "output" / "news" / "ice-sheets-melting-faster-than-expected" / "index.html").read_text("utf-8")
    assert "Satellite data show Greenland lost more ice." in page
    assert "https://science.example.org/2024/03/ice-sheets" in page
    assert "Ice sheets melting faster than expected" in (root / "output" / "feed.xml").read_text(encoding="utf-8")
