"""Write the site's and each topic's RSS 2.0, Atom (feedgen) and JSON Feed 1.1 files, the sitemap and robots.txt."""

from __future__ import annotations

import html
import json
import logging
import mimetypes
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin
from xml.sax.saxutils import escape

from feedgen.ext.base import BaseEntryExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from site_builder import __version__
from site_builder.stages.collect import Site, newest
from site_builder.config import SiteConfig
from site_builder.model import Item
from site_builder.stages.write import OutputFile
from site_builder.stages.plan import Page
from site_builder.stages.views import image_url
from site_builder.urls import absolute
from site_builder.stages.views import machine_time

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# A start tag with its attributes; quoted values may hold '>'. Text never holds a raw '<' in our HTML.
_TAG = re.compile(r"""<([A-Za-z][A-Za-z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>""")
_ATTR = re.compile(r"""(\s+)([^\s"'>/=]+)(?:(\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_URL_ATTRS = frozenset({"href", "src", "poster", "cite", "action", "longdesc", "background"})
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
# Seeds the urn:uuid of an `id:` that is not an IRI (Atom ids must be IRIs).
_MEDIA_NS = "http://search.yahoo.com/mrss/"
_ID_NAMESPACE = uuid.UUID("0b5c7f4e-2d7e-5a43-9a6e-5f0a9c1d2e30")
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
# The files of one feed, under its path ('/' or '/topics/ai/'); render_feed makes them in this order.
FEED_FILES = ("feed.xml", "atom.xml", "feed.json")


@dataclass(frozen=True)
class FeedSpec:
    """One feed pair: where it lives, what it is called, which items it carries (newest first)."""

    path: str            # '/' or '/topics/ai/'
    title: str
    description: str
    items: tuple[Item, ...]


def feed_specs(site: Site, config: SiteConfig) -> list[FeedSpec]:
    by_slug = site.by_slug()
    specs = [FeedSpec("/", config.title, config.description or f"Latest stories from {config.title}",
                      site.items[:config.feed_limit])]
    for topic in site.topics:
        specs.append(FeedSpec(f"/topics/{topic.slug}/", f"{config.title}: {topic.name}",
                              f"Latest stories about {topic.name} from {config.title}",
                              tuple(by_slug[s] for s in topic.items[:config.feed_limit])))
    return specs


def render_feed(spec: FeedSpec, config: SiteConfig) -> list[OutputFile]:
    """The RSS 2.0, Atom and JSON Feed files of one feed (FEED_FILES)."""
    fg = feed_generator(spec, config)
    files = []
    for name, write in (("feed.xml", _rss_str), ("atom.xml", FeedGenerator.atom_str)):
        # feedgen takes the last link as the RSS channel link, so the page link goes last.
        fg.link(href=absolute(config.base_url, spec.path + name), rel="self", replace=True)
        fg.link(href=absolute(config.base_url, spec.path), rel="alternate")
        files.append(OutputFile(spec.path.lstrip("/") + name, write(fg, pretty=True)))
    files.append(OutputFile(spec.path.lstrip("/") + "feed.json", render_json_feed(spec, config)))
    return files


def render_json_feed(spec: FeedSpec, config: SiteConfig) -> bytes:
    """JSON Feed 1.1 with the same entries, ids and links as the RSS and Atom files."""
    feed = {
        "version": JSON_FEED_VERSION,
        "title": spec.title,
        "home_page_url": absolute(config.base_url, spec.path),
        "feed_url": absolute(config.base_url, spec.path + "feed.json"),
        "description": spec.description,
        "language": config.language,
        "authors": [{"name": config.title}],
        "items": [_json_item(item, config) for item in spec.items],
    }
    text = json.dumps(feed, ensure_ascii=False, indent=2)
    # <, > and & only occur inside strings: escaped there, a feed served as HTML by mistake is still inert.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (text + "\n").encode("utf-8")


def _json_item(item: Item, config: SiteConfig) -> dict[str, object]:
    page_url = absolute(config.base_url, item.url)
    url = item.source_url if config.feed_link == "source" and item.source_url else page_url
    entry: dict[str, object] = {"id": entry_id(item), "url": url}
    if item.source_url and item.source_url != url:
        entry["external_url"] = item.source_url   # the story this item links to
    entry["title"] = item.title
    if config.feed_content == "full" and item.body_html:
        entry["content_html"] = absolute_urls(item.body_html, page_url)
    else:
        entry["content_text"] = item.excerpt or item.title
    if item.excerpt:
        entry["summary"] = item.excerpt
    if item.images:
        entry["image"] = item.images[0].url
    entry["date_published"] = _rfc3339(item.date)
    if item.updated:
        entry["date_modified"] = _rfc3339(item.updated)
    if item.provider:
        entry["authors"] = [{"name": item.provider.name}]
    if item.topics:
        entry["tags"] = list(item.topics)
    return entry


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rss_str(fg: FeedGenerator, pretty: bool) -> bytes:
    """The RSS 2.0 file, with the channel's and each entry's <title> and <description> as escaped text.

    Readers show an RSS description as HTML, and a title too when it looks like HTML, so an excerpt
    "Use the <img src=x onerror=...> tag" would become live markup there; escaped, every reader shows
    the text as written. Atom says its title and summary are text (no type attribute), so it keeps the
    plain values. feedgen sets both formats from one value (title(), summary(), subtitle()), so the RSS
    side is set apart here, on feedgen's private fields (tests/test_feed_text.py fails if they change).
    """
    fg._FeedGenerator__rss_title = _text(fg.title())
    fg._FeedGenerator__rss_description = _text(fg.subtitle())
    for entry in fg.entry():
        entry._FeedEntry__rss_title = _text(entry.title())
        entry._FeedEntry__rss_description = _text(entry.summary()["summary"])
    return fg.rss_str(pretty=pretty)


def _text(value: str) -> str:
    return html.escape(value, quote=False)


def feed_generator(spec: FeedSpec, config: SiteConfig) -> FeedGenerator:
    page_url = absolute(config.base_url, spec.path)
    fg = FeedGenerator()
    fg.load_extension("media")
    fg.id(page_url)
    fg.title(spec.title)
    fg.description(spec.description)
    fg.language(config.language)
    fg.author({"name": config.title})
    fg.generator("site-builder", version=__version__)
    # A fixed date, never "now": the same content must give the same bytes.
    fg.updated(machine_time(newest(list(spec.items)) or _EPOCH))
    for item in spec.items:
        add_entry(fg, item, config)
    return fg


def add_entry(fg: FeedGenerator, item: Item, config: SiteConfig) -> None:
    page_url = absolute(config.base_url, item.url)
    fe = fg.add_entry(order="append")
    guid = entry_id(item)
    fe.id(guid)
    fe.guid(guid, permalink=False)
    fe.title(item.title)
    fe.link(href=item.source_url if config.feed_link == "source" and item.source_url else page_url)
    fe.published(machine_time(item.date))
    fe.updated(machine_time(item.updated or item.date))
    if item.provider:
        fe.author({"name": item.provider.name})
    for topic in item.topics:
        fe.category(term=topic)
    if item.body_html and config.feed_content == "full":
        fe.content(absolute_urls(item.body_html, page_url), type="html")
    fe.summary(item.excerpt or item.title)
    if item.images:
        lead = item.images[0]
        media = {"url": image_url(lead, config), "medium": "image"}
        media.update({k: str(v) for k, v in (("width", lead.width), ("height", lead.height)) if v})
        media_type = mimetypes.guess_type(lead.url.split("?", 1)[0])[0]
        if media_type:
            media["type"] = media_type
        fe.media.content(media)
        if lead.alt or lead.credit:
            fe.register_extension("imagetext", _ImageText)
            fe.imagetext.alt, fe.imagetext.credit = lead.alt, lead.credit


class _ImageText(BaseEntryExtension):
    """The lead image's alt text and credit as media:description and media:credit inside its media:content
    (feedgen's media extension writes neither). Runs after the media extension, which made the element."""

    alt = ""
    credit = ""

    def extend_atom(self, entry: Any) -> Any:
        content = entry.find(f".//{{{_MEDIA_NS}}}content")
        if content is not None:
            if self.alt:
                xml_elem(f"{{{_MEDIA_NS}}}description", content, type="plain").text = self.alt
            if self.credit:
                xml_elem(f"{{{_MEDIA_NS}}}credit", content).text = self.credit
        return entry

    extend_rss = extend_atom


def entry_id(item: Item) -> str:
    """The entry's Atom id and RSS guid: the item's guid (from its content path, or its `id:` key).

    Neither the title nor the permalink pattern feeds into it, so renaming a story or moving the site's
    URLs never makes readers show it again as new. An `id:` that is not an IRI (Atom requires one, e.g.
    'story-42') becomes a urn:uuid made from it, just as stable.
    """
    if _SCHEME.fullmatch(item.guid):
        return item.guid
    return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, item.guid)}"


def absolute_urls(fragment: str, page_url: str) -> str:
    """Feed readers show content away from our site: make every href/src (and srcset) absolute.

    Only attributes inside tags are touched, never text such as a code sample showing `href="x"`.
    """
    def fix_attr(m: re.Match[str]) -> str:
        name = m.group(2).lower()
        if m.group(3) is None or (name not in _URL_ATTRS and name != "srcset"):
            return m.group(0)
        value = next(v for v in m.group(4, 5, 6) if v is not None)
        if name == "srcset":
            fixed = ", ".join(" ".join([urljoin(page_url, c.split()[0])] + c.split()[1:])
                              for c in value.split(",") if c.strip())
        else:
            fixed = urljoin(page_url, value.strip())
        return f'{m.group(1)}{m.group(2)}="{fixed.replace(chr(34), "&quot;")}"'

    return _TAG.sub(lambda t: f"<{t.group(1)}{_ATTR.sub(fix_attr, t.group(2))}>", fragment)


def render_sitemap(pages: list[Page], site: Site, config: SiteConfig) -> list[OutputFile]:
    """sitemap.xml with every visible page but 404 and search (lastmod from item dates) and a robots.txt that names it."""
    by_slug = site.by_slug()
    fallback = newest(list(site.items))
    day_newest = {day.slug: newest([by_slug[s] for s in day.items]) for day in site.days if day.items}
    rows = []
    for page in pages:
        if page.kind in ("404", "candidates", "search"):  # a --drafts preview's page; search has nothing of its own
            continue
        moment = page_lastmod(page, by_slug, day_newest) or fallback
        loc = f"<loc>{escape(absolute(config.base_url, page.url))}</loc>"
        rows.append(f"  <url>{loc}<lastmod>{machine_time(moment.astimezone(config.tz)).isoformat()}</lastmod></url>"
                    if moment
                    else f"  <url>{loc}</url>")
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + "\n".join(rows) + "\n</urlset>\n")
    robots = f"User-agent: *\nAllow: /\n\nSitemap: {absolute(config.base_url, '/sitemap.xml')}\n"
    return [OutputFile("sitemap.xml", xml.encode()), OutputFile("robots.txt", robots.encode())]


def page_lastmod(page: Page, by_slug: dict[str, Item], day_newest: dict[str, datetime | None]) -> datetime | None:
    """The newest date among the items a page lists; an item page's own; a month page's from all its days.

    None for pages that list groups (the topic, source and archive indexes): they take the site's newest.
    """
    if page.kind == "item":
        item = by_slug[page.slugs[0]]
        return item.updated or item.date
    if page.kind == "month":
        return max((day_newest[d["date"]] for d in page.data["days"] if day_newest.get(d["date"])), default=None)
    return newest([by_slug[s] for s in page.slugs])
