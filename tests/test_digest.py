"""Issue 3, the digest site: editions, sources, feeds, sitemap, metadata, related, duplicates, pagination.

One small news site (several days, topics, providers, scores, related coverage, duplicate source URLs,
hidden items with distinctive words, more items than fit on a page) is built at a domain root and under a
sub-path, and every promise of the issue is checked on the files the build writes.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urljoin

import feedparser
import lxml.html
import pytest

from site_builder.stages.feeds import absolute_urls
from site_builder.slug import slugify
from site_builder.urls import normalize_url
from tests.conftest import PINNED_MTIME
from tests.feed_rules import atom_problems, rss_problems

BASES = {"root": "https://example.org/", "subpath": "https://example.org/news/digest/"}
PER_PAGE = 3


@dataclass(frozen=True)
class Story:
    """One content file of the test site, and what the built site should say about it."""

    path: str
    title: str
    date: str
    topics: tuple[str, ...] = ()
    provider: str | None = None
    original: str | None = None
    web: str | None = None
    quality: float | None = None
    heat: float | None = None
    excerpt: str = ""
    image: str | None = None
    updated: str | None = None
    id: str | None = None
    body: str = ""
    related: tuple[tuple[str, str, str], ...] = ()     # (title, url, provider)
    hidden: str = ""                                     # a frontmatter line such as "draft: true"
    plain: bool = False                                  # a .txt without frontmatter, dated by mtime

    @property
    def slug(self) -> str:
        return slugify(self.title)

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.date)

    @property
    def modified(self) -> datetime:
        return datetime.fromisoformat(self.updated or self.date)

    @property
    def source(self) -> str | None:
        return self.original or self.web

    @property
    def day(self) -> str:
        return self.when.astimezone(timezone.utc).date().isoformat()

    def text(self, title: str | None = None) -> str:
        if self.plain:
            return f"{title or self.title}\n\n{self.body}\n"
        lines = ["---", f"title: {json.dumps(title or self.title)}", f"publishedDateTime: {json.dumps(self.date)}"]
        if self.updated:
            lines.append(f"updatedDateTime: {json.dumps(self.updated)}")
        if self.topics:
            lines.append(f"topics: {json.dumps(list(self.topics))}")
        if self.provider:
            lines += ["provider:", f"  name: {json.dumps(self.provider)}"]
        for key, value in (("originalUrl", self.original), ("webUrl", self.web), ("excerpt", self.excerpt or None),
                           ("quality", self.quality), ("heat", self.heat), ("id", self.id)):
            if value is not None:
                lines.append(f"{key}: {json.dumps(value)}")
        if self.image:
            lines += ["images:", f"  - url: {json.dumps(self.image)}", "    width: 640", "    height: 480"]
        if self.related:
            lines.append("related:")
            for title_, url, provider in self.related:
                lines += [f"  - title: {json.dumps(title_)}", f"    webUrl: {json.dumps(url)}",
                          f"    provider: {json.dumps(provider)}"]
        if self.hidden:
            lines.append(self.hidden)
        return "\n".join(lines + ["---", self.body, ""])


AARDVARK = Story(
    "content/2024/05/01/aardvark.md", "Aardvark Launch", "2024-05-01T08:00:00+00:00", ("AI", "Space"),
    "Example News", original="https://example.com/aardvark?utm_source=feed&utm_medium=rss",
    web="https://web.example.com/aardvark-web", quality=80, heat=90, excerpt="The aardvark lifts off.",
    image="https://img.example.com/aardvark.jpg", updated="2024-05-01T15:30:00+02:00",
    body="See [the badger](../badger-report/) and ![chart](chart.png) and [the topic](../../topics/ai/).\n\n"
         "```\n<a href=\"not-a-link\">code sample</a>\n```",
    related=(("Aardvark elsewhere", "https://other.example.net/aardvark", "Other Paper"),))
STORIES = (
    AARDVARK,
    Story("content/2024/05/01/badger.md", "Badger Report", "2024-05-01T10:00:00+00:00", ("AI",), "Daily Planet",
          web="http://Example.COM/aardvark/#comments", quality=30, heat=50, excerpt="Badgers report.",
          body="Badger body."),
    Story("content/2024/05/01/cheetah.md", "Cheetah Review", "2024-05-01T12:00:00+00:00", ("Space",),
          "Example News", web="https://daily.example.net/cheetah", quality=80, heat=50, excerpt="Fast cats.",
          body="Cheetah body."),
    Story("content/2024/05/01/dingo.md", "Dingo Notes", "2024-05-01T09:00:00+00:00", ("Science",), "Science Wire",
          original="https://science.example.org/dingo", excerpt="A link to dingo notes."),
    Story("content/2024/05/02/eland.md", "Eland Update", "2024-05-02T09:00:00+00:00", ("AI",), "Daily Planet",
          original="https://example.com/eland?page=2", quality=50, excerpt="Elands update.", body="Eland body."),
    Story("content/2024/05/03/gazelle.md", "Gazelle Feature", "2024-05-03T10:00:00+00:00", ("AI", "Space"),
          "Example News", original="https://example.com/gazelle", quality=10, heat=10, id="urn:x-digest:gazelle",
          excerpt="Gazelles featured.", body="Gazelle body."),
    Story("content/2024/05/03/heron.md", "Heron Dispatch", "2024-05-03T08:00:00+00:00", ("Science",),
          "Science Wire", web="https://science.example.org/heron", quality=60, heat=5, id="heron-42",
          excerpt="Herons dispatched.", body="Heron body."),
    Story("content/2024/04/ibis.md", "Ibis Memo", "2024-04-29T12:00:00+00:00", ("Space",), "Other Wire",
          original="https://other.example.org/ibis", excerpt="Ibis memo.", body="Ibis body."),
    Story("content/notes/jackal.txt", "Jackal Plain Notes",
          datetime.fromtimestamp(PINNED_MTIME, timezone.utc).isoformat(), body="First paragraph about jackals.",
          excerpt="First paragraph about jackals.", plain=True),
)
HIDDEN = (
    Story("content/2024/05/01/zeppelinfoo.md", "Zeppelinfoo Unpublished Scoop", "2024-05-01T11:00:00+00:00",
          ("AI", "Secretopic"), "Phantom Press", original="https://example.com/aardvark", quality=99, heat=99,
          image="https://img.example.com/zeppelinfoo.jpg", excerpt="Zeppelinfoo excerpt.", body="Zeppelinfoo body.",
          hidden="published: false"),
    Story("content/2024/05/03/quixotic.md", "Quixotic Draft", "2024-05-03T09:00:00+00:00", ("Space",),
          "Phantom Press", original="https://example.com/quixotic", body="Quixotic body.", hidden="draft: true"),
    Story("content/2024/05/04/xylograph.md", "Xylograph Embargo", "2024-05-04T09:00:00+00:00", ("Science",),
          "Ghostly Gazette", original="https://example.com/xylograph", body="Xylograph body.",
          hidden="published: false"),
)
NEEDLES = ("zeppelinfoo", "quixotic", "xylograph", "secretopic", "phantom press", "phantom-press", "ghostly",
           "2024/05/04", "2024-05-04")
BY_SLUG = {s.slug: s for s in STORIES}
DAYS = ["2024-05-03", "2024-05-02", "2024-05-01", "2024-04-29", "2023-11-14"]     # newest first
SOURCES = {"Daily Planet": 2, "Example News": 3, "Other Wire": 1, "Science Wire": 2}
TOPICS = {"ai": "AI", "science": "Science", "space": "Space"}
# Edition order of the day with four stories; each rule has a tie broken by time, newest first.
MAY_1 = {"newest": ["cheetah-review", "badger-report", "dingo-notes", "aardvark-launch"],
         "quality": ["cheetah-review", "aardvark-launch", "badger-report", "dingo-notes"],
         "heat": ["aardvark-launch", "cheetah-review", "badger-report", "dingo-notes"]}
MAY_3 = {"newest": ["gazelle-feature", "heron-dispatch"], "quality": ["heron-dispatch", "gazelle-feature"],
         "heat": ["gazelle-feature", "heron-dispatch"]}
DUPLICATE_WARNING = ("warning: content/2024/05/01/badger.md: same source URL as content/2024/05/01/aardvark.md "
                     "(http://Example.COM/aardvark/#comments)")


def site_files(base: str, toml: str = "", stories=STORIES + HIDDEN) -> dict[str, str]:
    config = f'title = "Digest Test"\ndescription = "A test digest."\nbase_url = "{base}"\n' \
             f"items_per_page = {PER_PAGE}\n{toml}"
    return {"site.toml": config, **{s.path: s.text() for s in stories}}


@dataclass
class Built:
    """A built site's output folder, read the way a browser, a crawler and a feed reader would."""

    root: Path
    base: str
    stdout: str
    stderr: str
    _docs: dict[str, lxml.html.HtmlElement] = field(default_factory=dict)

    @property
    def out(self) -> Path:
        return self.root / "output"

    def read(self, rel: str) -> bytes:
        return (self.out / rel).read_bytes()

    def exists(self, rel: str) -> bool:
        return (self.out / rel).is_file()

    def html_files(self) -> list[str]:
        return sorted(p.relative_to(self.out).as_posix() for p in self.out.rglob("*.html"))

    def url(self, rel: str) -> str:
        """The public URL of an output file."""
        return self.base + (rel[:-len("index.html")] if rel.endswith("index.html") else rel)

    def rel(self, url: str) -> str:
        """The output file behind a public URL of this site."""
        assert url.startswith(self.base), f"{url} is not under {self.base}"
        path = url[len(self.base):].split("#", 1)[0]
        return path + "index.html" if path == "" or path.endswith("/") else path

    def path(self, url: str) -> str | None:
        """'/topics/ai/' for a URL of this site, None for other sites."""
        return "/" + url[len(self.base):].split("#", 1)[0] if url.startswith(self.base) else None

    def doc(self, rel: str) -> lxml.html.HtmlElement:
        if rel not in self._docs:
            self._docs[rel] = lxml.html.fromstring(self.read(rel).decode("utf-8"))
        return self._docs[rel]

    def hrefs(self, rel: str, xpath: str) -> list[str]:
        """Absolute URLs of the href attributes an XPath selects on one page."""
        return [urljoin(self.url(rel), h) for h in self.doc(rel).xpath(xpath)]

    def stories(self, rel: str, xpath: str = "//main//a/@href") -> list[str]:
        """Slugs of the stories a page links to (in its main part), in order, each once."""
        found: list[str] = []
        for url in self.hrefs(rel, xpath):
            match = re.fullmatch(r"/news/([^/]+)/", self.path(url) or "")
            if match and match.group(1) not in found:
                found.append(match.group(1))
        return found

    def count_beside(self, rel: str, target: str) -> int:
        """The number printed next to the link to `target` (a site path) on a list page."""
        for a in self.doc(rel).xpath("//main//a[@href]"):
            if self.path(urljoin(self.url(rel), a.get("href"))) == target:
                rest = a.getparent().text_content().replace(a.text_content(), "", 1)
                return int(re.search(r"\d+", rest).group())
        raise AssertionError(f"{rel} has no link to {target}")

    def meta(self, rel: str, attr: str, name: str) -> list[str]:
        return self.doc(rel).xpath(f'//head/meta[@{attr}="{name}"]/@content')

    def rel_links(self, rel: str, relation: str, where: str = "//head/link") -> list[str]:
        return [urljoin(self.url(rel), el.get("href")) for el in self.doc(rel).xpath(f"{where}[@href][@rel]")
                if relation in el.get("rel").split()]

    def feeds(self) -> list[str]:
        return sorted(p.relative_to(self.out).as_posix() for p in self.out.rglob("*.xml")
                      if p.name in ("feed.xml", "atom.xml"))


def build(make_site, run_cli, base: str, toml: str = "", stories=STORIES + HIDDEN, name: str = "site") -> Built:
    root = make_site(site_files(base, toml, stories), name)
    code, out, err = run_cli("build", "--source", root)
    assert code == 0, err
    return Built(root, base, out, err)


@pytest.fixture(params=sorted(BASES))
def base(request) -> str:
    return BASES[request.param]


@pytest.fixture
def site(make_site, run_cli, base) -> Built:
    return build(make_site, run_cli, base)


def day_path(day: str) -> str:
    return "/" + day.replace("-", "/") + "/"


def parsed_feed(data: bytes):
    feed = feedparser.parse(data)
    assert not feed["bozo"], feed.get("bozo_exception")
    return feed


# --- The rule checker itself ------------------------------------------------------------------------------

GOOD_RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>T</title><link>https://example.org/</link><description>D</description>
<atom:link rel="self" href="https://example.org/feed.xml"/>
<lastBuildDate>Wed, 01 May 2024 09:00:00 +0000</lastBuildDate>
<item><title>A</title><link>https://example.org/a/</link><guid isPermaLink="false">urn:uuid:1</guid>
<pubDate>Wed, 01 May 2024 09:00:00 +0000</pubDate><category>AI</category>
<content:encoded>&lt;a href="https://example.org/b/"&gt;b&lt;/a&gt;</content:encoded>
<media:content url="https://img.example.org/a.jpg" medium="image"/></item>
</channel></rss>"""

BAD_RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="0.92" xmlns:media="http://search.yahoo.com/mrss/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>T</title><link>/relative/</link>
<lastBuildDate>2024-05-01T09:00:00Z</lastBuildDate>
<item><title>A</title><link>https://example.org/a/</link><guid isPermaLink="false">same</guid>
<pubDate>2024-05-01T09:00:00Z</pubDate><category></category>
<content:encoded>&lt;img src="pic.png"&gt;</content:encoded></item>
<item><description>B</description><link>b.html</link><guid isPermaLink="false">same</guid>
<pubDate>Wed, 01 May 2024 09:00:00 -0000</pubDate>
<enclosure url="/img/b.jpg" type="image/jpeg" length="0"/><media:content url="b.jpg"/></item>
<item><link>https://example.org/c/</link><guid>c-not-a-url</guid></item>
</channel></rss>"""

GOOD_ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<id>https://example.org/</id><title>T</title><updated>2024-05-01T09:00:00+00:00</updated>
<author><name>T</name></author><link rel="self" href="https://example.org/atom.xml"/>
<entry><id>urn:uuid:1</id><title>A</title><updated>2024-05-01T09:00:00Z</updated>
<link href="https://example.org/a/"/><content type="html">&lt;a href="https://example.org/b/"&gt;b&lt;/a&gt;</content>
</entry></feed>"""

BAD_ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">
<id>not an iri</id><title>T</title><updated>2024-05-01 09:00</updated>
<link rel="alternate" href="https://example.org/"/>
<entry><id>urn:uuid:1</id><title>A</title><updated>2024-05-01T09:00:00</updated>
<link href="/a/"/><content type="markdown">x</content></entry>
<entry><id>urn:uuid:1</id><updated>2024-05-01T09:00:00Z</updated>
<content type="html">&lt;a href="../b/"&gt;b&lt;/a&gt; &lt;img srcset="x.png 2x"&gt;</content>
<media:content url="c.jpg"/></entry>
<entry><id>relative-id</id><title>C</title><updated>2024-05-01T09:00:00Z</updated></entry>
</feed>"""


def test_rule_checker_passes_good_feeds():
    assert rss_problems(GOOD_RSS) == []
    assert atom_problems(GOOD_ATOM) == []


def test_rule_checker_catches_bad_rss():
    assert rss_problems(BAD_RSS) == [
        "rss version is '0.92', not '2.0'",
        "channel has no <description>",
        "channel <link> '/relative/' is not an absolute http(s) URL",
        'channel has no <atom:link rel="self">',
        "channel <lastBuildDate> '2024-05-01T09:00:00Z' is not an RFC 822 date with a timezone",
        "item 1 <pubDate> '2024-05-01T09:00:00Z' is not an RFC 822 date with a timezone",
        "item 1 has an empty <category>",
        "item 1 <content:encoded> has a relative URL 'pic.png'",
        "item 2 <link> 'b.html' is not an absolute http(s) URL",
        "item 2 repeats the guid 'same' of item 1",
        "item 2 <pubDate> 'Wed, 01 May 2024 09:00:00 -0000' is not an RFC 822 date with a timezone",
        "item 2 enclosure url '/img/b.jpg' is not an absolute http(s) URL",
        "item 2 media:content url 'b.jpg' is not an absolute http(s) URL",
        "item 3 has neither <title> nor <description>",
        "item 3 guid 'c-not-a-url' is a permalink but not an absolute http(s) URL",
        "item 3 has no <pubDate>",
    ]
    assert rss_problems(b"<rss version='2.0'><channel>") == \
        ["not well-formed XML: no element found: line 1, column 28"]
    assert rss_problems(GOOD_ATOM) == ["root element is <{http://www.w3.org/2005/Atom}feed>, not <rss>"]


def test_rule_checker_catches_bad_atom():
    assert atom_problems(BAD_ATOM) == [
        "feed <id> 'not an iri' is not an absolute IRI",
        "feed <updated> '2024-05-01 09:00' is not an RFC 3339 date-time with an offset",
        'feed has no <link rel="self">',
        "entry 1 <updated> '2024-05-01T09:00:00' is not an RFC 3339 date-time with an offset",
        "entry 1 has no <author> and neither has the feed",
        "entry 1 <link rel='alternate'> href '/a/' is not absolute",
        "entry 1 <content> type 'markdown' is not text, html or xhtml",
        "entry 2 repeats the id 'urn:uuid:1' of entry 1",
        "entry 2 has no <title>",
        "entry 2 has no <author> and neither has the feed",
        "entry 2 <content> has a relative URL '../b/'",
        "entry 2 <content> has a relative URL 'x.png'",
        "entry 2 media:content url 'c.jpg' is not an absolute http(s) URL",
        "entry 3 <id> 'relative-id' is not an absolute IRI or urn:",
        "entry 3 has no <author> and neither has the feed",
        'entry 3 has neither <link rel="alternate"> nor <content>',
    ]
    assert atom_problems(GOOD_RSS) == ["root element is 'rss', not an Atom <feed>"]


# --- 1. Editions ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("order", ["newest", "quality", "heat"])
def test_editions_are_ranked_by_edition_order_and_home_shows_them(make_site, run_cli, base, order):
    site = build(make_site, run_cli, base, f'edition_order = "{order}"\n')
    may_1 = site.stories("2024/05/01/index.html") + site.stories("2024/05/01/page/2/index.html")
    assert may_1 == MAY_1[order]
    assert site.stories("2024/05/03/index.html") == MAY_3[order]
    assert not site.exists("2024/05/01/page/3/index.html")
    # The home page: the latest editions, newest day first, each in its edition order.
    home = [slug for rel in ("index.html", "page/2/index.html", "page/3/index.html") for slug in site.stories(rel)]
    assert home == MAY_3[order] + ["eland-update"] + MAY_1[order] + ["ibis-memo", "jackal-plain-notes"]
    assert day_path(DAYS[0]) in [site.path(u) for u in site.hrefs("index.html", "//main//a/@href")]


def test_day_month_and_archive_pages(site):
    counts = {day: sum(1 for s in STORIES if s.day == day) for day in DAYS}
    assert counts == {"2024-05-03": 2, "2024-05-02": 1, "2024-05-01": 4, "2024-04-29": 1, "2023-11-14": 1}
    for day in DAYS:
        rel = site.rel(site.base + day_path(day)[1:])
        assert sorted(site.stories(rel) + (site.stories(rel.replace("index.html", "page/2/index.html"))
                                           if site.exists(rel.replace("index.html", "page/2/index.html")) else [])) \
            == sorted(s.slug for s in STORIES if s.day == day)
    months = {"2024/05/index.html": ["2024-05-03", "2024-05-02", "2024-05-01"],
              "2024/04/index.html": ["2024-04-29"], "2023/11/index.html": ["2023-11-14"]}
    for rel, days in months.items():
        linked = [p for p in map(site.path, site.hrefs(rel, "//main//a/@href"))
                  if p and re.fullmatch(r"/\d{4}/\d\d/\d\d/", p)]
        assert list(dict.fromkeys(linked)) == [day_path(d) for d in days]
        assert {d: site.count_beside(rel, day_path(d)) for d in days} == {d: counts[d] for d in days}
    archive_days = [p for p in map(site.path, site.hrefs("archive/index.html", "//main//a/@href"))
                    if p and re.fullmatch(r"/\d{4}/\d\d/\d\d/", p)]
    assert archive_days == [day_path(d) for d in DAYS]
    assert {d: site.count_beside("archive/index.html", day_path(d)) for d in DAYS} == counts
    archive_months = [p for p in map(site.path, site.hrefs("archive/index.html", "//main//a/@href"))
                      if p and re.fullmatch(r"/\d{4}/\d\d/", p)]
    assert archive_months == ["/2024/05/", "/2024/04/", "/2023/11/"]
    assert not site.exists("2024/05/04/index.html") and not site.exists("2024/06/index.html")


def test_previous_and_next_day_links(site):
    def day_links(rel: str, relation: str) -> list[str]:
        urls = site.rel_links(rel, relation, where="//main//a")
        return [p for p in map(site.path, urls) if p and re.fullmatch(r"/\d{4}/\d\d/\d\d/", p)
                and p != day_path(day)]     # page 2's pager links back to the day's own first page

    for i, day in enumerate(DAYS):
        pages = [site.rel(site.base + day_path(day)[1:])]
        if site.exists(pages[0].replace("index.html", "page/2/index.html")):
            pages.append(pages[0].replace("index.html", "page/2/index.html"))
        for rel in pages:
            assert day_links(rel, "prev") == ([day_path(DAYS[i + 1])] if i + 1 < len(DAYS) else []), rel
            assert day_links(rel, "next") == ([day_path(DAYS[i - 1])] if i > 0 else []), rel


# --- 2. Sources -------------------------------------------------------------------------------------------

def test_sources_index_and_pages(site):
    rel = "sources/index.html"
    linked = [p for p in map(site.path, site.hrefs(rel, "//main//a/@href")) if p and p.startswith("/sources/")]
    assert linked == [f"/sources/{slugify(name)}/" for name in sorted(SOURCES)]
    assert {name: site.count_beside(rel, f"/sources/{slugify(name)}/") for name in SOURCES} == SOURCES
    for name in SOURCES:
        page = f"sources/{slugify(name)}/index.html"
        assert name in site.doc(page).xpath("string(//h1)")
        assert sorted(site.stories(page)) == sorted(s.slug for s in STORIES if s.provider == name)
    assert not site.exists("sources/phantom-press/index.html")


def test_every_item_credits_its_provider_and_links_to_the_original(site):
    for story in STORIES:
        rel = f"news/{story.slug}/index.html"
        main = site.doc(rel).xpath("//main")[0]
        outside = site.hrefs(rel, "//main//a/@href")
        if story.provider:
            assert story.provider in main.text_content()
            assert site.base + f"sources/{slugify(story.provider)}/" in outside
        if story.source:
            assert story.source in outside, story.slug
        else:
            assert not [u for u in outside if not u.startswith(site.base)], story.slug
    aardvark = site.hrefs("news/aardvark-launch/index.html", "//main//a/@href")
    assert AARDVARK.original in aardvark and AARDVARK.web not in aardvark        # originalUrl wins over webUrl
    assert "https://daily.example.net/cheetah" in site.hrefs("news/cheetah-review/index.html", "//main//a/@href")


# --- 3. Feeds ---------------------------------------------------------------------------------------------

def test_every_feed_is_valid_and_complete(site):
    assert site.feeds() == ["atom.xml", "feed.xml"] + [f"topics/{t}/{n}" for t in sorted(TOPICS)
                                                      for n in ("atom.xml", "feed.xml")]
    for rel in site.feeds():
        data = site.read(rel)
        feed = parsed_feed(data)
        problems = rss_problems(data) if rel.endswith("feed.xml") else atom_problems(data)
        assert problems == [], rel
        assert feed["version"] == ("rss20" if rel.endswith("feed.xml") else "atom10")
        topic = rel.split("/")[1] if rel.startswith("topics/") else None
        expected = sorted((s for s in STORIES if topic is None or TOPICS[topic] in s.topics),
                          key=lambda s: s.when, reverse=True)
        assert [e["title"] for e in feed["entries"]] == [s.title for s in expected], rel
        assert len(feed["entries"]) <= 50
        assert feed["feed"]["link"] == site.base + (f"topics/{topic}/" if topic else "")
        self_links = [link["href"] for link in feed["feed"]["links"] if link["rel"] == "self"]
        assert self_links == [site.url(rel)]
        for entry in feed["entries"]:
            story = next(s for s in STORIES if s.title == entry["title"])
            assert entry["link"] == site.base + f"news/{story.slug}/"
            assert datetime(*entry["published_parsed"][:6], tzinfo=timezone.utc) == story.when
            assert [t["term"] for t in entry.get("tags", [])] == list(story.topics)
            assert entry["summary"] == (story.excerpt or story.title)


def test_feed_entry_fields(site):
    rss = ET.fromstring(site.read("feed.xml"))
    item = next(i for i in rss.iter("item") if i.findtext("title") == "Aardvark Launch")
    assert item.findtext("pubDate") == "Wed, 01 May 2024 08:00:00 +0000"
    assert item.find("guid").get("isPermaLink") == "false"
    assert [c.text for c in item.findall("category")] == ["AI", "Space"]
    media = item.findall(".//{http://search.yahoo.com/mrss/}content")
    assert [(m.get("url"), m.get("medium"), m.get("type")) for m in media] == \
        [(AARDVARK.image, "image", "image/jpeg")]
    page = site.base + "news/aardvark-launch/"
    content = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    assert f'href="{site.base}news/badger-report/"' in content
    assert f'src="{page}chart.png"' in content
    assert f'href="{site.base}topics/ai/"' in content
    assert '&lt;a href="not-a-link"&gt;' in content          # code samples are text, left alone
    assert item.findtext("description") == AARDVARK.excerpt
    assert ET.fromstring(site.read("feed.xml")).find("channel").findtext("lastBuildDate") == \
        "Fri, 03 May 2024 10:00:00 +0000"

    atom = ET.fromstring(site.read("atom.xml"))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entry = next(e for e in atom.findall("a:entry", ns) if e.findtext("a:title", namespaces=ns) == "Aardvark Launch")
    assert entry.findtext("a:published", namespaces=ns) == "2024-05-01T08:00:00+00:00"
    assert datetime.fromisoformat(entry.findtext("a:updated", namespaces=ns)) == AARDVARK.modified
    assert entry.findtext("a:summary", namespaces=ns) == AARDVARK.excerpt
    assert entry.findtext("a:author/a:name", namespaces=ns) == "Example News"
    assert entry.find("a:content", ns).get("type") == "html"
    assert f'src="{page}chart.png"' in entry.findtext("a:content", namespaces=ns)
    assert [c.get("term") for c in entry.findall("a:category", ns)] == ["AI", "Space"]
    assert atom.findtext("a:updated", namespaces=ns) == "2024-05-03T10:00:00+00:00"
    assert atom.findtext("a:id", namespaces=ns) == site.base


def test_feed_ids_survive_a_new_title_and_a_new_permalink_pattern(make_site, run_cli, base):
    site = build(make_site, run_cli, base)

    def ids() -> dict[str, tuple[str, str, str]]:
        rss, atom = parsed_feed(site.read("feed.xml")), parsed_feed(site.read("atom.xml"))
        assert [e["id"] for e in rss["entries"]] == [e["id"] for e in atom["entries"]]
        return {e["published"]: (e["id"], e["title"], e["link"]) for e in atom["entries"]}

    before = ids()
    by_title = {title: guid for guid, title, _ in before.values()}
    assert by_title["Gazelle Feature"] == "urn:x-digest:gazelle"                 # an IRI `id:` is kept as is
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", by_title["Heron Dispatch"])   # other `id:` text seeds a uuid
    assert all(re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", g) for t, g in by_title.items() if t != "Gazelle Feature")
    assert len(set(by_title.values())) == len(STORIES)

    (site.root / AARDVARK.path).write_text(AARDVARK.text(title="Aardvark Launch, Renamed"), encoding="utf-8")
    (site.root / "content/2024/05/03/heron.md").write_text(
        BY_SLUG["heron-dispatch"].text(title="Heron Dispatch Retitled"), encoding="utf-8")
    toml = site.root / "site.toml"
    toml.write_text(toml.read_text() + 'permalink = "/{year}/{month}/{day}/{slug}/"\n', encoding="utf-8")
    code, _, err = run_cli("build", "--source", site.root)
    assert code == 0, err
    after = ids()
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}
    moved = {v[1]: v[2] for v in after.values()}
    assert moved["Aardvark Launch, Renamed"] == site.base + "2024/05/01/aardvark-launch-renamed/"
    assert moved["Heron Dispatch Retitled"] == site.base + "2024/05/03/heron-dispatch-retitled/"
    assert rss_problems(site.read("feed.xml")) == [] and atom_problems(site.read("atom.xml")) == []


def test_feed_link_source_points_entries_at_the_original(make_site, run_cli, base):
    site = build(make_site, run_cli, base, 'feed_link = "source"\n')
    for rel in site.feeds():
        feed = parsed_feed(site.read(rel))
        assert (rss_problems if rel.endswith("feed.xml") else atom_problems)(site.read(rel)) == []
        for entry in feed["entries"]:
            story = next(s for s in STORIES if s.title == entry["title"])
            assert entry["link"] == (story.source or site.base + f"news/{story.slug}/"), (rel, story.slug)
    rss = ET.fromstring(site.read("feed.xml"))
    links = {i.findtext("title"): i.findtext("link") for i in rss.iter("item")}
    assert links["Aardvark Launch"] == AARDVARK.original
    assert links["Cheetah Review"] == "https://daily.example.net/cheetah"
    assert links["Jackal Plain Notes"] == site.base + "news/jackal-plain-notes/"


def test_feed_limit_default_50_and_configurable(make_site, run_cli):
    many = tuple(Story(f"content/bulk/{n:02d}.md", f"Bulk story {n:02d}",
                       f"2024-03-{1 + n // 24:02d}T{n % 24:02d}:00:00+00:00",
                       ("Bulk",), "Bulk Wire", original=f"https://bulk.example.com/{n}", body=f"Body {n}.")
                 for n in range(55))
    site = build(make_site, run_cli, BASES["subpath"], stories=many, name="bulk")
    for rel in ("feed.xml", "atom.xml", "topics/bulk/feed.xml", "topics/bulk/atom.xml"):
        feed = parsed_feed(site.read(rel))
        assert [e["title"] for e in feed["entries"]] == [f"Bulk story {n:02d}" for n in range(54, 4, -1)]
    # "More on this topic": the five nearest in time, never the item itself.
    more = site.stories("news/bulk-story-30/index.html", "//section[contains(@class, 'more')]//a/@href")
    assert set(more) in ({f"bulk-story-{n}" for n in (27, 28, 29, 31, 32)},
                         {f"bulk-story-{n}" for n in (28, 29, 31, 32, 33)})
    assert more[:2] in (["bulk-story-29", "bulk-story-31"], ["bulk-story-31", "bulk-story-29"])
    small = build(make_site, run_cli, BASES["root"], "feed_limit = 7\n", stories=many, name="small")
    for rel in small.feeds():
        feed = parsed_feed(small.read(rel))
        assert [e["title"] for e in feed["entries"]] == [f"Bulk story {n:02d}" for n in range(54, 47, -1)]


def test_content_urls_become_absolute_only_inside_tags():
    page = "https://example.org/news/digest/news/x/"
    html = ('<p><a href="../y/">y</a> <img src=\'pic.png\' alt="a > b"> <img srcset="a.png 1x, /b.png 2x"> '
            '<a href="#top">top</a> <a href="mailto:x@example.org">m</a></p>'
            '<pre><code>&lt;a href="not-a-link"&gt;</code></pre>')
    assert absolute_urls(html, page) == (
        '<p><a href="https://example.org/news/digest/news/y/">y</a> '
        '<img src="https://example.org/news/digest/news/x/pic.png" alt="a > b"> '
        '<img srcset="https://example.org/news/digest/news/x/a.png 1x, https://example.org/b.png 2x"> '
        '<a href="https://example.org/news/digest/news/x/#top">top</a> <a href="mailto:x@example.org">m</a></p>'
        '<pre><code>&lt;a href="not-a-link"&gt;</code></pre>')


# --- 4. Sitemap, robots.txt, 404, favicon -----------------------------------------------------------------

def test_sitemap_lists_every_visible_page_with_lastmod(site):
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urlset = ET.fromstring(site.read("sitemap.xml"))
    rows = {u.findtext("s:loc", namespaces=ns): u.findtext("s:lastmod", namespaces=ns)
            for u in urlset.findall("s:url", ns)}
    pages = [rel for rel in site.html_files() if rel not in ("404.html", "search/index.html")]
    assert sorted(rows) == sorted(site.url(rel) for rel in pages)
    assert len(rows) == len(urlset.findall("s:url", ns))
    for must in ("", "page/3/", "2024/05/01/page/2/", "topics/ai/page/2/", "sources/", "archive/", "2023/11/"):
        assert site.base + must in rows
    newest = "2024-05-03T10:00:00+00:00"
    for url, lastmod in rows.items():
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", lastmod), url
        when = datetime.fromisoformat(lastmod)
        rel = site.rel(url)
        item = re.fullmatch(r"news/([^/]+)/index.html", rel)
        if item:
            assert when == BY_SLUG[item.group(1)].modified, url
        elif rel in ("topics/index.html", "sources/index.html", "archive/index.html"):
            assert lastmod == newest
        else:
            shown = site.stories(rel)
            assert shown, url
            assert when == max(BY_SLUG[s].modified for s in shown), url
    assert rows[site.base + "2024/05/"] == newest
    assert rows[site.base + "2023/11/"] == "2023-11-14T22:13:20+00:00"
    assert rows[site.base + "news/aardvark-launch/"] == "2024-05-01T13:30:00+00:00"


def test_robots_404_and_favicon(site):
    robots = site.read("robots.txt").decode()
    assert "User-agent: *" in robots
    assert f"Sitemap: {site.base}sitemap.xml" in robots.splitlines()
    assert site.exists("404.html")
    not_found = site.doc("404.html")
    assert site.base in site.hrefs("404.html", "//main//a/@href")
    assert not_found.xpath("string(//h1)").strip()
    for rel in site.html_files():
        icons = site.rel_links(rel, "icon")
        assert icons and all(site.exists(site.rel(u)) for u in icons), rel
    assert site.exists("favicon.svg") and b"<svg" in site.read("favicon.svg")


# --- 5. Metadata ------------------------------------------------------------------------------------------

def test_every_page_has_title_description_canonical_og_and_twitter(site):
    for rel in site.html_files():
        doc = site.doc(rel)
        canonical = site.rel_links(rel, "canonical")
        assert canonical == [site.url(rel)], rel
        assert doc.xpath("string(//head/title)").strip(), rel
        assert site.meta(rel, "name", "description")[0].strip(), rel
        assert site.meta(rel, "property", "og:url") == canonical, rel
        for prop in ("og:title", "og:description", "og:type", "og:site_name"):
            values = site.meta(rel, "property", prop)
            assert len(values) == 1 and values[0].strip(), (rel, prop)
        assert site.meta(rel, "name", "twitter:card")[0] in ("summary", "summary_large_image"), rel
        assert site.meta(rel, "name", "twitter:title")[0].strip(), rel
    aardvark = "news/aardvark-launch/index.html"
    assert site.meta(aardvark, "property", "og:image") == [AARDVARK.image]
    assert site.meta(aardvark, "name", "twitter:card") == ["summary_large_image"]
    assert site.meta(aardvark, "property", "og:type") == ["article"]
    assert site.meta(aardvark, "name", "description") == [AARDVARK.excerpt]
    assert site.meta("page/2/index.html", "property", "og:url") == [site.base + "page/2/"]


def test_item_pages_carry_news_article_json_ld(site):
    for story in STORIES:
        rel = f"news/{story.slug}/index.html"
        scripts = site.doc(rel).xpath('//script[@type="application/ld+json"]/text()')
        assert len(scripts) == 1, rel
        data = json.loads(scripts[0])
        assert data["@context"] == "https://schema.org" and data["@type"] == "NewsArticle"
        assert data["headline"] == story.title
        assert datetime.fromisoformat(data["datePublished"]) == story.when
        assert datetime.fromisoformat(data["dateModified"]) == story.modified
        assert datetime.fromisoformat(data["datePublished"]).tzinfo is not None
        assert data["url"] == site.base + f"news/{story.slug}/"
        assert data["publisher"]["@type"] == "Organization" and data["publisher"]["name"]
        assert data["isBasedOn"] == (story.source or data["url"])
        assert data["image"] == ([story.image] if story.image else [])
    for rel in site.html_files():
        if not rel.startswith("news/"):
            assert not site.doc(rel).xpath('//script[@type="application/ld+json"]'), rel


def test_feed_autodiscovery_on_every_page(site):
    for rel in site.html_files():
        alternates = {(el.get("type"), urljoin(site.url(rel), el.get("href")))
                      for el in site.doc(rel).xpath('//head/link[@rel="alternate"]')}
        assert {("application/rss+xml", site.base + "feed.xml"), ("application/atom+xml", site.base + "atom.xml"),
                ("application/feed+json", site.base + "feed.json")} <= alternates, rel
        assert all(site.exists(site.rel(url)) for _, url in alternates), rel
        topic = re.match(r"topics/([^/]+)/", rel)
        if topic:
            own = {("application/rss+xml", site.base + f"topics/{topic.group(1)}/feed.xml"),
                   ("application/atom+xml", site.base + f"topics/{topic.group(1)}/atom.xml"),
                   ("application/feed+json", site.base + f"topics/{topic.group(1)}/feed.json")}
            assert own <= alternates, rel
        else:
            assert len(alternates) == 3, rel


# --- 6. Related -------------------------------------------------------------------------------------------

def test_related_coverage_and_more_on_this_topic(site):
    aardvark = site.doc("news/aardvark-launch/index.html")
    assert "https://other.example.net/aardvark" in site.hrefs("news/aardvark-launch/index.html", "//main//a/@href")
    text = aardvark.xpath("string(//main)")
    assert "Aardvark elsewhere" in text and "Other Paper" in text
    for story in STORIES:
        rel = f"news/{story.slug}/index.html"
        more = site.stories(rel, "//section[contains(concat(' ', @class, ' '), ' more ')]//a/@href")
        sharing = {s.slug for s in STORIES if s is not story and set(s.topics) & set(story.topics)}
        assert set(more) == sharing, story.slug
        gaps = [abs((BY_SLUG[s].when - story.when).total_seconds()) for s in more]
        assert gaps == sorted(gaps), story.slug
    # Zeppelinfoo (hidden) is the nearest AI story in time to Badger: it must not be offered.
    assert site.stories("news/badger-report/index.html",
                        "//section[contains(concat(' ', @class, ' '), ' more ')]//a/@href")[0] == "aardvark-launch"


def test_no_hidden_item_anywhere(site):
    leaks = [(p.relative_to(site.out).as_posix(), n) for p in site.out.rglob("*") if p.is_file()
             for n in NEEDLES if n.encode() in p.read_bytes().lower()]
    assert leaks == []
    assert "9 items published, 3 hidden (1 draft, 2 unpublished)" in site.stdout
    assert len(parsed_feed(site.read("feed.xml"))["entries"]) == len(STORIES)


# --- 7. Duplicates ----------------------------------------------------------------------------------------

def test_duplicate_source_urls_warn_naming_both_files(site):
    warnings = [line for line in site.stderr.splitlines() if "same source URL" in line]
    assert warnings == [DUPLICATE_WARNING]        # the hidden zeppelinfoo.md shares it too, but is not published


@pytest.mark.parametrize("variant", [
    "http://example.com/story", "https://EXAMPLE.com/story", "https://example.com/story/",
    "https://example.com/story?utm_source=x&utm_medium=y&utm_campaign=z", "https://example.com/story#comments",
    "https://www.example.com/story?fbclid=abc&gclid=def", "HTTPS://Example.Com:443/story/?utm_term=q#top",
])
def test_normalize_url_equates_tracking_variants(variant):
    assert normalize_url(variant) == normalize_url("https://example.com/story")


def test_normalize_url_keeps_what_matters():
    assert normalize_url("https://example.com/story?id=1") != normalize_url("https://example.com/story?id=2")
    assert normalize_url("https://example.com/story") != normalize_url("https://example.com/other")
    assert normalize_url("https://example.com/Story") != normalize_url("https://example.com/story")
    assert normalize_url("https://example.com/s?b=2&a=1&utm_x=3") == normalize_url("https://example.com/s?a=1&b=2")


# --- 8. Pagination ----------------------------------------------------------------------------------------

def test_pagination_urls_and_prev_next_links(site):
    lists = {"": 9, "topics/ai/": 4, "topics/space/": 4, "topics/science/": 2, "sources/example-news/": 3,
             "2024/05/01/": 4}
    for base_path, total in lists.items():
        pages = -(-total // PER_PAGE)
        urls = [site.base + base_path + ("" if n == 1 else f"page/{n}/") for n in range(1, pages + 1)]
        seen: list[str] = []
        for n, url in enumerate(urls):
            rel = site.rel(url)
            assert site.exists(rel), url
            assert site.rel_links(rel, "prev") == urls[n - 1:n], url
            assert site.rel_links(rel, "next") == urls[n + 1:n + 2], url
            body_prev = [u for u in site.rel_links(rel, "prev", "//main//a") if u in urls]
            body_next = [u for u in site.rel_links(rel, "next", "//main//a") if u in urls]
            assert (body_prev, body_next) == (urls[n - 1:n], urls[n + 1:n + 2]), url
            shown = site.stories(rel)
            assert 0 < len(shown) <= PER_PAGE, url
            seen += shown
        assert len(seen) == len(set(seen)) == total, base_path
        assert not site.exists(site.rel(site.base + base_path + f"page/{pages + 1}/"))
        assert not site.exists(site.rel(site.base + base_path + "page/1/"))
