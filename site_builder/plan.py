"""Plan the pages: which pages exist, at which URL, with which template and context."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Any

from site_builder.collect import Group, Site
from site_builder.config import SiteConfig
from site_builder.urls import absolute
from site_builder.views import (day_label, day_url, group_view, month_label, month_url,
                                site_view)

RELATED_LIMIT = 5


@dataclass(frozen=True)
class Page:
    """One HTML page to render: `url` is the site path ('/topics/ai/'); context is plain data."""

    template: str
    url: str
    context: dict[str, Any]

    @property
    def output_path(self) -> str:
        return self.url.lstrip("/") + "index.html" if self.url.endswith("/") else self.url.lstrip("/")


def plan(site: Site, config: SiteConfig, views: dict[str, dict[str, Any]]) -> list[Page]:
    """Every page of the site, in a stable order; `views` holds each item's view by slug."""
    common = {"site": site_view(site, config)}
    pages: list[Page] = []
    pages += home_pages(site, views, config)
    pages += item_pages(site, views, config)
    pages += group_pages(site.topics, "topics", "topic.html", "Topic", views, config)
    pages += group_pages(site.providers, "sources", "source.html", "Source", views, config)
    pages.append(index_page(site.topics, "topics", "topics.html", "Topics", config))
    pages.append(index_page(site.providers, "sources", "sources.html", "Sources", config))
    pages += day_pages(site.days, views, config)
    pages += month_pages(site.days, views, config)
    pages.append(archive_page(site.days, config))
    pages.append(_page("404.html", "/404.html", config, title="Page not found", kind="404"))
    return [Page(p.template, p.url, {**common, **p.context}) for p in pages]


def _page(template: str, url: str, config: SiteConfig, *, title: str, kind: str, description: str = "",
          feeds: list[dict[str, str]] | None = None, pager: dict[str, Any] | None = None,
          image: dict[str, Any] | None = None, **context: Any) -> Page:
    full_title = title if pager is None or pager["number"] == 1 else f"{title} (page {pager['number']})"
    meta = {"url": url, "title": full_title, "kind": kind, "description": description,
            "canonical": absolute(config.base_url, url), "feeds": feeds or [], "pager": pager, "image": image}
    return Page(template, url, {"page": meta, **context})


def paginate(base: str, entries: list[Any], per_page: int) -> list[tuple[str, list[Any], dict[str, Any]]]:
    """Split entries over pages at base, base/page/2/, ...; each with a pager (prev/next URLs)."""
    chunks = [entries[i:i + per_page] for i in range(0, len(entries), per_page)] or [[]]
    urls = [base if n == 1 else f"{base}page/{n}/" for n in range(1, len(chunks) + 1)]
    return [(urls[i], chunk, {"number": i + 1, "total": len(chunks),
                              "prev_url": urls[i - 1] if i > 0 else None,
                              "next_url": urls[i + 1] if i + 1 < len(chunks) else None})
            for i, chunk in enumerate(chunks)]


def by_day(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive item views grouped under their day: the shape of the home page."""
    return [{"day": day, "label": day_label(day), "url": day_url(day), "stories": list(group)}
            for day, group in groupby(entries, key=lambda v: v["date"]["day"])]


def home_pages(site: Site, views: dict[str, dict[str, Any]], config: SiteConfig) -> list[Page]:
    # The latest editions, newest day first, each in its edition order (site.toml edition_order).
    entries = [views[slug] for day in site.days for slug in day.items]
    return [_page("home.html", url, config, title=config.title, kind="home", description=config.description,
                  pager=pager, days=by_day(chunk), items=chunk)
            for url, chunk, pager in paginate("/", entries, config.items_per_page)]


def item_pages(site: Site, views: dict[str, dict[str, Any]], config: SiteConfig) -> list[Page]:
    near = nearest_in_topics(site)
    return [_page("item.html", views[item.slug]["url"], config, title=item.title, kind="item",
                  description=views[item.slug]["description"], image=views[item.slug]["image"],
                  item=views[item.slug], more=[views[s] for s in near.get(item.slug, [])])
            for item in site.items]


def nearest_in_topics(site: Site) -> dict[str, list[str]]:
    """For each item, up to RELATED_LIMIT others sharing a topic, nearest in time first.

    Topic lists are already in time order, so the nearest neighbours sit next to the item there:
    looking RELATED_LIMIT places either side keeps this linear in the number of items.
    """
    when = {item.slug: item.date.timestamp() for item in site.items}
    candidates: dict[str, set[str]] = {}
    for group in site.topics:
        members = group.items
        for i, slug in enumerate(members):
            around = members[max(0, i - RELATED_LIMIT):i] + members[i + 1:i + 1 + RELATED_LIMIT]
            candidates.setdefault(slug, set()).update(around)
    return {slug: sorted(others, key=lambda o: (abs(when[o] - when[slug]), o))[:RELATED_LIMIT]
            for slug, others in candidates.items()}


def group_pages(groups: tuple[Group, ...], prefix: str, template: str, label: str,
                views: dict[str, dict[str, Any]], config: SiteConfig) -> list[Page]:
    pages = []
    for group in groups:
        base = f"/{prefix}/{group.slug}/"
        feeds = [{"title": f"{group.name} (RSS)", "url": f"{base}feed.xml", "type": "application/rss+xml"},
                 {"title": f"{group.name} (Atom)", "url": f"{base}atom.xml", "type": "application/atom+xml"}] \
            if prefix == "topics" else []
        for url, chunk, pager in paginate(base, [views[s] for s in group.items], config.items_per_page):
            pages.append(_page(template, url, config, title=f"{label}: {group.name}", kind=prefix[:-1],
                               description=f"News about {group.name} from {config.title}." if prefix == "topics"
                               else f"News from {group.name}, curated by {config.title}.",
                               feeds=feeds, pager=pager, group=group_view(group, prefix), items=chunk,
                               days=by_day(chunk)))
    return pages


def index_page(groups: tuple[Group, ...], prefix: str, template: str, title: str, config: SiteConfig) -> Page:
    return _page(template, f"/{prefix}/", config, title=title, kind=f"{prefix}-index",
                 description=f"All {prefix} of {config.title}.", groups=[group_view(g, prefix) for g in groups])


def day_pages(days: tuple[Group, ...], views: dict[str, dict[str, Any]], config: SiteConfig) -> list[Page]:
    pages = []
    for i, day in enumerate(days):
        newer = days[i - 1].slug if i > 0 else None
        older = days[i + 1].slug if i + 1 < len(days) else None
        nav = {"newer": {"url": day_url(newer), "label": day_label(newer)} if newer else None,
               "older": {"url": day_url(older), "label": day_label(older)} if older else None,
               "month": {"url": month_url(day.slug[:7]), "label": month_label(day.slug[:7])}}
        for url, chunk, pager in paginate(day_url(day.slug), [views[s] for s in day.items], config.items_per_page):
            pages.append(_page("day.html", url, config, title=f"Edition of {day_label(day.slug)}", kind="day",
                               description=f"{len(day.items)} stories from {day_label(day.slug)}.",
                               pager=pager, day={"date": day.slug, "label": day_label(day.slug),
                                                 "count": len(day.items)}, nav=nav, items=chunk))
    return pages


def _months(days: tuple[Group, ...]) -> list[tuple[str, list[Group]]]:
    return [(month, list(group)) for month, group in groupby(days, key=lambda d: d.slug[:7])]


def month_pages(days: tuple[Group, ...], views: dict[str, dict[str, Any]], config: SiteConfig) -> list[Page]:
    months = _months(days)
    pages = []
    for i, (month, month_days) in enumerate(months):
        entries = [{"date": d.slug, "label": day_label(d.slug), "url": day_url(d.slug), "count": len(d.items),
                    "top": [views[s] for s in d.items[:3]]} for d in month_days]
        nav = {"newer": {"url": month_url(months[i - 1][0]), "label": month_label(months[i - 1][0])} if i else None,
               "older": {"url": month_url(months[i + 1][0]), "label": month_label(months[i + 1][0])}
               if i + 1 < len(months) else None}
        pages.append(_page("month.html", month_url(month), config, title=month_label(month), kind="month",
                           description=f"Daily editions of {month_label(month)}.",
                           month={"label": month_label(month), "count": sum(e["count"] for e in entries)},
                           days=entries, nav=nav))
    return pages


def archive_page(days: tuple[Group, ...], config: SiteConfig) -> Page:
    months = [{"label": month_label(m), "url": month_url(m),
               "days": [{"label": day_label(d.slug), "url": day_url(d.slug), "count": len(d.items), "date": d.slug}
                        for d in ds]} for m, ds in _months(days)]
    return _page("archive.html", "/archive/", config, title="Archive", kind="archive",
                 description=f"Every daily edition of {config.title}.", months=months)
