"""Plan the pages: which pages exist, at which URL, with which template, and which items each shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, Mapping

from site_builder.stages.collect import Group, Site, hidden_reason
from site_builder.config import SiteConfig
from site_builder.model import Item
from site_builder.urls import absolute
from site_builder.stages.views import day_label, day_url, describe, group_view, image_url, month_label, month_url

RELATED_LIMIT = 5


class Story(str):
    """An item's slug inside a page's data: the template gets the item's view in its place."""

    __slots__ = ()


class Stories(tuple):
    """Item slugs inside a page's data, in order: the template gets a list of their views."""

    __slots__ = ()


@dataclass(frozen=True)
class Page:
    """One HTML page to render: `url` is the site path ('/topics/ai/').

    `data` is plain data in which Story and Stories stand for item views, so a page is cheap to plan
    and to compare with the last build's: what it shows is its data plus the items in `slugs`.
    """

    template: str
    url: str
    data: dict[str, Any]
    slugs: tuple[str, ...] = field(default=())   # every item the page shows, its own item first

    @property
    def kind(self) -> str:
        return self.data["page"]["kind"]

    @property
    def output_path(self) -> str:
        return self.url.lstrip("/") + "index.html" if self.url.endswith("/") else self.url.lstrip("/")


def plan(site: Site, config: SiteConfig) -> list[Page]:
    """Every page of the site, in a stable order."""
    day_of = {slug: day.slug for day in site.days for slug in day.items}
    pages: list[Page] = []
    pages += home_pages(site, day_of, config)
    pages += item_pages(site, config)
    pages += group_pages(site.topics, "topics", "topic.html", "Topic", day_of, config)
    pages += group_pages(site.providers, "sources", "source.html", "Source", day_of, config)
    pages.append(index_page(site.topics, "topics", "topics.html", "Topics", config))
    pages.append(index_page(site.providers, "sources", "sources.html", "Sources", config))
    pages += day_pages(site.days, config)
    pages += month_pages(site.days, config)
    pages.append(archive_page(site.days, config))
    pages.append(_page("404.html", "/404.html", config, title="Page not found", kind="404"))
    if config.drafts:
        pages.append(candidates_page(site, config))
    if config.search:
        pages.append(_page("search.html", "/search/", config, title="Search", kind="search"))
    return pages


def candidates_page(site: Site, config: SiteConfig) -> Page:
    """The curator's queue in a --drafts preview: every hidden item, newest first (never in a public build)."""
    slugs = tuple(item.slug for item in site.items if hidden_reason(item) is not None)
    return _page("candidates.html", "/candidates/", config, title="Candidates", kind="candidates",
                 description="Items not yet published, to pick from.", items=Stories(slugs), slugs=slugs)


def page_context(page: Page, views: Mapping[str, dict[str, Any]], site: dict[str, Any]) -> dict[str, Any]:
    """What the page's template sees: its data with item views in place of slugs, and the site."""
    return {"site": site, **{key: _with_views(value, views) for key, value in page.data.items()}}


def _with_views(value: Any, views: Mapping[str, dict[str, Any]]) -> Any:
    kind = type(value)
    if kind is Story:
        return views[value]
    if kind is Stories:
        return [views[slug] for slug in value]
    if kind is dict:
        return {k: _with_views(v, views) for k, v in value.items()}
    if kind is list:
        return [_with_views(v, views) for v in value]
    return value


def _page(template: str, url: str, config: SiteConfig, *, title: str, kind: str, description: str = "",
          feeds: list[dict[str, str]] | None = None, pager: dict[str, Any] | None = None,
          image: dict[str, Any] | None = None, slugs: tuple[str, ...] = (), **data: Any) -> Page:
    full_title = title if pager is None or pager["number"] == 1 else f"{title} (page {pager['number']})"
    meta = {"url": url, "title": full_title, "kind": kind, "description": description,
            "canonical": absolute(config.base_url, url), "feeds": feeds or [], "pager": pager, "image": image}
    return Page(template, url, {"page": meta, **data}, slugs)


def paginate(base: str, entries: list[Any], per_page: int) -> list[tuple[str, list[Any], dict[str, Any]]]:
    """Split entries over pages at base, base/page/2/, ...; each with a pager (prev/next URLs)."""
    chunks = [entries[i:i + per_page] for i in range(0, len(entries), per_page)] or [[]]
    urls = [base if n == 1 else f"{base}page/{n}/" for n in range(1, len(chunks) + 1)]
    return [(urls[i], chunk, {"number": i + 1, "total": len(chunks),
                              "prev_url": urls[i - 1] if i > 0 else None,
                              "next_url": urls[i + 1] if i + 1 < len(chunks) else None})
            for i, chunk in enumerate(chunks)]


def by_day(slugs: list[str], day_of: dict[str, str]) -> list[dict[str, Any]]:
    """Consecutive items grouped under their day: the shape of the home page."""
    return [{"day": day, "label": day_label(day), "url": day_url(day), "stories": Stories(group)}
            for day, group in groupby(slugs, key=day_of.__getitem__)]


def home_pages(site: Site, day_of: dict[str, str], config: SiteConfig) -> list[Page]:
    # The latest editions, newest day first, each in its edition order (site.toml edition_order).
    entries = [slug for day in site.days for slug in day.items]
    return [_page("home.html", url, config, title=config.title, kind="home", description=config.description,
                  pager=pager, days=by_day(chunk, day_of), items=Stories(chunk), slugs=tuple(chunk))
            for url, chunk, pager in paginate("/", entries, config.page_size)]


def item_pages(site: Site, config: SiteConfig) -> list[Page]:
    near = nearest_in_topics(site)
    return [item_page(item, tuple(near.get(item.slug, ())), config) for item in site.items]


def item_page(item: Item, more: tuple[str, ...], config: SiteConfig) -> Page:
    lead = item.images[0] if item.images else None
    image = {"url": image_url(lead, config), "width": lead.width, "height": lead.height, "alt": lead.alt} \
        if lead else None
    return _page("item.html", item.url, config, title=item.title, kind="item", description=describe(item),
                 image=image, item=Story(item.slug), more=Stories(more), slugs=(item.slug,) + more)


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


def group_pages(groups: tuple[Group, ...], prefix: str, template: str, label: str, day_of: dict[str, str],
                config: SiteConfig) -> list[Page]:
    pages = []
    for group in groups:
        base = f"/{prefix}/{group.slug}/"
        feeds = [{"title": f"{group.name} (RSS)", "url": f"{base}feed.xml", "type": "application/rss+xml"},
                 {"title": f"{group.name} (Atom)", "url": f"{base}atom.xml", "type": "application/atom+xml"},
                 {"title": f"{group.name} (JSON Feed)", "url": f"{base}feed.json",
                  "type": "application/feed+json"}] \
            if prefix == "topics" else []
        for url, chunk, pager in paginate(base, list(group.items), config.page_size):
            pages.append(_page(template, url, config, title=f"{label}: {group.name}", kind=prefix[:-1],
                               description=f"News about {group.name} from {config.title}." if prefix == "topics"
                               else f"News from {group.name}, curated by {config.title}.",
                               feeds=feeds, pager=pager, group=group_view(group, prefix), items=Stories(chunk),
                               days=by_day(chunk, day_of), slugs=tuple(chunk)))
    return pages


def index_page(groups: tuple[Group, ...], prefix: str, template: str, title: str, config: SiteConfig) -> Page:
    return _page(template, f"/{prefix}/", config, title=title, kind=f"{prefix}-index",
                 description=f"All {prefix} of {config.title}.", groups=[group_view(g, prefix) for g in groups])


def day_pages(days: tuple[Group, ...], config: SiteConfig) -> list[Page]:
    pages = []
    for i, day in enumerate(days):
        newer = days[i - 1].slug if i > 0 else None
        older = days[i + 1].slug if i + 1 < len(days) else None
        nav = {"newer": {"url": day_url(newer), "label": day_label(newer)} if newer else None,
               "older": {"url": day_url(older), "label": day_label(older)} if older else None,
               "month": {"url": month_url(day.slug[:7]), "label": month_label(day.slug[:7])}}
        for url, chunk, pager in paginate(day_url(day.slug), list(day.items), config.page_size):
            pages.append(_page("day.html", url, config, title=f"Edition of {day_label(day.slug)}", kind="day",
                               description=f"{len(day.items)} stories from {day_label(day.slug)}.",
                               pager=pager, day={"date": day.slug, "label": day_label(day.slug),
                                                 "count": len(day.items)}, nav=nav, items=Stories(chunk),
                               slugs=tuple(chunk)))
    return pages


def _months(days: tuple[Group, ...]) -> list[tuple[str, list[Group]]]:
    return [(month, list(group)) for month, group in groupby(days, key=lambda d: d.slug[:7])]


def month_pages(days: tuple[Group, ...], config: SiteConfig) -> list[Page]:
    months = _months(days)
    pages = []
    for i, (month, month_days) in enumerate(months):
        entries = [{"date": d.slug, "label": day_label(d.slug), "url": day_url(d.slug), "count": len(d.items),
                    "top": Stories(d.items[:3])} for d in month_days]
        nav = {"newer": {"url": month_url(months[i - 1][0]), "label": month_label(months[i - 1][0])} if i else None,
               "older": {"url": month_url(months[i + 1][0]), "label": month_label(months[i + 1][0])}
               if i + 1 < len(months) else None}
        pages.append(_page("month.html", month_url(month), config, title=month_label(month), kind="month",
                           description=f"Daily editions of {month_label(month)}.",
                           month={"label": month_label(month), "count": sum(e["count"] for e in entries)},
                           days=entries, nav=nav, slugs=tuple(s for e in entries for s in e["top"])))
    return pages


def archive_page(days: tuple[Group, ...], config: SiteConfig) -> Page:
    months = [{"label": month_label(m), "url": month_url(m),
               "days": [{"label": day_label(d.slug), "url": day_url(d.slug), "count": len(d.items), "date": d.slug}
                        for d in ds]} for m, ds in _months(days)]
    return _page("archive.html", "/archive/", config, title="Archive", kind="archive",
                 description=f"Every daily edition of {config.title}.", months=months)
