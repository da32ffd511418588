"""Write the site's and each topic's RSS 2.0 and Atom feeds (feedgen), the sitemap and robots.txt."""

from __future__ import annotations

import logging
import mimetypes
import re
from urllib.parse import urljoin
from dataclasses import dataclass
from datetime import datetime, timezone
from xml.sax.saxutils import escape

from feedgen.feed import FeedGenerator

from site_builder import __version__
from site_builder.collect import Site, newest
from site_builder.config import SiteConfig
from site_builder.model import Item
from site_builder.output import OutputFile
from site_builder.plan import Page
from site_builder.urls import absolute

log = logging.getLogger(__name__)

_URL_ATTR = re.compile(r'\b(href|src)="([^"]*)"')
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


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


def render_feeds(site: Site, config: SiteConfig) -> list[OutputFile]:
    files: list[OutputFile] = []
    for spec in feed_specs(site, config):
        fg = feed_generator(spec, config)
        for name, write in (("feed.xml", fg.rss_str), ("atom.xml", fg.atom_str)):
            # feedgen takes the last link as the RSS channel link, so the page link goes last.
            fg.link(href=absolute(config.base_url, spec.path + name), rel="self", replace=True)
            fg.link(href=absolute(config.base_url, spec.path), rel="alternate")
            files.append(OutputFile(spec.path.lstrip("/") + name, write(pretty=True)))
    return files


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
    fg.updated(newest(list(spec.items)) or _EPOCH)
    for item in spec.items:
        add_entry(fg, item, config)
    return fg


def add_entry(fg: FeedGenerator, item: Item, config: SiteConfig) -> None:
    page_url = absolute(config.base_url, item.url)
    fe = fg.add_entry(order="append")
    fe.id(item.guid)
    fe.guid(item.guid, permalink=False)
    fe.title(item.title)
    fe.link(href=item.source_url if config.feed_link == "source" and item.source_url else page_url)
    fe.published(item.date)
    fe.updated(item.updated or item.date)
    if item.provider:
        fe.author({"name": item.provider.name})
    for topic in item.topics:
        fe.category(term=topic)
    if item.body_html:
        fe.content(absolute_urls(item.body_html, page_url), type="html")
    fe.summary(item.excerpt or item.title)
    if item.images:
        lead = item.images[0]
        media = {"url": lead.url, "medium": "image"}
        media.update({k: str(v) for k, v in (("width", lead.width), ("height", lead.height)) if v})
        media_type = mimetypes.guess_type(lead.url.split("?", 1)[0])[0]
        if media_type:
            media["type"] = media_type
        fe.media.content(media)


def absolute_urls(fragment: str, page_url: str) -> str:
    """Feed readers show content away from our site: make every href/src absolute."""
    return _URL_ATTR.sub(lambda m: f'{m.group(1)}="{urljoin(page_url, m.group(2))}"', fragment)


def render_sitemap(pages: list[Page], site: Site, config: SiteConfig) -> list[OutputFile]:
    """sitemap.xml with every visible page (lastmod from item dates) and a robots.txt that names it."""
    fallback = newest(list(site.items))
    rows = []
    for page in pages:
        if page.context["page"]["kind"] == "404":
            continue
        lastmod = page_lastmod(page) or (fallback.isoformat() if fallback else None)
        loc = f"<loc>{escape(absolute(config.base_url, page.url))}</loc>"
        rows.append(f"  <url>{loc}<lastmod>{lastmod}</lastmod></url>" if lastmod else f"  <url>{loc}</url>")
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + "\n".join(rows) + "\n</urlset>\n")
    robots = f"User-agent: *\nAllow: /\n\nSitemap: {absolute(config.base_url, '/sitemap.xml')}\n"
    return [OutputFile("sitemap.xml", xml.encode()), OutputFile("robots.txt", robots.encode())]


def page_lastmod(page: Page) -> str | None:
    ctx = page.context
    if "item" in ctx:
        item = ctx["item"]
        return (item["updated"] or item["date"])["iso"]
    dates = [(v.get("updated") or v["date"])["iso"] for v in ctx.get("items", [])]
    return max(dates, key=lambda d: datetime.fromisoformat(d)) if dates else None

