"""Plain views of items and groups for templates: dicts of strings, numbers and dates, never model objects."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from site_builder.stages.collect import Group, Site, group_slug, hidden_reason
from site_builder.config import SiteConfig
from site_builder.model import Image, Item
from site_builder.stages.images import is_site_path
from site_builder.urls import absolute

_TAG = re.compile(r"<[^>]+>")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


def day_url(day: str) -> str:
    """'2023-11-27' -> '/2023/11/27/'."""
    return "/" + day.replace("-", "/") + "/"


def month_url(month: str) -> str:
    """'2023-11' -> '/2023/11/'."""
    return "/" + month.replace("-", "/") + "/"


@lru_cache(maxsize=None)
def day_label(day: str) -> str:
    year, month, dom = (int(p) for p in day.split("-"))
    weekday = datetime(year, month, dom).strftime("%A")
    return f"{weekday} {dom} {MONTHS[month - 1]} {year}"


def month_label(month: str) -> str:
    year, number = (int(p) for p in month.split("-"))
    return f"{MONTHS[number - 1]} {year}"


def machine_time(moment: datetime) -> datetime:
    """The moment with an offset every machine-readable format can write (HTML, RFC 822, RFC 3339, W3C).

    Local mean time, a zone's offset before standard time (Europe/Amsterdam until 1937: +00:19:32), has
    seconds that none of them can hold: such a moment is given in UTC instead (the same instant).
    """
    offset = moment.utcoffset()
    if offset is not None and offset.total_seconds() % 60:
        return moment.astimezone(timezone.utc)
    return moment


def when_view(moment: datetime | None, config: SiteConfig) -> dict[str, str] | None:
    """A date as the templates need it: ISO for machines, a short label for people, in the site timezone."""
    if moment is None:
        return None
    local = moment.astimezone(config.tz)
    month = MONTHS[local.month - 1]
    clock = f"{local.hour:02d}:{local.minute:02d}"
    return {
        "iso": machine_time(local).isoformat(),
        "date": f"{local.day} {month[:3]} {local.year}",
        "time": clock,
        "label": f"{local.day} {month} {local.year}, {clock} {local.tzname()}",
        "day": f"{local.year:04d}-{local.month:02d}-{local.day:02d}",
        "timestamp": moment.timestamp(),
    }


def item_view(item: Item, config: SiteConfig, slugs: GroupSlugs | None = None) -> dict[str, Any]:
    """`slugs` are the site's topic and provider slugs (collect.group_slugs); without them, each name's own."""
    topic_slug, provider_slug = (slugs.topic, slugs.provider) if slugs else (group_slug, group_slug)
    date = when_view(item.date, config)
    lead = item.images[0] if item.images else None
    return {
        "slug": item.slug,
        "url": item.url,
        "title": item.title,
        "kind": item.kind,
        "date": date,
        "updated": when_view(item.updated, config),
        "day_url": day_url(date["day"]),
        "excerpt": item.excerpt,
        "description": describe(item),
        "body_html": Markup(item.body_html),
        "source_url": item.source_url,
        "source_host": source_host(item.source_url),
        "amp_url": item.amp_url,
        "provider": ({"name": item.provider.name, "domain": item.provider.domain,
                      "url": f"/sources/{provider_slug(item.provider.name)}/"} if item.provider else None),
        "topics": [{"name": t, "slug": topic_slug(t), "url": f"/topics/{topic_slug(t)}/"} for t in item.topics],
        "image": image_view(lead, config) if lead else None,
        "images": [image_view(i, config) for i in item.images],
        "related": [{"title": r.title, "url": r.url, "excerpt": r.excerpt, "date": when_view(r.date, config),
                     "provider": r.provider.name if r.provider else None} for r in item.related],
        "quality": item.quality,
        "heat": item.heat,
        "category": item.category,
        "type": item.type,
        "hidden": hidden_reason(item),
        "source_file": item.rel_path,
        "extra": item.extra,
    }


def image_view(image: Image, config: SiteConfig) -> dict[str, Any]:
    """`url` as written (a site path goes through link() in templates), `absolute` for meta tags and feeds."""
    return {"url": image.url, "absolute": image_url(image, config), "width": image.width, "height": image.height,
            "alt": image.alt, "caption": image.caption, "credit": image.credit}


def image_url(image: Image, config: SiteConfig) -> str:
    """The image's absolute URL: a site path ('/img/x.png') joined onto base_url."""
    return absolute(config.base_url, image.url) if is_site_path(image.url) else image.url


def describe(item: Item) -> str:
    """A line about the item for lists and meta tags: its excerpt, else the start of its text."""
    return item.excerpt or _text_start(item.body_html)


@dataclass(frozen=True)
class GroupSlugs:
    """A site's slugs for topic and provider names, as functions of the name."""

    topics: dict[str, str]
    providers: dict[str, str]

    def topic(self, name: str) -> str:
        return self.topics.get(name) or group_slug(name)

    def provider(self, name: str) -> str:
        return self.providers.get(name) or group_slug(name)

    @classmethod
    def of(cls, site: Site) -> GroupSlugs:
        return cls(site.topic_slugs, site.provider_slugs)


class ItemViews(dict):
    """slug -> item view, each made when a page first needs it (so only for the pages rendered), or
    taken from an earlier build when the item's key is the same."""

    def __init__(self, items: dict[str, Item], keys: dict[str, str], config: SiteConfig,
                 earlier: dict[str, dict[str, Any]] | None = None, slugs: GroupSlugs | None = None) -> None:
        super().__init__()
        self._items, self._keys, self._config, self._earlier = items, keys, config, earlier or {}
        self._slugs = slugs

    def __missing__(self, slug: str) -> dict[str, Any]:
        view = self._earlier.get(self._keys[slug]) or item_view(self._items[slug], self._config, self._slugs)
        self[slug] = view
        return view

    def by_key(self) -> dict[str, dict[str, Any]]:
        """The views made so far, by item key: what the next build may take again."""
        return {self._keys[slug]: view for slug, view in self.items()}


def source_host(url: str | None) -> str | None:
    """'https://www.reuters.com/x' -> 'reuters.com': the publisher's address, shown beside a headline."""
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else None


def group_view(group: Group, prefix: str) -> dict[str, Any]:
    return {"name": group.name, "slug": group.slug, "url": f"/{prefix}/{group.slug}/", "count": len(group.items)}


def _text_start(html_text: str, limit: int = 200) -> str:
    text = _TAG.sub(" ", html_text)
    text = " ".join(Markup(text).unescape().split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def site_view(site: Site, config: SiteConfig) -> dict[str, Any]:
    return {
        "title": config.title,
        "description": config.description or f"{config.title}: a curated news digest.",
        "base_url": config.base_url,
        "language": config.language,
        "drafts": config.drafts,
        "search": config.search,
        "feeds": [{"title": f"{config.title} (RSS)", "url": "/feed.xml", "type": "application/rss+xml"},
                  {"title": f"{config.title} (Atom)", "url": "/atom.xml", "type": "application/atom+xml"},
                  {"title": f"{config.title} (JSON Feed)", "url": "/feed.json",
                   "type": "application/feed+json"}],
        "topic_count": len(site.topics),
        "source_count": len(site.providers),
        "extra": config.extra,
    }
