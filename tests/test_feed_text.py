"""Plain text is text in every feed (as feedparser, a reader, shows it), and every date is valid in every
format: RSS (RFC 822), Atom (RFC 3339), the sitemap (W3C) and the pages' <time datetime>."""

from __future__ import annotations

import html
import re

import feedparser
import pytest

SITE_TOML = ('title = "Digest <b>&amp;</b>"\nbase_url = "https://example.org/"\ntimezone = "{tz}"\n'
             'description = "A <i>digest</i> & more"\n')
TEXTS = {
    "excerpt-img": ("Use the <img src=x onerror=alert(1)> tag", "Use the <img src=x onerror=alert(1)> tag"),
    "script": ("<script>alert(1)</script>", "a <b>bold</b> & AT&amp;T"),
    "entities": ("Tom &amp; Jerry &lt;3", "5 > 3 < 4 & so on"),
    "plain": ("A plain title", "A plain excerpt."),
}


def shown(value: str, kind: str) -> str:
    """What a reader shows for a feedparser value: HTML is rendered, and must hold no tag."""
    if kind == "text/plain":
        return value
    assert not re.search(r"<[a-zA-Z/!]", value), value
    return html.unescape(value)


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_plain_text_is_text_in_every_feed(name, make_site, run_cli):
    title, excerpt = TEXTS[name]
    item = (f"---\ntitle: {title!r}\ndate: 2024-05-01T09:00:00Z\nexcerpt: {excerpt!r}\ntopics: [News]\n"
            "---\nBody.\n").replace("'", '"') if '"' not in title + excerpt else None
    root = make_site({"site.toml": SITE_TOML.format(tz="UTC"), "content/a.md": item})
    code, _, err = run_cli("build", "--source", root)
    assert code == 0, err
    for feed in ("feed.xml", "atom.xml", "topics/news/feed.xml", "topics/news/atom.xml"):
        parsed = feedparser.parse((root / "output" / feed).read_bytes())
        assert not parsed.bozo, feed
        assert shown(parsed.feed.title, parsed.feed.title_detail.type).startswith("Digest <b>&amp;</b>")
        if feed == "feed.xml":
            assert shown(parsed.feed.subtitle, parsed.feed.subtitle_detail.type) == "A <i>digest</i> & more"
        entry = parsed.entries[0]
        assert shown(entry.title, entry.title_detail.type) == title, feed
        assert shown(entry.summary, entry.summary_detail.type) == excerpt, feed


def test_feedgen_private_fields_used_for_rss_text_exist():
    from feedgen.feed import FeedGenerator
    fg = FeedGenerator()
    entry = fg.add_entry()
    for obj, prefix in ((fg, "_FeedGenerator"), (entry, "_FeedEntry")):
        assert hasattr(obj, prefix + "__rss_title") and hasattr(obj, prefix + "__rss_description")


RFC822 = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                    r"\d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}")
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")

# (timezone, date as written, the instant in UTC)
DATES = {
    "offset-with-seconds": ("UTC", '"2024-05-01T09:00:00+05:30:45"', "2024-05-01T03:29:15+00:00"),
    "negative-offset-seconds": ("UTC", '"2024-05-01T09:00:00-00:00:30"', "2024-05-01T09:00:30+00:00"),
    "amsterdam-1900": ("Europe/Amsterdam", "1900-01-01 12:00:00", "1900-01-01T11:40:28+00:00"),
    "paris-1890": ("Europe/Paris", "1890-06-01", "1890-05-31T23:50:39+00:00"),
    "kolkata-1900": ("Asia/Kolkata", "1900-03-01T08:00:00", "1900-03-01T02:38:50+00:00"),
}


@pytest.mark.parametrize("name", sorted(DATES))
def test_dates_with_offsets_in_seconds_are_valid_everywhere(name, make_site, run_cli):
    tz, written, utc = DATES[name]
    root = make_site({"site.toml": SITE_TOML.format(tz=tz),
                      "content/a.md": f"---\ntitle: Old\ndate: {written}\nupdatedDateTime: {written}\n---\nBody.\n"})
    code, _, err = run_cli("build", "--source", root)
    assert code == 0, err
    out = root / "output"
    rss = (out / "feed.xml").read_text()
    dates = re.findall(r"<(?:pubDate|lastBuildDate)>([^<]*)<", rss)
    assert dates and all(RFC822.fullmatch(d) for d in dates), dates
    atom = (out / "atom.xml").read_text()
    stamps = re.findall(r"<(?:published|updated)>([^<]*)<", atom)
    assert stamps and all(RFC3339.fullmatch(s) for s in stamps), stamps
    assert utc in stamps
    lastmods = re.findall(r"<lastmod>([^<]*)<", (out / "sitemap.xml").read_text())
    assert lastmods and all(RFC3339.fullmatch(s) for s in lastmods), lastmods
    times = re.findall(r'datetime="([^"]*)"', (out / "news/old/index.html").read_text())
    assert times and all(RFC3339.fullmatch(t) for t in times), times
    for feed in ("feed.xml", "atom.xml"):
        parsed = feedparser.parse((out / feed).read_bytes())
        assert not parsed.bozo
        assert parsed.entries[0].published_parsed[:6] == tuple(int(p) for p in re.findall(r"\d+", utc)[:6])
