"""Write the site's and each topic's RSS 2.0 and Atom feeds (feedgen), the sitemap and robots.txt."""

from __future__ import annotations

import logging
import mimetypes
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urljoin
from xml.sax.saxutils import escape

from feedgen.feed import FeedGenerator

from site_builder import __version__
from site_builder.stages.collect import Site, newest
from site_builder.config import SiteConfig
from site_builder.model import Item
from site_builder.stages.write import OutputFile
from site_builder.stages.plan import Page
from site_builder.urls import absolute

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# A start tag with its attributes; quoted values may hold '>'. Text never holds a raw '<' in our HTML.
_TAG = re.compile(r"""<([A-Za-z][A-Za-z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>""")
_ATTR = re.compile(r"""(\s+)([^\s"'>/=]+)(?:(\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_URL_ATTRS = frozenset({"href", "src", "poster", "cite", "action", "longdesc", "background"})
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
# Seeds the urn:uuid of an `id:` that is not an IRI (Atom ids must be IRIs).
_ID_NAMESPACE = uuid.UUID("0b5c7f4e-2d7e-5a43-9a6e-5f0a9c1d2e30")


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
    """The RSS 2.0 and Atom files of one feed."""
    fg = feed_generator(spec, config)
    files = []
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
    guid = entry_id(item)
    fe.id(guid)
    fe.guid(guid, permalink=False)
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
        if page.kind in ("404", "search"):  # the search page has nothing of its own for crawlers
            continue
        moment = page_lastmod(page, by_slug, day_newest) or fallback
        loc = f"<loc>{escape(absolute(config.base_url, page.url))}</loc>"
        rows.append(f"  <url>{loc}<lastmod>{moment.astimezone(config.tz).isoformat()}</lastmod></url>" if moment
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
